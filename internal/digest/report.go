package digest

import (
	"sort"
	"strconv"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// HoursWindow is how far back the digest sums extra hours logged.
const HoursWindow = 7 * 24 * time.Hour

// Report is everything one team's digest says, worked out before any
// sentence is written, so the team's and the service manager's digests
// agree.
type Report struct {
	Team *domain.Team
	Now  time.Time // in the digest's time zone
	Week time.Time // Monday 00:00 of Now's week
	S    domain.TeamSummary
	// Prev is last week's snapshot (the latest before this week), nil when
	// there is none yet.
	Prev *Snapshot
	// History is the team's snapshots of the last TrendWeeks weeks up to
	// this one, oldest first (for the service manager's chart).
	History []*Snapshot

	People       []Person
	Waiting      []Waiting
	HighRisk     int
	Concerns     []Concern
	Unacked      int
	OverridesDue []OverrideDue
	Hours        []Hours
	HoursTotal   float64
	Changes      []Change

	// Policy names the team's policy, chosen at PolicySince (zero: never
	// switched); Staffing is its posts and vacancies; ReviewsDue are the
	// caseload reviews due within a week or overdue.
	Policy         string
	PolicySince    time.Time
	Staffing       domain.Staffing
	ReviewsDue     []ReviewDue
	ReviewsOverdue int
	// Incoming are held cases other teams are sending here.
	Incoming []Incoming

	// weeks are the team's snapshots in the transaction the report was
	// worked out in, as far as they were read.
	weeks *Weeks
}

// Weeks are the team's snapshots in the transaction the report was worked
// out in, those the report read already decoded: use them only in that
// transaction.
func (r *Report) Weeks() *Weeks { return r.weeks }

// Person is a practitioner's line, with last week's figures when known.
type Person struct {
	W       domain.Workload
	Prev    MemberSnapshot
	HasPrev bool
	// Delta is the change in load % since last week (both with capacity).
	Delta    float64
	HasDelta bool
}

// Waiting is a case not yet allocated (queued, or proposed and unanswered).
type Waiting struct {
	C        *domain.Case
	Desc     string
	Points   float64
	HighRisk bool
	Since    time.Time
	// ProposedTo names who it is proposed to, when it is.
	ProposedTo string
}

// Concern is an open capacity concern.
type Concern struct {
	C       *domain.Concern
	Name    string // who raised it (shown to service managers only)
	AckName string
	Since   time.Time
}

// OverrideDue is an allocation above the safe level whose review is due.
type OverrideDue struct {
	C     *domain.Case
	O     *domain.Override
	Name  string // the holder
	Since time.Time
}

// Hours is one person's extra hours in the window.
type Hours struct {
	Name  string
	Hours float64
}

// Change is one practitioner whose colour changed, who joined or who left
// the board since last week.
type Change struct {
	Kind   string // "rag", "joined", "left"
	Name   string
	Before MemberSnapshot
	After  domain.Workload
}

// OpenCases lists a team's cases that are not closed: all a digest, a
// snapshot or a clock counts. The store keeps them apart, so the closed
// cases, which pile up over the years, are not read.
func OpenCases(tx domain.Tx, team string) ([]*domain.Case, error) {
	return tx.OpenCases(team)
}

// Team works out a team's report at now.
func (b *Builder) Team(tx domain.Tx, team *domain.Team, now time.Time) (*Report, error) {
	members, err := tx.Members(team.ID)
	if err != nil {
		return nil, err
	}
	cases, err := OpenCases(tx, team.ID)
	if err != nil {
		return nil, err
	}
	return b.TeamFromSummary(tx, team, members, cases, nil, now)
}

// TeamFromSummary is Team from the team's members and open cases as tx
// holds them, for a caller that has read them already, and the summary of
// them at now's day by the team's policy (Policy.ForTeam) when the caller
// has worked it out already; nil works it out.
func (b *Builder) TeamFromSummary(tx domain.Tx, team *domain.Team, members []*domain.Member, cases []*domain.Case, s *domain.TeamSummary, now time.Time) (*Report, error) {
	if own := b.Policy.ForTeam(team); own != b.Policy {
		nb := *b
		nb.Policy = own // every figure by the team's own policy
		b = &nb
	}
	now = now.In(b.Loc)
	day := domain.DateOf(now)
	if s == nil {
		sum := b.Policy.Summarise(members, cases, day)
		s = &sum
	}
	var err error
	names := map[domain.PersonID]string{}
	for _, m := range members {
		names[m.Person] = m.Name
	}
	name := func(p domain.PersonID) string {
		if n := names[p]; n != "" {
			return n
		}
		if pr, err := tx.Person(p); err == nil && pr.Name != "" {
			names[p] = pr.Name
			return pr.Name
		}
		return string(p)
	}
	r := &Report{Team: team, Now: now, Week: domain.WeekStart(now, b.Loc)}
	r.S = *s
	if r.weeks, err = ReadWeeks(tx, team.ID); err != nil {
		return nil, err
	}
	if r.Prev, err = r.weeks.Previous(domain.DateOf(r.Week)); err != nil {
		return nil, err
	}
	if r.History, err = r.weeks.Recent(domain.DateOf(r.Week), TrendWeeks); err != nil {
		return nil, err
	}
	for _, w := range r.S.Workloads {
		p := Person{W: w}
		if r.Prev != nil {
			p.Prev, p.HasPrev = r.Prev.Member(w.Person)
			if p.HasPrev && p.Prev.Capacity > 0 && w.HasPercent() {
				p.Delta, p.HasDelta = domain.Round1(w.Percent-p.Prev.Percent), true
			}
		}
		r.People = append(r.People, p)
		if r.Prev == nil {
			continue
		}
		switch {
		case !p.HasPrev:
			r.Changes = append(r.Changes, Change{Kind: "joined", Name: w.Name, After: w})
		case p.Prev.RAG != w.RAG:
			r.Changes = append(r.Changes, Change{Kind: "rag", Name: w.Name, Before: p.Prev, After: w})
		}
	}
	if r.Prev != nil {
		on := map[domain.PersonID]bool{}
		for _, w := range r.S.Workloads {
			on[w.Person] = true
		}
		for _, m := range r.Prev.Members {
			if !on[m.Person] {
				n := m.Name
				if n == "" {
					n = name(m.Person)
				}
				r.Changes = append(r.Changes, Change{Kind: "left", Name: n, Before: m})
			}
		}
	}

	var waiting []*domain.Case
	for _, c := range cases {
		if c.Status == domain.CaseQueued || c.Status == domain.CaseProposed {
			waiting = append(waiting, c)
		}
	}
	b.Policy.SortQueue(waiting)
	for _, c := range waiting {
		w := Waiting{C: c, Desc: Describe(c), Points: b.Policy.Points(c), HighRisk: b.Policy.IsHighRisk(c), Since: c.QueuedSince.In(b.Loc)}
		if w.Since.IsZero() || c.QueuedSince.IsZero() {
			w.Since = c.CreatedAt.In(b.Loc)
		}
		if c.Status == domain.CaseProposed && c.Proposal != 0 {
			if p, err := tx.Proposal(c.Proposal); err == nil {
				w.ProposedTo = name(p.To)
			}
		}
		if w.HighRisk {
			r.HighRisk++
		}
		r.Waiting = append(r.Waiting, w)
	}

	concerns, err := tx.Concerns(team.ID, true)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(concerns, func(i, j int) bool { return concerns[i].RaisedAt.Before(concerns[j].RaisedAt) })
	for _, c := range concerns {
		k := Concern{C: c, Name: name(c.By), Since: c.RaisedAt.In(b.Loc)}
		if c.Acknowledged() {
			k.AckName = name(c.AckBy)
		} else {
			r.Unacked++
		}
		r.Concerns = append(r.Concerns, k)
	}

	for _, c := range cases {
		if c.Status != domain.CaseAllocated || c.Override == nil || c.Override.Reviewed || c.Override.ReviewOn == "" || c.Override.ReviewOn > day {
			continue
		}
		r.OverridesDue = append(r.OverridesDue, OverrideDue{C: c, O: c.Override, Name: name(c.Holder), Since: c.Override.At.In(b.Loc)})
	}
	sort.SliceStable(r.OverridesDue, func(i, j int) bool { return r.OverridesDue[i].O.ReviewOn < r.OverridesDue[j].O.ReviewOn })

	hours, err := tx.Hours(team.ID, now.Add(-HoursWindow))
	if err != nil {
		return nil, err
	}
	byPerson := map[domain.PersonID]float64{}
	var order []domain.PersonID
	for _, h := range hours {
		if h.At.After(now) {
			continue
		}
		if _, seen := byPerson[h.By]; !seen {
			order = append(order, h.By)
		}
		byPerson[h.By] += h.Hours
		r.HoursTotal += h.Hours
	}
	for _, p := range order {
		r.Hours = append(r.Hours, Hours{Name: name(p), Hours: byPerson[p]})
	}
	sort.SliceStable(r.Hours, func(i, j int) bool {
		if r.Hours[i].Hours != r.Hours[j].Hours {
			return r.Hours[i].Hours > r.Hours[j].Hours
		}
		return r.Hours[i].Name < r.Hours[j].Name
	})
	return r, b.teamlife(tx, r, members, day)
}

// Worst is the worst colour on the team's board (green when nobody is on it).
func (r *Report) Worst() domain.RAG {
	switch {
	case r.S.Red > 0:
		return domain.Red
	case r.S.Amber > 0:
		return domain.Amber
	}
	return domain.Green
}

// Describe is a case's type and factors: "cp, court, children=3".
func Describe(c *domain.Case) string {
	s := c.Type
	for _, f := range c.Factors {
		s += ", " + f
	}
	if c.Children > 0 {
		s += ", children=" + strconv.Itoa(c.Children)
	}
	return s
}
