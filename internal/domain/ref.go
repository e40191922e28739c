package domain

import (
	"strconv"
	"strings"
	"time"
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
	case RefLikeDate:
		return Errorf(EINVALID, "%q has a date in it, perhaps a date of birth. safeload never stores the details of people who use services: use the case's reference number from your case system, like C-1042.", clip(ref, 40))
	case RefLikeNHS:
		return Errorf(EINVALID, "%q has what looks like an NHS number in it. safeload never stores the details of people who use services: use the case's reference number from your case system, like C-1042.", clip(ref, 40))
	}
	return Errorf(EINVALID, "%q looks like a name. safeload never stores the names or details of people who use services: use the case's reference number from your case system, like C-1042.", clip(ref, 40))
}

// What is wrong with a reference, for callers that word it themselves.
const (
	RefEmpty    = "empty"
	RefTooLong  = "long"
	RefBadChars = "chars"
	RefLikeName = "name"
	RefLikeDate = "date"
	RefLikeNHS  = "nhs"
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
	switch {
	case !digits || LooksLikeName(ref):
		return RefLikeName
	case hasDate(ref):
		return RefLikeDate
	case hasNHSNumber(ref):
		return RefLikeNHS
	}
	return ""
}

// digitGroups splits s into its runs of digits.
func digitGroups(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r < '0' || r > '9' })
}

// hasDate reports whether s holds a calendar date between 1900 and 2099:
// 1990-01-02, 02/01/1990, 1990/1/2, or written together as 19900102 or
// 02011990. Case numbers are not dates; dates of birth are.
func hasDate(s string) bool {
	g := digitGroups(s)
	for i := 0; i+2 < len(g); i++ {
		if date(g[i], g[i+1], g[i+2]) || date(g[i+2], g[i+1], g[i]) {
			return true
		}
	}
	for _, d := range g {
		if len(d) == 8 && (date(d[:4], d[4:6], d[6:]) || date(d[4:], d[2:4], d[:2])) {
			return true
		}
	}
	return false
}

// date: y is a four-digit year 1900–2099, m a month and d a day of it.
func date(y, m, d string) bool {
	if len(y) != 4 || len(m) > 2 || len(d) > 2 {
		return false
	}
	yy, _ := strconv.Atoi(y)
	mm, _ := strconv.Atoi(m)
	dd, _ := strconv.Atoi(d)
	if yy < 1900 || yy > 2099 || mm < 1 || mm > 12 || dd < 1 {
		return false
	}
	return dd <= time.Date(yy, time.Month(mm)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// hasNHSNumber reports whether s holds ten digits (together, or as 3-3-4)
// that are labelled NHS or whose last is the NHS number's modulus-11 check
// digit.
func hasNHSNumber(s string) bool {
	g := digitGroups(s)
	labelled := strings.Contains(strings.ToUpper(s), "NHS")
	var candidates []string
	for i, d := range g {
		if len(d) == 10 {
			candidates = append(candidates, d)
		}
		if i+2 < len(g) && len(d) == 3 && len(g[i+1]) == 3 && len(g[i+2]) == 4 {
			candidates = append(candidates, d+g[i+1]+g[i+2])
		}
	}
	for _, c := range candidates {
		if labelled || nhsCheck(c) {
			return true
		}
	}
	return false
}

// nhsCheck is the NHS number's check: the first nine digits weighted 10
// down to 2, summed; 11 less the remainder by 11 (11 counting as 0, 10 as
// never valid) is the tenth digit.
func nhsCheck(n string) bool {
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(n[i]-'0') * (10 - i)
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	return check != 10 && check == int(n[9]-'0')
}

// Clip shortens s to n bytes for quoting back to a user.
func Clip(s string, n int) string { return clip(s, n) }

// LooksLikeName reports whether s contains a word shaped like a name: a
// capitalised word ("Smith", "Li", "OConnor"), a lower-case word of four or
// more letters ("smith"), or an upper-case one of five or more ("SMITH").
// Upper-case codes such as "CIN" are fine.
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
		case len(rs) >= 2 && unicode.IsUpper(rs[0]) && lower == len(rs)-1:
			return true // "Smith", "Li"
		case len(rs) >= 5 && lower == 0:
			return true // "SMITH": codes such as "CIN" or "LAC" are shorter
		case len(rs) >= 4 && unicode.IsUpper(rs[0]) && lower >= 3:
			return true // "OConnor", "DeSouza"
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
