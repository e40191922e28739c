package schedule

import (
	"errors"
	"fmt"
	"sort"
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

// digests posts the digest of the latest slot at or before now to every
// team (and service manager) that has not had it. After a downtime over
// several slots only the latest is posted: one catch-up, never a backlog.
// Slots before the scheduler's first pass ever were not missed: a new
// installation starts with the next one.
func (s *Scheduler) digests(now time.Time) (int, error) {
	if s.sched == nil {
		return 0, nil
	}
	if !s.digestQuiet.IsZero() && now.Before(s.digestQuiet) {
		return 0, nil
	}
	local := now.In(s.Loc)
	next := s.sched.Next(local)
	slot := LastSlot(s.sched, local)
	if slot.IsZero() {
		s.digestQuiet = next
		return 0, nil
	}
	var teams []*domain.Team
	var oversee map[domain.PersonID][]*domain.Team
	var first record
	if err := s.Store.View(func(tx domain.Tx) error {
		var err error
		if _, err = tx.GetState(keyFirstRun, &first); err != nil {
			return err
		}
		if teams, err = tx.Teams(); err != nil {
			return err
		}
		oversee, err = digest.Oversees(tx)
		return err
	}); err != nil {
		return 0, err
	}
	if first.At.IsZero() {
		// The first pass ever: nothing was missed, as the bot was never up.
		first.At = now.UTC()
		if err := s.Store.Update(func(tx domain.Tx) error { return tx.PutState(keyFirstRun, first) }); err != nil {
			return 0, err
		}
	}
	if slot.Before(first.At) {
		s.digestQuiet = next
		return 0, nil
	}
	fired := 0
	var errs []error
	for _, t := range teams {
		// A team set up after the slot waits for the next one.
		if !t.CreatedAt.Before(slot) {
			continue
		}
		n, err := s.teamDigest(t.ID, slot, now)
		fired += n
		if err != nil {
			errs = append(errs, fmt.Errorf("digest of team %s: %w", t.ID, err))
		}
	}
	sms := make([]domain.PersonID, 0, len(oversee))
	for p := range oversee {
		sms = append(sms, p)
	}
	sort.Slice(sms, func(i, j int) bool { return sms[i] < sms[j] })
	for _, p := range sms {
		var ids []string
		for _, t := range oversee[p] {
			if t.CreatedAt.Before(slot) {
				ids = append(ids, t.ID)
			}
		}
		if len(ids) == 0 {
			continue
		}
		n, err := s.smDigest(p, ids, slot, now)
		fired += n
		if err != nil {
			errs = append(errs, fmt.Errorf("digest of %s: %w", p, err))
		}
	}
	if len(errs) > 0 {
		return fired, errors.Join(errs...) // the next pass tries the rest again
	}
	s.digestQuiet = next
	return fired, nil
}

// postOnce runs post in a write transaction unless key is recorded, and
// records it there: the digest and its record commit together.
func (s *Scheduler) postOnce(key string, post func(tx domain.Tx) (int, error)) (int, error) {
	var done bool
	if err := s.Store.View(func(tx domain.Tx) error {
		var err error
		done, err = has(tx, key)
		return err
	}); err != nil || done {
		return 0, err
	}
	fired := 0
	err := s.Store.Update(func(tx domain.Tx) error {
		fired = 0
		if done, err := has(tx, key); err != nil || done {
			return err
		}
		n, err := post(tx)
		if err != nil {
			return err
		}
		fired = 1
		return tx.PutState(key, record{At: tx.Now().UTC(), Msg: n})
	})
	return fired, err
}

func (s *Scheduler) teamDigest(teamID string, slot, now time.Time) (int, error) {
	fired, err := s.postOnce(digestKey(teamID, slot), func(tx domain.Tx) (int, error) {
		team, err := tx.Team(teamID)
		if err != nil {
			return 0, err
		}
		msgs, err := digest.Build(tx, s.Policy, s.Prompts, s.Loc, team, now)
		if err != nil {
			return 0, err
		}
		s.markLate(msgs, slot, now)
		n, err := PostToChannel(tx, team, msgs)
		if err != nil {
			return 0, err
		}
		return n, tx.Audit(&domain.AuditEntry{Actor: Actor, Team: team.ID, Action: "digest.post", Subject: team.ID,
			Detail: "scheduled " + slotString(slot)})
	})
	if fired > 0 {
		s.log().WithField("team", teamID).WithField("slot", slotString(slot)).Info("digest posted")
	}
	return fired, err
}

func (s *Scheduler) smDigest(p domain.PersonID, teamIDs []string, slot, now time.Time) (int, error) {
	fired, err := s.postOnce(smDigestKey(p, slot), func(tx domain.Tx) (int, error) {
		var teams []*domain.Team
		for _, id := range teamIDs {
			t, err := tx.Team(id)
			if err != nil {
				return 0, err
			}
			teams = append(teams, t)
		}
		msgs, err := digest.BuildAcross(tx, s.Policy, s.Prompts, s.Loc, p, teams, now)
		if err != nil {
			return 0, err
		}
		s.markLate(msgs, slot, now)
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
