// Package importer loads teams, people and cases from a file (safeload
// import) and writes every team's workload out for the quarterly review
// (safeload export). It talks to the store only through domain.Store, and
// must not import the engine, an adapter or any chat library.
//
// # Import
//
// The file is YAML (JSON is accepted, being YAML) in the shape the README shows.
// It is checked whole before anything is written: every problem is reported
// as "FILE:LINE: field: message", and a file with any problem changes
// nothing. A good file is written in one transaction.
//
// The file is the source of truth for what it states, and says nothing about
// what it leaves out:
//   - teams, members and cases are added or updated, never deleted; people
//     and cases missing from the file stay as they are;
//   - a team's channel and service_manager are kept when the file leaves
//     them out; its name, and a member's name, role, fte and reductions,
//     are always stated and so always replace what is stored;
//   - fte may be left out and then means full time (1): a manager or a
//     student has no capacity whatever their fte, but the export shows it;
//     when given it must be more than 0 and at most 1, with at most two
//     decimal places (it is shown as given, so it is stored as given);
//   - a case with allocated_to is allocated to that practitioner or ASYE
//     (a pending proposal for it is withdrawn, and a previous holder is kept
//     in the case's history); a case without it is queued when new, and
//     otherwise keeps whatever the meeting has done since (held, proposed
//     or queued): leaving allocated_to out does not take a case back;
//   - a case already closed in the store stays closed: an old file cannot
//     reopen a case and put its points back on someone;
//   - type, factors and children always replace the stored ones;
//   - a case reference or a channel that belongs to another team in the
//     store is refused: import never moves a case or a channel between
//     teams.
//
// Importing the same file twice changes nothing the second time: records
// that already match are not written, audit entries (actor "import") are
// written only for real changes, and when nothing changes the transaction is
// rolled back so the file is not touched at all. Existing records keep their
// creation and queue times and their history.
//
// # Export
//
// See Export.
package importer

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/safeload/safeload/internal/domain"
)

// Actor is who the audit log says made the changes.
const Actor domain.PersonID = "import"

// Counts is what happened to one kind of record.
type Counts struct {
	Created, Updated, Unchanged int
}

func (c Counts) total() int { return c.Created + c.Updated + c.Unchanged }

// Summary is what an import did.
type Summary struct {
	File                  string
	Teams, Members, Cases Counts
	// ClosedKept counts cases in the file that are closed in the store and
	// were left closed.
	ClosedKept int
	// Changed is false when the store already matched the file.
	Changed bool
}

// String is the one line safeload import prints.
func (s Summary) String() string {
	part := func(c Counts, one, many string) string {
		noun := many
		if c.total() == 1 {
			noun = one
		}
		var how []string
		for _, x := range []struct {
			n    int
			word string
		}{{c.Created, "new"}, {c.Updated, "updated"}, {c.Unchanged, "unchanged"}} {
			if x.n > 0 {
				how = append(how, fmt.Sprintf("%d %s", x.n, x.word))
			}
		}
		if len(how) == 0 {
			return "0 " + noun
		}
		return fmt.Sprintf("%d %s (%s)", c.total(), noun, strings.Join(how, ", "))
	}
	line := fmt.Sprintf("Imported %s: %s, %s, %s", s.File,
		part(s.Teams, "team", "teams"), part(s.Members, "member", "members"), part(s.Cases, "case", "cases"))
	if s.ClosedKept > 0 {
		line += fmt.Sprintf("; %d more closed in safeload since, left closed", s.ClosedKept)
	}
	if !s.Changed {
		return line + ". Nothing changed."
	}
	return line + "."
}

// As lets domain.ErrorCode and domain.ErrorMessage see a rejected file as
// an EINVALID error whose message is the list of problems.
func (e *Error) As(target any) bool {
	if t, ok := target.(**domain.Error); ok {
		*t = &domain.Error{Code: domain.EINVALID, Message: e.Error()}
		return true
	}
	return false
}

// errNothingChanged rolls back a transaction that wrote nothing, so that a
// repeated import does not even touch the file.
var errNothingChanged = errors.New("nothing changed")

// Import checks the file whole and, when it is good, writes it in one
// transaction. pol gives the case types and factors (nil: the default
// policy). A bad file returns an *Error listing every problem, and the store
// is left exactly as it was.
func Import(st domain.Store, data []byte, filename string, pol *domain.Policy) (Summary, error) {
	if pol == nil {
		def := domain.DefaultPolicy()
		pol = &def
	}
	p := &parser{pol: pol}
	f := p.parse(data)
	var sum Summary
	err := st.Update(func(tx domain.Tx) error {
		w := &writer{tx: tx, p: p, file: filename, sum: Summary{File: filename},
			teams: map[string]*stored{}, people: map[domain.PersonID]bool{}}
		if err := w.check(f); err != nil {
			return err
		}
		if len(p.probs) > 0 {
			return newError(filename, p.probs)
		}
		if err := w.apply(f); err != nil {
			return err
		}
		sum = w.sum
		if !sum.Changed {
			return errNothingChanged
		}
		return nil
	})
	if errors.Is(err, errNothingChanged) {
		return sum, nil
	} else if err != nil {
		return Summary{File: filename}, err
	}
	return sum, nil
}

// stored is what the store holds of one team named in the file.
type stored struct {
	team    *domain.Team // nil when the team is new
	members map[domain.PersonID]*domain.Member
	cases   map[string]*domain.Case
}

// writer checks the file against the store and then writes it, in one
// transaction.
type writer struct {
	tx     domain.Tx
	p      *parser
	file   string
	sum    Summary
	teams  map[string]*stored
	people map[domain.PersonID]bool // Person records already written
}

func (w *writer) load(id string) (*stored, error) {
	if s := w.teams[id]; s != nil {
		return s, nil
	}
	s := &stored{members: map[domain.PersonID]*domain.Member{}, cases: map[string]*domain.Case{}}
	t, err := w.tx.Team(id)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		w.teams[id] = s
		return s, nil
	} else if err != nil {
		return nil, err
	}
	s.team = t
	members, err := w.tx.Members(id)
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		s.members[m.Person] = m
	}
	cases, err := w.tx.Cases(id)
	if err != nil {
		return nil, err
	}
	for _, c := range cases {
		s.cases[c.Ref] = c
	}
	w.teams[id] = s
	return s, nil
}

// check finds what is wrong only against the store. Problems go to w.p;
// the error is for a store that cannot be read.
func (w *writer) check(f *fileIn) error {
	for _, t := range f.teams {
		s := &stored{} // a team whose id is wrong is checked against the file alone
		if t.id != "" {
			var err error
			if s, err = w.load(t.id); err != nil {
				return err
			}
			if err := w.checkOwners(t); err != nil {
				return err
			}
		}
		// Roles as they will be: the store's, with the file's over them.
		// An empty role is one the file got wrong, already reported.
		roles := map[domain.PersonID]domain.Role{}
		for id, m := range s.members {
			roles[id] = m.Role
		}
		for _, m := range t.members {
			if m.id != "" {
				roles[m.id] = m.role
			}
		}
		inFile := map[string]*caseIn{}
		for _, c := range t.cases {
			if c.ref != "" {
				inFile[c.ref] = c
			}
			if c.to != "" {
				w.checkHolder(t, c, roles)
			}
		}
		for _, m := range t.members {
			if m.role != "" && !m.role.CarriesCases() {
				if err := w.checkNoCases(t, m, s, inFile); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkOwners refuses a channel or a case reference that another team holds.
func (w *writer) checkOwners(t *teamIn) error {
	if t.channel != "" {
		owner, err := w.tx.TeamByChannel(t.channel)
		if err == nil && owner.ID != t.id {
			w.p.bad(t.channelNode, t.path+".channel", "%s is already the channel of team %s in safeload; a channel belongs to one team", t.channel, owner.ID)
		} else if err != nil && domain.ErrorCode(err) != domain.ENOTFOUND {
			return err
		}
	}
	for _, c := range t.cases {
		if c.ref == "" {
			continue
		}
		owner, err := w.tx.CaseTeam(c.ref)
		if err == nil && owner != t.id {
			w.p.bad(c.refNode, c.path+".ref", "the case %s already belongs to team %s in safeload; import does not move cases between teams", c.ref, owner)
		} else if err != nil && domain.ErrorCode(err) != domain.ENOTFOUND {
			return err
		}
	}
	return nil
}

// checkHolder refuses an allocation to someone who may not hold a case.
func (w *writer) checkHolder(t *teamIn, c *caseIn, roles map[domain.PersonID]domain.Role) {
	field := c.path + ".allocated_to"
	role, member := roles[c.to]
	switch {
	case !member:
		w.p.bad(c.toNode, field, "%s is not a member of this team; add them under members first", c.to)
	case role == "" || role.CarriesCases():
	case role == domain.RoleStudent:
		w.p.bad(c.toNode, field, "%s is a student: a student is never allocated a case directly; allocate it to the supervising practitioner (a manager can then record the student as involved)", c.to)
	default:
		w.p.bad(c.toNode, field, "%s is a %s, and only practitioners and ASYEs carry cases; allocate it to a practitioner", c.to, role.Label())
	}
}

// checkNoCases refuses to make someone a manager or student while they still
// hold, or have been offered, open cases the file does not move to someone
// else: they would carry a caseload their role cannot have.
func (w *writer) checkNoCases(t *teamIn, m *memberIn, s *stored, inFile map[string]*caseIn) error {
	var refs []string
	for ref, c := range s.cases {
		if fc := inFile[ref]; fc != nil && fc.toNode != nil {
			continue // the file allocates it (to someone it is checked may hold it)
		}
		switch {
		case c.Status == domain.CaseAllocated && c.Holder == m.id:
			refs = append(refs, ref)
		case c.Open() && c.Proposal != 0:
			prop, err := w.tx.Proposal(c.Proposal)
			if domain.ErrorCode(err) == domain.ENOTFOUND {
				continue
			} else if err != nil {
				return err
			}
			if prop.Status == domain.ProposalPending && prop.To == m.id {
				refs = append(refs, ref)
			}
		}
	}
	if len(refs) == 0 {
		return nil
	}
	sort.Strings(refs)
	node := m.roleNode
	if node == nil {
		node = m.node
	}
	w.p.bad(node, m.path+".role", "%s holds or has been offered %d open case(s) in team %s (%s), but a %s carries no caseload; allocate those cases to someone else in this file first (allocated_to), or keep the role",
		m.id, len(refs), t.id, clip(strings.Join(refs, ", ")), m.role.Label())
	return nil
}

// apply writes the file. Everything has been checked; an error here is the
// store's and rolls the whole import back.
func (w *writer) apply(f *fileIn) error {
	for _, t := range f.teams {
		s := w.teams[t.id]
		if err := w.applyTeam(t, s); err != nil {
			return err
		}
		for _, m := range t.members {
			if err := w.applyPerson(m); err != nil {
				return err
			}
			if err := w.applyMember(t.id, m, s); err != nil {
				return err
			}
		}
		for _, c := range t.cases {
			if err := w.applyCase(t.id, c, s); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *writer) audit(team, action, subject, before, after string) error {
	w.sum.Changed = true
	return w.tx.Audit(&domain.AuditEntry{Actor: Actor, Team: team, Action: "import." + action,
		Subject: subject, Before: before, After: after, Detail: "from " + w.file})
}

func (w *writer) applyTeam(t *teamIn, s *stored) error {
	if s.team == nil {
		tm := &domain.Team{ID: t.id, Name: t.name, Channel: t.channel, ServiceManager: t.sm, CreatedAt: w.tx.Now()}
		teamLife(t, tm, w.tx.Now())
		if err := w.tx.PutTeam(tm); err != nil {
			return err
		}
		s.team = tm
		w.sum.Teams.Created++
		return w.audit(t.id, "team.add", t.id, "", describeTeam(tm))
	}
	tm := *s.team
	tm.Name = t.name
	if t.channelNode != nil {
		tm.Channel = t.channel
	}
	if t.sm != "" {
		tm.ServiceManager = t.sm
	}
	life := teamLife(t, &tm, w.tx.Now())
	if !life && tm.Name == s.team.Name && tm.Channel == s.team.Channel && tm.ServiceManager == s.team.ServiceManager {
		w.sum.Teams.Unchanged++
		return nil
	}
	if err := w.tx.PutTeam(&tm); err != nil {
		return err
	}
	before := describeTeam(s.team)
	s.team = &tm
	w.sum.Teams.Updated++
	return w.audit(t.id, "team.update", t.id, before, describeTeam(&tm))
}

// applyPerson keeps the person's store-wide record (their name) in step.
func (w *writer) applyPerson(m *memberIn) error {
	if w.people[m.id] {
		return nil
	}
	w.people[m.id] = true
	p, err := w.tx.Person(m.id)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		if err := w.tx.PutPerson(&domain.Person{ID: m.id, Name: m.name}); err != nil {
			return err
		}
		return w.audit("", "person.add", string(m.id), "", m.name)
	} else if err != nil {
		return err
	}
	if p.Name == m.name {
		return nil
	}
	before := p.Name
	p.Name = m.name // Admin and anything else stay as they were
	if err := w.tx.PutPerson(p); err != nil {
		return err
	}
	return w.audit("", "person.rename", string(m.id), before, m.name)
}

func (w *writer) applyMember(team string, m *memberIn, s *stored) error {
	nm := &domain.Member{Team: team, Person: m.id, Name: m.name, Role: m.role, FTE: m.fte,
		Reductions: m.reductions, JoinedAt: w.tx.Now()}
	old := s.members[m.id]
	nm.ASYEStarted = m.started
	if old != nil {
		nm.JoinedAt = old.JoinedAt
		if nm.ASYEStarted == "" && nm.Role == domain.RoleASYE {
			nm.ASYEStarted = old.ASYEStarted // set in chat; a file that does not name it keeps it
		}
		if sameMember(old, nm) {
			w.sum.Members.Unchanged++
			return nil
		}
	}
	if err := w.tx.PutMember(nm); err != nil {
		return err
	}
	s.members[m.id] = nm
	if old == nil {
		w.sum.Members.Created++
		return w.audit(team, "member.add", string(m.id), "", describeMember(nm))
	}
	w.sum.Members.Updated++
	return w.audit(team, "member.update", string(m.id), describeMember(old), describeMember(nm))
}

func sameMember(a, b *domain.Member) bool {
	if a.Name != b.Name || a.Role != b.Role || a.FTE != b.FTE || a.ASYEStarted != b.ASYEStarted || len(a.Reductions) != len(b.Reductions) {
		return false
	}
	for i := range a.Reductions {
		if a.Reductions[i] != b.Reductions[i] {
			return false
		}
	}
	return true
}

func (w *writer) applyCase(team string, c *caseIn, s *stored) error {
	now := w.tx.Now()
	old := s.cases[c.ref]
	if old == nil {
		nc := &domain.Case{Ref: c.ref, Team: team, Type: c.typ, Factors: c.factors, Children: c.children, CreatedAt: now}
		if c.to != "" {
			nc.Status, nc.Holder, nc.AllocatedAt = domain.CaseAllocated, c.to, now
		} else {
			nc.Status, nc.QueuedSince = domain.CaseQueued, now
		}
		if err := w.tx.PutCase(nc); err != nil {
			return err
		}
		s.cases[c.ref] = nc
		w.sum.Cases.Created++
		return w.audit(team, "case.add", c.ref, "", describeCase(nc))
	}
	if !old.Open() {
		w.sum.ClosedKept++
		return nil
	}
	nc := *old
	changed := false
	if old.Type != c.typ || old.Children != c.children {
		nc.Type, nc.Children = c.typ, c.children
		changed = true
	}
	if !sameSet(old.Factors, c.factors) {
		nc.Factors = c.factors
		changed = true
	}
	if c.to != "" && (old.Status != domain.CaseAllocated || old.Holder != c.to) {
		if err := w.withdraw(old); err != nil {
			return err
		}
		if old.Status == domain.CaseAllocated && old.Holder != "" {
			nc.PrevHolders = append(append([]domain.PersonID(nil), old.PrevHolders...), old.Holder)
			nc.Override = nil // it was about the previous holder's load
		}
		nc.Status, nc.Holder, nc.AllocatedAt, nc.Proposal = domain.CaseAllocated, c.to, now, 0
		changed = true
	}
	if !changed {
		w.sum.Cases.Unchanged++
		return nil
	}
	if err := w.tx.PutCase(&nc); err != nil {
		return err
	}
	s.cases[c.ref] = &nc
	w.sum.Cases.Updated++
	return w.audit(team, "case.update", c.ref, describeCase(old), describeCase(&nc))
}

// withdraw ends a case's pending proposal, which the file's allocation
// replaces.
func (w *writer) withdraw(c *domain.Case) error {
	if c.Proposal == 0 {
		return nil
	}
	prop, err := w.tx.Proposal(c.Proposal)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	if prop.Status != domain.ProposalPending {
		return nil
	}
	prop.Status, prop.AnsweredAt, prop.AnsweredBy = domain.ProposalWithdrawn, w.tx.Now(), Actor
	prop.Answer = "allocated by import from " + w.file
	return w.tx.PutProposal(prop)
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !contains(b, x) {
			return false
		}
	}
	return true
}

func describeTeam(t *domain.Team) string {
	s := t.Name
	if t.Channel != "" {
		s += ", channel " + string(t.Channel)
	}
	if t.ServiceManager != "" {
		s += ", service manager " + string(t.ServiceManager)
	}
	return s + describeTeamLife(t)
}

func describeMember(m *domain.Member) string {
	s := fmt.Sprintf("%s, %s, FTE %s", m.Name, m.Role.Label(), fmtNum(m.FTE))
	for _, r := range m.Reductions {
		s += fmt.Sprintf("; reduction %s%% for %s", fmtNum(r.Percent), r.Reason)
		if r.Until != "" {
			s += " until " + string(r.Until)
		}
	}
	if m.ASYEStarted != "" {
		s += ", ASYE year from " + string(m.ASYEStarted)
	}
	return s
}

func describeCase(c *domain.Case) string {
	s := c.Type
	for _, f := range c.Factors {
		s += " " + f
	}
	if c.Children > 0 {
		s += fmt.Sprintf(" children=%d", c.Children)
	}
	switch c.Status {
	case domain.CaseAllocated:
		return s + "; allocated to " + string(c.Holder)
	case domain.CaseProposed:
		return s + "; proposed"
	}
	return s + "; " + string(c.Status)
}
