package lograte

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	var l Limiter
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if ok, _ := l.Allow(t0); !ok {
		t.Fatal("the first line was held back")
	}
	for i := 1; i <= 1000; i++ {
		if ok, _ := l.Allow(t0.Add(time.Duration(i) * time.Millisecond)); ok {
			t.Fatalf("line %d within the minute was let through", i)
		}
	}
	if ok, n := l.Allow(t0.Add(time.Minute)); !ok || n != 1000 {
		t.Fatalf("after a minute: %v, %d suppressed", ok, n)
	}
}
