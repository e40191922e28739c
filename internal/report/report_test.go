package report_test

import (
	"bytes"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/report"
)

func round1(x float64) float64 { return math.Round(x*10) / 10 }

func build(t *testing.T, f *fixture, from, to domain.Date) *report.Report {
	t.Helper()
	var r *report.Report
	err := f.st.View(func(tx domain.Tx) (err error) {
		r, err = report.Build(tx, report.Options{From: from, To: to, Policy: &f.pol, Loc: london, Now: f.clock.Now()})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestQuarterStart(t *testing.T) {
	for d, want := range map[domain.Date]domain.Date{"2026-09-30": "2026-07-01", "2026-01-01": "2026-01-01", "2026-12-31": "2026-10-01", "2026-06-15": "2026-04-01"} {
		if got := report.QuarterStart(d); got != want {
			t.Errorf("%s: %s, want %s", d, got, want)
		}
	}
}

func TestLastFullQuarter(t *testing.T) {
	for _, tc := range []struct{ now, from, to string }{
		{"2026-11-20", "2026-07-01", "2026-09-30"},
		{"2026-01-01", "2025-10-01", "2025-12-31"},
		{"2026-04-01", "2026-01-01", "2026-03-31"},
		{"2026-06-30", "2026-01-01", "2026-03-31"},
	} {
		from, to := report.LastFullQuarter(at(tc.now, 0), london)
		if string(from) != tc.from || string(to) != tc.to {
			t.Errorf("%s: got %s to %s, want %s to %s", tc.now, from, to, tc.from, tc.to)
		}
	}
}

// TestReportFigures checks every figure against the fixture, computed here
// independently from the loads each week.
func TestReportFigures(t *testing.T) {
	f := newFixture(t)
	from, to := report.LastFullQuarter(f.clock.Now(), london)
	r := build(t, f, from, to)
	if len(r.Teams) != 1 || r.Service != nil {
		t.Fatalf("%d teams, service %v", len(r.Teams), r.Service)
	}
	tm := r.Teams[0]
	if len(tm.Weeks) != 14 || tm.Weeks[0].Week != "2026-06-29" || tm.Weeks[13].Week != "2026-09-28" {
		t.Fatalf("weeks %d, from %s to %s; want the 14 Mondays of Q3 2026", len(tm.Weeks), tm.Weeks[0].Week, tm.Weeks[len(tm.Weeks)-1].Week)
	}
	if tm.Snapshots != 4 || tm.FirstSnapshot != "2026-08-03" {
		t.Fatalf("snapshots %d from %s", tm.Snapshots, tm.FirstSnapshot)
	}
	caps := [3]float64{85, 68, 85} // Alice, Bo (ASYE, 80 %), Cy
	var sumCases, sumPoints float64
	overWeeks := map[int]int{}
	highest := map[int]float64{}
	for w, loads := range f.loads {
		var got report.Week
		for _, x := range tm.Weeks {
			if string(x.Week) == weeks[w] {
				got = x
			}
		}
		var load, cases float64
		green, amber := 0, 0
		for k, n := range loads {
			pts := float64(n) * 8
			load += pts
			cases += float64(n)
			pct := round1(pts / caps[k] * 100)
			if pct >= 100 {
				overWeeks[k]++
				highest[k] = math.Max(highest[k], pct)
				amber++
			} else {
				green++
			}
		}
		want := round1(load / 238 * 100)
		if !got.Has || got.Percent != want || got.Load != load || got.Capacity != 238 || got.Green != green || got.Amber != amber || got.Red != 0 || got.Working != 3 {
			t.Errorf("week %s: %+v; want %.1f %% (%.0f of 238), %d green %d amber", weeks[w], got, want, load, green, amber)
		}
		sumCases += cases / 3
		sumPoints += load / 3
	}
	if !tm.HasAverage || tm.AverageCases != round1(sumCases/4) || tm.AveragePoints != round1(sumPoints/4) {
		t.Errorf("average %v cases %v points, want %v and %v", tm.AverageCases, tm.AveragePoints, round1(sumCases/4), round1(sumPoints/4))
	}
	for _, w := range tm.Weeks {
		if w.Has != (w.Week >= "2026-08-03" && w.Week <= "2026-08-24") {
			t.Errorf("week %s has figures: %v", w.Week, w.Has)
		}
	}
	if len(tm.Over) != 2 || tm.Over[0].Name != "Alice Adams" || tm.Over[0].Weeks != overWeeks[0] || tm.Over[0].Longest != 2 || tm.Over[0].Highest != highest[0] ||
		tm.Over[1].Name != "Bo Brown" || tm.Over[1].Weeks != overWeeks[1] || tm.Over[1].Highest != highest[1] || tm.Over[0].FirstWeekOn != "2026-08-10" {
		t.Errorf("over 100 %%: %+v", tm.Over)
	}
	if w := tm.Waiting; w.Allocated != 3 || w.Median != 48*time.Hour || w.Longest != 21*24*time.Hour ||
		w.HighRisk != 1 || w.HighRiskMedian != 6*time.Hour || w.HighRiskLongest != 6*time.Hour || w.StillWaiting != 0 {
		t.Errorf("waiting: %+v", w)
	}
	if c := tm.Concerns; c.Raised != 3 || c.Acknowledged != 2 || c.InTime != 1 || c.Planned != 2 || c.Resolved != 1 || c.MedianToAck != 84*time.Hour {
		t.Errorf("concerns: %+v", c)
	}
	if o := tm.Overrides; o.Made != 2 || o.Reviewed != 1 || o.OnTime != 1 || o.Overdue != 1 {
		t.Errorf("overrides: %+v", o)
	}
	if h := tm.Hours; h.Total != 9.5 || len(h.People) != 2 || h.People[0].Name != "Alice Adams" || h.People[0].Hours != 5.5 || h.People[0].Entries != 2 || h.People[1].Hours != 4 {
		t.Errorf("hours: %+v", h)
	}
	// Bo is an ASYE in every week, the first (with no role in its
	// snapshot) from the team's membership.
	if len(tm.ASYEs) != 1 {
		t.Fatalf("ASYEs: %+v", tm.ASYEs)
	}
	a := tm.ASYEs[0]
	wantAvg := round1((94.1*3 + 105.9) / 4)
	if a.Name != "Bo Brown" || a.Weeks != 4 || math.Abs(a.Average-wantAvg) > 0.051 || a.Highest != 105.9 || a.WeeksOver != 1 || a.MostCases != 9 || a.CaseLimit != 10.8 {
		t.Errorf("ASYE: %+v (want average %.1f)", a, wantAvg)
	}
}

// TestReportHTMLIsSelfContained: the page carries its figures, its charts
// with words and tables, and nothing that points outside the file.
func TestReportHTMLIsSelfContained(t *testing.T) {
	f := newFixture(t)
	from, to := report.LastFullQuarter(f.clock.Now(), london)
	var buf bytes.Buffer
	if err := report.Render(&buf, build(t, f, from, to)); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	AssertSelfContained(t, page)
	for _, want := range []string{
		"1 Jul 2026 to 30 Sep 2026", "North CIN",
		"Weekly figures were first recorded in the week of 3 Aug 2026",
		"<td>Alice Adams</td><td>2</td><td>2</td><td>103.5 %</td>",
		"<td>Bo Brown</td><td>4</td>",
		"2 days", "21 days", "3 days 12 hours", "1 of 3 (33 %)",
		"How computed", "@page", "size: A4",
		`<svg role="img" aria-labelledby="north-load-alt"`, `<svg role="img" aria-labelledby="north-rag-alt"`,
		"Line chart: Load week by week", "10 Aug: 2 green, 1 amber",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if n := strings.Count(page, `<p class="how">`); n < 9 {
		t.Errorf("%d how-computed lines, want one per figure", n)
	}
	if n := strings.Count(page, "<figure>"); n != 2 || strings.Count(page, "<table") < 2 {
		t.Errorf("%d figures", n)
	}
}

var external = regexp.MustCompile(`(?i)(\b(src|href|action|xlink:href|srcset|poster|data)\s*=|url\s*\(|@import|https?:|//[a-z0-9.-]+\.[a-z]{2,}|<script|<link|<iframe|<object|<embed|<img)`)

// AssertSelfContained fails when page points anywhere outside itself.
func AssertSelfContained(t *testing.T, page string) {
	t.Helper()
	if m := external.FindAllString(page, 5); len(m) > 0 {
		t.Fatalf("the page points outside itself: %q", m)
	}
}

func TestReportOfTwoTeamsHasTheService(t *testing.T) {
	f := newFixture(t)
	f.update(t, func(tx domain.Tx) error {
		if err := tx.PutTeam(&domain.Team{ID: "south", Name: `South <script>alert(1)</script> & "CP"`, CreatedAt: tx.Now()}); err != nil {
			return err
		}
		return tx.PutMember(&domain.Member{Team: "south", Person: "test:di", Name: "Di Dee", Role: domain.RolePractitioner, FTE: 1})
	})
	r := build(t, f, "2026-07-01", "2026-09-30")
	if r.Service == nil || len(r.Teams) != 2 || r.Service.Snapshots != 4 || r.Service.Weeks[6].Percent != r.Teams[0].Weeks[6].Percent {
		t.Fatalf("service %+v", r.Service)
	}
	var buf bytes.Buffer
	if err := report.Render(&buf, r); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	AssertSelfContained(t, page)
	if strings.Contains(page, "<script") {
		t.Fatal("a team's name reached the page unescaped")
	}
	for _, want := range []string{"The whole service", "There are no weekly figures for this team in this period", "<td>Alice Adams</td><td>North CIN</td>",
		"South &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;CP&#34;"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}
