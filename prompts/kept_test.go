package prompts

import (
	"errors"
	"testing"
)

// Kept keeps what write writes, and nothing when write fails: the next Get
// writes again.
func TestKeptKeepsNoError(t *testing.T) {
	var c Kept[int]
	writes := 0
	fail := func() (string, error) { writes++; return "", errors.New("no") }
	for range 2 {
		if text, err := c.Get(1, fail); err == nil || text != "" {
			t.Fatalf("a failed write gave %q, %v", text, err)
		}
	}
	if writes != 2 || c.Len() != 0 {
		t.Fatalf("%d writes, %d kept after two failed writes; want 2 and 0", writes, c.Len())
	}
	ok := func() (string, error) { writes++; return "x", nil }
	for range 2 {
		if text, err := c.Get(1, ok); text != "x" || err != nil {
			t.Fatalf("got %q, %v, want x", text, err)
		}
	}
	if writes != 3 || c.Len() != 1 {
		t.Fatalf("%d writes, %d kept; want 3 and 1", writes, c.Len())
	}
}
