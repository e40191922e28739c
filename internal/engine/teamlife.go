package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/safeload/safeload/internal/domain"
)

// Team life: reductions and leave, leavers and vacancies, the team's policy,
// caseload reviews in supervision, and cases moving between teams.

// kindTeamlife is the outbox kind of the notes these commands send.
const kindTeamlife = "teamlife"

// teamlife runs the team-life commands; ok is false for any other.
func (r *run) teamlife() (ok bool, err error) {
	switch r.c.name {
	case "caseload.reduction":
		return true, r.reduction()
	case "caseload.reduction.end":
		return true, r.reductionEnd()
	case "caseload.leave":
		return true, r.leave()
	case "caseload.back":
		return true, r.back()
	case "caseload.remove":
		return true, r.removeMember()
	case "caseload.posts":
		return true, r.posts()
	case "caseload.policy":
		return true, r.policyCmd()
	case "caseload.review":
		return true, r.caseloadReview()
	case "case.move":
		return true, r.caseMove()
	}
	return false, nil
}

// setTeam makes t the request's team and its policy the one in force.
func (r *run) setTeam(t *domain.Team) {
	r.team = t
	r.pol = r.e.policy.ForTeam(t)
}

// carrier is the command's person as a case-carrying member of the team.
func (r *run) carrier() (*domain.Member, error) {
	m := r.member(r.c.person)
	if m == nil {
		return nil, domain.Errorf(domain.ENOTFOUND, "%s", r.say("error.not_in_team", "Person", r.c.person, "Team", r.team.Name))
	}
	if !m.Role.CarriesCases() {
		return nil, domain.Errorf(domain.EINVALID, "%s", r.say("teamlife.no_capacity", "Name", m.Name, "Role", m.Role.Label()))
	}
	return m, nil
}

// notFuture refuses an end date before today.
func (r *run) notPast(d domain.Date) error {
	if d != "" && d < r.day {
		return &usageError{usage: r.c.usage, reason: r.say("teamlife.date_past", "Date", d, "Today", r.day)}
	}
	return nil
}

// capacityChange stores a member whose reductions changed, writes the
// audit entry, answers the caller privately, tells the member, and tells
// the member and the managers when the change takes them past a threshold.
//
// red is the reduction that changed (nil when none is left to name), for
// the words that say why capacity fell.
func (r *run) capacityChange(m *domain.Member, before domain.Workload, action, after, detail, answer string, red *domain.Reduction) error {
	if err := r.tx.PutMember(m); err != nil {
		return err
	}
	now, err := r.workload(m)
	if err != nil {
		return err
	}
	if err := r.audit(action, string(m.Person), pctChange(before, before), pctChange(now, now)+" "+after, detail); err != nil {
		return err
	}
	d := data("Name", m.Name, "Person", m.Person, "Before", before, "After", now, "Team", r.team.Name, "Answer", answer)
	r.toCaller(domain.Message{Text: r.e.prompts.Say("teamlife.capacity_changed", d), RAG: now.RAG})
	if r.pol.NeedsOverride(now) && (!r.pol.NeedsOverride(before) || worseThan(now.RAG, before.RAG)) {
		// Over the override level: the safeguard for any fall in capacity
		// tells the holder and the managers and asks the managers for a reason.
		if err := r.capacityFell(m, before, now, r.say("teamlife.why."+action, "R", red)); err != nil {
			return err
		}
		r.toCaller(domain.Message{Text: r.e.prompts.Say("teamlife.threshold", d), RAG: now.RAG})
		return nil
	}
	if r.crossed(before, now) {
		return r.thresholdNotice(m, before, now)
	}
	if m.Person != r.req.Caller {
		return r.tell(m.Person, kindTeamlife, domain.Message{Text: r.e.prompts.Say("teamlife.capacity_told", d), RAG: now.RAG})
	}
	return nil
}

// crossed reports whether a change of capacity took a load to the override
// level, or to a worse colour than before (other than green).
func (r *run) crossed(before, after domain.Workload) bool {
	over := r.pol.NeedsOverride(after) && !r.pol.NeedsOverride(before) && after.Load > 0
	return over || worseThan(after.RAG, before.RAG) && after.RAG != domain.Green
}

// thresholdNotice tells the member and the team's managers that a change of
// capacity took the member past a threshold; the caller sees it in the
// answer.
func (r *run) thresholdNotice(m *domain.Member, before, after domain.Workload) error {
	d := data("Name", m.Name, "Person", m.Person, "Before", before, "After", after, "Team", r.team.Name)
	note := domain.Message{Title: r.e.prompts.Say("teamlife.threshold_title", d), Text: r.e.prompts.Say("teamlife.threshold", d), RAG: after.RAG}
	to, err := r.managers()
	if err != nil {
		return err
	}
	to = append(to, m.Person)
	told := map[domain.PersonID]bool{r.req.Caller: true}
	for _, p := range to {
		if told[p] {
			continue
		}
		told[p] = true
		if err := r.tell(p, kindTeamlife, note); err != nil {
			return err
		}
	}
	r.toCaller(note)
	return nil
}

func (r *run) reduction() error {
	if err := r.requireManager("reduction"); err != nil {
		return err
	}
	m, err := r.carrier()
	if err != nil {
		return err
	}
	if err := r.notPast(r.c.tl.until); err != nil {
		return err
	}
	before, err := r.workload(m)
	if err != nil {
		return err
	}
	red := domain.Reduction{Reason: domain.Clip(r.c.text, 200), Percent: r.c.tl.percent, Until: r.c.tl.until}
	m.Reductions = append(m.Reductions, red)
	answer := r.say("teamlife.reduction_added", "N", len(m.Reductions), "R", red, "Person", m.Person)
	return r.capacityChange(m, before, "member.reduction", fmt.Sprintf("%g%% until %s", red.Percent, orOpen(red.Until)), red.Reason, answer, &red)
}

func orOpen(d domain.Date) string {
	if d == "" {
		return "open"
	}
	return string(d)
}

func (r *run) reductionEnd() error {
	if err := r.requireManager("reduction"); err != nil {
		return err
	}
	m, err := r.carrier()
	if err != nil {
		return err
	}
	n := int(r.c.id)
	if n > len(m.Reductions) || !r.current(m.Reductions[n-1]) {
		return domain.Errorf(domain.ENOTFOUND, "%s", r.say("teamlife.no_reduction", "N", n, "Name", m.Name, "List", r.reductionList(m, true)))
	}
	before, err := r.workload(m)
	if err != nil {
		return err
	}
	red := &m.Reductions[n-1]
	red.Until = r.day.AddDays(-1) // active up to and including its end: it no longer counts today
	answer := r.say("teamlife.reduction_ended", "N", n, "R", *red)
	return r.capacityChange(m, before, "member.reduction_end", fmt.Sprintf("#%d ended", n), red.Reason, answer, red)
}

// current reports whether a reduction counts today or will later.
func (r *run) current(red domain.Reduction) bool { return red.Until == "" || red.Until >= r.day }

// reductionList numbers the member's current reductions as /caseload
// reduction … end N wants them; notes only for managers.
func (r *run) reductionList(m *domain.Member, manager bool) string {
	var lines []string
	for i, red := range m.Reductions {
		if r.current(red) {
			lines = append(lines, r.say("teamlife.reduction_line", "N", i+1, "R", red, "Active", red.ActiveOn(r.day), "Manager", manager))
		}
	}
	if len(lines) == 0 {
		return r.say("teamlife.no_reductions")
	}
	return strings.Join(lines, "\n")
}

// onLeave is the index of the member's leave that counts today, or -1.
func (r *run) onLeave(m *domain.Member) int {
	for i, red := range m.Reductions {
		if red.Leave && red.ActiveOn(r.day) {
			return i
		}
	}
	return -1
}

func (r *run) leave() error {
	if err := r.requireManager("leave"); err != nil {
		return err
	}
	m, err := r.carrier()
	if err != nil {
		return err
	}
	if err := r.notPast(r.c.tl.until); err != nil {
		return err
	}
	if r.onLeave(m) >= 0 {
		return domain.Errorf(domain.ECONFLICT, "%s", r.say("teamlife.already_on_leave", "Name", m.Name, "Person", m.Person))
	}
	before, err := r.workload(m)
	if err != nil {
		return err
	}
	red := domain.Reduction{Reason: "leave", Percent: 100, Until: r.c.tl.until, Leave: true, Note: domain.Clip(r.c.text, 300)}
	m.Reductions = append(m.Reductions, red)
	answer := r.say("teamlife.leave_added", "R", red, "Person", m.Person, "Cases", before.Cases)
	// The note stays between managers: neither the audit log nor the member sees it.
	return r.capacityChange(m, before, "member.leave", "until "+orOpen(red.Until), "", answer, &red)
}

func (r *run) back() error {
	if err := r.requireManager("leave"); err != nil {
		return err
	}
	m, err := r.carrier()
	if err != nil {
		return err
	}
	i := r.onLeave(m)
	if i < 0 {
		return domain.Errorf(domain.ECONFLICT, "%s", r.say("teamlife.not_on_leave", "Name", m.Name))
	}
	if err := r.notPast(r.c.tl.until); err != nil {
		return err
	}
	before, err := r.workload(m)
	if err != nil {
		return err
	}
	for j := range m.Reductions {
		if m.Reductions[j].Leave && m.Reductions[j].ActiveOn(r.day) {
			m.Reductions[j].Until = r.day.AddDays(-1)
		}
	}
	detail := "back"
	var phased *domain.Reduction
	if r.c.tl.percent > 0 {
		m.Reductions = append(m.Reductions, domain.Reduction{Reason: "phased return", Percent: r.c.tl.percent, Until: r.c.tl.until, From: r.day})
		phased = &m.Reductions[len(m.Reductions)-1]
		detail = fmt.Sprintf("phased %g%% until %s", phased.Percent, phased.Until)
	}
	answer := r.say("teamlife.back", "Phased", phased, "N", len(m.Reductions))
	return r.capacityChange(m, before, "member.back", detail, "", answer, phased)
}

func (r *run) removeMember() error {
	if err := r.requireManager("remove"); err != nil {
		return err
	}
	m := r.member(r.c.person)
	if m == nil {
		return domain.Errorf(domain.ENOTFOUND, "%s", r.say("error.not_in_team", "Person", r.c.person, "Team", r.team.Name))
	}
	if m.Role == domain.RoleAdmin && !r.isAdmin(r.req.Caller) {
		return r.requireAdmin("remove_admin")
	}
	cs, err := r.cases()
	if err != nil {
		return err
	}
	var held []string
	for _, c := range cs {
		if c.Status == domain.CaseAllocated && c.Holder == m.Person || c.Status == domain.CaseProposed && r.proposedTo(c) == m.Person {
			held = append(held, c.Ref)
		}
	}
	if len(held) > 0 {
		return domain.Errorf(domain.ECONFLICT, "%s", r.say("teamlife.remove_holds", "Name", m.Name, "Refs", held, "Person", m.Person))
	}
	ms, err := r.tx.Members(r.team.ID)
	if err != nil {
		return err
	}
	was := r.pol.Staffing(r.team, ms)
	if err := r.tx.DeleteMember(r.team.ID, m.Person); err != nil {
		return err
	}
	if p, err := r.tx.Person(m.Person); err != nil || p.Name == "" {
		// Keep the name for the history the leaver leaves behind.
		if err := r.tx.PutPerson(&domain.Person{ID: m.Person, Name: m.Name}); err != nil {
			return err
		}
	}
	if err := r.audit("member.remove", string(m.Person), fmt.Sprintf("%s fte=%g", m.Role, m.FTE), "left", m.Name); err != nil {
		return err
	}
	ms, err = r.tx.Members(r.team.ID)
	if err != nil {
		return err
	}
	now := r.pol.Staffing(r.team, ms)
	r.toChannel(domain.Message{Text: r.say("teamlife.removed", "Name", m.Name, "Team", r.team.Name, "S", now)})
	return r.vacancyAlert(was, now)
}

func (r *run) posts() error {
	if err := r.requireManager("posts"); err != nil {
		return err
	}
	ms, err := r.tx.Members(r.team.ID)
	if err != nil {
		return err
	}
	was := r.pol.Staffing(r.team, ms)
	before := r.team.Posts
	r.team.Posts = r.c.fte
	if err := r.tx.PutTeam(r.team); err != nil {
		return err
	}
	if err := r.audit("team.posts", r.team.ID, strconv.FormatFloat(before, 'f', -1, 64), strconv.FormatFloat(r.c.fte, 'f', -1, 64), ""); err != nil {
		return err
	}
	now := r.pol.Staffing(r.team, ms)
	r.toChannel(domain.Message{Text: r.say("teamlife.posts", "S", now, "Team", r.team.Name, "Level", r.pol.VacancyAlertPercent)})
	return r.vacancyAlert(was, now)
}

// vacancyAlert tells the service manager (else the admins) when the
// team's vacancy rate reaches the policy's level.
func (r *run) vacancyAlert(was, now domain.Staffing) error {
	if !now.Alert || was.Alert && was.Known() {
		return nil
	}
	to := []domain.PersonID{r.team.ServiceManager}
	if r.team.ServiceManager == "" {
		to = r.e.adminList()
	}
	d := data("S", now, "Team", r.team.Name, "Level", r.pol.VacancyAlertPercent)
	for _, p := range to {
		if err := r.tell(p, kindTeamlife, domain.Message{Title: r.e.prompts.Say("teamlife.vacancy_title", d), Text: r.e.prompts.Say("teamlife.vacancy_alert", d), RAG: domain.Red}); err != nil {
			return err
		}
	}
	return r.audit("team.vacancy_alert", r.team.ID, "", fmt.Sprintf("%.1f%%", now.Percent), "")
}

func (r *run) policyCmd() error {
	if r.c.tl.word == "" {
		if err := r.requireSeer(); err != nil {
			return err
		}
		r.toCaller(r.policyMessage(r.pol))
		return nil
	}
	if err := r.requireAdmin("policy"); err != nil {
		return err
	}
	next, ok := r.e.policy.Lookup(r.c.tl.word)
	if !ok {
		return domain.Errorf(domain.ENOTFOUND, "%s", r.say("teamlife.no_policy", "Name", r.c.tl.word, "Known", strings.Join(r.e.policy.Names(), ", ")))
	}
	if next == r.pol {
		return domain.Errorf(domain.ECONFLICT, "%s", r.say("teamlife.same_policy", "Name", next.Name, "Team", r.team.Name))
	}
	ms, err := r.tx.Members(r.team.ID)
	if err != nil {
		return err
	}
	cs, err := r.cases()
	if err != nil {
		return err
	}
	for _, c := range cs {
		if !next.IsCaseType(c.Type) {
			return domain.Errorf(domain.ECONFLICT, "%s", r.say("teamlife.policy_type", "Name", next.Name, "Ref", c.Ref, "Type", c.Type))
		}
		for _, f := range c.Factors {
			if !next.IsFactor(f) {
				return domain.Errorf(domain.ECONFLICT, "%s", r.say("teamlife.policy_factor", "Name", next.Name, "Ref", c.Ref, "Factor", f))
			}
		}
	}
	before := r.pol.Summarise(ms, cs, r.day)
	old := r.pol.Name
	r.team.Policy, r.team.PolicySince = next.Name, r.now
	if err := r.tx.PutTeam(r.team); err != nil {
		return err
	}
	r.pol = next
	after := r.pol.Summarise(ms, cs, r.day)
	if err := r.audit("team.policy", r.team.ID, old, next.Name, fmt.Sprintf("team load %.1f%% -> %.1f%%", before.Percent, after.Percent)); err != nil {
		return err
	}
	r.toChannel(domain.Message{Text: r.say("teamlife.policy_switched", "Old", old, "New", next.Name, "Team", r.team.Name, "Before", before, "After", after)})
	return nil
}

// policyMessage is the policy in plain words: the benchmark, the case types
// and factors with their points, the RAG bands and the deadlines.
func (r *run) policyMessage(p *domain.Policy) domain.Message {
	var types, factors []domain.Line
	for _, t := range p.TypeNames() {
		types = append(types, domain.Line{Text: r.say("teamlife.policy_type_line", "Name", t, "T", p.CaseTypes[t], "HighRisk", contains(p.HighRiskTypes, t))})
	}
	for _, f := range p.FactorNames() {
		factors = append(factors, domain.Line{Text: r.say("teamlife.policy_factor_line", "Name", f, "Points", p.Factors[f], "HighRisk", contains(p.HighRiskFactors, f))})
	}
	factors = append(factors, domain.Line{Text: r.say("teamlife.policy_children", "P", p)})
	return domain.Message{
		Title: r.say("teamlife.policy_title", "P", p, "Team", r.team.Name),
		Text:  r.say("teamlife.policy_text", "P", p, "Since", r.team.PolicySince),
		Sections: []domain.Section{
			{Title: r.say("teamlife.policy_types"), Lines: types},
			{Title: r.say("teamlife.policy_factors"), Lines: factors},
			{Title: r.say("teamlife.policy_bands"), Lines: []domain.Line{{Text: r.say("teamlife.policy_bands_text", "P", p)}}},
			{Title: r.say("teamlife.policy_deadlines"), Lines: []domain.Line{{Text: r.say("teamlife.policy_deadlines_text", "P", p)}}},
		},
	}
}

func (r *run) caseloadReview() error {
	if err := r.requireManager("review"); err != nil {
		return err
	}
	m, err := r.carrier()
	if err != nil {
		return err
	}
	w, err := r.workload(m)
	if err != nil {
		return err
	}
	rv := &domain.Review{Team: r.team.ID, Person: m.Person, By: r.req.Caller, At: r.now, Day: r.day,
		Outcome: domain.ReviewOutcome(r.c.tl.word), Note: domain.Clip(r.c.text, 500), Workload: w}
	if err := r.tx.AddReview(rv); err != nil {
		return err
	}
	if err := r.audit("member.review", string(m.Person), "", string(rv.Outcome), pctChange(w, w)); err != nil {
		return err
	}
	cs, err := r.cases()
	if err != nil {
		return err
	}
	var refs []string
	for _, c := range cs {
		if c.Holder == m.Person && c.Status == domain.CaseAllocated {
			refs = append(refs, c.Ref)
		}
	}
	r.toCaller(domain.Message{Text: r.say("teamlife.reviewed", "Name", m.Name, "Person", m.Person, "R", rv, "W", w,
		"Next", r.pol.ReviewDue(m, rv, r.e.loc), "Refs", refs), RAG: w.RAG})
	return nil
}

// lastReview is the member's latest caseload review in the team, or nil.
func (r *run) lastReview(p domain.PersonID) (*domain.Review, error) {
	rs, err := r.tx.Reviews(r.team.ID)
	if err != nil {
		return nil, err
	}
	return domain.LastReviews(rs)[p], nil
}

// reviewSection is the "last review" part of /capacity.
func (r *run) reviewSection(m *domain.Member, manager bool) (domain.Section, error) {
	last, err := r.lastReview(m.Person)
	if err != nil {
		return domain.Section{}, err
	}
	due := r.pol.ReviewDue(m, last, r.e.loc)
	return domain.Section{Title: r.say("teamlife.review_section"), Lines: []domain.Line{{Text: r.reviewText(
		last, r.reviewer(last), due, due != "" && due < r.day, manager)}}}, nil
}

func (r *run) reviewer(rv *domain.Review) string {
	if rv == nil {
		return ""
	}
	return r.name(rv.By)
}

// hoursDay checks the day extra hours are logged for: today or an earlier
// day of this week or last week.
func (r *run) hoursDay() error {
	d := r.c.tl.date
	if d == "" {
		return nil
	}
	earliest := domain.DateOf(domain.WeekStart(r.now, r.e.loc)).AddDays(-7)
	if d > r.day || d < earliest {
		return &usageError{usage: r.c.usage, reason: r.say("teamlife.hours_day", "Date", d, "Earliest", earliest, "Today", r.day)}
	}
	return nil
}

// staffingFields are the board's posts and vacancies and the team's policy.
func (r *run) staffingFields(ms []*domain.Member) []domain.Field {
	s := r.pol.Staffing(r.team, ms)
	return []domain.Field{
		{Name: r.say("teamlife.f.staffing"), Value: r.say("teamlife.v.staffing", "S", s)},
		{Name: r.say("teamlife.f.policy"), Value: r.say("teamlife.v.policy", "Name", r.pol.Name, "Since", r.team.PolicySince)},
	}
}
