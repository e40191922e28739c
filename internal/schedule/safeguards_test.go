package schedule_test

import (
	"strings"
	"testing"

	"github.com/safeload/safeload/internal/schedule"
)

func TestEscalatedConcernTellsTheRaiserAndManagers(t *testing.T) {
	f := newFixture(t, at(2026, 11, 23, 10, 0))
	f.team(false)
	f.do("alice", "capacity", "concern Too many court reports this month")
	f.take()
	f.runAt(at(2026, 11, 25, 10, 0))
	ping := f.expectPing("at the deadline", 1, person("sam"))
	if ping[0].Message.RAG != "red" {
		t.Errorf("an escalation's colour is its urgency, got %q", ping[0].Message.RAG)
	}
	notices := f.take(schedule.KindNotice)
	told := map[string]string{}
	for _, it := range notices {
		told[it.Dest] = flatten(it.Message)
	}
	if len(told) != 2 || !strings.Contains(told["test:alice"], "has gone to the service manager") ||
		!strings.Contains(told["test:meg"], "Concern #1 from Alice") {
		t.Fatalf("the raiser and the manager must be told it went to the service manager, got %v", told)
	}
	// The second ping does not tell them again.
	f.runAt(at(2026, 11, 26, 10, 0))
	f.expectPing("second", 1, person("sam"))
	if got := f.take(schedule.KindNotice); len(got) != 0 {
		t.Fatalf("told again on the second ping: %v", dests(got))
	}
}

func TestAcknowledgedConcernWithoutPlanEscalates(t *testing.T) {
	f := newFixture(t, at(2026, 11, 23, 10, 0))
	f.team(false)
	f.do("alice", "capacity", "concern Too many court reports this month")
	f.do("meg", "capacity", "ack 1")
	f.take()
	// Five working days after Mon 23 Nov 10:00 is Mon 30 Nov 10:00.
	if f.runAt(at(2026, 11, 30, 9, 59)) != 0 {
		t.Fatal("escalated before the plan was due")
	}
	f.runAt(at(2026, 11, 30, 10, 0))
	got := f.expectPing("no plan", 1, person("sam"))
	if text := flatten(got[0].Message); !strings.Contains(text, "has no plan") || !strings.Contains(text, "5 working days") {
		t.Fatalf("no-plan escalation:\n%s", text)
	}
	if n := len(f.take(schedule.KindNotice)); n != 2 {
		t.Fatalf("the raiser and the manager must be told, got %d notices", n)
	}
	f.reopen()
	f.runAt(at(2026, 12, 1, 10, 0))
	f.expectPing("the next working day", 1, person("sam"))
	f.do("meg", "capacity", "plan 1 two reports move to Cy")
	f.take()
	f.runAt(at(2026, 12, 8, 10, 0))
	f.expectPing("after the plan", 0, "")
}

func TestTeamOverCapacityOnceThenWeekly(t *testing.T) {
	f := newFixture(t, at(2026, 11, 23, 10, 0))
	f.team(false)
	// Alice 85 and Cy 51 points: 136. Alice holds 16 cp (128 points).
	f.addCases("north", person("alice"), "A", 16, "cp")
	if f.runAt(at(2026, 11, 23, 11, 0)) != 0 {
		t.Fatal("fired under 100 %")
	}
	f.take()
	f.addCases("north", person("cy"), "C", 1, "cp") // 136 of 136: 100.0 %
	f.runAt(at(2026, 11, 23, 12, 0))
	got := f.expectPing("on crossing", 1, person("sam"))
	if text := flatten(got[0].Message); !strings.Contains(text, "North is at 100.0 % of capacity: 136 of 136 points") {
		t.Fatalf("team alert:\n%s", text)
	}
	f.reopen()
	f.runAt(at(2026, 11, 27, 12, 0))
	f.expectPing("within the week", 0, "")
	f.runAt(at(2026, 11, 30, 12, 0))
	got = f.expectPing("a week later", 1, person("sam"))
	if !strings.Contains(got[0].Message.Title, "Still over capacity") {
		t.Fatalf("weekly alert title: %s", got[0].Message.Title)
	}
	// Back under: quiet; crossing again is told at once.
	f.do("meg", "caseload", "case close C-1")
	f.runAt(at(2026, 12, 1, 12, 0))
	f.expectPing("back under", 0, "")
	f.addCases("north", person("cy"), "D", 1, "cp")
	f.runAt(at(2026, 12, 1, 13, 0))
	f.expectPing("crossing again", 1, person("sam"))
}
