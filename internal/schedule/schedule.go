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
	"slices"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/sirupsen/logrus"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/digest"
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
	// KindNotice tells a raiser and the managers that something went to
	// the service manager.
	KindNotice = "notice"
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

	// Observe, when set, is told of each firing once it is committed: the
	// clock's name ("digest" for a team's digest), for the metrics.
	Observe func(what string)

	mu       sync.Mutex
	initOnce sync.Once
	initErr  error
	sched    cron.Schedule
	// kept is what read passes keep of each team's members and cases (by
	// team ID; see kept).
	kept map[string]*kept
	// keptHits counts the teams planned from what was kept (for tests).
	keptHits int
	// digestQuiet caches "no digest is due before this time" so that quiet
	// passes skip the cron arithmetic; whether a digest was posted is always
	// decided by the store.
	digestQuiet time.Time
	// During a pass: slot is the digest slot due (zero for none), and
	// reports keeps the reports of the team digests posted in the pass for
	// the service managers' digests, which then give the very figures the
	// teams were sent, without working them out again.
	slot    time.Time
	reports map[string]*digest.Report
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

// restAfterPass is how many times as long as a pass took the loop rests
// before the next: the clocks never take more than a tenth of the time. A
// pass over a small store takes milliseconds and the next comes after
// Interval; over 1,000 teams and 300,000 cases the first pass of a day,
// which reads every team's open cases, takes about half a second (on two
// cores) and the next pass comes some five seconds later; the passes after
// it plan from what the first kept (see kept) and take a few tens of
// milliseconds.
const restAfterPass = 9

// Run passes over the clocks every Interval of real time (or less often,
// see restAfterPass), each time at the injected clock's now, until ctx
// ends. A failed pass is logged and retried on the next tick: its firings
// were not recorded, so none is lost.
func (s *Scheduler) Run(ctx context.Context) error {
	if err := s.init(); err != nil {
		return err
	}
	interval := s.Interval
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		start := time.Now()
		if _, err := s.RunOnce(s.Clock.Now()); err != nil && ctx.Err() == nil {
			s.log().WithError(err).Error("scheduler pass failed")
		}
		took := time.Since(start)
		t.Reset(max(interval-took, restAfterPass*took))
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
	slot, err := s.dueSlot(now)
	if err != nil {
		errs = append(errs, err)
	}
	s.slot, s.reports = slot, map[string]*digest.Report{}
	defer func() { s.slot, s.reports = time.Time{}, nil }()
	var due []string
	for _, t := range teams {
		ok, err := s.clocksDue(t.ID, now, admins)
		if err != nil {
			errs = append(errs, fmt.Errorf("team %s: %w", t.ID, err))
		} else if ok {
			due = append(due, t.ID)
		}
	}
	for batch := range slices.Chunk(due, teamsPerCommit) {
		n, err := s.teamClocks(batch, now, admins)
		fired += n
		errs = append(errs, err...)
	}
	if !slot.IsZero() {
		n, err := s.digests(now, slot)
		fired += n
		if err != nil {
			errs = append(errs, err)
		}
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
	// finish, when set, runs in the transaction after every firing of the
	// transaction has been applied, to complete what apply started.
	finish func() error
	// committed, when set, runs once the transaction has committed.
	committed func()
}

// teamsPerCommit is how many teams' firings share a commit (and its
// fsync) in a pass where many are due, as in the first pass of a week,
// which takes every team's snapshot and posts every team's digest: some
// 15 ms of work for teams of 20 practitioners and 300 cases, for which
// the commands' writes wait.
const teamsPerCommit = 8

// clocksDue looks for anything due in a team in a read transaction, so
// that a quiet second writes nothing.
func (s *Scheduler) clocksDue(team string, now time.Time, admins []domain.PersonID) (bool, error) {
	due := false
	err := s.Store.View(func(tx domain.Tx) error {
		// The first pass of a week stores the team's snapshot: that is a
		// write, whatever else is due, so planning here too would be waste.
		if ok, err := digest.HasSnapshot(tx, s.Loc, team, now); err != nil || !ok {
			due = true
			return err
		}
		fs, err := s.plan(tx, team, now, admins, true, true)
		due = len(fs) > 0
		return err
	})
	return due, err
}

// teamClocks works out what is due in the teams again inside one write
// transaction, from what is committed, and records each firing there,
// the team's digest with its clocks. Should that transaction fail, each
// team goes again alone, and should that fail too, without its digest, so
// that neither another team nor a digest that cannot be built holds up an
// escalation (digests tries the digest again by itself).
func (s *Scheduler) teamClocks(teams []string, now time.Time, admins []domain.PersonID) (int, []error) {
	fired, withDigest, err := s.applyClocks(teams, now, admins, true)
	if err == nil {
		return fired, nil
	}
	if len(teams) > 1 {
		s.log().WithError(err).WithField("teams", teams).Warn("clocks of several teams failed; trying each team alone")
	}
	fired = 0
	var errs []error
	for _, team := range teams {
		one := []string{team}
		var n int
		if len(teams) > 1 {
			n, withDigest, err = s.applyClocks(one, now, admins, true)
		}
		if err != nil && withDigest {
			s.log().WithError(err).WithField("team", team).Warn("clocks with the digest failed; trying the clocks alone")
			n, _, err = s.applyClocks(one, now, admins, false)
		}
		fired += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return fired, errs
}

// applyClocks records the teams' firings due at now in one write
// transaction, and says whether a team's digest was one of them.
func (s *Scheduler) applyClocks(teams []string, now time.Time, admins []domain.PersonID, withDigest bool) (fired int, hadDigest bool, err error) {
	type teamFiring struct {
		team string
		f    firing
	}
	var done []teamFiring
	err = s.Store.Update(func(tx domain.Tx) error {
		fired, done, hadDigest = 0, nil, false
		for _, team := range teams {
			fs, err := s.plan(tx, team, now, admins, withDigest, false)
			if err != nil {
				return fmt.Errorf("team %s: %w", team, err)
			}
			for _, f := range fs {
				hadDigest = hadDigest || f.what == "digest"
				n, err := f.apply()
				if err != nil {
					return fmt.Errorf("team %s: %s %s: %w", team, f.what, f.subject, err)
				}
				fired += n
				done = append(done, teamFiring{team, f})
			}
		}
		for _, d := range done {
			if d.f.finish == nil {
				continue
			}
			if err := d.f.finish(); err != nil {
				return fmt.Errorf("team %s: %s %s: %w", d.team, d.f.what, d.f.subject, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, hadDigest, err
	}
	for _, d := range done {
		if d.f.committed != nil {
			d.f.committed()
		}
		if d.f.what != "snapshot" && s.Observe != nil {
			s.Observe(d.f.what)
		}
		switch d.f.what {
		case "snapshot":
		case "digest":
			s.log().WithField("team", d.team).WithField("slot", d.f.subject).Info("digest posted")
		default:
			s.log().WithFields(logrus.Fields{"team": d.team, "clock": d.f.what, "subject": d.f.subject}).Info("clock fired")
		}
	}
	return fired, hadDigest, nil
}

// plan lists what is due in a team at now, with the team's digest of the
// pass's slot when withDigest. A read pass (readOnly) plans from what is
// kept of the team's members and cases (see kept); its firings must not be
// applied.
func (s *Scheduler) plan(tx domain.Tx, teamID string, now time.Time, admins []domain.PersonID, withDigest, readOnly bool) ([]firing, error) {
	team, err := tx.Team(teamID)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	t := &teamRun{s: s, tx: tx, team: team, now: now, admins: admins}
	if readOnly {
		if err := t.loadKept(); err != nil {
			return nil, err
		}
	}
	steps := []func() ([]firing, error){t.concernClocks, t.planClocks, t.caseClocks, t.proposalClocks, t.teamOverClock, t.asyeClocks, t.snapshot}
	if withDigest {
		steps = append(steps, t.digest)
	}
	var out []firing
	for _, step := range steps {
		fs, err := step()
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
	}
	return out, nil
}
