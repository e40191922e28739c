// Package report builds the quarterly report that an employer publishes and
// takes to its strategic leaders: per team and for the service as a whole,
// average caseloads, load % and RAG counts week by week, who was over 100 %
// and for how long, waiting times for allocation, capacity concerns,
// overrides, additional hours and ASYEs' protected caseloads. The figures
// come from the weekly snapshots and the store's records; the page is one
// self-contained HTML file (inline SVG charts and CSS, nothing fetched).
//
// It reads through domain.Tx and never writes; it imports no chat library
// and no store.
package report

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/safeload/safeload/internal/digest"
	"github.com/safeload/safeload/internal/domain"
)

// Options choose what a report covers.
type Options struct {
	From, To domain.Date // inclusive
	Team     string      // one team's ID, or "" for every team
	Policy   *domain.Policy
	Loc      *time.Location
	// AckWithin overrides the policy's acknowledgement deadline (as
	// SAFELOAD_ACK_WITHIN does for the clocks); 0 keeps the policy's.
	AckWithin time.Duration
	Now       time.Time
}

// LastFullQuarter is the calendar quarter (January–March, April–June,
// July–September, October–December) before the one now falls in.
func LastFullQuarter(now time.Time, loc *time.Location) (from, to domain.Date) {
	now = now.In(loc)
	q := (int(now.Month()) - 1) / 3
	start := time.Date(now.Year(), time.Month(q*3+1), 1, 0, 0, 0, 0, loc).AddDate(0, -3, 0)
	return domain.DateOf(start), domain.DateOf(start.AddDate(0, 3, -1))
}

// QuarterStart is the first day of the calendar quarter d falls in.
func QuarterStart(d domain.Date) domain.Date {
	s := string(d)
	if len(s) < 7 {
		return d
	}
	month := (int(s[5]-'0')*10 + int(s[6]-'0') - 1) / 3 * 3
	return domain.Date(fmt.Sprintf("%s-%02d-01", s[:4], month+1))
}

// Report is the whole report.
type Report struct {
	From, To  domain.Date
	Generated time.Time
	Bands     LoadBands
	Teams     []*Team
	// Service is every team together (only when there is more than one).
	Service *Team
}

// LoadBands are the bands of the policy, for the page's words.
type LoadBands struct{ Room, Amber, Red float64 }

// Team is one team's figures over the period (or the service's).
type Team struct {
	ID, Name string
	// Weeks are the Mondays of the period, with the figures of the weeks
	// that have a snapshot.
	Weeks []Week
	// FirstSnapshot is the team's earliest weekly snapshot ever ("" when it
	// has none): a store older than the report reports from there.
	FirstSnapshot domain.Date
	Snapshots     int // weeks of the period with figures

	AverageCases, AveragePoints float64 // mean over the weeks with figures
	HasAverage                  bool

	Over      []OverRow
	Waiting   WaitStats
	Concerns  ConcernStats
	Overrides OverrideStats
	Hours     HoursStats
	ASYEs     []ASYERow

	// Team names the series of the service's chart.
	series []*Team
}

// Week is one week's figures.
type Week struct {
	Week       domain.Date
	Has        bool
	Load       float64
	Capacity   float64
	Percent    float64 // rounded to one decimal; meaningless without capacity
	Green      int
	Amber      int
	Red        int
	Working    int // practitioners and ASYEs with capacity (not on leave)
	Cases      int // open cases they held
	Points     float64
	AvgCases   float64
	AvgPoints  float64
	HasPercent bool
}

// OverRow is a practitioner who was at or over 100 % in some week.
type OverRow struct {
	Team        string
	Name        string
	Weeks       int // weeks at or over the amber line
	Longest     int // most weeks in a row
	Highest     float64
	NoCapacity  bool // over because they had load and no capacity
	FirstWeekOn domain.Date
}

// WaitStats are the waits of the cases allocated in the period, from when
// they joined the queue to when their allocation was accepted.
type WaitStats struct {
	Allocated        int
	Median, Longest  time.Duration
	HighRisk         int
	HighRiskMedian   time.Duration
	HighRiskLongest  time.Duration
	StillWaiting     int // queued at the end of the period (when it is past)
	StillWaitingHigh int
}

// ConcernStats count the capacity concerns raised in the period.
type ConcernStats struct {
	Raised, Acknowledged, InTime, Planned, Resolved int
	MedianToAck                                     time.Duration
}

// OverrideStats count the allocations above the safe level made in the
// period and their reviews.
type OverrideStats struct {
	Made, Reviewed, OnTime, Overdue int
}

// HoursStats sum the additional hours logged in the period.
type HoursStats struct {
	Total  float64
	People []HoursRow
}

// HoursRow is one person's additional hours.
type HoursRow struct {
	Team, Name string
	Hours      float64
	Entries    int
}

// ASYERow is a newly qualified worker's load against their protected
// (reduced) capacity.
type ASYERow struct {
	Team, Name      string
	Weeks           int
	Average         float64 // mean load % of their protected capacity
	Highest         float64
	WeeksOver       int // weeks at or over 100 % of it
	MostCases       int
	CaseLimit       float64 // the green count limit for them
	HasPercentWeeks int
}

// Build works the report out from the store.
func Build(tx domain.Tx, o Options) (*Report, error) {
	pol := o.Policy
	r := &Report{From: o.From, To: o.To, Generated: o.Now.In(o.Loc),
		Bands: LoadBands{pol.LoadBands.GreenRoomBelow, pol.LoadBands.AmberFrom, pol.LoadBands.RedFrom}}
	teams, err := tx.Teams()
	if err != nil {
		return nil, err
	}
	sort.SliceStable(teams, func(i, j int) bool { return teams[i].Name < teams[j].Name })
	var all []*input
	for _, t := range teams {
		if o.Team != "" && t.ID != o.Team {
			continue
		}
		in, err := load(tx, t, o)
		if err != nil {
			return nil, err
		}
		all = append(all, in)
		r.Teams = append(r.Teams, in.compute(o))
	}
	if len(all) > 1 {
		r.Service = merge(all).compute(o)
		r.Service.series = r.Teams
	}
	return r, nil
}

// input is what the figures of one team (or of several merged) rest on.
type input struct {
	id, name string
	first    domain.Date
	snaps    map[domain.Date][]*digest.Snapshot // by week; several for a merge
	roles    map[domain.PersonID]domain.Role
	fte      map[domain.PersonID]float64
	names    map[domain.PersonID]string
	teamOf   map[domain.PersonID]string
	cases    []*domain.Case
	concerns []*domain.Concern
	hours    []*domain.HoursEntry
	audit    []*domain.AuditEntry
}

func load(tx domain.Tx, t *domain.Team, o Options) (*input, error) {
	in := &input{id: t.ID, name: t.Name, snaps: map[domain.Date][]*digest.Snapshot{},
		roles: map[domain.PersonID]domain.Role{}, fte: map[domain.PersonID]float64{},
		names: map[domain.PersonID]string{}, teamOf: map[domain.PersonID]string{}}
	snaps, err := digest.Snapshots(tx, t.ID)
	if err != nil {
		return nil, err
	}
	for _, s := range snaps {
		if in.first == "" || s.Week < in.first {
			in.first = s.Week
		}
		if s.Week >= weekOf(o.From, o.Loc) && s.Week <= o.To {
			in.snaps[s.Week] = append(in.snaps[s.Week], s)
		}
	}
	members, err := tx.Members(t.ID)
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		in.roles[m.Person], in.fte[m.Person], in.names[m.Person], in.teamOf[m.Person] = m.Role, m.FTE, m.Name, t.Name
	}
	if in.cases, err = tx.Cases(t.ID); err != nil {
		return nil, err
	}
	if in.concerns, err = tx.Concerns(t.ID, false); err != nil {
		return nil, err
	}
	from, end := o.From.Time(o.Loc), o.To.AddDays(1).Time(o.Loc)
	hours, err := tx.Hours(t.ID, from)
	if err != nil {
		return nil, err
	}
	for _, h := range hours {
		if !h.At.Before(from) && h.At.Before(end) {
			in.hours = append(in.hours, h)
		}
	}
	if in.audit, err = tx.AuditLog(t.ID, from); err != nil {
		return nil, err
	}
	return in, nil
}

// weekOf is the Monday of d's week.
func weekOf(d domain.Date, loc *time.Location) domain.Date {
	return digest.WeekOf(d.Time(loc), loc)
}

// merge puts several teams' inputs together: each week's snapshots side
// by side, every record in one list.
func merge(ins []*input) *input {
	out := &input{id: "", name: "", snaps: map[domain.Date][]*digest.Snapshot{},
		roles: map[domain.PersonID]domain.Role{}, fte: map[domain.PersonID]float64{},
		names: map[domain.PersonID]string{}, teamOf: map[domain.PersonID]string{}}
	for _, in := range ins {
		if in.first != "" && (out.first == "" || in.first < out.first) {
			out.first = in.first
		}
		for w, ss := range in.snaps {
			out.snaps[w] = append(out.snaps[w], ss...)
		}
		for p, r := range in.roles {
			out.roles[p], out.fte[p], out.names[p], out.teamOf[p] = r, in.fte[p], in.names[p], in.teamOf[p]
		}
		out.cases = append(out.cases, in.cases...)
		out.concerns = append(out.concerns, in.concerns...)
		out.hours = append(out.hours, in.hours...)
		out.audit = append(out.audit, in.audit...)
	}
	return out
}

// member is one person's line in one week, with the team it came from.
type member struct {
	digest.MemberSnapshot
	team string
}

func (in *input) compute(o Options) *Team {
	pol := o.Policy
	t := &Team{ID: in.id, Name: in.name, FirstSnapshot: in.first}
	amberAt := pol.LoadBands.AmberFrom
	type run struct {
		row  *OverRow
		last int // index of the last week counted
		cur  int
	}
	over := map[string]*run{}
	var overOrder []string
	asyes := map[string]*ASYERow{}
	var asyeOrder []string
	var sumCases, sumPoints float64
	i := 0
	for w := weekOf(o.From, o.Loc); w <= o.To; w = w.AddDays(7) {
		wk := Week{Week: w}
		var members []member
		for _, s := range in.snaps[w] {
			wk.Has = true
			wk.Load += s.Load
			wk.Capacity += s.Capacity
			wk.Green += s.Green
			wk.Amber += s.Amber
			wk.Red += s.Red
			for _, m := range s.Members {
				members = append(members, member{m, in.teamName(s.Team, m.Person)})
			}
		}
		if wk.Has {
			t.Snapshots++
			if wk.Capacity > 0 {
				wk.Percent, wk.HasPercent = domain.Round1(wk.Load/wk.Capacity*100), true
			}
			for _, m := range members {
				if m.Capacity > 0 {
					wk.Working++
					wk.Cases += m.Cases
					wk.Points += m.Load
				}
				key := m.team + "\x00" + string(m.Person)
				if m.Over(amberAt) {
					r := over[key]
					if r == nil {
						r = &run{row: &OverRow{Team: m.team, Name: in.nameOf(m.MemberSnapshot), FirstWeekOn: w}, last: -2}
						over[key] = r
						overOrder = append(overOrder, key)
					}
					r.row.Weeks++
					if r.last == i-1 {
						r.cur++
					} else {
						r.cur = 1
					}
					r.last = i
					r.row.Longest = max(r.row.Longest, r.cur)
					if m.Capacity <= 0 {
						r.row.NoCapacity = true
					} else {
						r.row.Highest = math.Max(r.row.Highest, m.Percent)
					}
				}
				role := m.Role
				if role == "" {
					role = in.roles[m.Person]
				}
				if role == domain.RoleASYE {
					a := asyes[key]
					if a == nil {
						fte := m.FTE
						if fte == 0 {
							fte = in.fte[m.Person]
						}
						a = &ASYERow{Team: m.team, Name: in.nameOf(m.MemberSnapshot),
							CaseLimit: domain.Round1(pol.CountBands.GreenMax * fte * pol.ASYECountFactor)}
						asyes[key] = a
						asyeOrder = append(asyeOrder, key)
					}
					a.Weeks++
					a.MostCases = max(a.MostCases, m.Cases)
					if m.Capacity > 0 {
						a.HasPercentWeeks++
						a.Average += m.Percent
						a.Highest = math.Max(a.Highest, m.Percent)
					}
					if m.Over(amberAt) {
						a.WeeksOver++
					}
				}
			}
			if wk.Working > 0 {
				wk.AvgCases = domain.Round1(float64(wk.Cases) / float64(wk.Working))
				wk.AvgPoints = domain.Round1(wk.Points / float64(wk.Working))
				sumCases += float64(wk.Cases) / float64(wk.Working)
				sumPoints += wk.Points / float64(wk.Working)
			}
		}
		t.Weeks = append(t.Weeks, wk)
		i++
	}
	withWorking := 0
	for _, w := range t.Weeks {
		if w.Has && w.Working > 0 {
			withWorking++
		}
	}
	if withWorking > 0 {
		t.AverageCases = domain.Round1(sumCases / float64(withWorking))
		t.AveragePoints = domain.Round1(sumPoints / float64(withWorking))
		t.HasAverage = true
	}
	for _, k := range overOrder {
		t.Over = append(t.Over, *over[k].row)
	}
	sort.SliceStable(t.Over, func(i, j int) bool {
		if t.Over[i].Weeks != t.Over[j].Weeks {
			return t.Over[i].Weeks > t.Over[j].Weeks
		}
		return t.Over[i].Name < t.Over[j].Name
	})
	for _, k := range asyeOrder {
		a := asyes[k]
		if a.HasPercentWeeks > 0 {
			a.Average = domain.Round1(a.Average / float64(a.HasPercentWeeks))
		}
		t.ASYEs = append(t.ASYEs, *a)
	}
	t.Waiting = in.waiting(o)
	t.Concerns = in.concernStats(o)
	t.Overrides = in.overrideStats(o)
	t.Hours = in.hoursStats()
	return t
}

func (in *input) teamName(teamID string, p domain.PersonID) string {
	if in.id != "" {
		return in.name
	}
	if n := in.teamOf[p]; n != "" {
		return n
	}
	return teamID
}

func (in *input) nameOf(m digest.MemberSnapshot) string {
	if m.Name != "" {
		return m.Name
	}
	if n := in.names[m.Person]; n != "" {
		return n
	}
	return string(m.Person)
}

// bounds are the period's first instant and the instant after its end.
func bounds(o Options) (from, end time.Time) {
	return o.From.Time(o.Loc), o.To.AddDays(1).Time(o.Loc)
}

func (in *input) waiting(o Options) WaitStats {
	from, end := bounds(o)
	var all, high []time.Duration
	var s WaitStats
	for _, c := range in.cases {
		// A case that never waited in the queue (imported as allocated)
		// has no wait to count.
		queued := c.QueuedSince
		if queued.IsZero() || c.AllocatedAt.Before(queued) {
			continue
		}
		if !c.AllocatedAt.Before(from) && c.AllocatedAt.Before(end) {
			d := c.AllocatedAt.Sub(queued)
			all = append(all, d)
			if o.Policy.IsHighRisk(c) {
				high = append(high, d)
			}
		}
	}
	// Cases still waiting at the end of a period that is over: only the
	// queue as it stands now can say, so this is given for a period that
	// ends today or later.
	if !end.Before(o.Now) {
		for _, c := range in.cases {
			if c.Status == domain.CaseQueued || c.Status == domain.CaseProposed {
				s.StillWaiting++
				if o.Policy.IsHighRisk(c) {
					s.StillWaitingHigh++
				}
			}
		}
	}
	s.Allocated, s.Median, s.Longest = len(all), median(all), longest(all)
	s.HighRisk, s.HighRiskMedian, s.HighRiskLongest = len(high), median(high), longest(high)
	return s
}

func (in *input) concernStats(o Options) ConcernStats {
	from, end := bounds(o)
	var s ConcernStats
	var toAck []time.Duration
	for _, c := range in.concerns {
		if c.RaisedAt.Before(from) || !c.RaisedAt.Before(end) {
			continue
		}
		s.Raised++
		if c.Acknowledged() {
			s.Acknowledged++
			toAck = append(toAck, c.AckAt.Sub(c.RaisedAt))
			if !c.AckAt.After(o.Policy.AckDeadline(c.RaisedAt, o.AckWithin, o.Loc)) {
				s.InTime++
			}
		}
		if c.Plan != "" {
			s.Planned++
		}
		if c.Resolved() {
			s.Resolved++
		}
	}
	s.MedianToAck = median(toAck)
	return s
}

// overrideStats counts the overrides made in the period; one is reviewed
// on time when an audit entry of its review (an action naming "review" on
// the case) falls on or before its review date.
func (in *input) overrideStats(o Options) OverrideStats {
	from, end := bounds(o)
	today := domain.DateOf(o.Now.In(o.Loc))
	var s OverrideStats
	for _, c := range in.cases {
		ov := c.Override
		if ov == nil || ov.At.Before(from) || !ov.At.Before(end) {
			continue
		}
		s.Made++
		var reviewed time.Time
		for _, e := range in.audit {
			if e.Subject == c.Ref && strings.Contains(e.Action, "review") && e.At.After(ov.At) {
				reviewed = e.At
				break
			}
		}
		if reviewed.IsZero() && !ov.ReviewedAt.IsZero() {
			reviewed = ov.ReviewedAt
		}
		switch {
		case !reviewed.IsZero() || ov.Reviewed:
			s.Reviewed++
			if !reviewed.IsZero() && domain.DateOf(reviewed.In(o.Loc)) <= ov.ReviewOn {
				s.OnTime++
			}
		case ov.ReviewOn != "" && ov.ReviewOn < today:
			s.Overdue++
		}
	}
	return s
}

func (in *input) hoursStats() HoursStats {
	var s HoursStats
	by := map[domain.PersonID]*HoursRow{}
	var order []domain.PersonID
	for _, h := range in.hours {
		r := by[h.By]
		if r == nil {
			name := in.names[h.By]
			if name == "" {
				name = string(h.By)
			}
			r = &HoursRow{Team: in.teamOf[h.By], Name: name}
			by[h.By] = r
			order = append(order, h.By)
		}
		r.Hours += h.Hours
		r.Entries++
		s.Total += h.Hours
	}
	for _, p := range order {
		s.People = append(s.People, *by[p])
	}
	sort.SliceStable(s.People, func(i, j int) bool { return s.People[i].Hours > s.People[j].Hours })
	s.Total = domain.Round1(s.Total)
	return s
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func longest(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}
