package schedule

import (
	"strconv"
	"time"

	"github.com/safeload/safeload/internal/digest"
	"github.com/safeload/safeload/internal/domain"
)

// teamRun works out one team's clocks inside one transaction.
type teamRun struct {
	s      *Scheduler
	tx     domain.Tx
	team   *domain.Team
	now    time.Time
	admins []domain.PersonID

	members []*domain.Member
	cases   []*domain.Case
	loaded  bool
	// partial says cases are only those a clock can be about (clockCase),
	// kept from an earlier pass, with sum: a read pass only plans, and
	// the clocks' plans read no other case.
	partial bool
	// sum is the summary of members and cases at now by sumPol, once
	// worked out: the team's over-capacity clock and its report share it
	// when they count by the same policy. A firing that changes a member
	// or a case forgets it (changed).
	sum    *domain.TeamSummary
	sumPol *domain.Policy
	// rep is the team's report at now, once worked out: the week's
	// snapshot and the digest are taken from the same figures.
	rep *digest.Report
}

// summary is the team's summary at now by pol, from the members and cases
// the clocks read: it loads them (one is kept only once they are loaded).
func (t *teamRun) summary(pol *domain.Policy) (*domain.TeamSummary, error) {
	if t.sum != nil && t.sumPol == pol {
		return t.sum, nil
	}
	if t.partial {
		t.loaded, t.partial = false, false
	}
	if err := t.load(); err != nil {
		return nil, err
	}
	s := pol.Summarise(t.members, t.cases, t.day())
	t.sum, t.sumPol = &s, pol
	return t.sum, nil
}

// changed is called by a firing that changes one of the members or cases
// the clocks read, before anything is worked out from them again.
func (t *teamRun) changed() { t.sum, t.sumPol = nil, nil }

// report is the team's digest report at now, from the members and cases
// the clocks read as the firings before it left them (asyeDone changes a
// member's role): the snapshot and the digest fire after every other clock.
func (t *teamRun) report() (*digest.Report, error) {
	if t.rep != nil {
		return t.rep, nil
	}
	sum, err := t.summary(t.pol()) // loads the members and cases
	if err != nil {
		return nil, err
	}
	r, err := (&digest.Builder{Policy: t.pol(), Loc: t.s.Loc}).TeamFromSummary(t.tx, t.team, t.members, t.cases, sum, t.now)
	t.rep = r
	return r, err
}

func (t *teamRun) load() error {
	if t.loaded {
		return nil
	}
	var err error
	if t.members, err = t.tx.Members(t.team.ID); err != nil {
		return err
	}
	if t.cases, err = digest.OpenCases(t.tx, t.team.ID); err != nil {
		return err
	}
	t.loaded = true
	return nil
}

func (t *teamRun) day() domain.Date { return domain.DateOf(t.now.In(t.s.Loc)) }

func (t *teamRun) member(p domain.PersonID) *domain.Member {
	for _, m := range t.members {
		if m.Person == p {
			return m
		}
	}
	return nil
}

// name is how a person is shown: their name in the team, else on record.
func (t *teamRun) name(p domain.PersonID) string {
	if m := t.member(p); m != nil && m.Name != "" {
		return m.Name
	}
	if pr, err := t.tx.Person(p); err == nil && pr.Name != "" {
		return pr.Name
	}
	return string(p)
}

// workload of a member now; ok is false when they are not a case carrier
// of the team any more.
func (t *teamRun) workload(p domain.PersonID) (domain.Workload, bool) {
	m := t.member(p)
	if m == nil || !m.Role.CarriesCases() {
		return domain.Workload{}, false
	}
	return t.pol().Workload(m, t.cases, t.day()), true
}

func (t *teamRun) say(name string, d map[string]any) string { return t.s.Prompts.Say(name, d) }

func (t *teamRun) local(x time.Time) time.Time { return x.In(t.s.Loc) }

func (t *teamRun) tell(p domain.PersonID, kind string, m domain.Message) error {
	m.Audience, m.To = domain.ToPerson, string(p)
	return t.tx.Enqueue(&domain.OutboxItem{Dest: string(p), Kind: kind, Message: m})
}

func (t *teamRun) audit(action, subject string, to []domain.PersonID, detail string) error {
	after := ""
	for i, p := range to {
		if i > 0 {
			after += ","
		}
		after += string(p)
	}
	return t.tx.Audit(&domain.AuditEntry{Actor: Actor, Team: t.team.ID, Action: action, Subject: subject, After: after, Detail: detail})
}

// toServiceManager tells the team's service manager privately or, with
// none set, the admins; then the team channel hears, once per subject,
// that no service manager is configured.
func (t *teamRun) toServiceManager(kind, subjectKey, subject string, m domain.Message) ([]domain.PersonID, error) {
	to := t.admins
	if t.team.ServiceManager != "" {
		to = []domain.PersonID{t.team.ServiceManager}
	}
	for _, p := range to {
		if err := t.tell(p, KindEscalation, m); err != nil {
			return nil, err
		}
	}
	if t.team.ServiceManager != "" || t.team.Channel == "" {
		return to, nil
	}
	key := noSMKey(kind, subjectKey)
	if told, err := has(t.tx, key); err != nil || told {
		return to, err
	}
	d := map[string]any{"Subject": subject, "Team": t.team.Name}
	d = map[string]any{"What": t.say("escalate.nosm."+kind, d), "Admins": len(to) > 0, "Team": t.team.Name}
	notice := domain.Message{Audience: domain.ToChannel, To: string(t.team.Channel), Text: t.say("escalate.nosm", d)}
	if err := t.tx.Enqueue(&domain.OutboxItem{Dest: string(t.team.Channel), Kind: KindEscalation, Message: notice}); err != nil {
		return nil, err
	}
	return to, t.tx.MarkFired(key, domain.ClockFiring{At: t.now})
}

// due reports whether a clock due at due has come and its firing, recorded
// under key, has not been made yet: never early, never twice.
func (t *teamRun) due(due time.Time, key domain.ClockKey) (bool, error) {
	if due.IsZero() || t.now.Before(due) {
		return false, nil
	}
	done, err := has(t.tx, key)
	return !done, err
}

// ---- capacity concerns ----

// concernDue is when a concern's next escalation is due: the
// acknowledgement deadline for the first, then one interval after the last
// one sent (as recorded with it).
func (t *teamRun) concernDue(c *domain.Concern) (time.Time, error) {
	pol, loc := t.pol(), t.s.Loc
	deadline := pol.AckDeadline(c.RaisedAt, t.s.AckWithin, loc)
	if c.Escalations == 0 {
		return deadline, nil
	}
	last, ok, err := t.tx.Fired(concernKey(c.ID, c.Escalations))
	if err != nil {
		return time.Time{}, err
	}
	if !ok || last.At.IsZero() {
		// No record of when the last one went (set by hand, or an older
		// store): assume each went on time.
		last.At = deadline
		for i := 1; i < c.Escalations; i++ {
			last.At = pol.NextEscalation(last.At, t.s.EscalateEvery, loc)
		}
	}
	return pol.NextEscalation(last.At, t.s.EscalateEvery, loc), nil
}

func (t *teamRun) concernClocks() ([]firing, error) {
	cs, err := t.tx.Concerns(t.team.ID, true)
	if err != nil {
		return nil, err
	}
	var out []firing
	for _, c := range cs {
		if c.Acknowledged() || c.Resolved() {
			continue
		}
		due, err := t.concernDue(c)
		if err != nil {
			return nil, err
		}
		n := c.Escalations + 1
		ok, err := t.due(due, concernKey(c.ID, n))
		if err != nil {
			return nil, err
		} else if !ok {
			continue
		}
		out = append(out, firing{what: "concern", subject: strconv.FormatUint(c.ID, 10), apply: func() (int, error) {
			return 1, t.escalateConcern(c, n, due)
		}})
	}
	return out, nil
}

func (t *teamRun) escalateConcern(c *domain.Concern, n int, due time.Time) error {
	if err := t.load(); err != nil {
		return err
	}
	id := strconv.FormatUint(c.ID, 10)
	w, hasNow := t.workload(c.By)
	d := map[string]any{"C": c, "Name": t.name(c.By), "Team": t.team.Name, "N": n,
		"Raised": t.local(c.RaisedAt), "Due": t.local(t.pol().AckDeadline(c.RaisedAt, t.s.AckWithin, t.s.Loc)),
		"Next": t.local(t.pol().NextEscalation(t.now, t.s.EscalateEvery, t.s.Loc)), "Now": t.local(t.now),
		"W": w, "HasNow": hasNow}
	// The colour of an escalation is its urgency, not the raiser's RAG.
	msg := domain.Message{
		Title:   t.say("escalate.concern.title", d),
		Text:    t.say("escalate.concern.text", d),
		RAG:     domain.Red,
		Buttons: []domain.Button{{Label: t.say("button.ack", nil), ActionID: "ack:" + id, Style: domain.ButtonPrimary}},
	}
	to, err := t.toServiceManager("concern", id, id, msg)
	if err != nil {
		return err
	}
	if n == 1 {
		if err := t.toldEscalated(c, "ack", to); err != nil {
			return err
		}
	}
	c.Escalations = n
	if err := t.tx.PutConcern(c); err != nil {
		return err
	}
	if err := t.tx.MarkFired(concernKey(c.ID, n), domain.ClockFiring{At: t.now, Due: due, To: to}); err != nil {
		return err
	}
	return t.audit("concern.escalate", id, to, "escalation "+strconv.Itoa(n))
}

// ---- cases: high risk waiting, overrides due ----

func (t *teamRun) caseClocks() ([]firing, error) {
	if err := t.load(); err != nil {
		return nil, err
	}
	pol, loc := t.pol(), t.s.Loc
	var out []firing
	for _, c := range t.cases {
		switch {
		case (c.Status == domain.CaseQueued || c.Status == domain.CaseProposed) && pol.IsHighRisk(c) && !c.QueuedSince.IsZero():
			first := pol.AddWorkingDays(c.QueuedSince, pol.HighRiskWaitWorkingDays, loc)
			due, key, ok, err := t.repeatDue(first, highRiskKey(t.team.ID, c.Ref, c.QueuedSince))
			if err != nil {
				return nil, err
			} else if !ok {
				continue
			}
			out = append(out, firing{what: "highrisk", subject: c.Ref, apply: func() (int, error) {
				return 1, t.escalateHighRisk(c, key, due)
			}})
		case c.Status == domain.CaseAllocated && c.Override != nil && !c.Override.Reviewed && c.Override.ReviewOn != "":
			first := c.Override.ReviewOn.Time(loc)
			due, key, ok, err := t.repeatDue(first, overrideReviewKey(t.team.ID, c.Ref, c.Override))
			if err != nil {
				return nil, err
			} else if !ok {
				continue
			}
			out = append(out, firing{what: "override", subject: c.Ref, apply: func() (int, error) {
				return 1, t.overrideDue(c, key, due)
			}})
		}
	}
	return out, nil
}

func (t *teamRun) escalateHighRisk(c *domain.Case, key domain.ClockKey, due time.Time) error {
	pol := t.pol()
	proposedTo := ""
	if c.Status == domain.CaseProposed && c.Proposal != 0 {
		if p, err := t.tx.Proposal(c.Proposal); err == nil {
			proposedTo = t.name(p.To)
		}
	}
	d := map[string]any{"C": c, "Team": t.team.Name, "Desc": digest.Describe(c), "Points": pol.Points(c),
		"Since": t.local(c.QueuedSince), "Days": pol.WorkingDaysBetween(c.QueuedSince, t.now, t.s.Loc),
		"Allowed": pol.HighRiskWaitWorkingDays, "ProposedTo": proposedTo}
	msg := domain.Message{Title: t.say("escalate.highrisk.title", d), Text: t.say("escalate.highrisk.text", d), RAG: domain.Red}
	to, err := t.toServiceManager("highrisk", c.Ref, c.Ref, msg)
	if err != nil {
		return err
	}
	if err := t.tx.MarkFired(key, domain.ClockFiring{At: t.now, Due: due, To: to}); err != nil {
		return err
	}
	return t.audit("case.escalate", c.Ref, to, "high risk, waiting since "+c.QueuedSince.UTC().Format(time.RFC3339))
}

// overrideDue tells the team's managers (or, with none, the service
// manager) that an override's review is due: once per override.
func (t *teamRun) overrideDue(c *domain.Case, key domain.ClockKey, due time.Time) error {
	o := c.Override
	w, _ := t.workload(c.Holder)
	d := map[string]any{"C": c, "O": o, "Name": t.name(c.Holder), "ByName": t.name(o.By), "At": t.local(o.At),
		"W": w, "Team": t.team.Name}
	msg := domain.Message{Title: t.say("escalate.override.title", d), Text: t.say("escalate.override.text", d), RAG: w.RAG}
	var to []domain.PersonID
	for _, m := range t.members {
		if m.Role == domain.RoleManager {
			to = append(to, m.Person)
		}
	}
	for _, p := range to {
		if err := t.tell(p, KindReminder, msg); err != nil {
			return err
		}
	}
	if len(to) == 0 {
		var err error
		if to, err = t.toServiceManager("override", c.Ref, c.Ref, msg); err != nil {
			return err
		}
	}
	if err := t.tx.MarkFired(key, domain.ClockFiring{At: t.now, Due: due, To: to}); err != nil {
		return err
	}
	return t.audit("override.review_due", c.Ref, to, "review on "+string(o.ReviewOn))
}

// ---- proposals unanswered ----

func (t *teamRun) proposalClocks() ([]firing, error) {
	ps, err := t.tx.PendingProposals()
	if err != nil {
		return nil, err
	}
	pol := t.pol()
	var out []firing
	for _, p := range ps {
		if p.Team != t.team.ID || p.Status != domain.ProposalPending || p.Reminded {
			continue
		}
		due := pol.AddWorkingDays(p.At, pol.ProposalWorkingDays, t.s.Loc)
		if t.now.Before(due) {
			continue
		}
		out = append(out, firing{what: "proposal", subject: p.Ref, apply: func() (int, error) {
			return 1, t.remindProposal(p)
		}})
	}
	return out, nil
}

func (t *teamRun) remindProposal(p *domain.Proposal) error {
	if err := t.load(); err != nil {
		return err
	}
	d := map[string]any{"P": p, "ByName": t.name(p.By), "At": t.local(p.At), "Team": t.team.Name, "Desc": "", "Points": 0.0}
	if c, err := t.tx.Case(p.Team, p.Ref); err == nil {
		d["Desc"], d["Points"] = digest.Describe(c), t.pol().Points(c)
	}
	id := strconv.FormatUint(p.ID, 10)
	msg := domain.Message{
		Title: t.say("escalate.proposal.title", d),
		Text:  t.say("escalate.proposal.text", d),
		Buttons: []domain.Button{
			{Label: t.say("button.accept", nil), ActionID: "accept:" + id, Style: domain.ButtonPrimary, For: p.To},
			{Label: t.say("button.decline", nil), ActionID: "decline:" + id, Style: domain.ButtonDanger, For: p.To},
		},
	}
	if err := t.tell(p.To, KindReminder, msg); err != nil {
		return err
	}
	p.Reminded = true
	if err := t.tx.PutProposal(p); err != nil {
		return err
	}
	return t.audit("allocate.remind", p.Ref, []domain.PersonID{p.To}, "")
}

// ---- weekly snapshot and long over-capacity ----

// snapshot stores the team's figures once a week, and with them checks
// who has been over capacity for the policy's run of weeks.
func (t *teamRun) snapshot() ([]firing, error) {
	if ok, err := digest.HasSnapshot(t.tx, t.s.Loc, t.team.ID, t.now); err != nil || ok {
		return nil, err
	}
	return []firing{{what: "snapshot", subject: string(digest.WeekOf(t.now, t.s.Loc)), apply: func() (int, error) {
		r, err := t.report()
		if err != nil {
			return 0, err
		}
		_, created, err := digest.EnsureSnapshotOf(t.tx, t.s.Loc, r)
		if err != nil || !created {
			return 0, err
		}
		return t.longOver(r.Weeks())
	}}}, nil
}

// longOver tells the service manager, once per run of weeks, about each
// practitioner at or over LongOverPercent in each of the last LongOverWeeks
// weekly snapshots. Weeks the bot was not running have no snapshot and do
// not break a run: the snapshots on either side of them are consecutive.
// snaps are the team's snapshots in the transaction, this week's just
// stored; only those back to where someone's run breaks are decoded.
func (t *teamRun) longOver(snaps *digest.Weeks) (int, error) {
	pol := t.pol()
	weeks := pol.LongOverWeeks
	if weeks <= 0 {
		return 0, nil
	}
	if err := snaps.Reread(); err != nil || snaps.Len() < weeks {
		return 0, err
	}
	if err := t.load(); err != nil {
		return 0, err
	}
	latest, err := snaps.At(snaps.Len() - 1)
	if err != nil || latest == nil {
		return 0, err
	}
	fired := 0
	for _, m := range latest.Members {
		run, since := 0, domain.Date("")
		for i := snaps.Len() - 1; i >= 0; i-- {
			s, err := snaps.At(i)
			if err != nil {
				return fired, err
			} else if s == nil {
				continue
			}
			sm, ok := s.Member(m.Person)
			if !ok || !sm.Over(pol.LongOverPercent) {
				break
			}
			run, since = run+1, s.Week
		}
		if run < weeks {
			continue
		}
		key := longOverKey(t.team.ID, m.Person, since)
		if done, err := has(t.tx, key); err != nil {
			return fired, err
		} else if done {
			continue
		}
		w, _ := t.workload(m.Person)
		d := map[string]any{"Name": t.name(m.Person), "Team": t.team.Name, "Weeks": run, "Percent": pol.LongOverPercent,
			"Since": since.Time(t.s.Loc), "W": w}
		msg := domain.Message{Title: t.say("escalate.longover.title", d), Text: t.say("escalate.longover.text", d), RAG: domain.Red}
		to, err := t.toServiceManager("longover", string(m.Person)+":"+string(since), strconv.Itoa(run), msg)
		if err != nil {
			return fired, err
		}
		if err := t.tx.MarkFired(key, domain.ClockFiring{At: t.now, To: to}); err != nil {
			return fired, err
		}
		if err := t.audit("capacity.long_over", string(m.Person), to, strconv.Itoa(run)+" weeks since "+string(since)); err != nil {
			return fired, err
		}
		fired++
	}
	return fired, nil
}

// ---- the weekly digest ----

// digest posts the team's digest of the pass's slot, once, in the
// transaction of the team's clocks and from the figures of its weekly
// snapshot: a team set up after the slot waits for the next one.
func (t *teamRun) digest() ([]firing, error) {
	slot := t.s.slot
	if slot.IsZero() || !t.team.CreatedAt.Before(slot) {
		return nil, nil
	}
	key := teamSlot(t.team.ID, slot)
	if _, done, err := t.tx.DigestPosted(key); err != nil || done {
		return nil, err
	}
	var (
		r    *digest.Report
		msgs = make(chan []domain.Message, 1)
	)
	return []firing{{what: "digest", subject: slotString(slot),
		apply: func() (int, error) {
			var err error
			if r, err = t.report(); err != nil {
				return 0, err
			}
			// Writing the digest out needs nothing from the transaction: it
			// goes on beside the reading of the next teams, and finish posts it.
			go func() { msgs <- t.s.teamMessages(r, slot, t.now) }()
			return 1, nil
		},
		finish: func() error {
			n, err := t.s.postTeamDigest(t.tx, t.team, <-msgs, slot)
			if err != nil {
				return err
			}
			return t.tx.MarkDigestPosted(key, domain.ClockFiring{At: t.tx.Now(), Msgs: n})
		},
		committed: func() {
			if t.team.ServiceManager != "" {
				t.s.reports[t.team.ID] = r
			}
		},
	}}, nil
}
