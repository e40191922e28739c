package domain

import (
	"math/rand/v2"
	"testing"
)

// Points is the sum of Breakdown to the last bit, for any case: known and
// unknown types and factors, any number of children, under policies with
// fractional weights.
func TestPointsIsTheSumOfBreakdown(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	pols := []Policy{DefaultPolicy(), DefaultPolicy()}
	for k := range pols[1].CaseTypes {
		ct := pols[1].CaseTypes[k]
		ct.Points = r.Float64() * 13
		pols[1].CaseTypes[k] = ct
	}
	for f := range pols[1].Factors {
		pols[1].Factors[f] = r.Float64() * 3
	}
	pols[1].ChildPoints, pols[1].MaxChildPoints = 0.7, 2.3
	types := []string{"cp", "proceedings", "cin", "review", "unknown", ""}
	factors := []string{"court", "high_risk", "noncooperation", "rural", "other"}
	for range 5000 {
		p := &pols[r.IntN(len(pols))]
		c := &Case{Type: types[r.IntN(len(types))], Children: r.IntN(7) - 1}
		for range r.IntN(5) {
			c.Factors = append(c.Factors, factors[r.IntN(len(factors))])
		}
		var want float64
		for _, part := range p.Breakdown(c) {
			want += part.Points
		}
		if got := p.Points(c); got != want {
			t.Fatalf("%+v: Points %v, the sum of Breakdown %v", c, got, want)
		}
	}
}
