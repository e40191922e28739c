package schedule_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/schedule"
	"github.com/safeload/safeload/internal/store"
	"github.com/safeload/safeload/prompts"
)

// A slow pass is followed by a rest nine times as long, so that the clocks
// of a large store never take more than a tenth of the time.
func TestRunRestsAfterASlowPass(t *testing.T) {
	// In a synctest bubble time is fake and exact: the sleeps and the
	// timers below take no real time.
	synctest.Test(t, func(t *testing.T) {
		st, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		// Every pass asks for the admins first; that takes 40 ms here.
		var passes atomic.Int32
		slowAdmins := func() []domain.PersonID {
			passes.Add(1)
			time.Sleep(40 * time.Millisecond)
			return nil
		}
		pol := domain.DefaultPolicy()
		s := &schedule.Scheduler{Store: st, Policy: &pol, Prompts: prompts.MustLoad(), Loc: london,
			Clock: clock.NewFake(at(2026, 11, 23, 10, 0)), Interval: time.Millisecond, Log: quiet, Admins: slowAdmins}
		ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
		defer cancel()
		if err := s.Run(ctx); err != nil {
			t.Fatal(err)
		}
		// Each pass takes 40 ms and is followed by 360 ms of rest: two passes
		// in 700 ms. Without the rest it would be some seventeen.
		if n := passes.Load(); n != 2 {
			t.Fatalf("%d passes in 700 ms of 40 ms passes, want 2", n)
		}
	})
}

// digestFails is a store in which no digest can be put in the outbox.
type digestFails struct{ domain.Store }

type digestFailsTx struct{ domain.Tx }

func (s digestFails) Update(fn func(domain.Tx) error) error {
	return s.Store.Update(func(tx domain.Tx) error { return fn(digestFailsTx{tx}) })
}

func (tx digestFailsTx) Enqueue(it *domain.OutboxItem) error {
	if it.Kind == schedule.KindDigest {
		return errors.New("the outbox takes no digest today")
	}
	return tx.Tx.Enqueue(it)
}

// A team's digest goes in the transaction of its clocks; one that cannot
// be posted holds up no escalation due in the same pass, and is posted by
// the next pass that can, once.
func TestDigestThatFailsHoldsUpNoEscalation(t *testing.T) {
	f := newFixture(t, at(2026, 11, 2, 10, 0), func(f *fixture) { f.cron = "0 9 * * MON" })
	f.team(false)
	f.run() // the first pass ever: the digest schedule starts
	f.do("alice", "capacity", "concern Too much")
	f.take()

	// Wednesday 4 Nov 10:00 the concern is due; Monday 9 Nov the digest too.
	f.sched.Store = digestFails{f.st}
	f.clock.Set(at(2026, 11, 9, 9, 30))
	n, err := f.sched.RunOnce(f.clock.Now())
	if err == nil || !strings.Contains(err.Error(), "the outbox takes no digest today") {
		t.Fatalf("pass with a digest that cannot be posted: %d fired, error %v", n, err)
	}
	f.expectPing("with the digest failing", 1, person("sam"))
	if got := f.take("digest"); len(got) != 0 {
		t.Fatalf("digests posted although the outbox took none: %v", dests(got))
	}

	f.sched.Store = f.st
	if n := f.runAt(at(2026, 11, 9, 9, 31)); n != 2 {
		t.Fatalf("the next pass: %d fired, want the channel's and the service manager's digest", n)
	}
	if got := f.take("digest"); len(got) != 2 || got[0].Dest != string(channel) || got[1].Dest != string(person("sam")) {
		t.Fatalf("digests went to %v", dests(got))
	}
	if n := f.runAt(at(2026, 11, 9, 9, 32)); n != 0 {
		t.Fatalf("a pass after that fired %d", n)
	}
}
