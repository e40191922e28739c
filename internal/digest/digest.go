// Package digest builds the weekly RAG digest: one message for each team's
// channel (each practitioner's load and RAG, the counts per colour, the
// averages, what waits for allocation, open concerns, overrides due, extra
// hours and the change since last week) and one across teams for each
// service manager. It also keeps the weekly snapshots the comparison and the
// long over-capacity clock rest on.
//
// Messages are platform-neutral and may be long: the adapters split them
// within their platform's limits. Every sentence comes from prompts/digest.tmpl.
// It must not import a chat library, the engine or the store.
package digest

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/prompts"
)

// peoplePerSection keeps each section of practitioner lines short enough to
// read and to render as one block on any platform.
const peoplePerSection = 20

// Builder renders digests with one policy, one set of prompts and one time zone.
type Builder struct {
	Policy  *domain.Policy
	Prompts *prompts.Set
	Loc     *time.Location
}

// Build is the digest of one team's channel at now.
func Build(tx domain.Tx, pol *domain.Policy, p *prompts.Set, loc *time.Location, team *domain.Team, now time.Time) ([]domain.Message, error) {
	b := &Builder{Policy: pol, Prompts: p, Loc: loc}
	r, err := b.Team(tx, team, now)
	if err != nil {
		return nil, err
	}
	return b.TeamMessages(r), nil
}

// BuildAcross is the digest of a service manager across the given teams
// (those they oversee) at now.
func BuildAcross(tx domain.Tx, pol *domain.Policy, p *prompts.Set, loc *time.Location, sm domain.PersonID, teams []*domain.Team, now time.Time) ([]domain.Message, error) {
	b := &Builder{Policy: pol, Prompts: p, Loc: loc}
	reports := make([]*Report, 0, len(teams))
	for _, t := range teams {
		r, err := b.Team(tx, t, now)
		if err != nil {
			return nil, err
		}
		reports = append(reports, r)
	}
	return b.AcrossMessages(sm, reports, now), nil
}

// Oversees maps each service manager to the teams that name them, sorted by
// team name.
func Oversees(tx domain.Tx) (map[domain.PersonID][]*domain.Team, error) {
	teams, err := tx.Teams()
	if err != nil {
		return nil, err
	}
	out := map[domain.PersonID][]*domain.Team{}
	for _, t := range teams {
		if t.ServiceManager != "" {
			out[t.ServiceManager] = append(out[t.ServiceManager], t)
		}
	}
	for _, ts := range out {
		sort.SliceStable(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	}
	return out, nil
}

func (b *Builder) say(name string, kv ...any) string {
	d := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		d[kv[i].(string)] = kv[i+1]
	}
	return b.Prompts.Say(name, d)
}

// TeamMessages renders a team's report for its channel. Concerns are shown
// without the name of who raised them: that stays between them and their
// managers.
func (b *Builder) TeamMessages(r *Report) []domain.Message {
	m := domain.Message{
		Title: b.say("digest.title", "R", r),
		Text:  b.say("digest.text", "R", r),
		RAG:   r.Worst(),
		Fields: []domain.Field{
			{Name: b.say("digest.f.colours"), Value: b.say("digest.v.colours", "R", r)},
			{Name: b.say("digest.f.average"), Value: b.say("digest.v.average", "R", r)},
			{Name: b.say("digest.f.waiting"), Value: b.say("digest.v.waiting", "R", r)},
			{Name: b.say("digest.f.concerns"), Value: b.say("digest.v.concerns", "R", r)},
			{Name: b.say("digest.f.overrides"), Value: b.say("digest.v.overrides", "R", r)},
			{Name: b.say("digest.f.hours"), Value: b.say("digest.v.hours", "R", r)},
		},
	}
	m.Fields = append(m.Fields, b.teamlifeFields(r)...)
	m.Sections = append(m.Sections, b.peopleSections(r)...)
	m.Sections = append(m.Sections, b.changeSection(r))
	m.Sections = append(m.Sections, b.reviewsSection(r)...)
	if len(r.Waiting) > 0 {
		s := domain.Section{Title: b.say("digest.waiting", "R", r)}
		for _, w := range r.Waiting {
			rag := domain.RAG("")
			if w.HighRisk {
				rag = domain.Red
			}
			s.Lines = append(s.Lines, domain.Line{Text: b.say("digest.case", "W", w, "Now", r.Now), RAG: rag})
		}
		m.Sections = append(m.Sections, s)
	}
	if len(r.Concerns) > 0 {
		s := domain.Section{Title: b.say("digest.concerns", "R", r)}
		for _, c := range r.Concerns {
			s.Lines = append(s.Lines, domain.Line{Text: b.say("digest.concern", "K", c, "Now", r.Now, "Named", false)})
		}
		m.Sections = append(m.Sections, s)
	}
	if len(r.OverridesDue) > 0 {
		s := domain.Section{Title: b.say("digest.overrides", "R", r)}
		for _, o := range r.OverridesDue {
			s.Lines = append(s.Lines, domain.Line{Text: b.say("digest.override", "O", o, "Now", r.Now)})
		}
		m.Sections = append(m.Sections, s)
	}
	// Extra hours are totals here: who logged them is for the managers'
	// and the service manager's eyes, not the team channel's.
	if b.Policy != nil && b.overCapacity(r) {
		m.Text = b.say("digest.over", "R", r, "At", b.Policy.TeamOverPercent) + "\n" + m.Text
		m.RAG = domain.Red
	}
	m.Footer = b.say("digest.footer", "R", r)
	b.attachTeamChart(&m, r)
	return []domain.Message{m}
}

func (b *Builder) peopleSections(r *Report) []domain.Section {
	if len(r.People) == 0 {
		return []domain.Section{{Title: b.say("digest.people", "From", 0, "To", 0, "Count", 0),
			Lines: []domain.Line{{Text: b.say("digest.people_empty")}}}}
	}
	var out []domain.Section
	for from := 0; from < len(r.People); from += peoplePerSection {
		to := min(from+peoplePerSection, len(r.People))
		s := domain.Section{Title: b.say("digest.people", "From", from+1, "To", to, "Count", len(r.People))}
		for _, p := range r.People[from:to] {
			s.Lines = append(s.Lines, domain.Line{Text: b.say("digest.person", "P", p, "HasPrev", r.Prev != nil), RAG: p.W.RAG})
		}
		out = append(out, s)
	}
	return out
}

func (b *Builder) changeSection(r *Report) domain.Section {
	s := domain.Section{Title: b.say("digest.changes", "R", r)}
	switch {
	case r.Prev == nil:
		s.Lines = append(s.Lines, domain.Line{Text: b.say("digest.no_prev")})
	case len(r.Changes) == 0:
		s.Lines = append(s.Lines, domain.Line{Text: b.say("digest.change.none")})
	}
	for _, c := range r.Changes {
		s.Lines = append(s.Lines, domain.Line{Text: b.say("digest.change."+c.Kind, "C", c), RAG: c.After.RAG})
	}
	return s
}

// Across is the service manager's view of several teams, summed first and
// divided after, as the team figures are.
type Across struct {
	Teams         int
	Practitioners int
	Green         int
	Amber         int
	Red           int
	Load          float64
	Capacity      float64
	Percent       float64
	OpenCases     int
	AverageCases  float64
	AveragePoints float64
	Waiting       int
	HighRisk      int
	Concerns      int
	Unacked       int
	OverridesDue  int
	Hours         float64
	// Names are the teams', in the order given.
	Names []string
}

func across(reports []*Report) Across {
	var a Across
	a.Teams = len(reports)
	for _, r := range reports {
		a.Practitioners += r.S.Practitioners
		a.Green += r.S.Green
		a.Amber += r.S.Amber
		a.Red += r.S.Red
		a.Load += r.S.Load
		a.Capacity += r.S.Capacity
		a.OpenCases += r.S.OpenCases
		a.Waiting += len(r.Waiting)
		a.HighRisk += r.HighRisk
		a.Concerns += len(r.Concerns)
		a.Unacked += r.Unacked
		a.OverridesDue += len(r.OverridesDue)
		a.Hours += r.HoursTotal
		a.Names = append(a.Names, r.Team.Name)
	}
	if a.Capacity > 0 {
		a.Percent = domain.Round1(a.Load / a.Capacity * 100)
	}
	if a.Practitioners > 0 {
		a.AverageCases = domain.Round1(float64(a.OpenCases) / float64(a.Practitioners))
		a.AveragePoints = domain.Round1(a.Load / float64(a.Practitioners))
	}
	return a
}

// AcrossMessages renders a service manager's digest: the figures across
// their teams, a line per team, and what needs their attention by name.
func (b *Builder) AcrossMessages(sm domain.PersonID, reports []*Report, now time.Time) []domain.Message {
	now = now.In(b.Loc)
	a := across(reports)
	worst := domain.Green
	teamLines := make([]domain.Line, 0, len(reports))
	for _, r := range reports {
		worst = domain.Worse(worst, r.Worst())
		teamLines = append(teamLines, domain.Line{Text: b.say("digest.sm.team", "R", r), RAG: r.Worst()})
	}
	if len(teamLines) == 0 {
		teamLines = append(teamLines, domain.Line{Text: b.say("digest.sm.no_teams")})
	}
	m := domain.Message{
		Title: b.say("digest.sm.title", "A", a, "Week", domain.WeekStart(now, b.Loc)),
		Text:  b.say("digest.sm.text", "A", a),
		RAG:   worst,
		Fields: []domain.Field{
			{Name: b.say("digest.f.colours"), Value: b.say("digest.sm.v.colours", "A", a)},
			{Name: b.say("digest.f.average"), Value: b.say("digest.sm.v.average", "A", a)},
			{Name: b.say("digest.f.waiting"), Value: b.say("digest.sm.v.waiting", "A", a)},
			{Name: b.say("digest.f.concerns"), Value: b.say("digest.sm.v.concerns", "A", a)},
			{Name: b.say("digest.f.overrides"), Value: b.say("digest.sm.v.overrides", "A", a)},
			{Name: b.say("digest.f.hours"), Value: b.say("digest.sm.v.hours", "A", a)},
		},
		Sections: []domain.Section{{Title: b.say("digest.sm.teams", "A", a), Lines: teamLines}},
	}
	var red, waiting, concerns, overrides, over, hours []domain.Line
	for _, r := range reports {
		if b.Policy != nil && b.overCapacity(r) {
			over = append(over, domain.Line{Text: b.say("digest.sm.over", "R", r), RAG: domain.Red})
		}
		for _, h := range r.Hours {
			hours = append(hours, domain.Line{Text: b.say("digest.sm.hours_line", "H", h, "Team", r.Team.Name)})
		}
		for _, p := range r.People {
			if p.W.RAG == domain.Red {
				red = append(red, domain.Line{Text: b.say("digest.sm.red", "P", p, "Team", r.Team.Name, "HasPrev", r.Prev != nil), RAG: domain.Red})
			}
		}
		for _, w := range r.Waiting {
			if w.HighRisk {
				waiting = append(waiting, domain.Line{Text: b.say("digest.sm.case", "W", w, "Now", now, "Team", r.Team.Name), RAG: domain.Red})
			}
		}
		for _, c := range r.Concerns {
			concerns = append(concerns, domain.Line{Text: b.say("digest.sm.concern", "K", c, "Now", now, "Team", r.Team.Name, "Named", true)})
		}
		for _, o := range r.OverridesDue {
			overrides = append(overrides, domain.Line{Text: b.say("digest.sm.override", "O", o, "Now", now, "Team", r.Team.Name)})
		}
	}
	for _, s := range []struct {
		name  string
		lines []domain.Line
	}{{"digest.sm.over", over}, {"digest.sm.reds", red}, {"digest.sm.waiting", waiting}, {"digest.sm.concerns", concerns},
		{"digest.sm.overrides", overrides}, {"digest.sm.hours", hours}} {
		if len(s.lines) > 0 {
			m.Sections = append(m.Sections, domain.Section{Title: b.say(s.name+"_title", "Count", len(s.lines), "A", a), Lines: s.lines})
		}
	}
	m.Sections = append(m.Sections, b.teamLifeAcross(reports)...)
	m.Footer = b.say("digest.sm.footer", "Now", now)
	b.attachTrendChart(&m, sm, reports, now)
	return []domain.Message{m}
}

// Text renders a message as plain text for a terminal (safeload digest
// --dry-run): mentions are left as they are, since no platform is at hand.
func Text(m domain.Message) string {
	var b strings.Builder
	if m.Title != "" {
		dot := ""
		if m.RAG != "" {
			dot = prompts.Dot(string(m.RAG)) + " "
		}
		fmt.Fprintf(&b, "%s%s\n", dot, m.Title)
		fmt.Fprintf(&b, "%s\n", strings.Repeat("=", min(72, len([]rune(m.Title))+len([]rune(dot)))))
	}
	if m.Text != "" {
		fmt.Fprintf(&b, "%s\n", m.Text)
	}
	if len(m.Fields) > 0 {
		b.WriteByte('\n')
		for _, f := range m.Fields {
			fmt.Fprintf(&b, "%s: %s\n", f.Name, f.Value)
		}
	}
	for _, s := range m.Sections {
		b.WriteByte('\n')
		if s.Title != "" {
			fmt.Fprintf(&b, "%s\n", s.Title)
		}
		for _, l := range s.Lines {
			fmt.Fprintf(&b, "  %s\n", strings.ReplaceAll(l.Text, "\n", "\n    "))
		}
	}
	if m.Footer != "" {
		fmt.Fprintf(&b, "\n%s\n", m.Footer)
	}
	if m.Image != nil {
		fmt.Fprintf(&b, "\n[%s] %s\n", m.Image.Name, m.Image.Alt)
	}
	return b.String()
}

// Report figures compared with last week's snapshot, for the prompts; each
// is 0 when there is no snapshot.

// DPercent is the change in the team's load %.
func (r *Report) DPercent() float64 {
	if r.Prev == nil {
		return 0
	}
	return domain.Round1(r.S.Percent - r.Prev.Percent)
}

// DGreen is the change in the number of green practitioners.
func (r *Report) DGreen() float64 {
	return r.dCount(r.S.Green, func(s *Snapshot) int { return s.Green })
}

// DAmber is the change in the number of amber practitioners.
func (r *Report) DAmber() float64 {
	return r.dCount(r.S.Amber, func(s *Snapshot) int { return s.Amber })
}

// DRed is the change in the number of red practitioners.
func (r *Report) DRed() float64 { return r.dCount(r.S.Red, func(s *Snapshot) int { return s.Red }) }

// DWaiting is the change in the number of cases not yet allocated.
func (r *Report) DWaiting() float64 {
	return r.dCount(len(r.Waiting), func(s *Snapshot) int { return s.Queued })
}

func (r *Report) dCount(now int, then func(*Snapshot) int) float64 {
	if r.Prev == nil {
		return 0
	}
	return float64(now - then(r.Prev))
}

// DAverageCases is the change in open cases per practitioner.
func (r *Report) DAverageCases() float64 {
	if r.Prev == nil {
		return 0
	}
	return domain.Round1(r.S.AverageCases - r.Prev.AverageCases)
}

// DAveragePoints is the change in points per practitioner.
func (r *Report) DAveragePoints() float64 {
	if r.Prev == nil {
		return 0
	}
	return domain.Round1(r.S.AveragePoints - r.Prev.AveragePoints)
}

// PrevWeek is the Monday of the week compared with.
func (r *Report) PrevWeek() time.Time {
	if r.Prev == nil {
		return time.Time{}
	}
	return r.Prev.Week.Time(r.Now.Location())
}

// LongestWait is when the longest-waiting case started waiting (zero if none).
func (r *Report) LongestWait() time.Time {
	return earliest(r.Waiting, func(w Waiting) time.Time { return w.Since })
}

// OldestConcern is when the oldest open concern was raised (zero if none).
func (r *Report) OldestConcern() time.Time {
	return earliest(r.Concerns, func(c Concern) time.Time { return c.Since })
}

func earliest[T any](xs []T, at func(T) time.Time) time.Time {
	var t time.Time
	for _, x := range xs {
		if a := at(x); t.IsZero() || a.Before(t) {
			t = a
		}
	}
	return t
}

// HoursPeople is how many people logged extra hours in the window.
func (r *Report) HoursPeople() int { return len(r.Hours) }

// overCapacity reports whether a team's load is at or over the policy's
// team level: the service manager is told, and the digest says so first.
func (b *Builder) overCapacity(r *Report) bool {
	if r.S.Capacity <= 0 {
		return r.S.Load > 0
	}
	return r.S.Percent >= b.Policy.TeamOverPercent
}
