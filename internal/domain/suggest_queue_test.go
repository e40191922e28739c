package domain_test

import (
	"testing"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// teamWorkloads is what the engine hands Suggest: each member's workload now.
func teamWorkloads(p *domain.Policy, members []*domain.Member, cases []*domain.Case) map[domain.PersonID]domain.Workload {
	out := make(map[domain.PersonID]domain.Workload, len(members))
	for _, m := range members {
		out[m.Person] = p.Workload(m, cases, ruleDay)
	}
	return out
}

func TestSuggest(t *testing.T) {
	p := domain.DefaultPolicy()
	onLeave := domain.Reduction{Reason: "phased return", Percent: 100}

	alice := mkMember("alice", domain.RolePractitioner, 1)      // 40 of 85: room 45
	bob := mkMember("bob", domain.RolePractitioner, 1)          // 20 of 85: room 65
	cy := mkMember("cy", domain.RolePractitioner, 0.5)          // 0 of 42.5: room 42.5
	asa := mkMember("asa", domain.RoleASYE, 1)                  // 0 of 68: room 68
	sam := mkMember("sam", domain.RoleStudent, 1)               // no capacity
	meg := mkMember("meg", domain.RoleManager, 1)               // no capacity
	dee := mkMember("dee", domain.RolePractitioner, 1, onLeave) // on leave
	eve := mkMember("eve", domain.RolePractitioner, 1, onLeave, // reductions over 100
		domain.Reduction{Reason: "union duties", Percent: 20})

	var held []*domain.Case
	held = append(held, holding(alice, times(4, spec("proceedings"))...)...) // 40
	held = append(held, holding(bob, times(4, spec("cin"))...)...)           // 20

	tests := []struct {
		name        string
		members     []*domain.Member
		c           domain.Case
		want        domain.PersonID
		wantReason  domain.SuggestReason
		wantSkipped int
	}{
		{
			name:    "most room wins",
			members: []*domain.Member{alice, bob, cy},
			c:       domain.Case{Ref: "C-1", Type: "cin"},
			want:    bob.Person, wantReason: domain.ReasonMostRoom,
		},
		{
			name:    "students, managers and people on leave are skipped",
			members: []*domain.Member{sam, meg, dee, eve, alice},
			c:       domain.Case{Ref: "C-1", Type: "cin"},
			want:    alice.Person, wantReason: domain.ReasonMostRoom,
		},
		{
			name:    "an ASYE with most room gets an ordinary case",
			members: []*domain.Member{alice, bob, asa},
			c:       domain.Case{Ref: "C-1", Type: "cin"},
			want:    asa.Person, wantReason: domain.ReasonMostRoom,
		},
		{
			name:    "no ASYE for a high_risk case",
			members: []*domain.Member{alice, bob, asa},
			c:       domain.Case{Ref: "C-1", Type: "cin", Factors: []string{"high_risk"}},
			want:    bob.Person, wantReason: domain.ReasonMostRoom, wantSkipped: 1,
		},
		{
			name:    "no ASYE for proceedings",
			members: []*domain.Member{asa, alice, bob},
			c:       domain.Case{Ref: "C-1", Type: "proceedings"},
			want:    bob.Person, wantReason: domain.ReasonMostRoom, wantSkipped: 1,
		},
		{
			name:    "a previous holder is preferred while they stay below 100%",
			members: []*domain.Member{alice, bob, cy},
			c:       domain.Case{Ref: "C-1", Type: "cin", PrevHolders: []domain.PersonID{alice.Person}},
			want:    alice.Person, wantReason: domain.ReasonHeldBefore,
		},
		{
			name:    "the previous holder with most room among several",
			members: []*domain.Member{alice, bob, cy},
			c:       domain.Case{Ref: "C-1", Type: "cin", PrevHolders: []domain.PersonID{cy.Person, alice.Person}},
			want:    alice.Person, wantReason: domain.ReasonHeldBefore, // room 40 after, against cy's 37.5
		},
		{
			name:    "a previous holder on leave is not suggested",
			members: []*domain.Member{alice, dee},
			c:       domain.Case{Ref: "C-1", Type: "cin", PrevHolders: []domain.PersonID{dee.Person}},
			want:    alice.Person, wantReason: domain.ReasonMostRoom,
		},
		{
			name:    "the current holder is not suggested (a transfer)",
			members: []*domain.Member{alice, bob},
			c:       domain.Case{Ref: "C-1", Type: "cin", Holder: bob.Person, Status: domain.CaseAllocated},
			want:    alice.Person, wantReason: domain.ReasonMostRoom,
		},
		{
			name:    "nobody eligible",
			members: []*domain.Member{sam, meg, dee, asa},
			c:       domain.Case{Ref: "C-1", Type: "proceedings"},
			want:    "", wantReason: domain.ReasonNoOne, wantSkipped: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := p.Suggest(&tt.c, tt.members, teamWorkloads(&p, tt.members, held), ruleDay)
			if got, want := s.Person, tt.want; got != want {
				t.Errorf("Person = %q, want %q (reason %s)", got, want, s.Reason)
			}
			wantEqual(t, "Reason", s.Reason, tt.wantReason)
			wantEqual(t, "SkippedASYE", s.SkippedASYE, tt.wantSkipped)
			if s.Person != "" {
				assertClose(t, "Room", s.Room, s.After.Capacity-s.After.Load)
				assertClose(t, "After.Load", s.After.Load, s.Before.Load+p.Points(&tt.c))
			}
		})
	}
}

func TestSuggestPreviousHolderAtTheOverrideLevel(t *testing.T) {
	p := domain.DefaultPolicy()
	alice := mkMember("alice", domain.RolePractitioner, 1)
	bob := mkMember("bob", domain.RolePractitioner, 1)
	members := []*domain.Member{alice, bob}

	tests := []struct {
		name       string
		aliceHolds []caseSpec
		wantPct    float64 // alice's load % after taking a review (3 points)
		want       domain.PersonID
		wantReason domain.SuggestReason
	}{
		{"81 + 3 is 98.8%: continuity wins", concat(times(7, spec("proceedings")), []caseSpec{spec("assessment"), spec("cin")}),
			98.8, alice.Person, domain.ReasonHeldBefore},
		{"82 + 3 is 100%: continuity gives way", concat(times(7, spec("proceedings")), []caseSpec{spec("cp"), spec("care_leaver")}),
			100, bob.Person, domain.ReasonMostRoom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			held := holding(alice, tt.aliceHolds...)
			c := domain.Case{Ref: "C-9", Type: "review", PrevHolders: []domain.PersonID{alice.Person}}
			after := p.WithCase(alice, p.Workload(alice, held, ruleDay), p.Points(&c), ruleDay)
			if got, want := after.Percent, tt.wantPct; got != want {
				t.Fatalf("alice after = %v%%, want %v%%", got, want)
			}
			s := p.Suggest(&c, members, teamWorkloads(&p, members, held), ruleDay)
			wantEqual(t, "Person", s.Person, tt.want)
			wantEqual(t, "Reason", s.Reason, tt.wantReason)
		})
	}
}

func TestSuggestASYEHighRiskAllowedByPolicy(t *testing.T) {
	p := domain.DefaultPolicy()
	p.ASYEHighRisk = true
	alice := mkMember("alice", domain.RolePractitioner, 1)
	asa := mkMember("asa", domain.RoleASYE, 1)
	members := []*domain.Member{alice, asa}
	held := holding(alice, times(4, spec("proceedings"))...)
	c := domain.Case{Ref: "C-1", Type: "proceedings"}
	s := p.Suggest(&c, members, teamWorkloads(&p, members, held), ruleDay)
	wantEqual(t, "Person", s.Person, asa.Person)
}

// TestSuggestTiesAreDeterministic gives equal room to several people and
// checks the answer does not depend on the order they are listed in.
func TestSuggestTiesAreDeterministic(t *testing.T) {
	p := domain.DefaultPolicy()
	a := mkMember("ann", domain.RolePractitioner, 1)
	b := mkMember("ben", domain.RolePractitioner, 1)
	c := mkMember("col", domain.RolePractitioner, 1)
	orders := map[string][]*domain.Member{
		"abc": {a, b, c}, "acb": {a, c, b}, "bac": {b, a, c},
		"bca": {b, c, a}, "cab": {c, a, b}, "cba": {c, b, a},
	}
	for _, tt := range []struct {
		name string
		c    domain.Case
		want domain.PersonID
	}{
		{"equal room: lowest person ID", domain.Case{Ref: "C-1", Type: "cin"}, a.Person},
		{"equal room among previous holders", domain.Case{Ref: "C-1", Type: "cin", PrevHolders: []domain.PersonID{c.Person, b.Person}}, b.Person},
	} {
		for name, members := range orders {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				s := p.Suggest(&tt.c, members, teamWorkloads(&p, members, nil), ruleDay)
				wantEqual(t, "Person", s.Person, tt.want)
			})
		}
	}
}

func TestSortQueue(t *testing.T) {
	p := domain.DefaultPolicy()
	day := func(d int) time.Time { return time.Date(2026, 5, d, 9, 0, 0, 0, time.UTC) }
	queue := []*domain.Case{
		{Ref: "C-1", Type: "cin", QueuedSince: day(4)},
		{Ref: "C-2", Type: "cin", Factors: []string{"high_risk"}, QueuedSince: day(6)},
		{Ref: "C-3", Type: "proceedings", QueuedSince: day(5)},
		{Ref: "C-4", Type: "review", QueuedSince: day(1)},
		{Ref: "C-5", Type: "cp", QueuedSince: day(1)},
		{Ref: "C-6", Type: "cp", QueuedSince: day(1)},
		{Ref: "C-7", Type: "cin", QueuedSince: day(2)},
	}
	p.SortQueue(queue)
	var got []string
	for _, c := range queue {
		got = append(got, c.Ref)
	}
	// High risk first, each group longest waiting first; then heavier, then by reference.
	want := []string{"C-3", "C-2", "C-5", "C-6", "C-4", "C-7", "C-1"}
	if g, w := len(got), len(want); g != w {
		t.Fatalf("len = %d, want %d", g, w)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order = %v, want %v", got, want)
		}
	}
}
