package domain

import (
	"strings"
	"unicode"
)

// MaxRefLen is the longest case reference accepted.
const MaxRefLen = 32

// ValidateRef checks a case reference is a short opaque ID (letters, digits,
// '-' and '/', at most 32 characters, with at least one digit) that does not
// look like a person's name. The store holds no names of people who use
// services, so a name-like reference is refused with the reason.
func ValidateRef(ref string) error {
	switch RefProblem(ref) {
	case "":
		return nil
	case RefEmpty:
		return Errorf(EINVALID, "A case reference is needed, like C-1042.")
	case RefTooLong:
		return Errorf(EINVALID, "The case reference %q is too long: at most %d characters, like C-1042.", clip(ref, 40), MaxRefLen)
	case RefBadChars:
		return Errorf(EINVALID, "The case reference %q has a character that is not allowed: use only letters, digits, - and /, like C-1042.", clip(ref, 40))
	}
	return Errorf(EINVALID, "%q looks like a name. safeload never stores the names or details of people who use services: use the case's reference number from your case system, like C-1042.", clip(ref, 40))
}

// What is wrong with a reference, for callers that word it themselves.
const (
	RefEmpty    = "empty"
	RefTooLong  = "long"
	RefBadChars = "chars"
	RefLikeName = "name"
)

// RefProblem says what is wrong with ref ("" when nothing is).
func RefProblem(ref string) string {
	if ref == "" {
		return RefEmpty
	}
	if len(ref) > MaxRefLen {
		return RefTooLong
	}
	digits := false
	for _, r := range ref {
		switch {
		case r >= '0' && r <= '9':
			digits = true
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '-', r == '/':
		default:
			return RefBadChars
		}
	}
	if !digits || LooksLikeName(ref) {
		return RefLikeName
	}
	return ""
}

// Clip shortens s to n bytes for quoting back to a user.
func Clip(s string, n int) string { return clip(s, n) }

// LooksLikeName reports whether s contains a word shaped like a name: a
// capitalised word of three or more letters ("Smith") or a lower-case word of
// four or more ("smith"). Upper-case codes such as "CIN" are fine.
func LooksLikeName(s string) bool {
	words := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
	for _, w := range words {
		rs := []rune(w)
		lower := 0
		for _, r := range rs {
			if unicode.IsLower(r) {
				lower++
			}
		}
		switch {
		case len(rs) >= 3 && unicode.IsUpper(rs[0]) && lower == len(rs)-1:
			return true
		case len(rs) >= 4 && lower == len(rs):
			return true
		case len(rs) >= 4 && lower >= 2 && hasInnerCapital(rs):
			return true // "JohnSmith", "McDonald"
		}
	}
	return false
}

func hasInnerCapital(rs []rune) bool {
	for i := 1; i < len(rs); i++ {
		if unicode.IsUpper(rs[i]) && unicode.IsLower(rs[i-1]) {
			return true
		}
	}
	return false
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
