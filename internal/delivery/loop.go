package delivery

import (
	"context"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/domain"
)

// KindAdminNotice marks the message that tells admins a delivery failed for
// good; its own failure is not reported again, so failures cannot loop.
const KindAdminNotice = "admin-notice"

// Loop delivers due outbox items, oldest first, one destination at a time in
// order. It is at-least-once: an item is deleted only after its Sender said
// it was delivered, so a kill between the two may repeat a message but never
// loses one.
type Loop struct {
	Store domain.Store
	// Senders by platform ("slack", "discord", "console"); Fallback, when
	// set, takes destinations of any other platform.
	Senders  map[string]Sender
	Fallback Sender
	Clock    clock.Clock
	Log      logrus.FieldLogger
	// Interval between passes when nothing wakes the loop (default 1s).
	Interval time.Duration
	// Backoff is the wait after the n-th failed attempt (default 2^n s, at most 10 min).
	Backoff func(attempt int) time.Duration
	// Admins are told privately when an item fails for good.
	Admins func() []domain.PersonID
	// Notice renders that message (from the prompts).
	Notice func(it *domain.OutboxItem, err error) domain.Message
	// Observe, when set, is told each outcome: "sent", "retry", "failed".
	Observe func(platform, outcome string)

	wakeOnce sync.Once
	wake     chan struct{}
}

func (l *Loop) init() {
	l.wakeOnce.Do(func() { l.wake = make(chan struct{}, 1) })
}

// Wake asks the loop to run a pass now (after an enqueue).
func (l *Loop) Wake() {
	l.init()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is done. Undelivered items stay in the store for
// the next start.
func (l *Loop) Run(ctx context.Context) {
	l.init()
	interval := l.Interval
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := l.RunOnce(ctx); err != nil && ctx.Err() == nil {
			l.log().WithError(err).Error("outbox pass failed")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-l.wake:
		}
	}
}

func (l *Loop) log() logrus.FieldLogger {
	if l.Log == nil {
		return logrus.StandardLogger()
	}
	return l.Log
}

func (l *Loop) now() time.Time {
	if l.Clock == nil {
		return time.Now()
	}
	return l.Clock.Now()
}

func (l *Loop) backoff(attempt int) time.Duration {
	if l.Backoff != nil {
		return l.Backoff(attempt)
	}
	d := time.Second << min(attempt, 10)
	return min(d, 10*time.Minute)
}

// RunOnce makes one pass over the items due now and returns how many were
// delivered.
func (l *Loop) RunOnce(ctx context.Context) (int, error) {
	var items []*domain.OutboxItem
	if err := l.Store.View(func(tx domain.Tx) error {
		var err error
		items, err = tx.Outbox(0)
		return err
	}); err != nil {
		return 0, err
	}
	sent := 0
	blocked := map[string]bool{} // keep each destination's messages in order
	for _, it := range items {
		if ctx.Err() != nil {
			return sent, nil
		}
		if blocked[it.Dest] {
			continue
		}
		if it.NextTry.After(l.now()) {
			blocked[it.Dest] = true
			continue
		}
		platform := domain.ChannelID(it.Dest).Platform()
		s := l.Senders[platform]
		if s == nil {
			s = l.Fallback
		}
		if s == nil {
			blocked[it.Dest] = true // no sender configured yet: keep it for later
			continue
		}
		err := s.Send(ctx, it.Dest, it.Message)
		if ctx.Err() != nil && err != nil {
			return sent, nil // shutting down: leave it for the next start
		}
		if err := l.record(it, err, platform); err != nil {
			return sent, err
		}
		if err == nil {
			sent++
		} else {
			blocked[it.Dest] = true
		}
	}
	return sent, nil
}

func (l *Loop) record(it *domain.OutboxItem, sendErr error, platform string) error {
	outcome := "sent"
	err := l.Store.Update(func(tx domain.Tx) error {
		if sendErr == nil {
			return tx.DeleteOutboxItem(it.ID)
		}
		cur, err := tx.OutboxItem(it.ID)
		if err != nil {
			return err
		}
		cur.Attempts++
		cur.LastError = sendErr.Error()
		if IsPermanent(sendErr) {
			outcome = "failed"
			cur.Failed = true
			if err := tx.PutOutboxItem(cur); err != nil {
				return err
			}
			return l.tellAdmins(tx, cur, sendErr)
		}
		outcome = "retry"
		wait, ok := RetryAfter(sendErr)
		if !ok {
			wait = l.backoff(cur.Attempts)
		}
		cur.NextTry = tx.Now().Add(wait)
		return tx.PutOutboxItem(cur)
	})
	if err != nil {
		return err
	}
	entry := l.log().WithFields(logrus.Fields{"outbox_id": it.ID, "dest": it.Dest, "kind": it.Kind, "outcome": outcome})
	switch outcome {
	case "retry":
		entry.WithError(sendErr).Warn("delivery will be retried")
	case "failed":
		entry.WithError(sendErr).Error("delivery failed for good")
	default:
		entry.Debug("delivered")
	}
	if l.Observe != nil {
		l.Observe(platform, outcome)
	}
	return nil
}

func (l *Loop) tellAdmins(tx domain.Tx, it *domain.OutboxItem, err error) error {
	if it.Kind == KindAdminNotice || l.Admins == nil || l.Notice == nil {
		return nil
	}
	for _, a := range l.Admins() {
		if string(a) == it.Dest {
			continue
		}
		msg := l.Notice(it, err)
		msg.Audience, msg.To = domain.ToPerson, string(a)
		n := &domain.OutboxItem{Dest: string(a), Kind: KindAdminNotice, Message: msg}
		if err := tx.Enqueue(n); err != nil {
			return err
		}
	}
	return nil
}
