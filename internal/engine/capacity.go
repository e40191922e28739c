package engine

import (
	"time"

	"strconv"

	"github.com/safeload/safeload/internal/domain"
)

// capacityShow is one member's load, RAG, cases, open concerns, overrides
// and extra hours: their own, or (for managers) anyone's in the team.
func (r *run) capacityShow(who domain.PersonID, managerView bool) error {
	if managerView {
		if who != r.req.Caller {
			if err := r.requireManager("capacity_member"); err != nil {
				return err
			}
		}
	} else if err := r.requireSeer(); err != nil {
		return err
	}
	m := r.member(who)
	if m == nil {
		if managerView {
			return domain.Errorf(domain.ENOTFOUND, "%s", r.say("error.not_in_team", "Person", who, "Team", r.team.Name))
		}
		return domain.Errorf(domain.EFORBIDDEN, "%s", r.say("refuse.not_member", "Team", r.team.Name))
	}
	self := who == r.req.Caller
	if !m.Role.CarriesCases() {
		msg := domain.Message{Text: r.say("capacity.no_cases", "Name", m.Name, "Role", m.Role.Label(), "Self", self)}
		if m.Role == domain.RoleStudent {
			lines, err := r.involvedLines(who)
			if err != nil {
				return err
			}
			msg.Sections = []domain.Section{{Title: r.say("capacity.involved_title", "Count", len(lines)), Lines: lines}}
			if len(lines) == 0 {
				msg.Sections[0].Lines = []domain.Line{{Text: r.say("capacity.no_involved")}}
			}
		}
		r.toCaller(msg)
		return nil
	}
	cs, err := r.tx.HeldCases(r.team.ID, who)
	if err != nil {
		return err
	}
	w := r.pol.Workload(m, cs, r.day)
	var caseLines, overrideLines []domain.Line
	for _, c := range cs {
		if c.Holder != who || c.Status != domain.CaseAllocated {
			continue
		}
		caseLines = append(caseLines, domain.Line{Text: r.caseLine(c)})
		if c.Override != nil && !c.Override.Reviewed {
			overrideLines = append(overrideLines, domain.Line{Text: r.say("capacity.override", "C", c, "O", c.Override, "ByName", r.name(c.Override.By), "Due", string(c.Override.ReviewOn) <= string(r.day))})
		}
	}
	if len(caseLines) == 0 {
		caseLines = append(caseLines, domain.Line{Text: r.say("capacity.no_held")})
	}
	concerns, err := r.tx.OpenConcernsBy(r.team.ID, who)
	if err != nil {
		return err
	}
	var concernLines []domain.Line
	for _, c := range concerns {
		concernLines = append(concernLines, domain.Line{Text: r.say("capacity.concern_line", "C", c, "Now", r.now, "AckName", r.name(c.AckBy))})
	}
	hours, err := r.weekHours(who)
	if err != nil {
		return err
	}
	var reductions []domain.Line
	for i, red := range m.Reductions {
		if r.current(red) {
			reductions = append(reductions, domain.Line{Text: r.say("teamlife.reduction_line", "N", i+1, "R", red, "Active", red.ActiveOn(r.day), "Manager", !self)})
		}
	}
	sections := []domain.Section{{Title: r.say("capacity.cases_title", "Count", w.Cases), Lines: caseLines}}
	if len(reductions) > 0 {
		sections = append(sections, domain.Section{Title: r.say("capacity.reductions_title"), Lines: reductions})
	}
	if len(overrideLines) > 0 {
		sections = append(sections, domain.Section{Title: r.say("capacity.overrides_title"), Lines: overrideLines})
	}
	if len(concernLines) > 0 {
		sections = append(sections, domain.Section{Title: r.say("capacity.concerns_title"), Lines: concernLines})
	}
	review, err := r.reviewSection(m, !self)
	if err != nil {
		return err
	}
	sections = append(sections, review)
	r.toCaller(domain.Message{
		Title:    r.say("capacity.title", "Name", m.Name, "Self", self),
		Text:     r.capacityText(w, self, hours),
		RAG:      w.RAG,
		Sections: sections,
	})
	return nil
}

// weekHours sums the extra hours p logged in the last 7 days, the window
// the digest reports too.
func (r *run) weekHours(p domain.PersonID) (float64, error) {
	return r.tx.HoursTotal(r.team.ID, p, r.now.AddDate(0, 0, -7))
}

// concern records a capacity concern with a snapshot of the load and tells
// every manager privately, with an Acknowledge button.
func (r *run) concern() error {
	if m := r.member(r.req.Caller); m != nil && m.Role == domain.RoleManager {
		return r.teamConcern()
	}
	m, err := r.requireCarrier("concern")
	if err != nil {
		return err
	}
	w, err := r.workload(m)
	if err != nil {
		return err
	}
	c := &domain.Concern{Team: r.team.ID, By: m.Person, Text: r.c.text, RaisedAt: r.now, Snapshot: w}
	if err := r.tx.PutConcern(c); err != nil {
		return err
	}
	if err := r.audit("concern.raise", strconv.FormatUint(c.ID, 10), "", pctChange(w, w), ""); err != nil {
		return err
	}
	due := r.pol.AckDeadline(r.now, r.e.AckWithin, r.e.loc)
	mgrs, err := r.managers()
	if err != nil {
		return err
	}
	// With no team manager, the service manager (or the admins) must hear at once.
	if len(mgrs) == 0 {
		if r.team.ServiceManager != "" {
			mgrs = []domain.PersonID{r.team.ServiceManager}
		} else {
			mgrs = r.e.adminList()
		}
	}
	d := data("C", c, "Name", m.Name, "Person", m.Person, "W", w, "Due", due.In(r.e.loc), "Team", r.team.Name)
	note := domain.Message{
		Title:   r.e.prompts.Say("concern.managers_title", d),
		Text:    r.e.prompts.Say("concern.managers_text", d),
		RAG:     w.RAG,
		Buttons: []domain.Button{{Label: r.say("button.ack"), ActionID: "ack:" + strconv.FormatUint(c.ID, 10), Style: domain.ButtonPrimary}},
	}
	for _, p := range mgrs {
		if err := r.tell(p, "concern", note); err != nil {
			return err
		}
	}
	d["Told"] = len(mgrs)
	r.toCaller(domain.Message{Title: r.e.prompts.Say("concern.raised_title", d), Text: r.e.prompts.Say("concern.raised_text", d), RAG: w.RAG})
	return nil
}

func (e *Engine) adminList() []domain.PersonID {
	var out []domain.PersonID
	for a := range e.admins {
		out = append(out, a)
	}
	sortPeople(out)
	return out
}

// namedConcern is the concern the command names, with its team in use; a
// concern that does not exist is ENOTFOUND, said plainly.
func (r *run) namedConcern() (*domain.Concern, error) {
	c, err := r.tx.Concern(r.c.id)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return nil, domain.Errorf(domain.ENOTFOUND, "%s", r.say("error.no_such_concern", "ID", r.c.id))
	} else if err != nil {
		return nil, err
	}
	if err := r.useTeam(c.Team); err != nil {
		return nil, err
	}
	return c, nil
}

// concernAction acknowledges, plans or resolves a concern (managers of the
// concern's team, its service manager, admins).
func (r *run) concernAction(verb string) error {
	c, err := r.namedConcern()
	if err != nil {
		return err
	}
	if err := r.requireManager("concern_" + verb); err != nil {
		return err
	}
	if c.Resolved() {
		return domain.Errorf(domain.ECONFLICT, "%s", r.say("error.concern_resolved", "C", c, "ByName", r.name(c.ResolvedBy)))
	}
	d := data("C", c, "Who", r.req.Caller, "WhoName", r.name(r.req.Caller), "Name", r.name(c.By), "Text", r.c.text)
	if c.TeamLevel && c.By == r.req.Caller && verb == "ack" {
		return domain.Errorf(domain.EFORBIDDEN, "%s", r.say("safeguard.own_team_concern", "C", c))
	}
	switch verb {
	case "ack":
		if c.Acknowledged() {
			return domain.Errorf(domain.ECONFLICT, "%s", r.say("error.concern_acked", "C", c, "ByName", r.name(c.AckBy)))
		}
		c.AckBy, c.AckAt = r.req.Caller, r.now
	case "plan":
		if !c.Acknowledged() {
			c.AckBy, c.AckAt = r.req.Caller, r.now
		}
		c.Plan, c.PlanBy, c.PlanAt = r.c.text, r.req.Caller, r.now
	case "resolve":
		if c.Plan == "" {
			return domain.Errorf(domain.ECONFLICT, "%s", r.say("error.concern_no_plan", "C", c))
		}
		c.ResolvedBy, c.ResolvedAt = r.req.Caller, r.now
	}
	if err := r.tx.PutConcern(c); err != nil {
		return err
	}
	detail := ""
	if verb == "plan" {
		detail = r.c.text
	}
	if err := r.audit("concern."+verb, strconv.FormatUint(c.ID, 10), "", string(c.By), detail); err != nil {
		return err
	}
	if c.By != r.req.Caller {
		if err := r.tell(c.By, "concern", domain.Message{Text: r.e.prompts.Say("concern.told_"+verb, d)}); err != nil {
			return err
		}
	}
	msg := domain.Message{Text: r.e.prompts.Say("concern.done_"+verb, d)}
	if r.c.action != "" {
		msg.Replace = true
		msg.Audience = domain.ToCaller
		r.reply = append(r.reply, msg)
	} else {
		r.toCaller(msg)
	}
	return nil
}

// hours logs additional hours worked beyond contract.
func (r *run) hours() error {
	m, err := r.requireCarrier("hours")
	if err != nil {
		return err
	}
	if err := r.hoursDay(); err != nil {
		return err
	}
	h := &domain.HoursEntry{Team: r.team.ID, By: m.Person, Hours: r.c.hours, Note: r.c.text, At: r.now}
	late := r.c.tl.date != "" && r.c.tl.date != r.day
	if late {
		h.At = r.c.tl.date.Time(r.e.loc).Add(12 * time.Hour) // an earlier day, logged late: counted on that day
	}
	// An entry logged now sorts last in the hours index, so the week's
	// total is read before it is written and the entry added to it: the
	// same sum, to the last bit, and the command writes only after all its
	// reads. It must, to be run speculatively: a speculative run bails when
	// it walks a bucket it has written, and HoursTotal walks the hours
	// index that AddHours writes. A late entry sorts among the others (or
	// before the week), so its total is read after the write, and such a
	// command falls back to the shared commit.
	var week float64
	if !late {
		if week, err = r.weekHours(m.Person); err != nil {
			return err
		}
		week += h.Hours
	}
	if err := r.tx.AddHours(h); err != nil {
		return err
	}
	if err := r.audit("hours.log", string(m.Person), "", strconv.FormatFloat(h.Hours, 'f', -1, 64), ""); err != nil {
		return err
	}
	if late {
		if week, err = r.weekHours(m.Person); err != nil {
			return err
		}
	}
	r.toCaller(domain.Message{Text: r.say("hours.done", "H", h, "Week", week)})
	return nil
}
