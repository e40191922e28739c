package textcut

import (
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	s := strings.Repeat("Alice <@teams:29:1alice> holds C-1 &amp; C-2 ", 200)
	parts := Split(s, 100)
	for _, p := range parts {
		if len(p) > 100 {
			t.Fatalf("part of %d bytes", len(p))
		}
		if strings.Count(p, "<") != strings.Count(p, ">") || strings.Count(p, "&") != strings.Count(p, ";") {
			t.Fatalf("a mention or escape was cut: %q", p)
		}
	}
	if got := strings.Join(parts, " "); strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(s), " ") {
		t.Fatal("text was lost")
	}
	if got := Split(strings.Repeat("é", 100), 9); len(got[0]) != 8 {
		t.Fatalf("cut inside a character: %q", got[0])
	}
	if got := FirstFit("Accept the proposal of C-1042", 10); got != "Accept …" {
		t.Fatalf("FirstFit: %q", got)
	}
}
