package engine

import (
	"strconv"
	"strings"

	"github.com/safeload/safeload/internal/domain"
)

// queue is the meeting view: the waiting cases with a suggestion each, the
// proposals awaiting an answer, and the board. It opens the meeting.
func (r *run) queue() error {
	if err := r.requireManager("queue"); err != nil {
		return err
	}
	if err := r.startMeeting(); err != nil {
		return err
	}
	ms, err := r.tx.Members(r.team.ID)
	if err != nil {
		return err
	}
	cs, err := r.cases()
	if err != nil {
		return err
	}
	workloads := map[domain.PersonID]domain.Workload{}
	for _, m := range ms {
		workloads[m.Person] = r.pol.Workload(m, cs, r.day)
	}
	var queued, proposed []*domain.Case
	for _, c := range cs {
		switch c.Status {
		case domain.CaseQueued:
			queued = append(queued, c)
		case domain.CaseProposed:
			proposed = append(proposed, c)
		}
	}
	r.pol.SortQueue(queued)
	r.pol.SortQueue(proposed)
	if err := r.addPending(ms, workloads, cs); err != nil {
		return err
	}
	declined, err := r.recentDeclines()
	if err != nil {
		return err
	}
	suggestions := r.pol.SuggestQueue(queued, ms, workloads, r.day, declined)
	var lines []domain.Line
	for i, c := range queued {
		s := suggestions[i]
		lines = append(lines, domain.Line{
			Text: r.say("queue.case", "C", c, "Desc", r.describe(c), "Points", r.pol.Points(c), "HighRisk", r.pol.IsHighRisk(c),
				"Waited", r.now.Sub(c.QueuedSince), "Since", c.QueuedSince, "Now", r.now, "S", s) + r.movedNote(c),
			RAG: s.After.RAG,
		})
	}
	incoming, err := r.incomingLines()
	if err != nil {
		return err
	}
	lines = append(incoming, lines...)
	if len(lines) == 0 {
		lines = append(lines, domain.Line{Text: r.say("queue.empty")})
	}
	var waitingLines []domain.Line
	for _, c := range proposed {
		to := r.proposedTo(c)
		waitingLines = append(waitingLines, domain.Line{Text: r.say("queue.proposed", "C", c, "To", to, "Since", c.QueuedSince, "Now", r.now)})
	}
	board, _, err := r.boardMessage()
	if err != nil {
		return err
	}
	sections := []domain.Section{{Title: r.say("queue.section", "Count", len(queued)), Lines: lines}}
	if len(waitingLines) > 0 {
		sections = append(sections, domain.Section{Title: r.say("queue.proposed_section"), Lines: waitingLines})
	}
	sections = append(sections, board.Sections...)
	r.toChannel(domain.Message{
		Title:    r.say("queue.title", "Team", r.team.Name),
		Text:     r.say("queue.text", "Count", len(queued), "Proposed", len(proposed)),
		Sections: sections,
		Fields:   board.Fields,
		RAG:      board.RAG,
	})
	return nil
}

func (r *run) startMeeting() error {
	if !r.team.MeetingStart.IsZero() {
		return nil
	}
	r.team.MeetingStart = r.now
	if err := r.tx.PutTeam(r.team); err != nil {
		return err
	}
	return r.audit("meeting.start", r.team.ID, "", "", "")
}

// review turns "4w", "10d", "2027-01-31" or "default" into a review date.
func (r *run) review(s string) (domain.Date, error) {
	today := r.day
	switch {
	case s == "default" || s == "":
		return r.pol.OnWorkingDay(today.AddDays(7*r.pol.ReviewWeeks), r.e.loc), nil
	case strings.HasSuffix(s, "w") || strings.HasSuffix(s, "d"):
		n, err := strconv.Atoi(s[:len(s)-1])
		if err != nil || n <= 0 || n > 52*7 {
			break
		}
		if strings.HasSuffix(s, "w") {
			n *= 7
		}
		if n > r.pol.MaxReviewDays() {
			break
		}
		return r.pol.OnWorkingDay(today.AddDays(n), r.e.loc), nil
	default:
		d, err := domain.ParseDate(s)
		if err == nil && d > today && d <= today.AddDays(r.pol.MaxReviewDays()) {
			return r.pol.OnWorkingDay(d, r.e.loc), nil
		}
	}
	return "", &usageError{usage: r.c.usage, reason: r.say("error.review", "Review", s, "Max", r.pol.MaxReviewWeeks)}
}

// propose offers a queued case to a practitioner, or (transfer) a held case
// to someone else. Above the override level it needs an override.
func (r *run) propose() error {
	transfer := r.c.name == "allocate.transfer"
	what := "propose"
	if transfer {
		what = "transfer"
	}
	if err := r.requireManager(what); err != nil {
		return err
	}
	c, err := r.findCase(r.c.ref)
	if err != nil {
		return err
	}
	if err := r.checkProposable(c, transfer); err != nil {
		return err
	}
	m := r.member(r.c.person)
	if m == nil {
		return domain.Errorf(domain.ENOTFOUND, "%s", r.say("error.not_in_team", "Person", r.c.person, "Team", r.team.Name))
	}
	if !m.Role.CarriesCases() {
		return domain.Errorf(domain.EINVALID, "%s", r.say("error.cannot_hold", "Name", m.Name, "Role", m.Role, "Ref", c.Ref))
	}
	if transfer && c.Holder == m.Person {
		return domain.Errorf(domain.EINVALID, "%s", r.say("error.transfer_same", "Name", m.Name, "Ref", c.Ref))
	}
	points := r.pol.Points(c)
	now, err := r.workload(m)
	if err != nil {
		return err
	}
	if now.OnLeave {
		return domain.Errorf(domain.ECONFLICT, "%s", r.say("safeguard.on_leave", "Name", m.Name, "Ref", c.Ref, "Reasons", leaveReasons(m, r.day)))
	}
	// Proposals still waiting for m's answer count as accepted, so that two
	// proposals cannot each look safe on their own.
	before, pending, err := r.withPending(m, now, c.Ref)
	if err != nil {
		return err
	}
	after := r.pol.WithCase(m, before, points, r.day)
	overrideGiven := r.c.review != ""
	asye := m.Role == domain.RoleASYE && r.pol.ASYEProtected(c)
	if asye && !overrideGiven {
		return domain.Errorf(domain.EINVALID, "%s", r.say("safeguard.asye_refused", "Name", m.Name, "Ref", c.Ref,
			"Desc", r.describe(c), "Person", m.Person, "Transfer", transfer))
	}
	p := &domain.Proposal{Team: r.team.ID, Ref: c.Ref, Kind: domain.ProposeAllocate, To: m.Person, By: r.req.Caller,
		At: r.now, Before: before.Percent, After: after.Percent, Status: domain.ProposalPending}
	if transfer {
		p.Kind, p.From, p.Reason = domain.ProposeTransfer, c.Holder, r.c.text
		if p.Reason == "" {
			return &usageError{usage: r.c.usage, reason: r.say("error.transfer_reason")}
		}
	}
	var reviewOn domain.Date
	if overrideGiven {
		if reviewOn, err = r.review(r.c.review); err != nil {
			return err
		}
	}
	if r.pol.NeedsOverride(after) || asye {
		if !overrideGiven {
			return domain.Errorf(domain.EINVALID, "%s", r.say("error.override_needed", "Name", m.Name, "Ref", c.Ref,
				"Before", before, "After", after, "At", r.pol.OverrideAt, "Transfer", transfer, "Person", m.Person,
				"ByCount", after.CountRAG == domain.Red && after.Percent < r.pol.OverrideAt))
		}
		p.Override = &domain.Override{Reason: r.c.text, ReviewOn: reviewOn, By: r.req.Caller, At: r.now, Percent: after.Percent}
	}
	if err := r.tx.PutProposal(p); err != nil {
		return err
	}
	prevStatus := string(c.Status)
	c.Proposal = p.ID
	if !transfer {
		c.Status = domain.CaseProposed
	}
	if err := r.tx.PutCase(c); err != nil {
		return err
	}
	action := "allocate.propose"
	if transfer {
		action = "allocate.transfer"
	}
	detail := pctChange(before, after)
	if p.Override != nil {
		detail += "; override: " + p.Override.Reason + "; review " + r.say("common.day", "D", p.Override.ReviewOn)
	}
	if transfer {
		detail += "; reason: " + p.Reason
	}
	if err := r.audit(action, c.Ref, prevStatus, string(m.Person), detail); err != nil {
		return err
	}
	d := data("P", p, "Ref", c.Ref, "Desc", r.describe(c), "Points", points, "Name", m.Name, "By", r.req.Caller,
		"Before", before, "After", after, "Transfer", transfer, "Override", p.Override, "HasOverride", p.Override != nil,
		"Pending", pending, "ASYE", asye, "Team", r.team.Name, "ByName", r.name(r.req.Caller))
	if p.Override != nil && (asye || after.RAG == domain.Red) {
		if err := r.tellServiceManager("safeguard", domain.Message{
			Title: r.e.prompts.Say("safeguard.sm_title", d), Text: r.e.prompts.Say("safeguard.sm_text", d), RAG: after.RAG,
		}); err != nil {
			return err
		}
	}
	if transfer {
		if hm := r.member(c.Holder); hm != nil {
			hb, err := r.workload(hm)
			if err != nil {
				return err
			}
			d["FromName"], d["FromBefore"], d["FromAfter"] = hm.Name, hb, r.pol.WithoutCase(hm, hb, points, r.day)
		} else {
			d["FromName"], d["FromBefore"], d["FromAfter"] = r.name(c.Holder), domain.Workload{}, domain.Workload{}
		}
	}
	r.toChannel(domain.Message{
		Title: r.e.prompts.Say("propose.title", d),
		Text:  r.e.prompts.Say("propose.text", d),
		Fields: []domain.Field{
			{Name: r.say("propose.f.now"), Value: r.loadText(before)},
			{Name: r.say("propose.f.after"), Value: r.loadText(after)},
		},
		RAG: after.RAG,
		Buttons: []domain.Button{
			{Label: r.say("button.accept"), ActionID: "accept:" + strconv.FormatUint(p.ID, 10), Style: domain.ButtonPrimary, For: m.Person},
			{Label: r.say("button.decline"), ActionID: "decline:" + strconv.FormatUint(p.ID, 10), Style: domain.ButtonDanger, For: m.Person},
		},
	})
	return nil
}

func pctChange(before, after domain.Workload) string {
	f := func(w domain.Workload) string {
		if !w.HasPercent() {
			return "no capacity"
		}
		return strconv.FormatFloat(w.Percent, 'f', 1, 64) + " %"
	}
	s := f(before) + " → " + f(after) + " " + string(after.RAG)
	if after.ByCount() {
		s += " by number of cases"
	}
	return s
}

// checkProposable refuses closed, held (for a new allocation), queued (for
// a transfer) and already-proposed cases, each with its reason.
func (r *run) checkProposable(c *domain.Case, transfer bool) error {
	if c.Status == domain.CaseClosed {
		return domain.Errorf(domain.ECONFLICT, "%s", r.say("error.case_closed", "Ref", c.Ref))
	}
	if c.Proposal != 0 {
		if p, err := r.proposal(c.Proposal); err == nil && p.Status == domain.ProposalPending {
			return domain.Errorf(domain.ECONFLICT, "%s", r.say("error.already_proposed", "Ref", c.Ref, "To", p.To))
		}
	}
	if transfer && c.Status != domain.CaseAllocated {
		return domain.Errorf(domain.ECONFLICT, "%s", r.say("error.transfer_unheld", "Ref", c.Ref))
	}
	if !transfer && c.Status == domain.CaseAllocated {
		return domain.Errorf(domain.ECONFLICT, "%s", r.say("error.already_allocated", "Ref", c.Ref, "Holder", c.Holder))
	}
	return nil
}

// answerButton handles Accept and Decline presses.
func (r *run) answerButton() error {
	p, err := r.proposal(r.c.id)
	if err != nil {
		return err
	}
	if err := r.useTeam(p.Team); err != nil {
		return err
	}
	if r.c.action == "decline" {
		if err := r.checkAnswerable(p); err != nil {
			return err
		}
		// A decline needs a reason, which a button cannot carry: ask for it.
		r.toCaller(domain.Message{Text: r.say("decline.ask", "Ref", p.Ref)})
		return nil
	}
	return r.answer(p, true, "", true)
}

// answerCommand handles /allocate accept REF and /allocate decline REF reason.
func (r *run) answerCommand(accept bool) error {
	_, p, err := r.caseProposal()
	if err != nil {
		return err
	}
	return r.answer(p, accept, r.c.text, false)
}

func (r *run) checkAnswerable(p *domain.Proposal) error {
	if p.Status != domain.ProposalPending {
		return domain.Errorf(domain.ECONFLICT, "%s", r.say("error.answered", "P", p, "ByName", r.name(p.AnsweredBy)))
	}
	if r.req.Caller != p.To {
		return domain.Errorf(domain.EFORBIDDEN, "%s", r.say("refuse.not_yours", "Name", r.name(p.To), "Ref", p.Ref))
	}
	return nil
}

func (r *run) answer(p *domain.Proposal, accept bool, reason string, button bool) error {
	if err := r.checkAnswerable(p); err != nil {
		return err
	}
	c, err := r.tx.Case(p.Team, p.Ref)
	if err != nil {
		return err
	}
	if c.Proposal != p.ID || !c.Open() {
		return domain.Errorf(domain.ECONFLICT, "%s", r.say("error.proposal_stale", "Ref", p.Ref))
	}
	m := r.member(p.To)
	if m == nil || !m.Role.CarriesCases() {
		return domain.Errorf(domain.ECONFLICT, "%s", r.say("error.proposal_stale", "Ref", p.Ref))
	}
	points := r.pol.Points(c)
	before, err := r.workload(m)
	if err != nil {
		return err
	}
	after := r.pol.WithCase(m, before, points, r.day)
	p.AnsweredAt, p.AnsweredBy = r.now, r.req.Caller
	c.Proposal = 0
	d := data("P", p, "Ref", c.Ref, "Name", m.Name, "Person", m.Person, "Before", before, "After", after, "Reason", reason,
		"Transfer", p.Kind == domain.ProposeTransfer, "From", p.From, "FromName", r.name(p.From))
	var text string
	if accept {
		if r.pol.NeedsOverride(after) && p.Override == nil {
			return r.acceptRefused(p, c, m, after)
		}
		p.Status = domain.ProposalAccepted
		if p.Kind == domain.ProposeTransfer {
			if c.Holder != p.From {
				return domain.Errorf(domain.ECONFLICT, "%s", r.say("error.proposal_stale", "Ref", p.Ref))
			}
			c.PrevHolders = append(c.PrevHolders, c.Holder)
		}
		c.Status, c.Holder, c.AllocatedAt = domain.CaseAllocated, p.To, r.now
		c.Override = nil
		if p.Override != nil {
			o := *p.Override
			o.Percent = after.Percent
			c.Override = &o
		}
		if err := r.audit("allocate.accept", c.Ref, string(p.From), string(p.To), pctChange(before, after)); err != nil {
			return err
		}
		text = r.e.prompts.Say("accept.done", d)
		if p.Kind == domain.ProposeTransfer {
			if err := r.tellTransfer(p, c, points, d); err != nil {
				return err
			}
		}
	} else {
		if strings.TrimSpace(reason) == "" {
			return &usageError{usage: "usage.allocate.decline", reason: r.say("decline.ask", "Ref", c.Ref)}
		}
		p.Status, p.Answer = domain.ProposalDeclined, reason
		if p.Kind == domain.ProposeAllocate {
			c.Status = domain.CaseQueued // back in the queue, keeping its waiting time
		}
		// The reason may be about the practitioner's health: it stays on the
		// proposal and goes privately to those who must act on it; the
		// audit log, the minutes and the channel only hear that one was given.
		if err := r.audit("allocate.decline", c.Ref, string(p.To), "", ""); err != nil {
			return err
		}
		if err := r.tellDeclineReason(p, c, d); err != nil {
			return err
		}
		text = r.e.prompts.Say("decline.done", d)
	}
	if err := r.tx.PutProposal(p); err != nil {
		return err
	}
	if err := r.tx.PutCase(c); err != nil {
		return err
	}
	msg := domain.Message{Title: r.e.prompts.Say("answer.title", d), Text: text, RAG: after.RAG}
	if !accept {
		msg.RAG = ""
	}
	if button {
		msg.Replace = true
		msg.Audience = domain.ToChannel
		r.reply = append(r.reply, msg)
	} else {
		r.toChannel(msg)
	}
	return nil
}

// tellTransfer tells both holders privately that the case changed hands.
func (r *run) tellTransfer(p *domain.Proposal, c *domain.Case, points float64, d map[string]any) error {
	if om := r.member(p.From); om != nil {
		ob, err := r.workload(om)
		if err != nil {
			return err
		}
		d["FromBefore"], d["FromAfter"] = ob, r.pol.WithoutCase(om, ob, points, r.day)
		if err := r.tell(p.From, "transfer", domain.Message{Text: r.e.prompts.Say("transfer.told_from", d)}); err != nil {
			return err
		}
	}
	return r.tell(p.To, "transfer", domain.Message{Text: r.e.prompts.Say("transfer.told_to", d)})
}

func (r *run) withdraw() error {
	if err := r.requireManager("withdraw"); err != nil {
		return err
	}
	c, p, err := r.caseProposal()
	if err != nil {
		return err
	}
	if p.Status != domain.ProposalPending {
		return domain.Errorf(domain.ECONFLICT, "%s", r.say("error.answered", "P", p, "ByName", r.name(p.AnsweredBy)))
	}
	if err := r.closeProposal(c, domain.ProposalWithdrawn); err != nil {
		return err
	}
	if p.Kind == domain.ProposeAllocate {
		c.Status = domain.CaseQueued
	}
	if err := r.tx.PutCase(c); err != nil {
		return err
	}
	if err := r.audit("allocate.withdraw", c.Ref, string(p.To), "", ""); err != nil {
		return err
	}
	r.toChannel(domain.Message{Text: r.say("withdraw.done", "Ref", c.Ref, "To", p.To, "Transfer", p.Kind == domain.ProposeTransfer)})
	return nil
}

// done posts the minutes: every decision since the meeting began.
func (r *run) done() error {
	if err := r.requireManager("done"); err != nil {
		return err
	}
	// Without a meeting running, the minutes are of everything decided
	// since the last minutes (or since the team was set up).
	since := r.team.MeetingStart
	meeting := !since.IsZero()
	if since.IsZero() {
		since = r.team.LastMinutes
	}
	if since.IsZero() {
		since = r.team.CreatedAt
	}
	log, err := r.tx.AuditLog(r.team.ID, since)
	if err != nil {
		return err
	}
	var lines []domain.Line
	for _, e := range log {
		if e.Action == "meeting.done" {
			lines = nil // decided before the last minutes, and in them
			continue
		}
		if !r.e.prompts.Has("minutes." + e.Action) {
			continue
		}
		lines = append(lines, domain.Line{Text: r.say("minutes."+e.Action, "E", e, "Who", r.name(e.Actor), "Subject", r.name(domain.PersonID(e.After)))})
	}
	if len(lines) == 0 {
		lines = append(lines, domain.Line{Text: r.say("minutes.none")})
	}
	board, _, err := r.boardMessage()
	if err != nil {
		return err
	}
	r.team.MeetingStart, r.team.LastMinutes = zeroTime, r.now
	if err := r.tx.PutTeam(r.team); err != nil {
		return err
	}
	if err := r.audit("meeting.done", r.team.ID, "", "", strconv.Itoa(len(lines))); err != nil {
		return err
	}
	r.toChannel(domain.Message{
		Title:    r.say("minutes.title", "Team", r.team.Name, "Since", since, "Now", r.now, "Meeting", meeting),
		Sections: append([]domain.Section{{Title: r.say("minutes.decisions"), Lines: lines}}, board.Sections...),
		Fields:   board.Fields,
	})
	return nil
}

// caseProposal is the command's case and the proposal it is waiting on.
func (r *run) caseProposal() (*domain.Case, *domain.Proposal, error) {
	c, err := r.findCase(r.c.ref)
	if err != nil {
		return nil, nil, err
	}
	if c.Proposal == 0 {
		return nil, nil, domain.Errorf(domain.ENOTFOUND, "%s", r.say("error.no_proposal", "Ref", c.Ref))
	}
	p, err := r.proposal(c.Proposal)
	return c, p, err
}
