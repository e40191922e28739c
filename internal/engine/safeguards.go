package engine

import (
	"strconv"
	"strings"

	"github.com/safeload/safeload/internal/domain"
)

// The safeguards of Standard 3 that allocation and concerns pass through:
// proposals counted together, private decline reasons, the service
// manager told of allocations into red, override reviews, and the raiser's
// word on a concern's plan.

// leaveReasons lists the reasons of the reductions that take m's capacity today.
func leaveReasons(m *domain.Member, day domain.Date) string {
	var out []string
	for _, red := range m.Reductions {
		if red.ActiveOn(day) && red.Reason != "" {
			out = append(out, red.Reason)
		}
	}
	return strings.Join(out, ", ")
}

// pendingTo lists the team's proposals waiting for p's answer, other than
// one for the case except.
func (r *run) pendingTo(p domain.PersonID, except string) ([]*domain.Proposal, error) {
	ps, err := r.tx.PendingTo(r.team.ID, p)
	if err != nil {
		return nil, err
	}
	var out []*domain.Proposal
	for _, x := range ps {
		if x.Team == r.team.ID && x.To == p && x.Status == domain.ProposalPending && x.Ref != except {
			out = append(out, x)
		}
	}
	return out, nil
}

// withPending is w as if every proposal waiting for m's answer (other than
// one of the case except) were accepted, and the references counted.
func (r *run) withPending(m *domain.Member, w domain.Workload, except string) (domain.Workload, []string, error) {
	ps, err := r.pendingTo(m.Person, except)
	if err != nil {
		return w, nil, err
	}
	var refs []string
	for _, p := range ps {
		c, err := r.tx.Case(r.team.ID, p.Ref)
		if err != nil || !c.Open() || c.Holder == m.Person {
			continue
		}
		w = r.pol.WithCase(m, w, r.pol.Points(c), r.day)
		refs = append(refs, c.Ref)
	}
	return w, refs, nil
}

// addPending adds to each member's workload the cases proposed to them and
// not yet answered, for the meeting view's suggestions.
func (r *run) addPending(ms []*domain.Member, workloads map[domain.PersonID]domain.Workload, cs []*domain.Case) error {
	ps, err := r.tx.PendingProposals()
	if err != nil {
		return err
	}
	byRef := make(map[string]*domain.Case, len(cs))
	for _, c := range cs {
		byRef[c.Ref] = c
	}
	byPerson := make(map[domain.PersonID]*domain.Member, len(ms))
	for _, m := range ms {
		byPerson[m.Person] = m
	}
	for _, p := range ps {
		c, m := byRef[p.Ref], byPerson[p.To]
		if p.Team != r.team.ID || p.Status != domain.ProposalPending || c == nil || m == nil || c.Holder == m.Person {
			continue
		}
		workloads[m.Person] = r.pol.WithCase(m, workloads[m.Person], r.pol.Points(c), r.day)
	}
	return nil
}

// recentDeclines reports who declined which case in the policy's
// DeclineSkipDays, from the audit log.
func (r *run) recentDeclines() (func(*domain.Case, domain.PersonID) bool, error) {
	if r.pol.DeclineSkipDays <= 0 {
		return nil, nil
	}
	log, err := r.tx.AuditLog(r.team.ID, r.now.AddDate(0, 0, -r.pol.DeclineSkipDays))
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, e := range log {
		if e.Action == "allocate.decline" {
			seen[e.Subject+"\x00"+e.Before] = true
		}
	}
	return func(c *domain.Case, p domain.PersonID) bool { return seen[c.Ref+"\x00"+string(p)] }, nil
}

// tellServiceManager tells the team's service manager privately, or with
// none named, the admins.
func (r *run) tellServiceManager(kind string, m domain.Message) error {
	to := r.e.adminList()
	if r.team.ServiceManager != "" {
		to = []domain.PersonID{r.team.ServiceManager}
	}
	for _, p := range to {
		if err := r.tell(p, kind, m); err != nil {
			return err
		}
	}
	return nil
}

// tellManagers tells the team's managers privately, except skip.
func (r *run) tellManagers(kind string, m domain.Message, skip ...domain.PersonID) error {
	mgrs, err := r.managers()
	if err != nil {
		return err
	}
	for _, p := range mgrs {
		if !containsPerson(skip, p) {
			if err := r.tell(p, kind, m); err != nil {
				return err
			}
		}
	}
	return nil
}

func containsPerson(list []domain.PersonID, p domain.PersonID) bool {
	for _, x := range list {
		if x == p {
			return true
		}
	}
	return false
}

// tellDeclineReason sends a decline's reason to the proposer and the
// team's managers, privately: it may be about the practitioner's health.
func (r *run) tellDeclineReason(p *domain.Proposal, c *domain.Case, d map[string]any) error {
	msg := domain.Message{Title: r.e.prompts.Say("safeguard.decline_title", d), Text: r.e.prompts.Say("safeguard.decline_text", d)}
	told := []domain.PersonID{p.To}
	if p.By != p.To {
		if err := r.tell(p.By, "decline", msg); err != nil {
			return err
		}
		told = append(told, p.By)
	}
	return r.tellManagers("decline", msg, told...)
}

// acceptRefused answers an Accept that the load no longer allows: nothing
// changes, and the proposer hears of it privately as well as the caller.
func (r *run) acceptRefused(p *domain.Proposal, c *domain.Case, m *domain.Member, after domain.Workload) error {
	d := data("Ref", c.Ref, "After", after, "Name", m.Name, "Person", m.Person)
	if p.By != r.req.Caller {
		if err := r.tell(p.By, "proposal", domain.Message{Text: r.e.prompts.Say("safeguard.accept_refused_proposer", d), RAG: after.RAG}); err != nil {
			return err
		}
	}
	r.toCaller(domain.Message{Text: r.e.prompts.Say("error.now_needs_override", d), RAG: after.RAG})
	return nil
}

// overrideReview records a manager's review of an override: it continues
// to a new review date with a reason, or it ends.
func (r *run) overrideReview() error {
	if err := r.requireManager("override_review"); err != nil {
		return err
	}
	c, err := r.findCase(r.c.ref)
	if err != nil {
		return err
	}
	if c.Status != domain.CaseAllocated || c.Override == nil || c.Override.Reviewed {
		return domain.Errorf(domain.ECONFLICT, "%s", r.say("safeguard.no_override", "Ref", c.Ref))
	}
	o := *c.Override
	var detail string
	if r.c.action == "continue" {
		on, err := r.review(r.c.review)
		if err != nil {
			return err
		}
		o.ReviewOn, o.Reason = on, r.c.text
		detail = r.say("safeguard.review_detail", "On", on, "Reason", r.c.text)
	} else {
		o.Reviewed = true
		detail = r.say("safeguard.review_ended")
	}
	o.ReviewedBy, o.ReviewedAt = r.req.Caller, r.now
	c.Override = &o
	if err := r.tx.PutCase(c); err != nil {
		return err
	}
	if err := r.audit("override.review", c.Ref, "", string(c.Holder), detail); err != nil {
		return err
	}
	m := r.member(c.Holder)
	var w domain.Workload
	if m != nil {
		if w, err = r.workload(m); err != nil {
			return err
		}
	}
	d := data("C", c, "O", &o, "Name", r.name(c.Holder), "ByName", r.name(r.req.Caller), "W", w, "Continue", r.c.action == "continue")
	if c.Holder != r.req.Caller {
		if err := r.tell(c.Holder, "override", domain.Message{Text: r.e.prompts.Say("safeguard.review_told", d)}); err != nil {
			return err
		}
	}
	r.toCaller(domain.Message{Text: r.e.prompts.Say("safeguard.review_done", d), RAG: w.RAG})
	return nil
}

// concernAnswer is the raiser's word on the plan for their concern: agree
// (the plan is enough) or disagree, which goes to the service manager.
func (r *run) concernAnswer(agree bool) error {
	c, err := r.namedConcern()
	if err != nil {
		return err
	}
	if c.By != r.req.Caller {
		return domain.Errorf(domain.EFORBIDDEN, "%s", r.say("safeguard.not_raiser", "C", c, "Name", r.name(c.By)))
	}
	if c.Resolved() {
		return domain.Errorf(domain.ECONFLICT, "%s", r.say("error.concern_resolved", "C", c, "ByName", r.name(c.ResolvedBy)))
	}
	if c.Plan == "" {
		return domain.Errorf(domain.ECONFLICT, "%s", r.say("safeguard.no_plan_yet", "C", c))
	}
	c.RaiserAgrees, c.RaiserWhy, c.RaiserAt = agree, r.c.text, r.now
	if err := r.tx.PutConcern(c); err != nil {
		return err
	}
	verb := "concern.agree"
	if !agree {
		verb = "concern.disagree"
	}
	if err := r.audit(verb, strconv.FormatUint(c.ID, 10), "", string(c.By), ""); err != nil {
		return err
	}
	d := data("C", c, "Name", r.name(c.By), "Team", r.team.Name, "Why", r.c.text, "Agree", agree)
	msg := domain.Message{Title: r.e.prompts.Say("safeguard.answer_title", d), Text: r.e.prompts.Say("safeguard.answer_text", d)}
	if !agree {
		msg.RAG = domain.Red
		if err := r.tellServiceManager("concern", msg); err != nil {
			return err
		}
	}
	if err := r.tellManagers("concern", msg, r.req.Caller, r.team.ServiceManager); err != nil {
		return err
	}
	r.toCaller(domain.Message{Text: r.e.prompts.Say("safeguard.answer_done", d)})
	return nil
}

// teamConcern is a manager's concern about the whole team: it goes to the
// service manager with the team's figures, and runs the same clock as a
// practitioner's (acknowledge, plan, resolve).
func (r *run) teamConcern() error {
	ms, err := r.tx.Members(r.team.ID)
	if err != nil {
		return err
	}
	cs, err := r.cases()
	if err != nil {
		return err
	}
	s := r.pol.Summarise(ms, cs, r.day)
	w := domain.Workload{Person: r.req.Caller, Name: r.team.Name, Capacity: s.Capacity, Load: s.Load, Percent: s.Percent, Cases: s.OpenCases}
	w.LoadRAG, w.Room = r.pol.LoadRAG(s.Load, s.Capacity, s.Percent)
	w.RAG, w.CountRAG = w.LoadRAG, w.LoadRAG
	c := &domain.Concern{Team: r.team.ID, By: r.req.Caller, Text: r.c.text, RaisedAt: r.now, Snapshot: w, TeamLevel: true}
	if err := r.tx.PutConcern(c); err != nil {
		return err
	}
	if err := r.audit("concern.raise", strconv.FormatUint(c.ID, 10), "", pctChange(w, w), "team"); err != nil {
		return err
	}
	due := r.pol.AckDeadline(r.now, r.e.AckWithin, r.e.loc)
	d := data("C", c, "Name", r.name(r.req.Caller), "Team", r.team.Name, "S", s, "Due", due.In(r.e.loc), "HasSM", r.team.ServiceManager != "")
	note := domain.Message{
		Title:   r.e.prompts.Say("safeguard.team_concern_title", d),
		Text:    r.e.prompts.Say("safeguard.team_concern_text", d),
		RAG:     w.RAG,
		Buttons: []domain.Button{{Label: r.say("button.ack"), ActionID: "ack:" + strconv.FormatUint(c.ID, 10), Style: domain.ButtonPrimary}},
	}
	if err := r.tellServiceManager("concern", note); err != nil {
		return err
	}
	r.toCaller(domain.Message{Text: r.e.prompts.Say("safeguard.team_concern_raised", d), RAG: w.RAG})
	return nil
}

// involvedLines lists the open cases a student is recorded as involved in,
// with who holds each.
func (r *run) involvedLines(student domain.PersonID) ([]domain.Line, error) {
	cs, err := r.cases()
	if err != nil {
		return nil, err
	}
	var out []domain.Line
	for _, c := range cs {
		if containsPerson(c.Involved, student) {
			out = append(out, domain.Line{Text: r.say("capacity.involved", "C", c, "Desc", r.describe(c), "HolderName", r.name(c.Holder))})
		}
	}
	return out, nil
}

// askOverrideReason puts an override with no reason yet on a case whose
// re-weighing took its holder to the override level: like an allocation
// would, it needs a manager's reason, due within the policy's working days
// for an acknowledgement, and the review reminders repeat until one is
// recorded (/allocate review REF continue … or end). d gets "Due".
func (r *run) askOverrideReason(c *domain.Case, after domain.Workload, d map[string]any) error {
	due := domain.DateOf(r.pol.AddWorkingDays(r.now, r.pol.AckWorkingDays, r.e.loc).In(r.e.loc))
	d["Due"] = due
	if c.Override != nil && !c.Override.Reviewed {
		return nil // an override already on record: its review covers this
	}
	c.Override = &domain.Override{ReviewOn: due, By: r.req.Caller, At: r.now, Percent: after.Percent}
	return r.tx.PutCase(c)
}

// capacityFell is called when a holder's capacity changed (FTE, role, a
// reduction) from before to after with the same cases. When that takes
// them to the override level, or to worse colour at it, the holder and the
// managers are told, and the managers asked for a reason as an allocation
// would need: a reason-less override goes on the holder's most recently
// allocated case, and its reminders repeat until a manager records one.
func (r *run) capacityFell(m *domain.Member, before, after domain.Workload, why string) error {
	if !r.pol.NeedsOverride(after) || r.pol.NeedsOverride(before) && !worseThan(after.RAG, before.RAG) {
		return nil
	}
	cs, err := r.cases()
	if err != nil {
		return err
	}
	var last *domain.Case
	for _, c := range cs {
		if c.Holder == m.Person && c.Status == domain.CaseAllocated && (last == nil || c.AllocatedAt.After(last.AllocatedAt)) {
			last = c
		}
	}
	if last == nil {
		return nil // holding nothing: no load to be over with
	}
	d := data("Name", m.Name, "Before", before, "After", after, "Why", why, "Ref", last.Ref)
	if err := r.askOverrideReason(last, after, d); err != nil {
		return err
	}
	title := r.e.prompts.Say("safeguard.fell_title", d)
	if err := r.tellManagers("capacity", domain.Message{Title: title, Text: r.e.prompts.Say("safeguard.fell_managers", d), RAG: after.RAG}); err != nil {
		return err
	}
	return r.tell(m.Person, "capacity", domain.Message{Title: title, Text: r.e.prompts.Say("safeguard.fell_holder", d), RAG: after.RAG})
}
