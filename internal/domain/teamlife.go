package domain

import (
	"math"
	"sort"
	"time"
)

// DefaultPolicyName is the name of the policy a team uses when it names none
// and the policy file names no default.
const DefaultPolicyName = "default"

// ForTeam is the policy team t works under: the one it names, else the
// file's default. A name the file no longer holds falls back to the default
// too, so a team is never left without rules.
func (p *Policy) ForTeam(t *Team) *Policy {
	if t == nil {
		return p.Default()
	}
	if q, ok := p.Named[t.Policy]; ok && t.Policy != "" {
		return q
	}
	return p.Default()
}

// Default is the policy of teams that name none.
func (p *Policy) Default() *Policy {
	if q, ok := p.Named[""]; ok {
		return q
	}
	return p
}

// Lookup finds a policy of the file by name.
func (p *Policy) Lookup(name string) (*Policy, bool) {
	if len(p.Named) == 0 {
		return p, name == p.Name || name == DefaultPolicyName
	}
	q, ok := p.Named[name]
	return q, ok && name != ""
}

// Names lists the named policies of the file, sorted.
func (p *Policy) Names() []string {
	if len(p.Named) == 0 {
		return []string{p.Name}
	}
	var out []string
	for _, n := range sortedKeys(p.Named) {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// ASYEMonth is the month of the assessed year day falls in (1 for the first
// month) counted from started; 0 when day is before it.
func ASYEMonth(started, day Date) int {
	s, err1 := time.Parse(dateLayout, string(started))
	d, err2 := time.Parse(dateLayout, string(day))
	if err1 != nil || err2 != nil || d.Before(s) {
		return 0
	}
	n := (d.Year()-s.Year())*12 + int(d.Month()-s.Month())
	if s.AddDate(0, n, 0).After(d) {
		n--
	}
	return n + 1
}

// ASYEAnniversary is the day an ASYE who started on started becomes a
// practitioner.
func (p *Policy) ASYEAnniversary(started Date) Date {
	s, err := time.Parse(dateLayout, string(started))
	if err != nil {
		return ""
	}
	return Date(s.AddDate(0, p.ASYEMonths, 0).Format(dateLayout))
}

// ASYEShare is an ASYE's share of the points capacity on day: by the month
// of their assessed year when its start is known, else ASYECapacity; the
// whole after the anniversary.
func (p *Policy) ASYEShare(m *Member, day Date) float64 {
	if m.ASYEStarted == "" {
		return p.ASYECapacity
	}
	month := ASYEMonth(m.ASYEStarted, day)
	if month > p.ASYEMonths {
		return 1
	}
	share := p.ASYECapacity
	for _, st := range p.ASYESteps {
		if month >= st.FromMonth {
			share = st.Capacity
		}
	}
	return share
}

// ReviewOutcome is what a caseload review in supervision decided.
type ReviewOutcome string

const (
	ReviewKeep   ReviewOutcome = "keep"
	ReviewAdd    ReviewOutcome = "add"
	ReviewReduce ReviewOutcome = "reduce"
	ReviewMove   ReviewOutcome = "move"
)

// ParseReviewOutcome accepts keep, add, reduce or move in any case.
func ParseReviewOutcome(s string) (ReviewOutcome, bool) {
	switch o := ReviewOutcome(lower(s)); o {
	case ReviewKeep, ReviewAdd, ReviewReduce, ReviewMove:
		return o, true
	}
	return "", false
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// Review is a caseload review in supervision: who, when, what was decided.
// Its note is about the practitioner's work and stays with managers.
type Review struct {
	ID       uint64        `json:"id"`
	Team     string        `json:"team"`
	Person   PersonID      `json:"person"`
	By       PersonID      `json:"by"`
	At       time.Time     `json:"at"`
	Day      Date          `json:"day"`
	Outcome  ReviewOutcome `json:"outcome"`
	Note     string        `json:"note,omitempty"`
	Workload Workload      `json:"workload"` // the figures reviewed
}

// LastReviews maps each person to their latest review of the list.
func LastReviews(rs []*Review) map[PersonID]*Review {
	out := map[PersonID]*Review{}
	for _, r := range rs {
		if l, ok := out[r.Person]; !ok || !r.At.Before(l.At) {
			out[r.Person] = r
		}
	}
	return out
}

// ReviewInterval is the time between a member's reviews counted from the
// day from: an ASYE with a known start weekly for ASYEWeeklyWeeks, then
// fortnightly to ASYEFortnightlyMonths; everyone else (and an ASYE after
// that) every CaseloadReviewWeeks.
func (p *Policy) ReviewInterval(m *Member, from Date) int {
	if m.Role == RoleASYE && m.ASYEStarted != "" {
		if from < m.ASYEStarted.AddDays(7*p.ASYEWeeklyWeeks) {
			return 7
		}
		if s, err := time.Parse(dateLayout, string(m.ASYEStarted)); err == nil &&
			string(from) < s.AddDate(0, p.ASYEFortnightlyMonths, 0).Format(dateLayout) {
			return 14
		}
	}
	return 7 * p.CaseloadReviewWeeks
}

// ReviewDue is when a case carrier's next caseload review is due: one
// interval after the last review, else after they joined (an ASYE: after
// their year began). "" for members who carry no cases.
func (p *Policy) ReviewDue(m *Member, last *Review, loc *time.Location) Date {
	if !m.Role.CarriesCases() {
		return ""
	}
	from := DateOf(m.JoinedAt.In(loc))
	if m.Role == RoleASYE && m.ASYEStarted != "" && (m.JoinedAt.IsZero() || m.ASYEStarted > from) {
		from = m.ASYEStarted
	}
	if last != nil {
		from = last.Day
	}
	return from.AddDays(p.ReviewInterval(m, from))
}

// Staffing is a team's funded posts against the FTE in post.
type Staffing struct {
	Posts   float64 `json:"posts"`
	InPost  float64 `json:"in_post"`
	Vacant  float64 `json:"vacant"`
	Percent float64 `json:"vacancy_percent"` // of posts, one decimal
	Alert   bool    `json:"alert"`           // at or over the policy's level
}

// Known reports whether the team's posts are known (set above 0).
func (s Staffing) Known() bool { return s.Posts > 0 }

// Staffing works out the vacancies: posts − the FTE of the practitioners
// and ASYEs in post (never below 0), as a share of the posts.
func (p *Policy) Staffing(t *Team, members []*Member) Staffing {
	s := Staffing{Posts: t.Posts}
	for _, m := range members {
		if m.Role.CarriesCases() {
			s.InPost += m.FTE
		}
	}
	s.InPost = math.Round(s.InPost*100) / 100
	if s.Posts <= 0 {
		return s
	}
	s.Vacant = math.Max(0, math.Round((s.Posts-s.InPost)*100)/100)
	s.Percent = Round1(s.Vacant / s.Posts * 100)
	s.Alert = s.Percent >= p.VacancyAlertPercent
	return s
}

// SortReviews orders reviews oldest first.
func SortReviews(rs []*Review) {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].At.Before(rs[j].At) })
}
