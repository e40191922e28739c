package engine

import (
	"context"
	"time"
)

// AnswerWithin runs one request under a chat platform's deadline (Slack and
// Discord drop an interaction not answered within 3 seconds). When h
// answers within d, ok is true and resp is the answer. Otherwise the
// platform must be told "working on it" at once, and later delivers the
// answer when it is ready, to send as a follow-up. The work is not
// cancelled when the platform's request ends: it is one transaction, and
// the follow-up needs its result.
func AnswerWithin(ctx context.Context, h Handler, req Request, d time.Duration) (resp Response, ok bool, later <-chan Response) {
	done := make(chan Response, 1)
	ctx = context.WithoutCancel(ctx)
	goWork(func() { done <- h.Handle(ctx, req) })
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case resp := <-done:
		return resp, true, nil
	case <-timer.C:
		return Response{}, false, done
	}
}
