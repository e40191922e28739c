package engine

import (
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/prompts"
)

// The engine keeps sentences of /capacity (its fields capTexts,
// reviewTexts and caseLines, each a prompts.Kept) by all that they are
// written from: the keys below. The prompts are fixed for the
// engine's life and the sentences' functions depend on nothing else, so a
// kept sentence is exact; a member's figures rarely change between two
// /capacity, and writing its main sentence out was the largest single
// cost of the command.

// capacityTextKey is all that /capacity's main sentence is written from.
type capacityTextKey struct {
	W     domain.Workload
	Self  bool
	Hours float64
}

// kept is the text c keeps for k, or else say's, which it keeps.
func kept[K comparable](c *prompts.Kept[K], k K, say func() string) string {
	text, _ := c.Get(k, func() (string, error) { return say(), nil })
	return text
}

// capacityText is r.say("capacity.text", …), kept.
func (r *run) capacityText(w domain.Workload, self bool, hours float64) string {
	return kept(&r.e.capTexts, capacityTextKey{W: w, Self: self, Hours: hours}, func() string {
		return r.say("capacity.text", "W", w, "Self", self, "Hours", hours)
	})
}

// reviewTextKey is all that /capacity's line about caseload reviews is
// written from.
type reviewTextKey struct {
	HasReview        bool
	Day              domain.Date
	Outcome          domain.ReviewOutcome
	Note             string
	ByName           string
	Due              domain.Date
	Overdue, Manager bool
}

// reviewText is r.say("teamlife.review_last", …), kept.
func (r *run) reviewText(last *domain.Review, byName string, due domain.Date, overdue, manager bool) string {
	k := reviewTextKey{HasReview: last != nil, ByName: byName, Due: due, Overdue: overdue, Manager: manager}
	if last != nil {
		k.Day, k.Outcome, k.Note = last.Day, last.Outcome, last.Note
	}
	return kept(&r.e.reviewTexts, k, func() string {
		return r.say("teamlife.review_last", "R", last, "ByName", byName, "Due", due, "Overdue", overdue, "Manager", manager)
	})
}

// caseLineKey is all that a line of /capacity's cases is written from.
type caseLineKey struct {
	Ref, Desc string
	Points    float64
	HighRisk  bool
}

// caseLine is r.say("capacity.case", …), kept: a member's cases are shown
// again on every /capacity.
func (r *run) caseLine(c *domain.Case) string {
	k := caseLineKey{Ref: c.Ref, Desc: r.describe(c), Points: r.pol.Points(c), HighRisk: r.pol.IsHighRisk(c)}
	return kept(&r.e.caseLines, k, func() string {
		return r.say("capacity.case", "C", &domain.Case{Ref: k.Ref}, "Desc", k.Desc, "Points", k.Points, "HighRisk", k.HighRisk)
	})
}

// loadText is r.say("propose.v.load", "W", w): a workload's figures as a
// proposal shows them. It is not kept here: the load in it is {{kept
// "load" .W}}, which the prompts keep by the workload.
func (r *run) loadText(w domain.Workload) string { return r.say("propose.v.load", "W", w) }
