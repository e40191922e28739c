package engine

import (
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
	if n := len(e.capTexts.m); n != len(ws)*4 {
		t.Fatalf("%d sentences kept, want one per workload, self and hours (%d)", n, len(ws)*4)
	}
}

// The kept sentences stay bounded.
func TestCapacityTextsBounded(t *testing.T) {
	var c capacityTexts
	for i := range capacityTextsMax + 10 {
		c.get(capacityTextKey{Hours: float64(i)}, func() string { return "x" })
	}
	if len(c.m) > capacityTextsMax {
		t.Fatalf("%d kept, at most %d", len(c.m), capacityTextsMax)
	}
}
