package domain_test

import (
	"fmt"
	"testing"

	"github.com/safeload/safeload/internal/domain"
)

// benchSpecs cycles through case types, factors and children so that every
// part of the points rule is exercised.
var benchSpecs = []caseSpec{
	{typ: "cp", factors: []string{"court", "rural"}, children: 3},
	{typ: "cin"},
	{typ: "proceedings", factors: []string{"high_risk"}},
	{typ: "lac", children: 2},
	{typ: "assessment", factors: []string{"noncooperation"}},
	{typ: "care_leaver"},
}

func benchCases(n int) []caseSpec {
	out := make([]caseSpec, n)
	for i := range out {
		out[i] = benchSpecs[i%len(benchSpecs)]
	}
	return out
}

func BenchmarkPointsRAG(b *testing.B) {
	p := domain.DefaultPolicy()
	m := mkMember("alice", domain.RolePractitioner, 0.8,
		domain.Reduction{Reason: "practice educator", Percent: 10, Until: "2027-03-31"})
	cases := holding(m, benchCases(15)...)
	b.ReportAllocs()
	for b.Loop() {
		w := p.Workload(m, cases, ruleDay)
		if w.Cases != 15 {
			b.Fatalf("Cases = %d, want 15", w.Cases)
		}
	}
}

func BenchmarkBoard45(b *testing.B) {
	p := domain.DefaultPolicy()
	var members []*domain.Member
	var cases []*domain.Case
	for i := range 45 {
		role, fte := domain.RolePractitioner, 1.0
		switch {
		case i < 3:
			role = domain.RoleManager
		case i < 6:
			role = domain.RoleStudent
		case i < 12:
			role = domain.RoleASYE
		case i%4 == 0:
			fte = 0.6
		}
		members = append(members, mkMember(fmt.Sprintf("m%02d", i), role, fte))
	}
	// 400 cases: most allocated round the 39 case carriers, some queued or closed.
	carriers := members[6:]
	for i, s := range benchCases(400) {
		c := holding(carriers[i%len(carriers)], s)[0]
		c.Ref = fmt.Sprintf("C-%d", 1000+i)
		switch i % 10 {
		case 8:
			c.Status, c.Holder = domain.CaseQueued, ""
		case 9:
			c.Status = domain.CaseClosed
		}
		cases = append(cases, c)
	}
	b.ReportAllocs()
	for b.Loop() {
		s := p.Summarise(members, cases, ruleDay)
		if s.Practitioners != 39 {
			b.Fatalf("Practitioners = %d, want 39", s.Practitioners)
		}
	}
}
