// Package textcut splits the text of chat messages to a platform's limits
// without breaking what must stay whole: a UTF-8 character, a "<…>"
// mention or tag, an "&…;" escape. The Slack and Teams adapters share it.
package textcut

import (
	"strings"
	"unicode/utf8"
)

// Split cuts s into parts of at most max bytes, at a line break if it can,
// else at a space, else between characters; nothing is lost but the line
// break or space it was cut at.
func Split(s string, max int) []string {
	var out []string
	for len(s) > max {
		cut := strings.LastIndexByte(s[:max+1], '\n')
		if cut <= 0 {
			cut = strings.LastIndexByte(s[:max+1], ' ')
		}
		if cut > 0 {
			out = append(out, s[:cut])
			s = s[cut+1:]
			continue
		}
		cut = Cut(s, max)
		out = append(out, s[:cut])
		s = s[cut:]
	}
	if strings.TrimSpace(s) != "" {
		out = append(out, s)
	}
	return out
}

// FirstFit is s if it fits in max bytes, else its beginning and "…". Only
// for labels and notes, never for what the engine says.
func FirstFit(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return s[:Cut(s, max-len("…"))] + "…"
}

// Cut is the largest cut at or before max that splits neither a UTF-8
// character nor a "<…>" or "&…;" sequence (at least one character).
func Cut(s string, max int) int {
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if open := strings.LastIndexAny(s[:cut], "<&"); open > 0 && !strings.ContainsAny(s[open:cut], ">;") {
		cut = open
	}
	if cut == 0 {
		_, n := utf8.DecodeRuneInString(s)
		cut = n
	}
	return cut
}
