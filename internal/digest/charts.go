package digest

import (
	"strings"
	"time"

	"github.com/safeload/safeload/internal/chart"
	"github.com/safeload/safeload/internal/domain"
)

// TrendWeeks is how many weeks a service manager's chart shows.
const TrendWeeks = 12

// TeamChart is the picture of a team's digest: each practitioner's load %
// in the order of the board, against the bands.
func (b *Builder) TeamChart(r *Report) chart.TeamChart {
	return chart.TeamChart{Title: b.say("chart.team.title", "R", r), Bars: chart.BarsOf(r.S.Workloads), Bands: chart.BandsOf(b.Policy)}
}

// TrendChart is the picture of a service manager's digest: each team's
// load % over the last TrendWeeks weeks, from the weekly snapshots, this
// week's from the figures of now when its snapshot is not taken yet.
func (b *Builder) TrendChart(reports []*Report, now time.Time) chart.TrendChart {
	week := domain.WeekStart(now.In(b.Loc), b.Loc)
	t := chart.TrendChart{Title: b.say("chart.trend.title", "Count", len(reports), "Weeks", TrendWeeks), Bands: chart.BandsOf(b.Policy)}
	var weeks []domain.Date
	for i := TrendWeeks - 1; i >= 0; i-- {
		w := week.AddDate(0, 0, -7*i)
		weeks = append(weeks, domain.DateOf(w))
		t.Weeks = append(t.Weeks, w.Format("2 Jan"))
	}
	for _, r := range reports {
		s := chart.Series{Name: r.Team.Name, Percent: make([]float64, len(weeks)), Has: make([]bool, len(weeks))}
		byWeek := map[domain.Date]*Snapshot{}
		for _, snap := range r.History {
			byWeek[snap.Week] = snap
		}
		for i, w := range weeks {
			if snap := byWeek[w]; snap != nil && snap.Capacity > 0 {
				s.Percent[i], s.Has[i] = snap.Percent, true
			}
		}
		if last := len(weeks) - 1; byWeek[weeks[last]] == nil && r.S.Capacity > 0 {
			s.Percent[last], s.Has[last] = r.S.Percent, true
		}
		t.Series = append(t.Series, s)
	}
	return t
}

// attachTeamChart puts the team's chart on its digest message, as figures
// to be drawn when it is sent (chart.Draw). A chart that cannot be kept
// leaves the digest without a picture rather than without a digest.
func (b *Builder) attachTeamChart(m *domain.Message, r *Report) {
	tc := b.TeamChart(r)
	img, err := chart.TeamImage(tc, r.Team.ID+"-load-"+string(domain.DateOf(r.Week))+".png", b.say("chart.team.alt", "C", tc))
	if err != nil {
		return
	}
	m.Image = img
}

// attachTrendChart puts the teams' 12-week chart on a service manager's
// digest message.
func (b *Builder) attachTrendChart(m *domain.Message, sm domain.PersonID, reports []*Report, now time.Time) {
	if len(reports) == 0 {
		return
	}
	tc := b.TrendChart(reports, now)
	week := domain.DateOf(domain.WeekStart(now.In(b.Loc), b.Loc))
	img, err := chart.TrendImage(tc, fileSafe(string(sm))+"-teams-load-"+string(week)+".png", b.say("chart.trend.alt", "C", tc))
	if err != nil {
		return
	}
	m.Image = img
}

// fileSafe keeps letters, digits and '-' of s, so a person ID can name a
// file ("slack:U0SM" → "slack-U0SM").
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, s)
}
