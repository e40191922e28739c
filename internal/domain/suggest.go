package domain

// SuggestReason says, as a code the prompts turn into a sentence, why a
// practitioner is suggested.
type SuggestReason string

const (
	ReasonHeldBefore SuggestReason = "held_before" // continuity wins while it stays safe
	ReasonMostRoom   SuggestReason = "most_room"
	ReasonNoOne      SuggestReason = "no_one" // nobody eligible
)

// Suggestion is who should take a case and why.
type Suggestion struct {
	Person PersonID      `json:"person,omitempty"`
	Name   string        `json:"name,omitempty"`
	Before Workload      `json:"before"`
	After  Workload      `json:"after"`
	Reason SuggestReason `json:"reason"`
	// Room is capacity − load after taking the case, in points.
	Room float64 `json:"room"`
	// Skipped counts members passed over for being ASYE on a high-risk case.
	SkippedASYE int `json:"skipped_asye,omitempty"`
}

// Eligible reports whether m may be suggested for c: a practitioner or ASYE,
// not on leave (capacity 0), and not an ASYE for a high-risk case unless the
// policy allows it.
func (p *Policy) Eligible(m *Member, c *Case, day Date) bool {
	if !m.Role.CarriesCases() || p.Capacity(m, day) <= 0 {
		return false
	}
	if m.Role == RoleASYE && p.IsHighRisk(c) && !p.ASYEHighRisk {
		return false
	}
	return m.Person != c.Holder
}

// Suggest picks, for case c, the eligible member with the most room (in
// points) after taking it, preferring one who held c before as long as it
// keeps them below the override level. workloads maps each member to their
// current workload.
func (p *Policy) Suggest(c *Case, members []*Member, workloads map[PersonID]Workload, day Date) Suggestion {
	points := p.Points(c)
	best := Suggestion{Reason: ReasonNoOne}
	var prev *Suggestion
	for _, m := range members {
		if !p.Eligible(m, c, day) {
			if m.Role == RoleASYE && p.IsHighRisk(c) && p.Capacity(m, day) > 0 {
				best.SkippedASYE++
			}
			continue
		}
		before := workloads[m.Person]
		after := p.WithCase(m, before, points, day)
		cand := Suggestion{Person: m.Person, Name: m.Name, Before: before, After: after,
			Reason: ReasonMostRoom, Room: after.Capacity - after.Load}
		if c.HeldBefore(m.Person) && !p.NeedsOverride(after) {
			if prev == nil || better(cand, *prev) {
				cand.Reason = ReasonHeldBefore
				prev = &cand
			}
		}
		if best.Reason == ReasonNoOne || better(cand, best) {
			skipped := best.SkippedASYE
			best = cand
			best.SkippedASYE = skipped
		}
	}
	if prev != nil {
		prev.SkippedASYE = best.SkippedASYE
		return *prev
	}
	return best
}

// better ranks by room after, then the lower load % after, then person ID so
// that the answer never depends on map or slice order.
func better(a, b Suggestion) bool {
	if a.Room != b.Room {
		return a.Room > b.Room
	}
	if a.After.Percent != b.After.Percent {
		return a.After.Percent < b.After.Percent
	}
	return a.Person < b.Person
}
