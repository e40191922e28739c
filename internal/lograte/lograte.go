// Package lograte keeps a log line that anyone on the internet can cause
// (a request with a bad signature) from flooding the log: at most one such
// line an interval, saying how many were left out.
package lograte

import (
	"sync"
	"time"
)

// Limiter lets one line through each Every (default a minute).
type Limiter struct {
	Every time.Duration

	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// Allow reports whether a line may be logged at now, and how many were
// suppressed since the last one that was.
func (l *Limiter) Allow(now time.Time) (ok bool, suppressed int) {
	every := l.Every
	if every <= 0 {
		every = time.Minute
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() && now.Sub(l.last) < every {
		l.suppressed++
		return false, 0
	}
	n := l.suppressed
	l.last, l.suppressed = now, 0
	return true, n
}
