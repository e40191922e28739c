package digest

import (
	"sort"

	"github.com/safeload/safeload/internal/domain"
)

// Team life in the digest: the team's policy and since when, its posts and
// vacancies, and the caseload reviews in supervision due or overdue.

// ReviewDue is a practitioner whose caseload review is due within the
// coming week, or overdue.
type ReviewDue struct {
	Name    string
	Due     domain.Date
	Last    *domain.Review // nil when never reviewed
	Overdue bool
}

// Incoming is a held case another team is sending: it waits at the top of
// this team's queue until allocated here.
type Incoming struct {
	C      *domain.Case
	From   string // the sending team's name
	Points float64
}

// teamlife fills the report's team-life parts.
func (b *Builder) teamlife(tx domain.Tx, r *Report, members []*domain.Member, day domain.Date) error {
	for _, ref := range r.Team.Incoming {
		from, err := tx.CaseTeam(ref)
		if err != nil || from == r.Team.ID {
			continue // gone, or arrived
		}
		c, err := tx.Case(from, ref)
		if err != nil {
			return err
		}
		if !c.Open() || c.MoveTo != r.Team.ID {
			continue
		}
		name := from
		if t, err := tx.Team(from); err == nil {
			name = t.Name
		}
		r.Incoming = append(r.Incoming, Incoming{C: c, From: name, Points: b.Policy.Points(c)})
	}
	r.Policy = b.Policy.Name
	r.PolicySince = r.Team.PolicySince
	r.Staffing = b.Policy.Staffing(r.Team, members)
	reviews, err := tx.Reviews(r.Team.ID)
	if err != nil {
		return err
	}
	last := domain.LastReviews(reviews)
	soon := day.AddDays(7)
	for _, m := range members {
		due := b.Policy.ReviewDue(m, last[m.Person], b.Loc)
		if due == "" || due > soon {
			continue
		}
		r.ReviewsDue = append(r.ReviewsDue, ReviewDue{Name: m.Name, Due: due, Last: last[m.Person], Overdue: due < day})
	}
	sort.SliceStable(r.ReviewsDue, func(i, j int) bool {
		if r.ReviewsDue[i].Due != r.ReviewsDue[j].Due {
			return r.ReviewsDue[i].Due < r.ReviewsDue[j].Due
		}
		return r.ReviewsDue[i].Name < r.ReviewsDue[j].Name
	})
	for _, d := range r.ReviewsDue {
		if d.Overdue {
			r.ReviewsOverdue++
		}
	}
	return nil
}

// teamlifeFields are the digest's posts and policy fields.
func (b *Builder) teamlifeFields(r *Report) []domain.Field {
	return []domain.Field{
		{Name: b.say("digest.f.staffing"), Value: b.say("digest.v.staffing", "R", r)},
		{Name: b.say("digest.f.reviews"), Value: b.say("digest.v.reviews", "R", r)},
	}
}

// reviewsSection lists the cases coming from other teams and the reviews
// due and overdue, if any.
func (b *Builder) reviewsSection(r *Report) []domain.Section {
	var out []domain.Section
	if len(r.Incoming) > 0 {
		s := domain.Section{Title: b.say("digest.incoming", "R", r)}
		for _, in := range r.Incoming {
			s.Lines = append(s.Lines, domain.Line{Text: b.say("digest.incoming_case", "I", in, "Now", r.Now), RAG: domain.Amber})
		}
		out = append(out, s)
	}
	if len(r.ReviewsDue) == 0 {
		return out
	}
	s := domain.Section{Title: b.say("digest.reviews", "R", r)}
	for _, d := range r.ReviewsDue {
		rag := domain.Amber
		if d.Overdue {
			rag = domain.Red
		}
		s.Lines = append(s.Lines, domain.Line{Text: b.say("digest.review", "D", d), RAG: rag})
	}
	return append(out, s)
}

// teamLifeAcross tells a service manager which of their teams are at or
// over their policy's vacancy level, and how many caseload reviews are
// overdue in each team.
func (b *Builder) teamLifeAcross(reports []*Report) []domain.Section {
	var vacant, overdue []domain.Line
	for _, r := range reports {
		if r.Staffing.Alert {
			vacant = append(vacant, domain.Line{Text: b.say("digest.sm.vacancy", "R", r), RAG: domain.Red})
		}
		if r.ReviewsOverdue > 0 {
			overdue = append(overdue, domain.Line{Text: b.say("digest.sm.reviews", "R", r), RAG: domain.Amber})
		}
	}
	var out []domain.Section
	if len(vacant) > 0 {
		out = append(out, domain.Section{Title: b.say("digest.sm.vacancies", "Count", len(vacant)), Lines: vacant})
	}
	if len(overdue) > 0 {
		out = append(out, domain.Section{Title: b.say("digest.sm.reviews_title", "Count", len(overdue)), Lines: overdue})
	}
	return out
}
