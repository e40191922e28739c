package delivery

import (
	"context"
	"time"
)

// Retry makes up to attempts tries of fn, for a reply that should reach its
// person now rather than through the outbox: it stops at once on success,
// on an error that classify says is permanent, or when the platform asks
// for a wait longer than maxWait (0: any wait). Between tries it waits as a
// 429 asks, else 250 ms, 500 ms, 1 s …. It returns fn's last error.
func Retry(ctx context.Context, attempts int, maxWait time.Duration, classify func(error) error, fn func() error) error {
	var err error
	for attempt := 0; attempt < attempts; attempt++ {
		if err = fn(); err == nil {
			return nil
		}
		cerr := classify(err)
		if IsPermanent(cerr) || attempt == attempts-1 {
			return err
		}
		wait, ok := RetryAfter(cerr)
		if !ok {
			wait = time.Duration(250<<attempt) * time.Millisecond
		}
		if maxWait > 0 && wait > maxWait {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
	return err
}
