package domain

import (
	"math"
	"sort"
)

// countEpsilon absorbs float error in thresholds like 15 × 0.6, so that 9
// cases is not judged above a threshold computed as 8.999999999.
const countEpsilon = 1e-9

// Round1 rounds to one decimal, the precision people see, halves away from
// zero. The nudge keeps 94.95 (stored as 94.94999…) rounding to 95.0.
func Round1(x float64) float64 {
	if x < 0 {
		return -Round1(-x)
	}
	return math.Round(x*10+1e-9) / 10
}

// IsCaseType reports whether t is one of the policy's case types.
func (p *Policy) IsCaseType(t string) bool { _, ok := p.CaseTypes[t]; return ok }

// IsFactor reports whether f is one of the policy's factors.
func (p *Policy) IsFactor(f string) bool { _, ok := p.Factors[f]; return ok }

// PointPart is one reason a case weighs what it does.
type PointPart struct {
	What   string  `json:"what"` // a case type, a factor, or "children"
	Points float64 `json:"points"`
}

// Breakdown lists the base points of the case's type, each factor's points,
// and the extra children's points, in that order.
func (p *Policy) Breakdown(c *Case) []PointPart {
	parts := []PointPart{{What: c.Type, Points: p.CaseTypes[c.Type].Points}}
	for _, f := range c.Factors {
		parts = append(parts, PointPart{What: f, Points: p.Factors[f]})
	}
	if c.Children > 1 {
		extra := math.Min(float64(c.Children-1)*p.ChildPoints, p.MaxChildPoints)
		parts = append(parts, PointPart{What: "children", Points: extra})
	}
	return parts
}

// Points is a case's weight: base + factors + min(children − 1, 3), the
// sum of its Breakdown in the same order (so to the last bit), without
// building it: every workload figure sums every open case's points.
func (p *Policy) Points(c *Case) float64 {
	var sum float64
	sum += p.CaseTypes[c.Type].Points
	for _, f := range c.Factors {
		sum += p.Factors[f]
	}
	if c.Children > 1 {
		sum += math.Min(float64(c.Children-1)*p.ChildPoints, p.MaxChildPoints)
	}
	return sum
}

// IsHighRisk reports whether the case is flagged high risk by its type or a factor.
func (p *Policy) IsHighRisk(c *Case) bool {
	if contains(p.HighRiskTypes, c.Type) {
		return true
	}
	for _, f := range p.HighRiskFactors {
		if c.HasFactor(f) {
			return true
		}
	}
	return false
}

// ReductionPercent is the sum of the reductions active on day, at most 100.
func ReductionPercent(m *Member, day Date) float64 {
	var sum float64
	for _, r := range m.Reductions {
		if r.ActiveOn(day) {
			sum += r.Percent
		}
	}
	return math.Min(sum, 100)
}

// Capacity is 85 × FTE × (0.8 if ASYE) × (1 − active reductions ÷ 100), in
// points, for a member on day; 0 for roles that carry no cases.
func (p *Policy) Capacity(m *Member, day Date) float64 {
	if !m.Role.CarriesCases() {
		return 0
	}
	c := p.CasePoints() * m.FTE
	if m.Role == RoleASYE {
		c *= p.ASYEShare(m, day)
	}
	return math.Max(0, c*(1-ReductionPercent(m, day)/100))
}

// LoadRAG rates a rounded load %. With no capacity, any load is red.
func (p *Policy) LoadRAG(load, capacity, percent float64) (rag RAG, room bool) {
	if capacity <= 0 {
		if load > 0 {
			return Red, false
		}
		return Green, false
	}
	switch {
	case percent >= p.LoadBands.RedFrom:
		return Red, false
	case percent >= p.LoadBands.AmberFrom:
		return Amber, false
	}
	return Green, percent < p.LoadBands.GreenRoomBelow
}

// CountScale is FTE, × 0.9 for an ASYE: the share of the count thresholds.
func (p *Policy) CountScale(m *Member) float64 {
	s := m.FTE
	if m.Role == RoleASYE {
		s *= p.ASYECountFactor
	}
	return s
}

// CountRAG rates a number of open cases: green while cases ≤ 12 × s, amber
// while cases ≤ 15 × s, red above (thresholds not rounded).
func (p *Policy) CountRAG(m *Member, cases int) RAG {
	s := p.CountScale(m)
	n := float64(cases)
	switch {
	case n <= p.CountBands.GreenMax*s+countEpsilon:
		return Green
	case n <= p.CountBands.AmberMax*s+countEpsilon:
		return Amber
	}
	return Red
}

// Workload is one member's figures on one day.
type Workload struct {
	Person   PersonID `json:"person"`
	Name     string   `json:"name,omitempty"`
	Role     Role     `json:"role"`
	FTE      float64  `json:"fte"`
	Capacity float64  `json:"capacity"`
	Load     float64  `json:"load"`
	// Percent is load ÷ capacity × 100 rounded to one decimal; meaningless
	// when Capacity is 0 (see HasPercent).
	Percent  float64 `json:"percent"`
	Cases    int     `json:"cases"`
	LoadRAG  RAG     `json:"load_rag,omitempty"`
	CountRAG RAG     `json:"count_rag,omitempty"`
	RAG      RAG     `json:"rag,omitempty"`
	Room     bool    `json:"room,omitempty"` // green with room
	// OnLeave is a case carrier whose reductions take all their capacity.
	OnLeave bool `json:"on_leave,omitempty"`
}

// HasPercent reports whether a load % can be given (capacity above 0).
func (w Workload) HasPercent() bool { return w.Capacity > 0 }

// Workload computes a member's figures from the open cases they hold; cases
// not held by m or closed are ignored, so a whole team's list may be passed.
func (p *Policy) Workload(m *Member, cases []*Case, day Date) Workload {
	w := Workload{Person: m.Person, Name: m.Name, Role: m.Role, FTE: m.FTE}
	if !m.Role.CarriesCases() {
		return w
	}
	var load float64
	n := 0
	for _, c := range cases {
		if c.Holder == m.Person && c.Status == CaseAllocated {
			load += p.Points(c)
			n++
		}
	}
	return p.rate(m, day, load, n)
}

// WithCase is w after taking one more case of the given points.
func (p *Policy) WithCase(m *Member, w Workload, points float64, day Date) Workload {
	return p.rate(m, day, w.Load+points, w.Cases+1)
}

// WithoutCase is w after giving up a case of the given points.
func (p *Policy) WithoutCase(m *Member, w Workload, points float64, day Date) Workload {
	return p.rate(m, day, math.Max(0, w.Load-points), max(0, w.Cases-1))
}

// Reweighed is w with one held case's points changed from old to new.
func (p *Policy) Reweighed(m *Member, w Workload, oldPoints, newPoints float64, day Date) Workload {
	return p.rate(m, day, math.Max(0, w.Load-oldPoints+newPoints), w.Cases)
}

func (p *Policy) rate(m *Member, day Date, load float64, cases int) Workload {
	w := Workload{Person: m.Person, Name: m.Name, Role: m.Role, FTE: m.FTE,
		Capacity: p.Capacity(m, day), Load: load, Cases: cases}
	if w.Capacity > 0 {
		w.Percent = Round1(load / w.Capacity * 100)
	}
	w.LoadRAG, w.Room = p.LoadRAG(load, w.Capacity, w.Percent)
	w.CountRAG = p.CountRAG(m, cases)
	w.RAG = Worse(w.LoadRAG, w.CountRAG)
	// "With room" belongs to green only: a count-amber worker has no room.
	w.Room = w.Room && w.RAG == Green
	w.OnLeave = w.Capacity <= 0 && m.FTE > 0 && ReductionPercent(m, day) >= 100
	return w
}

// NeedsOverride reports whether taking a load to w needs an override: at
// or over the override level of load, or red by the number of cases.
func (p *Policy) NeedsOverride(w Workload) bool {
	if w.Capacity <= 0 {
		return true
	}
	return w.Percent >= p.OverrideAt || w.CountRAG == Red
}

// TeamSummary rolls a team up: points are summed first and divided after.
type TeamSummary struct {
	Workloads []Workload `json:"workloads"` // case-carrying members, worst first
	Green     int        `json:"green"`
	Amber     int        `json:"amber"`
	Red       int        `json:"red"`
	Load      float64    `json:"load"`
	Capacity  float64    `json:"capacity"`
	// Percent is the team's total load ÷ total capacity, rounded to one decimal.
	Percent float64 `json:"percent"`
	// Practitioners counts practitioners and ASYEs (students and managers not).
	Practitioners int `json:"practitioners"`
	OpenCases     int `json:"open_cases"` // held by practitioners
	// AverageCases is open cases per practitioner; AveragePoints likewise.
	AverageCases  float64 `json:"average_cases"`
	AveragePoints float64 `json:"average_points"`
	Queued        int     `json:"queued"`
}

// Summarise computes every case-carrying member's workload and the team's
// roll-up. cases may include closed and queued ones.
func (p *Policy) Summarise(members []*Member, cases []*Case, day Date) TeamSummary {
	var s TeamSummary
	byHolder := make(map[PersonID][]*Case)
	for _, c := range cases {
		switch c.Status {
		case CaseAllocated:
			byHolder[c.Holder] = append(byHolder[c.Holder], c)
		case CaseQueued, CaseProposed:
			s.Queued++
		}
	}
	for _, m := range members {
		if !m.Role.CarriesCases() {
			continue
		}
		w := p.Workload(m, byHolder[m.Person], day)
		s.Workloads = append(s.Workloads, w)
		s.Practitioners++
		s.OpenCases += w.Cases
		s.Load += w.Load
		s.Capacity += w.Capacity
		switch w.RAG {
		case Red:
			s.Red++
		case Amber:
			s.Amber++
		default:
			s.Green++
		}
	}
	if s.Capacity > 0 {
		s.Percent = Round1(s.Load / s.Capacity * 100)
	}
	if s.Practitioners > 0 {
		s.AverageCases = Round1(float64(s.OpenCases) / float64(s.Practitioners))
		s.AveragePoints = Round1(s.Load / float64(s.Practitioners))
	}
	SortWorstFirst(s.Workloads)
	return s
}

// SortWorstFirst orders workloads red first, then by load % (no capacity
// first), then by name.
func SortWorstFirst(ws []Workload) {
	sort.SliceStable(ws, func(i, j int) bool {
		a, b := ws[i], ws[j]
		if a.RAG.rank() != b.RAG.rank() {
			return a.RAG.rank() > b.RAG.rank()
		}
		ap, bp := a.Percent, b.Percent
		if !a.HasPercent() && a.Load > 0 {
			ap = math.Inf(1)
		}
		if !b.HasPercent() && b.Load > 0 {
			bp = math.Inf(1)
		}
		if ap != bp {
			return ap > bp
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Person < b.Person
	})
}

// SortQueue orders waiting cases moved in from another team first, then high risk, then longest waiting, then
// heaviest, then by reference.
func (p *Policy) SortQueue(cases []*Case) {
	sort.SliceStable(cases, func(i, j int) bool {
		a, b := cases[i], cases[j]
		// A case another team sent waits at the top: it was someone's already.
		if ma, mb := a.MovedFrom != "", b.MovedFrom != ""; ma != mb {
			return ma
		}
		if ha, hb := p.IsHighRisk(a), p.IsHighRisk(b); ha != hb {
			return ha
		}
		if !a.QueuedSince.Equal(b.QueuedSince) {
			return a.QueuedSince.Before(b.QueuedSince)
		}
		if pa, pb := p.Points(a), p.Points(b); pa != pb {
			return pa > pb
		}
		return a.Ref < b.Ref
	})
}
