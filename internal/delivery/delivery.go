// Package delivery empties the store's outbox into the chat platforms. A
// Sender's error means "try again later" unless it says otherwise, so an
// outage or a rate limit delays a message but never loses it.
//
// It must not import any chat library: each adapter provides a Sender.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// Sender delivers one message to a channel or a person of its platform.
type Sender interface {
	Send(ctx context.Context, dest string, msg domain.Message) error
}

// PartSender is a Sender that may post one message as several platform
// messages. It starts after the first skip parts and calls posted with the
// count of parts posted so far after each one; when posted fails, it stops
// with that error. The Loop records that count in the store, so neither a
// retry nor a restart posts a part twice.
type PartSender interface {
	SendParts(ctx context.Context, dest string, msg domain.Message, skip int, posted func(n int) error) error
}

// RetryAfterError asks for the next try no sooner than After (a 429 with
// Retry-After / retry_after).
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("rate limited, retry after %s: %v", e.After, e.Err)
}
func (e *RetryAfterError) Unwrap() error { return e.Err }

// PermanentError means retrying cannot help (channel not found, bot not in
// channel, bad token): the item is marked failed and the admins are told.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as a PermanentError.
func Permanent(err error) error { return &PermanentError{Err: err} }

// IsPermanent reports whether err is (or wraps) a PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// RetryAfter returns the wait asked for by err, if any.
func RetryAfter(err error) (time.Duration, bool) {
	var r *RetryAfterError
	if errors.As(err, &r) {
		return r.After, true
	}
	return 0, false
}
