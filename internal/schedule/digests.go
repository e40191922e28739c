package schedule

import (
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/safeload/safeload/internal/digest"
	"github.com/safeload/safeload/internal/domain"
)

// lateAfter is how long after its slot a digest is said to come late.
const lateAfter = 15 * time.Minute

// lookbacks are the windows searched, smallest first, for the latest slot
// of the schedule: a weekly schedule is found in the third, and no window
// holds more than a few hundred slots of even an every-minute one.
var lookbacks = []time.Duration{time.Hour, 25 * time.Hour, 8 * 24 * time.Hour, 32 * 24 * time.Hour, 367 * 24 * time.Hour, 5 * 366 * 24 * time.Hour}

// LastSlot is the latest time at or before now that the schedule names,
// worked out in now's location (pass now in SAFELOAD_TZ: that is what
// cron.WithLocation would do, and a CRON_TZ= prefix still wins); zero when
// there is none in the last five years.
func LastSlot(sched cron.Schedule, now time.Time) time.Time {
	for _, back := range lookbacks {
		t := sched.Next(now.Add(-back))
		if t.IsZero() || t.After(now) {
			continue
		}
		for {
			n := sched.Next(t)
			if n.IsZero() || n.After(now) {
				return t
			}
			t = n
		}
	}
	return time.Time{}
}

// dueSlot is the latest slot of the schedule at or before now whose
// digests may still be due, or zero when none can be: no schedule, no slot
// yet, or a slot before the scheduler's first pass ever (a new
// installation starts with the next one; slots the bot was down for were
// missed, the ones before it ever ran were not). After a downtime over
// several slots only the latest is posted: one catch-up, never a backlog.
func (s *Scheduler) dueSlot(now time.Time) (time.Time, error) {
	if s.sched == nil {
		return time.Time{}, nil
	}
	if !s.digestQuiet.IsZero() && now.Before(s.digestQuiet) {
		return time.Time{}, nil
	}
	local := now.In(s.Loc)
	next := s.sched.Next(local)
	slot := LastSlot(s.sched, local)
	if slot.IsZero() {
		s.digestQuiet = next
		return time.Time{}, nil
	}
	var first time.Time
	if err := s.Store.View(func(tx domain.Tx) error {
		var err error
		first, err = tx.DigestsSince()
		return err
	}); err != nil {
		return time.Time{}, err
	}
	if first.IsZero() {
		// The first pass ever: nothing was missed, as the bot was never up.
		first = now.UTC()
		if err := s.Store.Update(func(tx domain.Tx) error { return tx.PutDigestsSince(first) }); err != nil {
			return time.Time{}, err
		}
	}
	if slot.Before(first) {
		s.digestQuiet = next
		return time.Time{}, nil
	}
	return slot, nil
}

// digests posts the digest of slot to every team (and service manager)
// that has not had it. Most teams had theirs with their clocks, in the
// transaction that took the week's snapshot from the same figures (see
// teamRun.digest); this posts the rest, then the service managers'.
func (s *Scheduler) digests(now, slot time.Time) (int, error) {
	var teams []*domain.Team
	var oversee map[domain.PersonID][]*domain.Team
	if err := s.Store.View(func(tx domain.Tx) error {
		var err error
		if teams, err = tx.Teams(); err != nil {
			return err
		}
		oversee, err = digest.Oversees(tx)
		return err
	}); err != nil {
		return 0, err
	}
	fired := 0
	var errs []error
	for _, t := range teams {
		// A team set up after the slot waits for the next one.
		if !t.CreatedAt.Before(slot) {
			continue
		}
		n, r, err := s.teamDigest(t.ID, slot, now)
		if r != nil && t.ServiceManager != "" {
			s.reports[t.ID] = r
		}
		fired += n
		if err != nil {
			errs = append(errs, fmt.Errorf("digest of team %s: %w", t.ID, err))
		}
	}
	var jobs []*smJob
	for _, p := range slices.Sorted(maps.Keys(oversee)) {
		var ids []string
		for _, t := range oversee[p] {
			if t.CreatedAt.Before(slot) {
				ids = append(ids, t.ID)
			}
		}
		if len(ids) > 0 {
			jobs = append(jobs, &smJob{p: p, ids: ids, msgs: make(chan []domain.Message, 1)})
		}
	}
	go s.writeAhead(jobs, slot, now)
	for _, j := range jobs {
		n, err := s.smDigest(j.p, j.ids, s.reports, <-j.msgs, slot, now)
		fired += n
		if err != nil {
			errs = append(errs, fmt.Errorf("digest of %s: %w", j.p, err))
		}
	}
	if len(errs) > 0 {
		return fired, errors.Join(errs...) // the next pass tries the rest again
	}
	s.digestQuiet = s.sched.Next(now.In(s.Loc))
	return fired, nil
}

// postOnce runs post in a write transaction unless the digest of key was
// posted, and records it: the digest and its record commit together.
func (s *Scheduler) postOnce(key domain.DigestSlot, post func(tx domain.Tx) (int, error)) (int, error) {
	var done bool
	if err := s.Store.View(func(tx domain.Tx) error {
		var err error
		_, done, err = tx.DigestPosted(key)
		return err
	}); err != nil || done {
		return 0, err
	}
	fired := 0
	err := s.Store.Update(func(tx domain.Tx) error {
		fired = 0
		if _, done, err := tx.DigestPosted(key); err != nil || done {
			return err
		}
		n, err := post(tx)
		if err != nil {
			return err
		}
		fired = 1
		return tx.MarkDigestPosted(key, domain.ClockFiring{At: tx.Now(), Msgs: n})
	})
	return fired, err
}

// teamDigest posts a team's digest of slot unless it was posted, and
// returns the report it was built from when it posted one.
func (s *Scheduler) teamDigest(teamID string, slot, now time.Time) (int, *digest.Report, error) {
	var r *digest.Report
	fired, err := s.postOnce(teamSlot(teamID, slot), func(tx domain.Tx) (int, error) {
		team, err := tx.Team(teamID)
		if err != nil {
			return 0, err
		}
		b := &digest.Builder{Policy: s.Policy, Prompts: s.Prompts, Loc: s.Loc}
		if r, err = b.Team(tx, team, now); err != nil {
			return 0, err
		}
		return s.postTeamDigest(tx, team, s.teamMessages(r, slot, now), slot)
	})
	if fired == 0 || err != nil {
		return fired, nil, err
	}
	s.log().WithField("team", teamID).WithField("slot", slotString(slot)).Info("digest posted")
	return fired, r, nil
}

// teamMessages writes a team's digest of slot from its report.
func (s *Scheduler) teamMessages(r *digest.Report, slot, now time.Time) []domain.Message {
	msgs := (&digest.Builder{Policy: s.Policy, Prompts: s.Prompts, Loc: s.Loc}).TeamMessages(r)
	s.markLate(msgs, slot, now)
	return msgs
}

// postTeamDigest puts a team's digest of slot in the outbox for the team's
// channel and audits it; the caller records it as posted.
func (s *Scheduler) postTeamDigest(tx domain.Tx, team *domain.Team, msgs []domain.Message, slot time.Time) (int, error) {
	n, err := PostToChannel(tx, team, msgs)
	if err != nil {
		return 0, err
	}
	return n, tx.Audit(&domain.AuditEntry{Actor: Actor, Team: team.ID, Action: "digest.post", Subject: team.ID,
		Detail: "scheduled " + slotString(slot)})
}

// smJob is a service manager's digest of the pass: the teams it is
// across, and its messages once written out (nil when they are to be
// written in the transaction that sends them).
type smJob struct {
	p    domain.PersonID
	ids  []string
	msgs chan []domain.Message
}

// writeAhead writes out, on as many cores as there are, the digests of the
// service managers all of whose teams had their digest in this pass: they
// are written from those teams' reports alone, as smDigest would write
// them, while the ones before are being sent. The others get nil.
func (s *Scheduler) writeAhead(jobs []*smJob, slot, now time.Time) {
	todo := make(chan *smJob)
	for range min(runtime.GOMAXPROCS(0), len(jobs)) {
		go func() {
			for j := range todo {
				j.msgs <- s.acrossMessages(j.p, j.ids, s.reports, slot, now)
			}
		}()
	}
	for _, j := range jobs {
		todo <- j
	}
	close(todo)
}

// acrossMessages writes a service manager's digest of slot across teamIDs
// from their reports, or says nil when a team has none.
func (s *Scheduler) acrossMessages(p domain.PersonID, teamIDs []string, reports map[string]*digest.Report, slot, now time.Time) []domain.Message {
	rs := make([]*digest.Report, 0, len(teamIDs))
	for _, id := range teamIDs {
		r := reports[id]
		if r == nil {
			return nil
		}
		rs = append(rs, r)
	}
	return s.writeAcross(p, rs, slot, now)
}

// writeAcross writes a service manager's digest of slot from the reports
// of their teams.
func (s *Scheduler) writeAcross(p domain.PersonID, rs []*digest.Report, slot, now time.Time) []domain.Message {
	msgs := (&digest.Builder{Policy: s.Policy, Prompts: s.Prompts, Loc: s.Loc}).AcrossMessages(p, rs, now)
	s.markLate(msgs, slot, now)
	return msgs
}

// smDigest sends a service manager's digest of slot across teamIDs unless
// it was sent, from the reports of this pass's team digests where there
// are some: the messages written from them already when not nil.
func (s *Scheduler) smDigest(p domain.PersonID, teamIDs []string, reports map[string]*digest.Report, written []domain.Message, slot, now time.Time) (int, error) {
	fired, err := s.postOnce(smSlot(p, slot), func(tx domain.Tx) (int, error) {
		b := &digest.Builder{Policy: s.Policy, Prompts: s.Prompts, Loc: s.Loc}
		rs := make([]*digest.Report, 0, len(teamIDs))
		for _, id := range teamIDs {
			t, err := tx.Team(id)
			if err != nil {
				return 0, err
			}
			r := reports[id]
			if r == nil {
				if r, err = b.Team(tx, t, now); err != nil {
					return 0, err
				}
			}
			rs = append(rs, r)
		}
		msgs := written
		if msgs == nil {
			msgs = s.writeAcross(p, rs, slot, now)
		}
		return SendToPerson(tx, p, msgs)
	})
	if fired > 0 {
		s.log().WithField("service_manager", p).WithField("slot", slotString(slot)).Info("digest sent")
	}
	return fired, err
}

// markLate says on a digest that comes after a downtime when it was due.
func (s *Scheduler) markLate(msgs []domain.Message, slot, now time.Time) {
	if len(msgs) == 0 || now.Sub(slot) < lateAfter {
		return
	}
	late := s.Prompts.Say("digest.late", map[string]any{"Slot": slot.In(s.Loc)})
	m := &msgs[len(msgs)-1]
	if m.Footer == "" {
		m.Footer = late
	} else {
		m.Footer = late + "\n" + m.Footer
	}
}

// PostToChannel puts digest messages in the outbox for a team's channel and
// returns how many; a team with no channel gets none.
func PostToChannel(tx domain.Tx, team *domain.Team, msgs []domain.Message) (int, error) {
	if team.Channel == "" {
		return 0, nil
	}
	for _, m := range msgs {
		m.Audience, m.To = domain.ToChannel, string(team.Channel)
		if err := tx.Enqueue(&domain.OutboxItem{Dest: string(team.Channel), Kind: KindDigest, Message: m}); err != nil {
			return 0, err
		}
	}
	return len(msgs), nil
}

// SendToPerson puts digest messages in the outbox for one person (a DM).
func SendToPerson(tx domain.Tx, p domain.PersonID, msgs []domain.Message) (int, error) {
	for _, m := range msgs {
		m.Audience, m.To = domain.ToPerson, string(p)
		if err := tx.Enqueue(&domain.OutboxItem{Dest: string(p), Kind: KindDigest, Message: m}); err != nil {
			return 0, err
		}
	}
	return len(msgs), nil
}
