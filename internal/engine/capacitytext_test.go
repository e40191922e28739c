package engine

import (
	"strings"
	"testing"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/prompts"
)

// A kept sentence is the sentence written afresh, for every shape of
// workload, on a miss and on every hit after it.
func TestCapacityTextIsTheSentence(t *testing.T) {
	e := &Engine{prompts: prompts.MustLoad()}
	r := &run{e: e}
	var ws []domain.Workload
	for _, rag := range []domain.RAG{domain.Green, domain.Amber, domain.Red} {
		for _, count := range []domain.RAG{domain.Green, domain.Amber, domain.Red} {
			for _, capacity := range []float64{0, 20} {
				ws = append(ws,
					domain.Workload{Person: "slack:U1", Name: "Ann", Role: "practitioner", FTE: 0.8, Capacity: capacity, Load: 17.5, Percent: 87.5, Cases: 9, LoadRAG: rag, CountRAG: count, RAG: max(rag, count), Room: rag == domain.Green},
					domain.Workload{Person: "slack:U2", Name: "Bo", Role: "practitioner", FTE: 1, Capacity: capacity, Cases: 1, LoadRAG: rag, CountRAG: count, RAG: rag, OnLeave: true})
			}
		}
	}
	for round := 0; round < 3; round++ {
		for i, w := range ws {
			for _, self := range []bool{true, false} {
				for _, hours := range []float64{0, 2.5} {
					want := e.prompts.Say("capacity.text", data("W", w, "Self", self, "Hours", hours))
					if got := r.capacityText(w, self, hours); got != want {
						t.Fatalf("round %d, workload %d, self %v, hours %v:\n%s\nwant\n%s", round, i, self, hours, got, want)
					}
				}
			}
		}
	}
	if n := e.capTexts.Len(); n != len(ws)*4 {
		t.Fatalf("%d sentences kept, want one per workload, self and hours (%d)", n, len(ws)*4)
	}
}

// The kept sentences stay bounded.
func TestCapacityTextsBounded(t *testing.T) {
	var c prompts.Kept[capacityTextKey]
	for i := range prompts.KeptMax + 10 {
		c.Get(capacityTextKey{Hours: float64(i)}, func() (string, error) { return "x", nil })
	}
	if c.Len() > prompts.KeptMax {
		t.Fatalf("%d kept, at most %d", c.Len(), prompts.KeptMax)
	}
}

// The review line kept is the line written afresh, for a member never
// reviewed, reviewed with and without a note, due and overdue, to the
// member and to a manager.
func TestReviewTextIsTheLine(t *testing.T) {
	e := &Engine{prompts: prompts.MustLoad()}
	r := &run{e: e}
	reviews := []*domain.Review{nil,
		{Day: "2026-10-01", Outcome: "continue", By: "slack:M"},
		{Day: "2026-10-02", Outcome: "continue", Note: "health", By: "slack:M"}}
	for round := 0; round < 2; round++ {
		for _, rv := range reviews {
			for _, due := range []domain.Date{"", "2026-12-01"} {
				for _, flags := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
					want := e.prompts.Say("teamlife.review_last", data("R", rv, "ByName", "Meg", "Due", due, "Overdue", flags[0], "Manager", flags[1]))
					if got := r.reviewText(rv, "Meg", due, flags[0], flags[1]); got != want {
						t.Fatalf("round %d %+v %s %v:\n%s\nwant\n%s", round, rv, due, flags, got, want)
					}
				}
			}
		}
	}
	// The line may only be written from what it is kept by.
	kept := map[string]bool{".R": true, ".R.Day": true, ".R.Outcome": true, ".R.Note": true, ".ByName": true, ".Due": true, ".Overdue": true, ".Manager": true}
	for _, f := range e.prompts.Fields("teamlife.review_last") {
		if !kept[f] {
			t.Errorf("teamlife.review_last uses %s, which reviewTextKey does not hold: add it to the key", f)
		}
	}
}

// A kept case line is the line written afresh; it is written from the
// case's reference, description, points and risk only.
func TestCaseLineIsTheLine(t *testing.T) {
	pol := domain.DefaultPolicy()
	e := &Engine{prompts: prompts.MustLoad(), policy: &pol}
	r := &run{e: e, pol: &pol}
	cases := []*domain.Case{{Ref: "C-1", Type: "cin"}, {Ref: "C-2", Type: "cp", Factors: []string{"high_risk"}, Children: 3}, {Ref: "C-3", Type: "review"}}
	for round := 0; round < 2; round++ {
		for _, c := range cases {
			want := e.prompts.Say("capacity.case", data("C", c, "Desc", r.describe(c), "Points", pol.Points(c), "HighRisk", pol.IsHighRisk(c)))
			if got := r.caseLine(c); got != want {
				t.Fatalf("round %d %+v: %q, want %q", round, c, got, want)
			}
		}
	}
	kept := map[string]bool{".C.Ref": true, ".Desc": true, ".Points": true, ".HighRisk": true}
	for _, f := range e.prompts.Fields("capacity.case") {
		if !kept[f] {
			t.Errorf("capacity.case uses %s, which caseLineKey does not hold: add it to the key", f)
		}
	}
}

// A kept load is the load written afresh, and is written from the workload
// only.
func TestLoadTextIsTheText(t *testing.T) {
	e := &Engine{prompts: prompts.MustLoad()}
	r := &run{e: e}
	for round := 0; round < 2; round++ {
		for _, w := range []domain.Workload{
			{Capacity: 20, Load: 17.5, Percent: 87.5, Cases: 9, LoadRAG: domain.Amber, CountRAG: domain.Green, RAG: domain.Amber},
			{Capacity: 20, Load: 10, Percent: 50, Cases: 16, LoadRAG: domain.Green, CountRAG: domain.Red, RAG: domain.Red},
			{Cases: 1, OnLeave: true},
		} {
			if got, want := r.loadText(w), e.prompts.Say("propose.v.load", data("W", w)); got != want {
				t.Fatalf("round %d %+v: %q, want %q", round, w, got, want)
			}
		}
	}
	for _, f := range e.prompts.Fields("propose.v.load") {
		if f != ".W" && !strings.HasPrefix(f, ".W.") {
			t.Errorf("propose.v.load uses %s, which is not the workload it is kept by", f)
		}
	}
}
