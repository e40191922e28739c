package domain_test

// These tests hold the workload rules at their edges. Every expected
// figure is worked out by hand from the Definitions there, never by calling
// the code under test.

import (
	"fmt"
	"math"
	"testing"

	"github.com/safeload/safeload/internal/domain"
)

// ruleDay is the "today" of these tests.
const ruleDay = domain.Date("2026-05-11")

func mkMember(id string, role domain.Role, fte float64, reductions ...domain.Reduction) *domain.Member {
	return &domain.Member{Team: "north", Person: domain.PersonID("slack:" + id), Name: id,
		Role: role, FTE: fte, Reductions: reductions}
}

// caseSpec is a case written the way a manager types it: "cp court rural".
type caseSpec struct {
	typ      string
	factors  []string
	children int
}

func spec(typ string, factors ...string) caseSpec { return caseSpec{typ: typ, factors: factors} }

// times repeats a spec n times.
func times(n int, s caseSpec) []caseSpec {
	out := make([]caseSpec, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// holding gives m the cases, allocated, with references unique to m.
func holding(m *domain.Member, specs ...caseSpec) []*domain.Case {
	out := make([]*domain.Case, len(specs))
	for i, s := range specs {
		out[i] = &domain.Case{Ref: fmt.Sprintf("C-%s-%d", m.Name, i+1), Team: m.Team, Type: s.typ,
			Factors: s.factors, Children: s.children, Status: domain.CaseAllocated, Holder: m.Person}
	}
	return out
}

func concat(lists ...[]caseSpec) []caseSpec {
	var out []caseSpec
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// bandPolicy has a capacity of exactly 100 points for a full-time worker and
// case points chosen so that a load % can be put anywhere to a hundredth.
func bandPolicy(tb testing.TB) domain.Policy {
	tb.Helper()
	p := domain.DefaultPolicy()
	p.BenchmarkPoints, p.StablePoints = 100, 0
	p.CaseTypes = map[string]domain.CaseType{"b10": {Points: 10}, "b9": {Points: 9}, "b4": {Points: 4}}
	p.Factors = map[string]float64{"f09": 0.9, "f096": 0.96, "f1": 1}
	p.HighRiskTypes, p.HighRiskFactors = nil, nil
	p.ASYEProtectedTypes, p.ASYEProtectedFactors = nil, nil
	if err := p.Validate(); err != nil {
		tb.Fatalf("bandPolicy: %v", err)
	}
	return p
}

// wantEqual reports what when got is not want.
func wantEqual[T comparable](tb testing.TB, what string, got, want T) {
	tb.Helper()
	if got != want {
		tb.Errorf("%s = %v, want %v", what, got, want)
	}
}

func assertClose(tb testing.TB, what string, got, want float64) {
	tb.Helper()
	if math.Abs(got-want) > 1e-9 {
		tb.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestPoints(t *testing.T) {
	p := domain.DefaultPolicy()
	tests := []struct {
		name string
		c    domain.Case
		want float64
	}{
		{"base only", domain.Case{Type: "cin"}, 5},
		{"every case type", domain.Case{Type: "proceedings"}, 10},
		{"adult type", domain.Case{Type: "review"}, 3},
		{"one factor", domain.Case{Type: "cp", Factors: []string{"court"}}, 10},
		{"all factors", domain.Case{Type: "cp", Factors: []string{"court", "high_risk", "noncooperation", "rural"}}, 8 + 2 + 2 + 1 + 1},
		{"no children recorded", domain.Case{Type: "lac", Children: 0}, 6},
		{"one child adds nothing", domain.Case{Type: "lac", Children: 1}, 6},
		{"two children add one", domain.Case{Type: "lac", Children: 2}, 7},
		{"four children add three", domain.Case{Type: "lac", Children: 4}, 9},
		{"five children still add three", domain.Case{Type: "lac", Children: 5}, 9},
		{"design example", domain.Case{Type: "cp", Factors: []string{"court", "rural"}, Children: 3}, 8 + 2 + 1 + 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, want := p.Points(&tt.c), tt.want
			assertClose(t, "Points", got, want)
			var sum float64
			for _, part := range p.Breakdown(&tt.c) {
				sum += part.Points
			}
			assertClose(t, "sum of Breakdown", sum, want)
		})
	}
}

func TestCapacity(t *testing.T) {
	p := domain.DefaultPolicy()
	until := func(pct float64, d domain.Date) domain.Reduction {
		return domain.Reduction{Reason: "practice educator", Percent: pct, Until: d}
	}
	tests := []struct {
		name string
		m    *domain.Member
		day  domain.Date
		want float64
	}{
		{"full time", mkMember("a", domain.RolePractitioner, 1), ruleDay, 85},
		{"part time", mkMember("a", domain.RolePractitioner, 0.6), ruleDay, 51},
		{"ASYE is 80 per cent", mkMember("a", domain.RoleASYE, 1), ruleDay, 68},
		{"part-time ASYE", mkMember("a", domain.RoleASYE, 0.5), ruleDay, 34},
		{"reduction the day before it ends", mkMember("a", domain.RolePractitioner, 1, until(20, "2026-05-12")), ruleDay, 68},
		{"reduction on its end date", mkMember("a", domain.RolePractitioner, 1, until(20, ruleDay)), ruleDay, 68},
		{"reduction the day after it ends", mkMember("a", domain.RolePractitioner, 1, until(20, "2026-05-10")), ruleDay, 85},
		{"open-ended reduction", mkMember("a", domain.RolePractitioner, 1, until(10, "")), ruleDay, 76.5},
		{"reductions add up", mkMember("a", domain.RolePractitioner, 1, until(10, ""), until(15, "2027-01-01")), ruleDay, 63.75},
		{"ASYE, part time, reduced", mkMember("a", domain.RoleASYE, 0.5, until(10, "")), ruleDay, 30.6},
		{"reductions of exactly 100", mkMember("a", domain.RolePractitioner, 1, until(60, ""), until(40, "")), ruleDay, 0},
		{"reductions over 100 never go below 0", mkMember("a", domain.RolePractitioner, 1, until(60, ""), until(50, ""), until(70, "")), ruleDay, 0},
		{"only the active ones count", mkMember("a", domain.RolePractitioner, 1, until(60, ""), until(50, "2026-01-01")), ruleDay, 34},
		{"student", mkMember("s", domain.RoleStudent, 1), ruleDay, 0},
		{"manager", mkMember("m", domain.RoleManager, 1), ruleDay, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertClose(t, "Capacity", p.Capacity(tt.m, tt.day), tt.want)
		})
	}
}

// TestLoadBands puts a load % on each side of each band edge: first with a
// policy whose full-time capacity is 100 points, so load points = load % and
// every edge can be hit to a hundredth; then with the built-in points, where
// a full-time practitioner has 85 points and an ASYE 68.
func TestLoadBands(t *testing.T) {
	band, def := bandPolicy(t), domain.DefaultPolicy()
	nine := times(9, spec("b10"))
	plus := func(n int, typ string, rest ...string) []caseSpec {
		out := times(n, spec(typ))
		for _, r := range rest {
			out = append(out, spec(r))
		}
		return out
	}
	const prac, asye = domain.RolePractitioner, domain.RoleASYE
	tests := []struct {
		name     string
		p        *domain.Policy
		role     domain.Role
		cases    []caseSpec
		wantCap  float64
		wantLoad float64
		wantPct  float64
		wantRAG  domain.RAG
		wantRoom bool
	}{
		{"94.9 green with room", &band, prac, concat(nine, []caseSpec{spec("b4", "f09")}), 100, 94.9, 94.9, domain.Green, true},
		{"94.96 rounds to 95.0: green without room", &band, prac, concat(nine, []caseSpec{spec("b4", "f096")}), 100, 94.96, 95, domain.Green, false},
		{"95 green", &band, prac, concat(nine, []caseSpec{spec("b4", "f1")}), 100, 95, 95, domain.Green, false},
		{"99.9 green", &band, prac, concat(nine, []caseSpec{spec("b9", "f09")}), 100, 99.9, 99.9, domain.Green, false},
		{"99.96 rounds to 100.0: amber", &band, prac, concat(nine, []caseSpec{spec("b9", "f096")}), 100, 99.96, 100, domain.Amber, false},
		{"100 amber", &band, prac, times(10, spec("b10")), 100, 100, 100, domain.Amber, false},
		{"109.9 amber", &band, prac, concat(times(10, spec("b10")), []caseSpec{spec("b9", "f09")}), 100, 109.9, 109.9, domain.Amber, false},
		{"109.96 rounds to 110.0: red", &band, prac, concat(times(10, spec("b10")), []caseSpec{spec("b9", "f096")}), 100, 109.96, 110, domain.Red, false},
		{"110 red", &band, prac, times(11, spec("b10")), 100, 110, 110, domain.Red, false},

		{"default: 80 of 85 is 94.1, green with room", &def, prac, plus(8, "proceedings"), 85, 80, 94.1, domain.Green, true},
		{"default: 81 of 85 is 95.3, green", &def, prac, plus(7, "proceedings", "assessment", "cin"), 85, 81, 95.3, domain.Green, false},
		{"default: 84 of 85 is 98.8, green", &def, prac, plus(8, "proceedings", "care_leaver"), 85, 84, 98.8, domain.Green, false},
		{"default: 85 of 85 is 100, amber", &def, prac, plus(8, "proceedings", "cin"), 85, 85, 100, domain.Amber, false},
		{"default: 93 of 85 is 109.4, amber", &def, prac, plus(9, "proceedings", "review"), 85, 93, 109.4, domain.Amber, false},
		{"default: 94 of 85 is 110.6, red", &def, prac, plus(9, "proceedings", "care_leaver"), 85, 94, 110.6, domain.Red, false},
		{"default: ASYE 64 of 68 is 94.1, green with room", &def, asye, plus(8, "cp"), 68, 64, 94.1, domain.Green, true},
		{"default: ASYE 65 of 68 is 95.6, green", &def, asye, plus(6, "proceedings", "cin"), 68, 65, 95.6, domain.Green, false},
		{"default: ASYE 68 of 68 is 100, amber", &def, asye, plus(6, "proceedings", "cp"), 68, 68, 100, domain.Amber, false},
		{"default: ASYE 74 of 68 is 108.8, amber", &def, asye, plus(7, "proceedings", "care_leaver"), 68, 74, 108.8, domain.Amber, false},
		{"default: ASYE 75 of 68 is 110.3, red", &def, asye, plus(7, "proceedings", "cin"), 68, 75, 110.3, domain.Red, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mkMember("alice", tt.role, 1)
			w := tt.p.Workload(m, holding(m, tt.cases...), ruleDay)
			assertClose(t, "Capacity", w.Capacity, tt.wantCap)
			assertClose(t, "Load", w.Load, tt.wantLoad)
			wantEqual(t, "Percent", w.Percent, tt.wantPct) // exactly: the rounded figure
			wantEqual(t, "LoadRAG", w.LoadRAG, tt.wantRAG)
			wantEqual(t, "Room", w.Room, tt.wantRoom)
			if w.CountRAG != domain.Green {
				t.Fatalf("CountRAG = %q; the test meant to judge the load alone", w.CountRAG)
			}
			wantEqual(t, "RAG", w.RAG, tt.wantRAG)
		})
	}
}

func TestCountRAG(t *testing.T) {
	p := domain.DefaultPolicy()
	tests := []struct {
		role  domain.Role
		fte   float64
		cases int
		want  domain.RAG
	}{
		// s = 1: green ≤ 12, amber ≤ 15.
		{domain.RolePractitioner, 1, 0, domain.Green},
		{domain.RolePractitioner, 1, 12, domain.Green},
		{domain.RolePractitioner, 1, 13, domain.Amber},
		{domain.RolePractitioner, 1, 15, domain.Amber},
		{domain.RolePractitioner, 1, 16, domain.Red},
		// s = 0.5: green ≤ 6, amber ≤ 7.5.
		{domain.RolePractitioner, 0.5, 6, domain.Green},
		{domain.RolePractitioner, 0.5, 7, domain.Amber},
		{domain.RolePractitioner, 0.5, 8, domain.Red},
		// s = 0.6: green ≤ 7.2, amber ≤ 9 (15 × 0.6 is not exactly 9 in floating point).
		{domain.RolePractitioner, 0.6, 7, domain.Green},
		{domain.RolePractitioner, 0.6, 8, domain.Amber},
		{domain.RolePractitioner, 0.6, 9, domain.Amber},
		{domain.RolePractitioner, 0.6, 10, domain.Red},
		// ASYE, s = 0.9: green ≤ 10.8, amber ≤ 13.5.
		{domain.RoleASYE, 1, 10, domain.Green},
		{domain.RoleASYE, 1, 11, domain.Amber},
		{domain.RoleASYE, 1, 13, domain.Amber},
		{domain.RoleASYE, 1, 14, domain.Red},
		// ASYE at 0.5, s = 0.45: green ≤ 5.4, amber ≤ 6.75.
		{domain.RoleASYE, 0.5, 5, domain.Green},
		{domain.RoleASYE, 0.5, 6, domain.Amber},
		{domain.RoleASYE, 0.5, 7, domain.Red},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s fte=%v cases=%d", tt.role, tt.fte, tt.cases), func(t *testing.T) {
			m := mkMember("alice", tt.role, tt.fte)
			wantEqual(t, "CountRAG", p.CountRAG(m, tt.cases), tt.want)
			// Through Workload with light cases, so the load stays green with
			// room and the overall RAG is the count's.
			w := p.Workload(m, holding(m, times(tt.cases, spec("care_leaver"))...), ruleDay)
			if w.LoadRAG != domain.Green || w.Percent >= p.LoadBands.GreenRoomBelow {
				t.Fatalf("load %v of %v is not green with room; the test meant to judge the count alone", w.Load, w.Capacity)
			}
			// "With room" is said of green only.
			wantEqual(t, "Room", w.Room, tt.want == domain.Green)
			wantEqual(t, "Cases", w.Cases, tt.cases)
			wantEqual(t, "Workload CountRAG", w.CountRAG, tt.want)
			wantEqual(t, "Workload RAG", w.RAG, tt.want)
		})
	}
}

func TestRAGIsTheWorseOfTheTwo(t *testing.T) {
	p := domain.DefaultPolicy()
	tests := []struct {
		name      string
		cases     []caseSpec
		wantLoad  domain.RAG
		wantCount domain.RAG
		want      domain.RAG
	}{
		{"both green", times(3, spec("cin")), domain.Green, domain.Green, domain.Green},
		{"load green, count amber", times(13, spec("care_leaver")), domain.Green, domain.Amber, domain.Amber},
		{"load green, count red", times(16, spec("care_leaver")), domain.Green, domain.Red, domain.Red},
		{"load amber, count green", times(9, spec("proceedings")), domain.Amber, domain.Green, domain.Amber},
		{"load red, count green", times(12, spec("proceedings")), domain.Red, domain.Green, domain.Red},
		{"load amber, count amber", concat(times(7, spec("proceedings")), times(6, spec("review"))), domain.Amber, domain.Amber, domain.Amber},
		{"load red, count amber", concat(times(9, spec("proceedings")), times(5, spec("review"))), domain.Red, domain.Amber, domain.Red},
		{"load red, count red", times(16, spec("cp")), domain.Red, domain.Red, domain.Red},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mkMember("alice", domain.RolePractitioner, 1)
			w := p.Workload(m, holding(m, tt.cases...), ruleDay)
			if got, want := w.LoadRAG, tt.wantLoad; got != want {
				t.Errorf("LoadRAG = %q, want %q (load %v)", got, want, w.Load)
			}
			wantEqual(t, "CountRAG", w.CountRAG, tt.wantCount)
			wantEqual(t, "RAG", w.RAG, tt.want)
		})
	}
	for _, tt := range []struct{ a, b, want domain.RAG }{
		{domain.Green, domain.Green, domain.Green}, {domain.Green, domain.Amber, domain.Amber},
		{domain.Amber, domain.Green, domain.Amber}, {domain.Amber, domain.Red, domain.Red},
		{domain.Red, domain.Green, domain.Red}, {"", domain.Amber, domain.Amber},
	} {
		t.Run(fmt.Sprintf("Worse(%s,%s)", tt.a, tt.b), func(t *testing.T) {
			wantEqual(t, "Worse", domain.Worse(tt.a, tt.b), tt.want)
		})
	}
}

func TestZeroCapacity(t *testing.T) {
	p := domain.DefaultPolicy()
	onLeave := domain.Reduction{Reason: "phased return", Percent: 100}
	tests := []struct {
		name  string
		m     *domain.Member
		cases []caseSpec
		want  domain.RAG
	}{
		{"100% reduction with load is red", mkMember("a", domain.RolePractitioner, 1, onLeave), times(1, spec("review")), domain.Red},
		{"100% reduction without load is green", mkMember("a", domain.RolePractitioner, 1, onLeave), nil, domain.Green},
		{"reductions over 100 with load is red", mkMember("a", domain.RoleASYE, 1, onLeave, onLeave), times(1, spec("review")), domain.Red},
		{"FTE 0 with load is red", mkMember("a", domain.RolePractitioner, 0), times(1, spec("review")), domain.Red},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := p.Workload(tt.m, holding(tt.m, tt.cases...), ruleDay)
			if got, want := w.Capacity, 0.0; got != want {
				t.Fatalf("Capacity = %v, want %v", got, want)
			}
			if w.HasPercent() {
				t.Errorf("HasPercent() = true with capacity 0")
			}
			wantEqual(t, "LoadRAG", w.LoadRAG, tt.want)
			if w.Room {
				t.Errorf("Room = true with capacity 0")
			}
			if got, want := p.NeedsOverride(p.WithCase(tt.m, w, 3, ruleDay)), true; got != want {
				t.Errorf("NeedsOverride after a case at capacity 0 = %v, want %v", got, want)
			}
		})
	}
}

func TestWorkloadCountsOnlyOpenAllocatedCases(t *testing.T) {
	p := domain.DefaultPolicy()
	alice := mkMember("alice", domain.RolePractitioner, 1)
	bob := mkMember("bob", domain.RolePractitioner, 1)
	cases := holding(alice, spec("cp"), spec("cin"), spec("lac"), spec("review"), spec("proceedings"))
	cases[2].Status = domain.CaseClosed
	cases[3].Status = domain.CaseProposed
	cases[4].Status = domain.CaseQueued
	cases = append(cases, holding(bob, spec("s42"))...)

	w := p.Workload(alice, cases, ruleDay)
	wantEqual(t, "Cases", w.Cases, 2)
	assertClose(t, "Load", w.Load, 8+5)
	if got, want := w.Percent, 15.3; got != want { // 13 ÷ 85 = 15.29…
		t.Errorf("Percent = %v, want %v", got, want)
	}
}

func TestNoCapacityRolesIgnoreCases(t *testing.T) {
	p := domain.DefaultPolicy()
	for _, role := range []domain.Role{domain.RoleStudent, domain.RoleManager, domain.RoleServiceManager, domain.RoleAdmin} {
		t.Run(string(role), func(t *testing.T) {
			m := mkMember("x", role, 1)
			w := p.Workload(m, holding(m, times(20, spec("proceedings"))...), ruleDay)
			got, want := w, domain.Workload{Person: m.Person, Name: m.Name, Role: role, FTE: 1}
			if got != want {
				t.Errorf("Workload = %+v, want %+v", got, want)
			}
			if p.Eligible(m, &domain.Case{Ref: "C-1", Type: "cin"}, ruleDay) {
				t.Errorf("Eligible = true for a %s", role)
			}
		})
	}
}

func TestOverrideLevel(t *testing.T) {
	p := domain.DefaultPolicy()
	m := mkMember("alice", domain.RolePractitioner, 1)
	for _, tt := range []struct {
		name  string
		load  float64
		add   float64
		want  bool
		after float64
	}{
		{"80 + 4 = 98.8% needs none", 80, 4, false, 98.8},
		{"80 + 5 = 100% needs one", 80, 5, true, 100},
		{"90 + 4 = 110.6% needs one", 90, 4, true, 110.6},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := p.Workload(m, nil, ruleDay)
			before.Load = tt.load
			after := p.WithCase(m, before, tt.add, ruleDay)
			wantEqual(t, "after Percent", after.Percent, tt.after)
			wantEqual(t, "NeedsOverride", p.NeedsOverride(after), tt.want)
		})
	}
}

// TestSummarise rolls up a team in which averaging the members' load % would
// give a different answer from summing points first.
func TestSummarise(t *testing.T) {
	p := domain.DefaultPolicy()
	alice := mkMember("alice", domain.RolePractitioner, 1) // 85 capacity
	bob := mkMember("bob", domain.RolePractitioner, 0.2)   // 17 capacity
	cy := mkMember("cy", domain.RoleASYE, 1)               // 68 capacity
	sam := mkMember("sam", domain.RoleStudent, 1)          // none
	meg := mkMember("meg", domain.RoleManager, 1)          // none
	members := []*domain.Member{meg, sam, bob, cy, alice}

	var cases []*domain.Case
	cases = append(cases, holding(alice, concat(times(8, spec("proceedings")), []caseSpec{spec("cin")})...)...)      // 85 → 100%
	cases = append(cases, holding(cy, concat(times(3, spec("proceedings")), []caseSpec{spec("care_leaver")})...)...) // 34 → 50%
	cases = append(cases, holding(sam, spec("cp"))...)                                                               // a student holds nothing
	cases = append(cases, holding(meg, spec("cp"))...)                                                               // nor does a manager
	closed := holding(bob, spec("cp"))[0]
	closed.Status = domain.CaseClosed
	queued := &domain.Case{Ref: "C-Q1", Team: "north", Type: "cin", Status: domain.CaseQueued}
	proposed := &domain.Case{Ref: "C-Q2", Team: "north", Type: "cin", Status: domain.CaseProposed}
	cases = append(cases, closed, queued, proposed)

	s := p.Summarise(members, cases, ruleDay)

	// Summed: (85 + 0 + 34) ÷ (85 + 17 + 68) = 119 ÷ 170 = 70.0 %.
	// Averaging 100 %, 0 % and 50 % would say 50.0 %.
	assertClose(t, "Load", s.Load, 119)
	assertClose(t, "Capacity", s.Capacity, 170)
	if got, want := s.Percent, 70.0; got != want {
		t.Errorf("Percent = %v, want %v (summed first, then divided)", got, want)
	}
	var avgOfPercents float64
	for _, w := range s.Workloads {
		avgOfPercents += w.Percent
	}
	avgOfPercents /= float64(len(s.Workloads))
	if avgOfPercents == s.Percent {
		t.Fatalf("the example should tell the two methods apart; both give %v", s.Percent)
	}
	if got, want := s.Practitioners, 3; got != want {
		t.Errorf("Practitioners = %d, want %d (practitioners and ASYEs only)", got, want)
	}
	wantEqual(t, "OpenCases", s.OpenCases, 13)
	if got, want := s.AverageCases, 4.3; got != want { // 13 ÷ 3
		t.Errorf("AverageCases = %v, want %v", got, want)
	}
	if got, want := s.AveragePoints, 39.7; got != want { // 119 ÷ 3
		t.Errorf("AveragePoints = %v, want %v", got, want)
	}
	wantEqual(t, "Queued", s.Queued, 2)
	if got, want := [3]int{s.Green, s.Amber, s.Red}, [3]int{2, 1, 0}; got != want {
		t.Errorf("green, amber, red = %v, want %v", got, want)
	}
	var order []domain.PersonID
	for _, w := range s.Workloads {
		order = append(order, w.Person)
	}
	if got, want := fmt.Sprint(order), fmt.Sprint([]domain.PersonID{alice.Person, cy.Person, bob.Person}); got != want {
		t.Errorf("Workloads order = %s, want %s (worst first)", got, want)
	}
}
