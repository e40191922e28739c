package engine

import (
	"slices"

	"github.com/safeload/safeload/internal/domain"
)

// Moving a case to another team. A case nobody holds goes to the receiving
// team's queue at once. A held case stays in its holder's caseload, and in
// the first team's figures, until the receiving team allocates it: it waits
// at the top of that team's queue, listed on the team (Team.Incoming), and
// arrives (the record moves) when a manager there proposes it to someone.

func (r *run) caseMove() error {
	c, err := r.managedCase("case_move")
	if err != nil {
		return err
	}
	if !c.Open() {
		return domain.Errorf(domain.ECONFLICT, "%s", r.say("error.case_closed", "Ref", c.Ref))
	}
	to, err := r.tx.Team(r.c.tl.word)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return domain.Errorf(domain.ENOTFOUND, "%s", r.say("teamlife.no_team", "ID", r.c.tl.word))
	} else if err != nil {
		return err
	}
	if to.ID == r.team.ID {
		return &usageError{usage: r.c.usage, reason: r.say("teamlife.same_team")}
	}
	if c.MoveTo != "" {
		return domain.Errorf(domain.ECONFLICT, "%s", r.say("teamlife.move_pending", "Ref", c.Ref, "To", r.teamName(c.MoveTo)))
	}
	toPol := r.e.policy.ForTeam(to)
	if !toPol.IsCaseType(c.Type) {
		return domain.Errorf(domain.ECONFLICT, "%s", r.say("teamlife.move_type", "Ref", c.Ref, "Type", c.Type, "Team", to.Name))
	}
	if err := r.closeProposal(c, domain.ProposalWithdrawn); err != nil {
		return err
	}
	if c.Status == domain.CaseProposed {
		c.Status = domain.CaseQueued
	}
	from := r.team
	holder := domain.PersonID("")
	if c.Status == domain.CaseAllocated {
		holder = c.Holder
	}
	reason := domain.Clip(r.c.text, 300)
	if err := r.audit("case.move_out", c.Ref, from.ID, to.ID, reason); err != nil {
		return err
	}
	if err := r.tx.Audit(&domain.AuditEntry{Actor: r.req.Caller, Team: to.ID, Action: "case.move_in", Subject: c.Ref,
		Before: from.ID, After: to.ID, Detail: reason}); err != nil {
		return err
	}
	c.MoveReason, c.MovedAt = reason, r.now
	if holder == "" {
		if err := r.arrive(c, to, toPol); err != nil {
			return err
		}
	} else {
		c.MoveTo = to.ID
		if err := r.tx.PutCase(c); err != nil {
			return err
		}
		to.Incoming = append(slices.DeleteFunc(to.Incoming, func(ref string) bool { return ref == c.Ref }), c.Ref)
		if err := r.tx.PutTeam(to); err != nil {
			return err
		}
	}
	d := data("C", c, "From", from.Name, "To", to.Name, "By", r.req.Caller, "ByName", r.name(r.req.Caller),
		"Holder", holder, "HolderName", r.name(holder), "Points", toPol.Points(c))
	tell, err := r.receivers(to)
	if err != nil {
		return err
	}
	for _, p := range tell {
		if err := r.tell(p, kindTeamlife, domain.Message{Title: r.e.prompts.Say("teamlife.move_in_title", d), Text: r.e.prompts.Say("teamlife.move_in", d)}); err != nil {
			return err
		}
	}
	if holder != "" && holder != r.req.Caller {
		if err := r.tell(holder, kindTeamlife, domain.Message{Text: r.e.prompts.Say("teamlife.move_holder", d)}); err != nil {
			return err
		}
	}
	d["Told"] = len(tell)
	r.toChannel(domain.Message{Text: r.e.prompts.Say("teamlife.moved", d)})
	return nil
}

// arrive moves case c into team to's queue: out of its holder's caseload
// and its first team's figures, at the top of the queue with its reason.
func (r *run) arrive(c *domain.Case, to *domain.Team, toPol *domain.Policy) error {
	from := c.Team
	if c.Status == domain.CaseAllocated && c.Holder != "" {
		if !c.HeldBefore(c.Holder) {
			c.PrevHolders = append(c.PrevHolders, c.Holder)
		}
		if err := r.tx.Audit(&domain.AuditEntry{Actor: r.req.Caller, Team: from, Action: "case.handed_over", Subject: c.Ref,
			Before: string(c.Holder), After: to.ID, Detail: c.MoveReason}); err != nil {
			return err
		}
	}
	c.Factors = keepKnown(c.Factors, toPol)
	c.Team, c.Status, c.Holder, c.Override, c.QueuedSince = to.ID, domain.CaseQueued, "", nil, r.now
	c.MovedFrom, c.MoveTo, c.MovedAt = from, "", r.now
	if err := r.tx.MoveCase(c, from); err != nil {
		return err
	}
	if slices.Contains(to.Incoming, c.Ref) {
		to.Incoming = slices.DeleteFunc(to.Incoming, func(ref string) bool { return ref == c.Ref })
		return r.tx.PutTeam(to)
	}
	return nil
}

// incoming is a held case on its way to this team, when ref is one: nil
// when it is not (or no longer: closed, or sent elsewhere since).
func (r *run) incoming(ref string) (*domain.Case, error) {
	if !slices.Contains(r.team.Incoming, ref) {
		return nil, nil
	}
	from, err := r.tx.CaseTeam(ref)
	if err != nil || from == r.team.ID {
		return nil, nil
	}
	c, err := r.tx.Case(from, ref)
	if err != nil {
		return nil, err
	}
	if !c.Open() || c.MoveTo != r.team.ID {
		return nil, nil
	}
	return c, nil
}

// incomingCase answers findCase for a case on its way here: a proposal
// brings it in; case show shows it where it is; anything else waits.
func (r *run) incomingCase(ref string) (*domain.Case, bool, error) {
	c, err := r.incoming(ref)
	if c == nil || err != nil {
		return nil, false, err
	}
	switch r.c.name {
	case "allocate.propose", "allocate.propose.override":
		return c, true, r.arrive(c, r.team, r.pol)
	case "case.show":
		return c, true, nil
	}
	return nil, true, domain.Errorf(domain.ECONFLICT, "%s", r.say("teamlife.move_waiting", "Ref", ref, "From", r.teamName(c.Team)))
}

// incomingLines are the queue's first lines: held cases on their way here.
func (r *run) incomingLines() ([]domain.Line, error) {
	var out []domain.Line
	for _, ref := range r.team.Incoming {
		c, err := r.incoming(ref)
		if err != nil {
			return nil, err
		}
		if c == nil {
			continue
		}
		out = append(out, domain.Line{Text: r.say("teamlife.queue_incoming", "C", c, "Desc", r.describe(c), "Points", r.pol.Points(c),
			"HighRisk", r.pol.IsHighRisk(c), "From", r.teamName(c.Team), "HolderName", r.name(c.Holder)), RAG: domain.Amber})
	}
	return out, nil
}

func (r *run) teamName(id string) string {
	if t, err := r.tx.Team(id); err == nil {
		return t.Name
	}
	return id
}

// receivers are who must hear of a case arriving in team t: its managers,
// else its service manager, else the admins.
func (r *run) receivers(t *domain.Team) ([]domain.PersonID, error) {
	ms, err := r.tx.Members(t.ID)
	if err != nil {
		return nil, err
	}
	var out []domain.PersonID
	for _, m := range ms {
		if m.Role == domain.RoleManager {
			out = append(out, m.Person)
		}
	}
	if len(out) == 0 && t.ServiceManager != "" {
		out = []domain.PersonID{t.ServiceManager}
	}
	if len(out) == 0 {
		out = r.e.adminList()
	}
	return out, nil
}

// keepKnown drops the factors the receiving team's policy does not know.
func keepKnown(factors []string, p *domain.Policy) []string {
	var out []string
	for _, f := range factors {
		if p.IsFactor(f) {
			out = append(out, f)
		}
	}
	return out
}

// movedNote is the line a queued case that came from another team carries.
func (r *run) movedNote(c *domain.Case) string {
	if c.MovedFrom == "" || c.Status != domain.CaseQueued {
		return ""
	}
	from := c.MovedFrom
	if t, err := r.tx.Team(from); err == nil {
		from = t.Name
	}
	return "\n" + r.say("teamlife.queue_moved", "From", from, "C", c)
}

// caseLog is the audit log a case's history is read from: its team's, after
// the team it was moved from's, so the history runs on across the move.
func (r *run) caseLog(c *domain.Case) ([]*domain.AuditEntry, error) {
	log, err := r.tx.AuditLog(r.team.ID, zeroTime)
	if err != nil || c.MovedFrom == "" {
		return log, err
	}
	before, err := r.tx.AuditLog(c.MovedFrom, zeroTime)
	if err != nil {
		return nil, err
	}
	var out []*domain.AuditEntry
	for _, e := range before {
		// The move itself is told once, by the receiving team's entry.
		if e.Subject == c.Ref && !e.At.After(c.MovedAt) && e.Action != "case.move_out" {
			out = append(out, e)
		}
	}
	return append(out, log...), nil
}
