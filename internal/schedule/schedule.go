// Package schedule runs safeload's clocks: concerns not acknowledged in
// time, high-risk cases waiting too long, overrides due for review,
// practitioners over capacity for weeks on end, proposals left unanswered,
// and the weekly digest on its cron schedule.
//
// Every clock is worked out from facts in the store (when a concern was
// raised, how many escalations were sent and when), never from in-memory
// timers, and every firing is recorded in the same transaction that puts its
// message in the outbox: a restart neither loses nor repeats one. The loop
// evaluates at an injected clock's time, so tests advance a fake clock
// instead of waiting for days.
//
// It must not import a chat library, the engine or the store: messages go
// to the outbox, and delivery sends them.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/sirupsen/logrus"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/prompts"
)

// Actor is who the audit log says did what the scheduler does.
const Actor = domain.PersonID("safeload:scheduler")

// Outbox kinds of the messages the scheduler enqueues.
const (
	KindEscalation = "escalation"
	KindReminder   = "reminder"
	KindDigest     = "digest"
)

// Scheduler runs the clocks and the digest. Set the fields, then call Run
// (or RunOnce from tests and the demo).
type Scheduler struct {
	Store   domain.Store
	Policy  *domain.Policy
	Prompts *prompts.Set
	// Loc is the time zone of working days and of the digest schedule.
	Loc   *time.Location
	Clock clock.Clock
	// Cron is the digest schedule in robfig/cron's standard syntax
	// (SAFELOAD_DIGEST_CRON); "" turns the digest off.
	Cron string
	// AckWithin and EscalateEvery, when set, replace the policy's working
	// days (SAFELOAD_ACK_WITHIN, SAFELOAD_ESCALATE_EVERY).
	AckWithin     time.Duration
	EscalateEvery time.Duration
	// Admins are told when a team has no service manager.
	Admins func() []domain.PersonID
	// Wake asks the outbox to deliver now, after a pass that enqueued.
	Wake func()
	Log  logrus.FieldLogger
	// Interval is the real time between passes (default 1s).
	Interval time.Duration

	mu       sync.Mutex
	initOnce sync.Once
	initErr  error
	sched    cron.Schedule
	// digestQuiet caches "no digest is due before this time" so that quiet
	// passes skip the cron arithmetic; whether a digest was posted is always
	// decided by the store.
	digestQuiet time.Time
}

func (s *Scheduler) init() error {
	s.initOnce.Do(func() {
		if s.Store == nil || s.Policy == nil || s.Prompts == nil {
			s.initErr = errors.New("schedule: Store, Policy and Prompts are required")
			return
		}
		if s.Loc == nil {
			s.Loc = time.UTC
		}
		if s.Clock == nil {
			s.Clock = clock.Real{}
		}
		if s.Cron != "" {
			sched, err := cron.ParseStandard(s.Cron)
			if err != nil {
				s.initErr = fmt.Errorf("schedule: SAFELOAD_DIGEST_CRON %q: %w", s.Cron, err)
				return
			}
			s.sched = sched
		}
	})
	return s.initErr
}

func (s *Scheduler) log() logrus.FieldLogger {
	if s.Log == nil {
		return logrus.StandardLogger()
	}
	return s.Log
}

// Run passes over the clocks every Interval of real time, each time at the
// injected clock's now, until ctx ends. A failed pass is logged and retried
// on the next tick: its firings were not recorded, so none is lost.
func (s *Scheduler) Run(ctx context.Context) error {
	if err := s.init(); err != nil {
		return err
	}
	interval := s.Interval
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.RunOnce(s.Clock.Now()); err != nil && ctx.Err() == nil {
			s.log().WithError(err).Error("scheduler pass failed")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RunOnce fires everything due at now that has not fired yet and returns
// how many firings it made (escalations, reminders, digests).
func (s *Scheduler) RunOnce(now time.Time) (fired int, err error) {
	if err := s.init(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Ask for the admins before any transaction: they are read in a
	// transaction of their own, which must not nest in a write.
	var admins []domain.PersonID
	if s.Admins != nil {
		admins = s.Admins()
	}
	var teams []*domain.Team
	if err := s.Store.View(func(tx domain.Tx) error {
		var err error
		teams, err = tx.Teams()
		return err
	}); err != nil {
		return 0, err
	}
	var errs []error
	for _, t := range teams {
		n, err := s.teamClocks(t.ID, now, admins)
		fired += n
		if err != nil {
			errs = append(errs, fmt.Errorf("team %s: %w", t.ID, err))
		}
	}
	n, err := s.digests(now)
	fired += n
	if err != nil {
		errs = append(errs, err)
	}
	if fired > 0 && s.Wake != nil {
		s.Wake()
	}
	return fired, errors.Join(errs...)
}

// firing is one thing due: apply records it and enqueues its messages in
// the transaction it was planned in, returning how many firings that makes (a weekly
// snapshot makes none, unless it starts the long over-capacity clock).
type firing struct {
	what, subject string
	apply         func() (int, error)
}

// teamClocks looks for anything due in a read transaction first, so that a
// quiet second writes nothing; then works it out again inside the write
// transaction, from what is committed, and records each firing there.
func (s *Scheduler) teamClocks(team string, now time.Time, admins []domain.PersonID) (int, error) {
	due := 0
	if err := s.Store.View(func(tx domain.Tx) error {
		fs, err := s.plan(tx, team, now, admins)
		due = len(fs)
		return err
	}); err != nil || due == 0 {
		return 0, err
	}
	fired := 0
	var done []firing
	err := s.Store.Update(func(tx domain.Tx) error {
		fired, done = 0, nil
		fs, err := s.plan(tx, team, now, admins)
		if err != nil {
			return err
		}
		for _, f := range fs {
			n, err := f.apply()
			if err != nil {
				return fmt.Errorf("%s %s: %w", f.what, f.subject, err)
			}
			fired += n
			done = append(done, f)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, f := range done {
		if f.what != "snapshot" {
			s.log().WithFields(logrus.Fields{"team": team, "clock": f.what, "subject": f.subject}).Info("clock fired")
		}
	}
	return fired, nil
}

// plan lists what is due in a team at now.
func (s *Scheduler) plan(tx domain.Tx, teamID string, now time.Time, admins []domain.PersonID) ([]firing, error) {
	team, err := tx.Team(teamID)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	t := &teamRun{s: s, tx: tx, team: team, now: now, admins: admins}
	var out []firing
	for _, step := range []func() ([]firing, error){t.concernClocks, t.caseClocks, t.proposalClocks, t.snapshot} {
		fs, err := step()
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
	}
	return out, nil
}
