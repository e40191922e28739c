package domain

import (
	"strings"
	"testing"
)

func TestAltWithinCutsAtAWord(t *testing.T) {
	long := strings.Repeat("Practitioner 104.0 % amber; ", 80)
	img := &Image{Alt: long}
	got := img.AltWithin(1000)
	if n := len([]rune(got)); n > 1000 || !strings.HasSuffix(got, " …") || !strings.HasPrefix(long, strings.TrimSuffix(got, " …")+" ") {
		t.Fatalf("%d characters: %q", n, got)
	}
	if short := (&Image{Alt: "short"}).AltWithin(1000); short != "short" {
		t.Fatalf("a short alt text is kept whole: %q", short)
	}
}
