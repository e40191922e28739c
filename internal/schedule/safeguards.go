package schedule

import (
	"strconv"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// repeatDue is the next firing of a clock that repeats until what it is
// about is dealt with: the first is due at first and recorded under key,
// each later one an escalation interval after the one before, under key:2,
// key:3 … . It returns when the next is due, its key, and whether it is
// due now.
func (t *teamRun) repeatDue(first time.Time, key domain.ClockKey) (time.Time, domain.ClockKey, bool, error) {
	if first.IsZero() || t.now.Before(first) {
		return time.Time{}, domain.ClockKey{}, false, nil
	}
	n, k := 1, key.Repeat(1)
	var last time.Time
	for {
		rec, got, err := t.tx.Fired(k)
		if err != nil {
			return time.Time{}, domain.ClockKey{}, false, err
		}
		if !got {
			break
		}
		last = rec.At
		if last.IsZero() {
			last = first
		}
		n++
		k = key.Repeat(n)
	}
	due := first
	if n > 1 {
		due = t.s.Policy.NextEscalation(last, t.s.EscalateEvery, t.s.Loc)
	}
	return due, k, !t.now.Before(due), nil
}

// toldEscalated tells the raiser of a concern and the team's managers that
// it has gone to the service manager, and why.
func (t *teamRun) toldEscalated(c *domain.Concern, why string, to []domain.PersonID) error {
	if err := t.load(); err != nil {
		return err
	}
	d := map[string]any{"C": c, "Why": why, "Name": t.name(c.By), "Team": t.team.Name,
		"SMName": t.name(t.team.ServiceManager), "HasSM": t.team.ServiceManager != "", "Days": t.s.Policy.PlanWorkingDays}
	told := map[domain.PersonID]bool{}
	for _, p := range to {
		told[p] = true
	}
	if !told[c.By] {
		told[c.By] = true
		if err := t.tell(c.By, KindNotice, domain.Message{Text: t.say("safeguard.escalated_raiser", d)}); err != nil {
			return err
		}
	}
	for _, m := range t.members {
		if m.Role == domain.RoleManager && !told[m.Person] {
			told[m.Person] = true
			if err := t.tell(m.Person, KindNotice, domain.Message{Text: t.say("safeguard.escalated_managers", d)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// planClocks escalates a concern that was acknowledged but has no plan
// after the policy's working days, and again each working day after.
func (t *teamRun) planClocks() ([]firing, error) {
	cs, err := t.tx.Concerns(t.team.ID, true)
	if err != nil {
		return nil, err
	}
	pol := t.s.Policy
	var out []firing
	for _, c := range cs {
		if !c.Acknowledged() || c.Resolved() || c.Plan != "" {
			continue
		}
		first := pol.AddWorkingDays(c.AckAt, pol.PlanWorkingDays, t.s.Loc)
		due, key, ok, err := t.repeatDue(first, noPlanKey(c.ID))
		if err != nil {
			return nil, err
		} else if !ok {
			continue
		}
		out = append(out, firing{what: "noplan", subject: strconv.FormatUint(c.ID, 10), apply: func() (int, error) {
			return 1, t.escalateNoPlan(c, key, due)
		}})
	}
	return out, nil
}

func (t *teamRun) escalateNoPlan(c *domain.Concern, key domain.ClockKey, due time.Time) error {
	if err := t.load(); err != nil {
		return err
	}
	id := strconv.FormatUint(c.ID, 10)
	w, hasNow := t.workload(c.By)
	d := map[string]any{"C": c, "Name": t.name(c.By), "Team": t.team.Name, "AckName": t.name(c.AckBy),
		"AckAt": t.local(c.AckAt), "Days": t.s.Policy.PlanWorkingDays, "W": w, "HasNow": hasNow,
		"Next": t.local(t.s.Policy.NextEscalation(t.now, t.s.EscalateEvery, t.s.Loc))}
	msg := domain.Message{Title: t.say("safeguard.noplan_title", d), Text: t.say("safeguard.noplan_text", d), RAG: domain.Red}
	to, err := t.toServiceManager("noplan", id, id, msg)
	if err != nil {
		return err
	}
	if got, err := has(t.tx, noPlanKey(c.ID)); err != nil {
		return err
	} else if !got {
		if err := t.toldEscalated(c, "plan", to); err != nil {
			return err
		}
	}
	if err := t.tx.MarkFired(key, domain.ClockFiring{At: t.now, Due: due, To: to}); err != nil {
		return err
	}
	return t.audit("concern.escalate_noplan", id, to, "")
}

// teamOverClock tells the service manager when the team's load reaches the
// policy's level (or too many high-risk cases wait): once when it crosses,
// then weekly while it stays there. Coming back under clears the clock, so
// the next crossing is told again.
func (t *teamRun) teamOverClock() ([]firing, error) {
	pol := t.s.Policy
	sum, err := t.summary(pol) // loads the members and cases
	if err != nil {
		return nil, err
	}
	s := *sum
	waiting := 0
	for _, c := range t.cases {
		if (c.Status == domain.CaseQueued || c.Status == domain.CaseProposed) && pol.IsHighRisk(c) {
			waiting++
		}
	}
	over := s.Capacity > 0 && s.Percent >= pol.TeamOverPercent || s.Capacity <= 0 && s.Load > 0
	tooMany := waiting > pol.TeamHighRiskWaiting
	key := teamOverKey(t.team.ID)
	rec, got, err := t.tx.Fired(key)
	if err != nil {
		return nil, err
	}
	if !over && !tooMany {
		if !got {
			return nil, nil
		}
		return []firing{{what: "teamover.clear", subject: t.team.ID, apply: func() (int, error) {
			return 0, t.tx.ClearFired(key)
		}}}, nil
	}
	if got && t.now.Before(rec.At.AddDate(0, 0, 7)) {
		return nil, nil
	}
	since := t.now
	if got && !rec.Due.IsZero() {
		since = rec.Due
	}
	return []firing{{what: "teamover", subject: t.team.ID, apply: func() (int, error) {
		d := map[string]any{"Team": t.team.Name, "S": s, "Over": over, "TooMany": tooMany, "Waiting": waiting,
			"Limit": pol.TeamHighRiskWaiting, "At": pol.TeamOverPercent, "Again": got, "Since": t.local(since)}
		msg := domain.Message{Title: t.say("safeguard.teamover_title", d), Text: t.say("safeguard.teamover_text", d), RAG: domain.Red}
		to, err := t.toServiceManager("teamover", t.team.ID, t.team.Name, msg)
		if err != nil {
			return 0, err
		}
		if err := t.tx.MarkFired(key, domain.ClockFiring{At: t.now, Due: since, To: to}); err != nil {
			return 0, err
		}
		return 1, t.audit("team.over_capacity", t.team.ID, to, strconv.FormatFloat(s.Percent, 'f', 1, 64)+" %; high-risk waiting "+strconv.Itoa(waiting))
	}}}, nil
}
