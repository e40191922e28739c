package domain_test

import (
	"testing"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

func TestEnglandBankHolidaysAreWeekdays(t *testing.T) {
	p := domain.DefaultPolicy()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	hs := domain.EnglandBankHolidays()
	if len(hs) != 24 {
		t.Fatalf("%d bank holidays, want 8 a year for 2026 to 2028", len(hs))
	}
	for _, h := range hs {
		d, err := time.Parse("2006-01-02", string(h))
		if err != nil {
			t.Fatal(err)
		}
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			t.Errorf("%s is a %s: a bank holiday on a weekend has a substitute weekday", h, wd)
		}
	}
	loc := time.UTC
	for _, tc := range []struct{ in, want domain.Date }{
		{"2026-12-21", "2026-12-21"}, // a Monday
		{"2026-12-25", "2026-12-29"}, // Christmas, the weekend, then the Boxing Day substitute
		{"2027-01-02", "2027-01-04"}, // a Saturday
	} {
		if got := p.OnWorkingDay(tc.in, loc); got != tc.want {
			t.Errorf("OnWorkingDay(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestRuleThatMakesTheColour(t *testing.T) {
	p := domain.DefaultPolicy()
	una := mkMember("una", domain.RolePractitioner, 1)
	w := p.Workload(una, holding(una, times(16, spec("care_leaver"))...), ruleDay) // 64 of 85, 16 cases
	if w.LoadRAG != domain.Green || w.CountRAG != domain.Red || !w.ByCount() || w.Room {
		t.Fatalf("16 light cases: %+v", w)
	}
	if !p.NeedsOverride(w) {
		t.Fatal("red by count needs an override")
	}
	w = p.Workload(una, holding(una, times(15, spec("care_leaver"))...), ruleDay)
	if p.NeedsOverride(w) || !w.ByCount() || w.Room {
		t.Fatalf("amber by count: no override, never with room: %+v", w)
	}
	away := mkMember("away", domain.RolePractitioner, 1, domain.Reduction{Reason: "maternity leave", Percent: 100})
	if w := p.Workload(away, nil, ruleDay); !w.OnLeave {
		t.Fatalf("a 100 %% reduction is leave: %+v", w)
	}
}

func TestASYEProtected(t *testing.T) {
	p := domain.DefaultPolicy()
	for _, tc := range []struct {
		c    domain.Case
		want bool
	}{
		{domain.Case{Type: "proceedings"}, true},
		{domain.Case{Type: "cin", Factors: []string{"high_risk"}}, true},
		{domain.Case{Type: "cp", Factors: []string{"court"}}, false},
	} {
		if got := p.ASYEProtected(&tc.c); got != tc.want {
			t.Errorf("%s %v: %v, want %v", tc.c.Type, tc.c.Factors, got, tc.want)
		}
	}
	p.ASYEHighRisk = true
	if p.ASYEProtected(&domain.Case{Type: "proceedings"}) {
		t.Error("asye_high_risk lifts the protection")
	}
}

func TestSuggestQueueAddsUp(t *testing.T) {
	p := domain.DefaultPolicy()
	alice := mkMember("alice", domain.RolePractitioner, 1)
	bob := mkMember("bob", domain.RolePractitioner, 0.5)
	members := []*domain.Member{alice, bob}
	held := append(holding(alice, times(8, spec("cp"))...), holding(bob, times(2, spec("cp"))...)...) // 64 of 85; 16 of 42.5
	var queue []*domain.Case
	for _, ref := range []string{"Q-1", "Q-2", "Q-3", "Q-4", "Q-5"} {
		queue = append(queue, &domain.Case{Ref: ref, Type: "cp"})
	}
	got := p.SuggestQueue(queue, members, teamWorkloads(&p, members, held), ruleDay, nil)
	count := map[domain.PersonID]int{}
	for _, s := range got {
		count[s.Person]++
		if s.Person != "" && (s.After.RAG != domain.Green || s.Room < 0) {
			t.Errorf("%s suggested into %s", s.Person, s.After.RAG)
		}
	}
	// Alice has room for two (80 of 85); Bob for three (40 of 42.5 is 94.1 %).
	if count[alice.Person] != 2 || count[bob.Person] != 3 {
		t.Fatalf("suggestions %v, want Alice 2 and Bob 3", count)
	}
	// With one more case than room, the last says nobody has room.
	queue = append(queue, &domain.Case{Ref: "Q-6", Type: "cp"})
	got = p.SuggestQueue(queue, members, teamWorkloads(&p, members, held), ruleDay, nil)
	if last := got[len(got)-1]; last.Reason != domain.ReasonNoRoom || last.Person != "" {
		t.Fatalf("the sixth case: %+v", last)
	}
	// Someone who declined a case lately is skipped for it.
	declined := func(c *domain.Case, who domain.PersonID) bool { return c.Ref == "Q-1" && who == bob.Person }
	got = p.SuggestQueue(queue[:1], members, teamWorkloads(&p, members, held), ruleDay, declined)
	if got[0].Person != alice.Person || got[0].SkippedDeclined != 1 {
		t.Fatalf("Q-1 after Bob declined it: %+v", got[0])
	}
}
