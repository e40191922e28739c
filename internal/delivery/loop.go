package delivery

import (
	"context"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/safeload/safeload/internal/chart"
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
	// Admins are told privately when an item fails for good. It is asked
	// before the transaction that records the failure, never inside it.
	Admins func() []domain.PersonID
	// MaxWait caps the wait a platform may ask for (Retry-After), so one
	// rate limit cannot hold a person's messages for a day (default 10 min).
	MaxWait time.Duration
	// Notice renders that message (from the prompts).
	Notice func(it *domain.OutboxItem, err error) domain.Message
	// Observe, when set, is told each outcome: "sent", "retry", "failed".
	Observe func(platform, outcome string)

	wakeOnce sync.Once
	wake     chan struct{}

	mu sync.Mutex
	// blocked is when each destination may be tried again: a later message
	// must not overtake an earlier one that waits. It is filled from the
	// whole outbox on the first pass, then kept as items are rescheduled,
	// so later passes read only the items due.
	blocked map[string]time.Time
	// failStreak counts the attempts in a row that failed, for /healthz.
	failStreak int
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

// dueLister is a store transaction that reads only the outbox items due
// (store.Tx does, from an index).
type dueLister interface {
	OutboxDue(now time.Time, limit int) ([]*domain.OutboxItem, error)
}

// RunOnce makes one pass over the items due now and returns how many were
// delivered.
func (l *Loop) RunOnce(ctx context.Context) (int, error) {
	now := l.now()
	l.mu.Lock()
	first := l.blocked == nil
	l.mu.Unlock()
	var items []*domain.OutboxItem
	if err := l.Store.View(func(tx domain.Tx) error {
		var err error
		if d, ok := tx.(dueLister); ok && !first {
			items, err = d.OutboxDue(now, 0)
		} else {
			items, err = tx.Outbox(0)
		}
		return err
	}); err != nil {
		return 0, err
	}
	l.mu.Lock()
	if l.blocked == nil {
		l.blocked = map[string]time.Time{}
	}
	for dest, until := range l.blocked {
		if !until.After(now) {
			delete(l.blocked, dest)
		}
	}
	l.mu.Unlock()
	sent := 0
	for _, it := range items {
		if ctx.Err() != nil {
			return sent, nil
		}
		l.mu.Lock()
		_, waits := l.blocked[it.Dest]
		if !waits && it.NextTry.After(now) {
			l.blocked[it.Dest] = it.NextTry
			waits = true
		}
		l.mu.Unlock()
		if waits {
			continue
		}
		platform := domain.ChannelID(it.Dest).Platform()
		s := l.Senders[platform]
		if s == nil {
			s = l.Fallback
		}
		if s == nil {
			l.block(it.Dest, now.Add(time.Minute)) // no sender configured yet: keep it for later
			continue
		}
		err := l.send(ctx, s, it)
		if ctx.Err() != nil && err != nil {
			return sent, nil // shutting down: leave it for the next start
		}
		next, err2 := l.record(it, err, platform)
		if err2 != nil {
			return sent, err2
		}
		if err == nil {
			sent++
		} else {
			l.block(it.Dest, next)
		}
	}
	return sent, nil
}

func (l *Loop) block(dest string, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until.After(l.blocked[dest]) {
		l.blocked[dest] = until
	}
}

// send delivers one item; a split message's progress is stored after each
// part, in the item itself.
func (l *Loop) send(ctx context.Context, s Sender, it *domain.OutboxItem) error {
	msg := l.drawn(it)
	ps, ok := s.(PartSender)
	if !ok {
		return s.Send(ctx, it.Dest, msg)
	}
	return ps.SendParts(ctx, it.Dest, msg, it.PartsSent, func(n int) error {
		if n <= it.PartsSent {
			return nil
		}
		return l.Store.Update(func(tx domain.Tx) error {
			cur, err := tx.OutboxItem(it.ID)
			if err != nil {
				return err
			}
			cur.PartsSent = n
			it.PartsSent = n
			return tx.PutOutboxItem(cur)
		})
	})
}

// drawn is the item's message with its chart drawn. The picture is drawn
// here, not when the digest was built, so a thousand digests cost their
// figures inside the store transaction and their pictures one at a time as
// they are sent. A chart that cannot be drawn is left out: the message's
// text carries every figure.
func (l *Loop) drawn(it *domain.OutboxItem) domain.Message {
	msg := it.Message
	if msg.Image == nil || msg.Image.Drawn() {
		return msg
	}
	img := *msg.Image
	if err := chart.Draw(&img); err != nil {
		l.log().WithError(err).WithField("outbox_id", it.ID).Warn("sending a message without its picture")
		msg.Image = nil
		return msg
	}
	msg.Image = &img
	return msg
}

// record stores the outcome of one attempt and returns when the item is
// next due (zero once delivered or failed for good).
func (l *Loop) record(it *domain.OutboxItem, sendErr error, platform string) (time.Time, error) {
	outcome := "sent"
	var admins []domain.PersonID
	if sendErr != nil && IsPermanent(sendErr) && it.Kind != KindAdminNotice && l.Admins != nil {
		admins = l.Admins()
	}
	var next time.Time
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
			return l.tellAdmins(tx, admins, cur, sendErr)
		}
		outcome = "retry"
		wait, ok := RetryAfter(sendErr)
		if !ok {
			wait = l.backoff(cur.Attempts)
		}
		cur.NextTry = tx.Now().Add(min(wait, l.maxWait()))
		next = cur.NextTry
		return tx.PutOutboxItem(cur)
	})
	if err != nil {
		return next, err
	}
	l.note(sendErr == nil)
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
	return next, nil
}

func (l *Loop) maxWait() time.Duration {
	if l.MaxWait > 0 {
		return l.MaxWait
	}
	return 10 * time.Minute
}

func (l *Loop) note(ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ok {
		l.failStreak = 0
		return
	}
	l.failStreak++
}

// Failing reports how many attempts in a row have failed since the last
// delivery, for /healthz: every delivery failing is an outage of its own.
func (l *Loop) Failing() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failStreak
}

func (l *Loop) tellAdmins(tx domain.Tx, admins []domain.PersonID, it *domain.OutboxItem, err error) error {
	if it.Kind == KindAdminNotice || l.Notice == nil {
		return nil
	}
	for _, a := range admins {
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
