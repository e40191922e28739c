package engine

import (
	"fmt"
	"strings"

	"github.com/safeload/safeload/internal/domain"
)

// setup binds the channel to a new team (admins only).
func (r *run) setup() error {
	if err := r.requireAdmin("setup"); err != nil {
		return err
	}
	if t, err := r.tx.TeamByChannel(r.req.Channel); err == nil {
		return domain.Errorf(domain.ECONFLICT, "%s", r.say("error.channel_taken", "Team", t.Name))
	}
	name := strings.TrimSpace(r.c.text)
	base := slug(name)
	if base == "" {
		return &usageError{usage: "usage.caseload.setup", reason: r.say("error.team_name")}
	}
	id := base
	for i := 2; ; i++ {
		if _, err := r.tx.Team(id); domain.ErrorCode(err) == domain.ENOTFOUND {
			break
		} else if err != nil {
			return err
		}
		id = fmt.Sprintf("%s-%d", base, i)
	}
	r.team = &domain.Team{ID: id, Name: name, Channel: r.req.Channel, CreatedAt: r.now}
	if err := r.tx.PutTeam(r.team); err != nil {
		return err
	}
	if err := r.audit("team.setup", id, "", name, string(r.req.Channel)); err != nil {
		return err
	}
	r.toChannel(domain.Message{Title: r.say("setup.title", "Team", name), Text: r.say("setup.done", "Team", name, "ID", id)})
	return nil
}

// slug makes a team ID from its name: "North CIN" → "north-cin".
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	return strings.Trim(b.String(), "-")
}

func (r *run) addMember() error {
	role := r.c.role
	if role == domain.RoleAdmin || role == domain.RoleServiceManager {
		if err := r.requireAdmin("add_" + string(role)); err != nil {
			return err
		}
	} else if err := r.requireManager("add"); err != nil {
		return err
	} else if r.holdsAdminRole(r.c.person) {
		// A manager must not be able to take away rights only an admin grants.
		if err := r.requireAdmin("change_admin"); err != nil {
			return err
		}
	}
	if r.c.fteSet && !role.CarriesCases() {
		return &usageError{usage: r.c.usage, reason: r.say("error.fte_no_cases", "Role", role.Label())}
	}
	if r.c.tl.date != "" && role != domain.RoleASYE {
		return &usageError{usage: r.c.usage, reason: r.say("teamlife.started_asye")}
	}
	name := r.c.label
	if name == "" {
		name = r.name(r.c.person)
	}
	m := r.member(r.c.person)
	before := ""
	var was *domain.Member // the member before the change, for a carrier's capacity
	if m != nil && m.Role.CarriesCases() {
		old := *m
		was = &old
	}
	if m == nil {
		m = &domain.Member{Team: r.team.ID, Person: r.c.person, JoinedAt: r.now, FTE: 1}
	} else {
		before = fmt.Sprintf("%s fte=%g", m.Role, m.FTE)
		if !role.CarriesCases() && m.Role.CarriesCases() {
			if n, err := r.heldCount(m.Person); err != nil {
				return err
			} else if n > 0 {
				return domain.Errorf(domain.ECONFLICT, "%s", r.say("error.still_holds", "Name", m.Name, "Count", n, "Role", role.Label()))
			}
		}
	}
	if r.c.label != "" || m.Name == "" {
		m.Name = name
	}
	m.Role = role
	if role != domain.RoleASYE {
		m.ASYEStarted = ""
	} else if r.c.tl.date != "" {
		m.ASYEStarted = r.c.tl.date
	}
	if r.c.fteSet {
		m.FTE = r.c.fte
	} else if !role.CarriesCases() {
		m.FTE = 1
	}
	if err := r.tx.PutMember(m); err != nil {
		return err
	}
	if p, err := r.tx.Person(m.Person); err != nil || p.Name == "" {
		if err := r.tx.PutPerson(&domain.Person{ID: m.Person, Name: m.Name}); err != nil {
			return err
		}
	}
	after := fmt.Sprintf("%s fte=%g", m.Role, m.FTE)
	if m.ASYEStarted != "" {
		after += " started=" + string(m.ASYEStarted)
	}
	if err := r.audit("member.add", string(m.Person), before, after, m.Name); err != nil {
		return err
	}
	w, err := r.workload(m)
	if err != nil {
		return err
	}
	if was != nil && m.Role.CarriesCases() {
		wasW, err := r.workload(was)
		if err != nil {
			return err
		}
		if err := r.capacityFell(m, wasW, w, r.say("safeguard.why_fte", "From", was.FTE, "To", m.FTE, "Role", m.Role.Label(), "WasRole", was.Role.Label())); err != nil {
			return err
		}
	}
	r.toChannel(domain.Message{Text: r.say("add.done", "Name", m.Name, "Person", m.Person, "Role", role.Label(),
		"FTE", m.FTE, "Carries", role.CarriesCases(), "W", w, "Team", r.team.Name, "Updated", before != "")})
	return nil
}

// holdsAdminRole: p is an admin (anywhere, or bootstrap) or this team's
// service manager, roles only an admin may give or take.
func (r *run) holdsAdminRole(p domain.PersonID) bool {
	if r.isAdmin(p) || (r.team.ServiceManager != "" && r.team.ServiceManager == p) {
		return true
	}
	m := r.member(p)
	return m != nil && (m.Role == domain.RoleAdmin || m.Role == domain.RoleServiceManager)
}

func (r *run) heldCount(p domain.PersonID) (int, error) {
	cs, err := r.cases()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range cs {
		if c.Holder == p && c.Status == domain.CaseAllocated || c.Status == domain.CaseProposed && r.proposedTo(c) == p {
			n++
		}
	}
	return n, nil
}

func (r *run) proposedTo(c *domain.Case) domain.PersonID {
	if c.Proposal == 0 {
		return ""
	}
	p, err := r.proposal(c.Proposal)
	if err != nil {
		return ""
	}
	return p.To
}

func (r *run) setServiceManager() error {
	if err := r.requireAdmin("service_manager"); err != nil {
		return err
	}
	before := string(r.team.ServiceManager)
	r.team.ServiceManager = r.c.person
	if err := r.tx.PutTeam(r.team); err != nil {
		return err
	}
	if r.c.label != "" {
		if p, err := r.tx.Person(r.c.person); err != nil || p.Name == "" {
			if err := r.tx.PutPerson(&domain.Person{ID: r.c.person, Name: r.c.label}); err != nil {
				return err
			}
		}
	}
	if err := r.audit("team.service_manager", string(r.c.person), before, string(r.c.person), ""); err != nil {
		return err
	}
	r.toChannel(domain.Message{Text: r.say("service_manager.done", "Person", r.c.person, "Team", r.team.Name)})
	return nil
}

// ---- cases ----

func (r *run) checkFactors(factors []string) error {
	for _, f := range factors {
		if !r.pol.IsFactor(f) {
			return &usageError{usage: r.c.usage, reason: r.say("error.unknown_factor", "Factor", f, "Known", strings.Join(r.pol.FactorNames(), ", "))}
		}
	}
	return nil
}

func (r *run) caseAdd() error {
	if err := r.requireManager("case_add"); err != nil {
		return err
	}
	if err := r.checkRef(r.c.ref); err != nil {
		return err
	}
	if !r.pol.IsCaseType(r.c.caseTyp) {
		return &usageError{usage: r.c.usage, reason: r.say("error.unknown_type", "Type", r.c.caseTyp, "Known", strings.Join(r.pol.TypeNames(), ", "))}
	}
	if err := r.checkFactors(r.c.factors); err != nil {
		return err
	}
	if team, err := r.tx.CaseTeam(r.c.ref); err == nil {
		if team == r.team.ID {
			return domain.Errorf(domain.ECONFLICT, "%s", r.say("error.case_exists", "Ref", r.c.ref))
		}
		return domain.Errorf(domain.ECONFLICT, "%s", r.say("error.case_other_team", "Ref", r.c.ref))
	}
	c := &domain.Case{Ref: r.c.ref, Team: r.team.ID, Type: r.c.caseTyp, Factors: dedupe(r.c.factors),
		Children: r.c.child, Status: domain.CaseQueued, CreatedAt: r.now, QueuedSince: r.now}
	if err := r.tx.PutCase(c); err != nil {
		return err
	}
	if err := r.audit("case.add", c.Ref, "", r.describe(c), ""); err != nil {
		return err
	}
	r.toChannel(domain.Message{Text: r.say("case.added", "Ref", c.Ref, "Desc", r.describe(c), "Points", r.pol.Points(c), "HighRisk", r.pol.IsHighRisk(c))})
	return nil
}

// describe is a case's type, factors and children in a few words.
func (r *run) describe(c *domain.Case) string {
	parts := append([]string{c.Type}, c.Factors...)
	if c.Children > 0 {
		parts = append(parts, fmt.Sprintf("children=%d", c.Children))
	}
	return strings.Join(parts, ", ")
}

func dedupe(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func (r *run) caseClose() error {
	c, err := r.managedCase("case_close")
	if err != nil {
		return err
	}
	if !c.Open() {
		return domain.Errorf(domain.ECONFLICT, "%s", r.say("error.case_closed", "Ref", c.Ref))
	}
	if err := r.closeProposal(c, domain.ProposalWithdrawn); err != nil {
		return err
	}
	var before, after domain.Workload
	holder := c.Holder
	var m *domain.Member
	if c.Status == domain.CaseAllocated && holder != "" {
		if m = r.member(holder); m != nil {
			if before, err = r.workload(m); err != nil {
				return err
			}
			after = r.pol.WithoutCase(m, before, r.pol.Points(c), r.day)
		}
	}
	prev := string(c.Status)
	c.Status = domain.CaseClosed
	c.ClosedAt = r.now
	if err := r.tx.PutCase(c); err != nil {
		return err
	}
	if err := r.audit("case.close", c.Ref, prev, "closed", ""); err != nil {
		return err
	}
	r.toChannel(domain.Message{Text: r.say("case.closed", "Ref", c.Ref, "Holder", holder, "HasHolder", m != nil, "Before", before, "After", after)})
	return nil
}

// closeProposal ends a case's pending proposal, if any, with status s.
func (r *run) closeProposal(c *domain.Case, s domain.ProposalStatus) error {
	if c.Proposal == 0 {
		return nil
	}
	p, err := r.proposal(c.Proposal)
	if err != nil {
		return err
	}
	c.Proposal = 0
	if p.Status != domain.ProposalPending {
		return nil
	}
	p.Status, p.AnsweredAt, p.AnsweredBy = s, r.now, r.req.Caller
	return r.tx.PutProposal(p)
}

func (r *run) caseUpdate() error {
	c, err := r.managedCase("case_update")
	if err != nil {
		return err
	}
	if !c.Open() {
		return domain.Errorf(domain.ECONFLICT, "%s", r.say("error.case_closed", "Ref", c.Ref))
	}
	old := *c
	oldPoints := r.pol.Points(c)
	var add []string
	for i, w := range r.c.factors {
		if i == 0 && r.pol.IsCaseType(w) {
			c.Type = w
			continue
		}
		add = append(add, w)
	}
	if err := r.checkFactors(add); err != nil {
		return err
	}
	if err := r.checkFactors(r.c.remove); err != nil {
		return err
	}
	for _, f := range r.c.remove {
		if !c.HasFactor(f) {
			return &usageError{usage: r.c.usage, reason: r.say("error.factor_absent", "Ref", c.Ref, "Factor", f)}
		}
	}
	var factors []string
	for _, f := range c.Factors {
		if !contains(r.c.remove, f) {
			factors = append(factors, f)
		}
	}
	c.Factors = dedupe(append(factors, add...))
	if r.c.childOK {
		c.Children = r.c.child
	}
	if r.describe(&old) == r.describe(c) {
		return domain.Errorf(domain.EINVALID, "%s", r.say("error.no_change", "Ref", c.Ref, "Desc", r.describe(c)))
	}
	newPoints := r.pol.Points(c)
	if err := r.tx.PutCase(c); err != nil {
		return err
	}
	if err := r.audit("case.update", c.Ref, fmt.Sprintf("%s (%g points)", r.describe(&old), oldPoints),
		fmt.Sprintf("%s (%g points)", r.describe(c), newPoints), ""); err != nil {
		return err
	}
	d := data("Ref", c.Ref, "OldDesc", r.describe(&old), "Desc", r.describe(c), "OldPoints", oldPoints, "Points", newPoints, "HasHolder", false)
	if c.Status == domain.CaseAllocated {
		if m := r.member(c.Holder); m != nil {
			cs, err := r.cases()
			if err != nil {
				return err
			}
			after := r.pol.Workload(m, cs, r.day) // the store already holds the new weight
			before := r.pol.Reweighed(m, after, newPoints, oldPoints, r.day)
			d["HasHolder"], d["Holder"], d["Name"], d["Before"], d["After"] = true, m.Person, m.Name, before, after
			if r.pol.NeedsOverride(after) && !r.pol.NeedsOverride(before) || after.RAG != before.RAG && worseThan(after.RAG, before.RAG) && r.pol.NeedsOverride(after) {
				if err := r.askOverrideReason(c, after, d); err != nil {
					return err
				}
				note := domain.Message{Title: r.e.prompts.Say("case.over.title", d), Text: r.e.prompts.Say("case.over.managers", d), RAG: after.RAG}
				mgrs, err := r.managers()
				if err != nil {
					return err
				}
				for _, p := range mgrs {
					if err := r.tell(p, "reweigh", note); err != nil {
						return err
					}
				}
				if err := r.tell(m.Person, "reweigh", domain.Message{Title: r.e.prompts.Say("case.over.title", d), Text: r.e.prompts.Say("case.over.holder", d), RAG: after.RAG}); err != nil {
					return err
				}
				d["Told"] = true
			}
		}
	}
	if _, ok := d["Told"]; !ok {
		d["Told"] = false
	}
	r.toChannel(domain.Message{Text: r.e.prompts.Say("case.updated", d)})
	return nil
}

func worseThan(a, b domain.RAG) bool { return domain.Worse(a, b) == a && a != b }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (r *run) caseInvolve() error {
	c, err := r.managedCase("case_involve")
	if err != nil {
		return err
	}
	m := r.member(r.c.person)
	if m == nil {
		return domain.Errorf(domain.ENOTFOUND, "%s", r.say("error.not_in_team", "Person", r.c.person, "Team", r.team.Name))
	}
	if m.Role != domain.RoleStudent {
		return domain.Errorf(domain.EINVALID, "%s", r.say("error.involve_not_student", "Name", m.Name, "Role", m.Role.Label()))
	}
	if c.Status != domain.CaseAllocated {
		return domain.Errorf(domain.ECONFLICT, "%s", r.say("error.involve_unallocated", "Ref", c.Ref))
	}
	for _, p := range c.Involved {
		if p == m.Person {
			return domain.Errorf(domain.ECONFLICT, "%s", r.say("error.already_involved", "Ref", c.Ref, "Name", m.Name))
		}
	}
	c.Involved = append(c.Involved, m.Person)
	if err := r.tx.PutCase(c); err != nil {
		return err
	}
	if err := r.audit("case.involve", c.Ref, "", string(m.Person), m.Name); err != nil {
		return err
	}
	r.toChannel(domain.Message{Text: r.say("case.involved", "Ref", c.Ref, "Student", m.Person, "Holder", c.Holder)})
	return nil
}

func (r *run) caseShow() error {
	if err := r.requireSeer(); err != nil {
		return err
	}
	c, err := r.findCase(r.c.ref)
	if err != nil {
		return err
	}
	var lines []domain.Line
	for _, part := range r.pol.Breakdown(c) {
		if part.What == "children" || part.Points != 0 || part.What == c.Type {
			lines = append(lines, domain.Line{Text: r.say("show.point", "Part", part, "IsType", part.What == c.Type, "Children", c.Children)})
		}
	}
	log, err := r.caseLog(c)
	if err != nil {
		return err
	}
	var hist []domain.Line
	for _, e := range log {
		if e.Subject == c.Ref && r.e.prompts.Has("history."+e.Action) {
			hist = append(hist, domain.Line{Text: r.say("history."+e.Action, "E", e, "Who", r.name(e.Actor))})
		}
	}
	var involved []string
	for _, p := range c.Involved {
		involved = append(involved, r.name(p))
	}
	var prev []string
	for _, p := range c.PrevHolders {
		prev = append(prev, r.name(p))
	}
	msg := domain.Message{
		Title: r.say("show.title", "Ref", c.Ref, "Points", r.pol.Points(c)),
		Text: r.say("show.text", "C", c, "Desc", r.describe(c), "HolderName", r.name(c.Holder), "Involved", strings.Join(involved, ", "),
			"Prev", strings.Join(prev, ", "), "HighRisk", r.pol.IsHighRisk(c)),
		Sections: []domain.Section{{Title: r.say("show.points"), Lines: lines}, {Title: r.say("show.history"), Lines: hist}},
	}
	if len(hist) == 0 {
		msg.Sections[1].Lines = []domain.Line{{Text: r.say("show.no_history")}}
	}
	r.toCaller(msg)
	return nil
}

// managedCase is the command's case, for a manager of its team.
func (r *run) managedCase(what string) (*domain.Case, error) {
	if err := r.requireManager(what); err != nil {
		return nil, err
	}
	return r.findCase(r.c.ref)
}
