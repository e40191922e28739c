package domain

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameLen bounds a person's or a team's name, from chat or an import.
const MaxNameLen = 100

// MaxTextLen bounds what a person writes in one command (a concern, a
// reason, a plan, a note): enough for a paragraph, not a document that
// becomes dozens of messages to every manager.
const MaxTextLen = 2000

// What is wrong with a name or a text, for callers that word it themselves.
const (
	TextEmpty   = "empty"
	TextLong    = "long"
	TextControl = "control"
)

// NameProblem says what is wrong with a name ("" when nothing is): it must
// not be empty, longer than MaxNameLen characters, or hold control
// characters (tabs, line breaks, escape codes). Chat and the import share it.
func NameProblem(s string) string {
	switch {
	case strings.TrimSpace(s) == "":
		return TextEmpty
	case utf8.RuneCountInString(s) > MaxNameLen:
		return TextLong
	case strings.IndexFunc(s, unicode.IsControl) >= 0 || !utf8.ValidString(s):
		return TextControl
	}
	return ""
}

// TextProblem says what is wrong with free text ("" when nothing is): at
// most MaxTextLen characters, and no control characters but line breaks
// and tabs.
func TextProblem(s string) string {
	switch {
	case utf8.RuneCountInString(s) > MaxTextLen:
		return TextLong
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' }) >= 0 || !utf8.ValidString(s):
		return TextControl
	}
	return ""
}
