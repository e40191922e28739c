package replay

import (
	"testing"
	"time"
)

func TestGuard(t *testing.T) {
	var g Guard
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if !g.First("T1", t0) || g.First("T1", t0.Add(time.Minute)) || g.First("T1", t0.Add(9*time.Minute)) {
		t.Fatal("a repeat within the window was let through")
	}
	if !g.First("T2", t0.Add(time.Minute)) {
		t.Fatal("another id was refused")
	}
	if !g.First("T1", t0.Add(Window)) {
		t.Fatal("an id past the window is still refused")
	}
	if !g.First("", t0) {
		t.Fatal("an empty id cannot be checked and must pass")
	}
	if !g.First("", t0) {
		t.Fatal("an empty id cannot be checked and must pass")
	}
	if len(g.seen) != 2 {
		t.Fatalf("%d ids remembered, want 2 (T1 again, and T2)", len(g.seen))
	}
}
