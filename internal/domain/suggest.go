package domain

// SuggestReason says, as a code the prompts turn into a sentence, why a
// practitioner is suggested.
type SuggestReason string

const (
	ReasonHeldBefore SuggestReason = "held_before" // continuity wins while it stays safe
	ReasonMostRoom   SuggestReason = "most_room"
	ReasonNoOne      SuggestReason = "no_one"  // nobody eligible
	ReasonNoRoom     SuggestReason = "no_room" // nobody stays green after taking it
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
	// SkippedDeclined counts members passed over for declining the case lately.
	SkippedDeclined int `json:"skipped_declined,omitempty"`
}

// Eligible reports whether m may be suggested for c: a practitioner or ASYE,
// not on leave (capacity 0), and not an ASYE for a high-risk case unless the
// policy allows it.
func (p *Policy) Eligible(m *Member, c *Case, day Date) bool {
	if !m.Role.CarriesCases() || p.Capacity(m, day) <= 0 {
		return false
	}
	if m.Role == RoleASYE && p.ASYEProtected(c) {
		return false
	}
	return m.Person != c.Holder
}

// Suggest picks, for case c, the eligible member with the most room (in
// points) after taking it, preferring one who held c before. Nobody is
// suggested into amber or red, or to the override level. workloads maps
// each member to their current workload.
func (p *Policy) Suggest(c *Case, members []*Member, workloads map[PersonID]Workload, day Date) Suggestion {
	return p.suggest(c, members, workloads, day, nil)
}

func (p *Policy) suggest(c *Case, members []*Member, workloads map[PersonID]Workload, day Date, declined declineSkip) Suggestion {
	points := p.Points(c)
	best := Suggestion{Reason: ReasonNoOne}
	var prev *Suggestion
	noRoom := false
	for _, m := range members {
		if !p.Eligible(m, c, day) {
			if m.Role == RoleASYE && p.ASYEProtected(c) && p.Capacity(m, day) > 0 {
				best.SkippedASYE++
			}
			continue
		}
		if declined != nil && declined(c, m.Person) {
			best.SkippedDeclined++
			continue
		}
		before := workloads[m.Person]
		after := p.WithCase(m, before, points, day)
		if after.RAG != Green || p.NeedsOverride(after) {
			noRoom = true
			continue
		}
		cand := Suggestion{Person: m.Person, Name: m.Name, Before: before, After: after,
			Reason: ReasonMostRoom, Room: after.Capacity - after.Load}
		if c.HeldBefore(m.Person) && !p.NeedsOverride(after) {
			if prev == nil || better(cand, *prev) {
				cand.Reason = ReasonHeldBefore
				prev = &cand
			}
		}
		if best.Reason == ReasonNoOne || better(cand, best) {
			asye, dec := best.SkippedASYE, best.SkippedDeclined
			best = cand
			best.SkippedASYE, best.SkippedDeclined = asye, dec
		}
	}
	if prev != nil {
		prev.SkippedASYE, prev.SkippedDeclined = best.SkippedASYE, best.SkippedDeclined
		return *prev
	}
	if best.Reason == ReasonNoOne && noRoom {
		best.Reason = ReasonNoRoom
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
