package engine_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/digest"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/internal/policyfile"
	"github.com/safeload/safeload/internal/store"
	"github.com/safeload/safeload/prompts"
)

func contains(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Fatalf("want %q in:\n%s", w, got)
		}
	}
}

func lacks(t *testing.T, got string, nots ...string) {
	t.Helper()
	for _, n := range nots {
		if strings.Contains(got, n) {
			t.Fatalf("%q must not be in:\n%s", n, got)
		}
	}
}

// outboxTo is the text of every queued message to dest.
func (f *fixture) outboxTo(t *testing.T, dest string) string {
	t.Helper()
	var b []string
	for _, it := range f.outbox(t) {
		if it.Dest == dest {
			b = append(b, Flatten(it.Message))
		}
	}
	return strings.Join(b, "\n")
}

func (f *fixture) audits(t *testing.T, team string) []*domain.AuditEntry {
	t.Helper()
	var log []*domain.AuditEntry
	if err := f.st.View(func(tx domain.Tx) (err error) { log, err = tx.AuditLog(team, time.Time{}); return err }); err != nil {
		t.Fatal(err)
	}
	return log
}

func TestReductionAndEndingIt(t *testing.T) {
	f := team(t)
	out := f.must(t, "meg", "caseload", "reduction <@alice> 20% until=2027-03-31 practice educator")
	contains(t, texts(out), "Reduction #1 recorded", "20 % for practice educator, until Wed 31 Mar 2027", "now 68 points (was 85)", "23.5 % 🟢 green → 29.4 % 🟢 green")
	if w := f.workload(t, "alice"); w.Capacity != 68 {
		t.Fatalf("capacity %v, want 68", w.Capacity)
	}
	contains(t, f.outboxTo(t, "test:alice"), "85 → 68 points")
	contains(t, texts(f.must(t, "meg", "capacity", "<@alice>")), "#1 20 % for practice educator, until Wed 31 Mar 2027")

	contains(t, texts(f.do(t, "meg", "caseload", "reduction <@alice> end 2")), "no current reduction #2", "#1 20 %")
	contains(t, texts(f.must(t, "meg", "caseload", "reduction <@alice> end 1")), "Reduction #1 (20 % for practice educator) ended today", "now 85 points (was 68)")
	if w := f.workload(t, "alice"); w.Capacity != 85 {
		t.Fatalf("capacity %v after the end, want 85", w.Capacity)
	}
	contains(t, texts(f.do(t, "meg", "caseload", "reduction <@alice> end 1")), "no current reduction #1")

	for text, want := range map[string]string{
		"reduction <@alice> 120 too much":          "at most 100",
		"reduction <@alice> 20":                    "give the reason",
		"reduction <@alice> 20 until=2026-02-30 x": "YYYY-MM-DD",
		"reduction <@alice> 20 until=2026-01-01 x": "has passed",
		"reduction <@stu> 20 x":                    "carries no caseload",
		"reduction <@zed> 20 x":                    "not a member",
	} {
		before := fileHash(t, f)
		resp := f.do(t, "meg", "caseload", text)
		if resp.Code == "" {
			t.Fatalf("%s: accepted", text)
		}
		contains(t, texts(resp), want)
		if fileHash(t, f) != before {
			t.Fatalf("%s: a refused command changed the store", text)
		}
	}
}

func TestLeaveNoteStaysWithManagersAndPhasedReturn(t *testing.T) {
	f := team(t)
	out := f.must(t, "meg", "caseload", "leave <@alice> until=2026-12-31 hospital stay")
	got := texts(out)
	contains(t, got, "Leave recorded", "until Thu 31 Dec 2026", "kept for managers only", "hold 2 cases", "/allocate transfer")
	// Capacity 0 with 20 points held: red, and everyone concerned is told.
	if w := f.workload(t, "alice"); w.Capacity != 0 || w.RAG != domain.Red {
		t.Fatalf("on leave: %+v", w)
	}
	toAlice := f.outboxTo(t, "test:alice")
	contains(t, toAlice, "now over the safe level", "leave until Thu 31 Dec 2026")
	contains(t, f.outboxTo(t, "test:meg"), "now over the safe level")
	// As for an allocation above the safe level, the managers owe a reason.
	o := f.caseOf(t, "C-5").Override
	if o == nil {
		o = f.caseOf(t, "C-2").Override
	}
	if o == nil || o.Reason != "" || o.ReviewOn == "" {
		t.Fatalf("no override asked for on Alice's cases: %+v", o)
	}
	lacks(t, toAlice, "hospital")
	contains(t, texts(f.must(t, "meg", "capacity", "<@alice>")), "note for managers: hospital stay")
	lacks(t, texts(f.must(t, "alice", "capacity", "")), "hospital")
	for _, e := range f.audits(t, "north") {
		if strings.Contains(e.Detail+e.After+e.Before, "hospital") {
			t.Fatalf("the leave note reached the audit log: %+v", e)
		}
	}
	contains(t, texts(f.do(t, "meg", "caseload", "leave <@alice>")), "already on leave")
	contains(t, texts(f.do(t, "meg", "caseload", "back <@alice> phased=50%")), "needs both")

	f.clock.Advance(7 * 24 * time.Hour)
	out = f.must(t, "meg", "caseload", "back <@alice> phased=50% until=2027-01-31")
	contains(t, texts(out), "Welcome back", "reduction #2 of 50 % until Sun 31 Jan 2027", "now 42.5 points (was 0)")
	contains(t, texts(f.do(t, "meg", "caseload", "back <@alice>")), "not on leave")
	f.clock.Advance(70 * 24 * time.Hour) // past the end of the phased return
	if w := f.workload(t, "alice"); w.Capacity != 85 {
		t.Fatalf("after the phased return: capacity %v, want 85", w.Capacity)
	}
}

func TestRemoveLeaverKeepsHistory(t *testing.T) {
	f := team(t)
	resp := f.do(t, "meg", "caseload", "remove <@alice>")
	if resp.Code != domain.ECONFLICT {
		t.Fatalf("removing someone who holds cases: %q %s", resp.Code, texts(resp))
	}
	contains(t, texts(resp), "C-2, C-5", "/allocate transfer C-2")
	f.must(t, "bo", "capacity", "hours 2 late visit")
	f.must(t, "meg", "allocate", "transfer C-6 <@alice> Bo is leaving")
	f.must(t, "alice", "allocate", "accept C-6")
	out := f.must(t, "meg", "caseload", "remove <@bo>")
	contains(t, texts(out), "Bo has left North")
	lacks(t, texts(f.must(t, "meg", "caseload", "board")), "Bo")
	contains(t, texts(f.must(t, "meg", "caseload", "case show C-6")), "Bo")
	var hours []*domain.HoursEntry
	if err := f.st.View(func(tx domain.Tx) (err error) { hours, err = tx.Hours("north", time.Time{}); return err }); err != nil {
		t.Fatal(err)
	}
	if len(hours) != 1 || hours[0].By != "test:bo" {
		t.Fatalf("the leaver's hours: %+v", hours)
	}
	if resp := f.do(t, "bo", "capacity", ""); resp.Code != domain.EFORBIDDEN && resp.Code != domain.ENOTFOUND {
		t.Fatalf("a leaver still uses the team: %q", resp.Code)
	}
}

func TestPostsAndVacancyAlert(t *testing.T) {
	f := team(t)
	f.must(t, "admin", "caseload", "service-manager <@sm|Sue>")
	// In post: Alice 1 + Bo 0.5 = 1.5 FTE.
	out := f.must(t, "meg", "caseload", "posts 1.75")
	contains(t, texts(out), "1.8 FTE funded, 1.5 FTE in post, 0.2 FTE vacant (14.3 %)")
	if got := f.outboxTo(t, "test:sm"); got != "" {
		t.Fatalf("below the level the service manager was told: %s", got)
	}
	out = f.must(t, "meg", "caseload", "posts 3")
	contains(t, texts(out), "(50.0 %)", "service manager has been told")
	contains(t, f.outboxTo(t, "test:sm"), "North: 50.0 % of posts vacant", "contingency")
	contains(t, texts(f.must(t, "alice", "caseload", "board")), "3 FTE funded, 1.5 in post, 50.0 % vacant")
	n := len(f.outbox(t))
	f.must(t, "meg", "caseload", "posts 4") // still over: no second alert
	if len(f.outbox(t)) != n {
		t.Fatal("the service manager was told twice")
	}
	contains(t, texts(f.do(t, "meg", "caseload", "posts lots")), "number like 6.5")
}

const twoPolicies = `
default: children
policies:
  children: {}
  lean:
    benchmark_points: 90
    factors: {court: 4, high_risk: 2, noncooperation: 1, rural: 1}
`

// policyFixture is North under a file of two policies.
func policyFixture(t *testing.T) *fixture {
	t.Helper()
	pol, err := policyfile.Parse([]byte(twoPolicies), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fc := clock.NewFake(start)
	st, err := store.Open(filepath.Join(t.TempDir(), "safeload.db"), store.Options{Clock: fc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	loc, _ := time.LoadLocation("Europe/London")
	f := &fixture{st: st, clock: fc, eng: engine.New(st, &pol, prompts.MustLoad(), loc, []domain.PersonID{"test:admin"})}
	f.must(t, "admin", "caseload", "setup North")
	for _, s := range []string{"<@meg|Meg> manager", "<@alice|Alice> practitioner"} {
		f.must(t, "admin", "caseload", "add "+s)
	}
	f.must(t, "meg", "caseload", "case add C-5 proceedings court")
	f.must(t, "meg", "allocate", "C-5 <@alice>")
	f.must(t, "alice", "allocate", "accept C-5")
	return f
}

func TestPolicyShownInPlainWords(t *testing.T) {
	f := team(t)
	got := texts(f.must(t, "alice", "caseload", "policy"))
	contains(t, got, `"default" policy`, "100 points", "85 points are for cases", "ASYE starts at 80 %", "90 % from month 7",
		"cp: 8 (children)", "proceedings: 10 (children), high risk", "court: +2", "children=N: +1 for each child after the first, at most +3",
		"amber from 100 %", "red from 110 %", "within 2 working days", "every 12 weeks")
	contains(t, texts(f.do(t, "admin", "caseload", "policy adults")), `There is no policy called "adults"`)
}

func TestPolicySwitchRecomputesEveryFigure(t *testing.T) {
	f := policyFixture(t)
	// children: proceedings 10 + court 2 = 12 of 85 = 14.1 %.
	contains(t, texts(f.must(t, "meg", "caseload", "board")), "14.1 %", `children (/caseload policy)`)
	resp := f.do(t, "meg", "caseload", "policy lean")
	if resp.Code != domain.EFORBIDDEN {
		t.Fatalf("a manager switched the policy: %s", texts(resp))
	}
	out := f.must(t, "admin", "caseload", "policy lean")
	// lean: 10 + 4 = 14 of 75 = 18.7 %.
	contains(t, texts(out), `now works under the policy "lean" (was "children")`, "14.1 % → 18.7 %")
	contains(t, texts(f.must(t, "meg", "caseload", "board")), "18.7 %", "lean since")
	contains(t, texts(f.must(t, "alice", "capacity", "")), "14 of 75 points")
	contains(t, texts(f.must(t, "alice", "caseload", "policy")), `"lean" policy`, "90 points", "court: +4", "since")
	contains(t, texts(f.must(t, "meg", "caseload", "digest")), "18.7 %")
	var found bool
	for _, e := range f.audits(t, "north") {
		if e.Action == "team.policy" && e.Before == "children" && e.After == "lean" && e.Actor == "test:admin" {
			found = true
		}
	}
	if !found {
		t.Fatal("no audit entry for the policy switch")
	}
	contains(t, texts(f.do(t, "admin", "caseload", "policy lean")), "already works under")
	f.must(t, "admin", "caseload", "policy children")
	contains(t, texts(f.must(t, "meg", "caseload", "board")), "14.1 %")
}

func TestReviewRecordsAndAsksForTheFollowUp(t *testing.T) {
	f := team(t)
	contains(t, texts(f.must(t, "meg", "capacity", "<@alice>")), "Not reviewed here yet", "Next review due by Mon 15 Feb 2027")
	out := f.must(t, "meg", "caseload", "review <@alice> reduce court work heavy")
	contains(t, texts(out), "Caseload review of", "reduce, at 23.5 %", "Next review due by Mon 15 Feb 2027", "/caseload reduction <@test:alice> <percent>")
	contains(t, texts(f.must(t, "meg", "caseload", "review <@alice> move")), "/allocate transfer <REF> @person <reason> (they hold C-2, C-5)", "/caseload case move")
	contains(t, texts(f.must(t, "meg", "caseload", "review <@bo> keep")), "keep")
	contains(t, texts(f.do(t, "meg", "caseload", "review <@alice> maybe")), "keep, add, reduce or move")
	contains(t, texts(f.must(t, "meg", "capacity", "<@alice>")), "Last reviewed Mon 23 Nov 2026 by Meg: move")
	f.clock.Advance(24 * time.Hour)
	f.must(t, "meg", "caseload", "review <@alice> keep fine now")
	contains(t, texts(f.must(t, "meg", "capacity", "<@alice>")), "Last reviewed Tue 24 Nov 2026 by Meg: keep (fine now)", "due by Tue 16 Feb 2027")
	lacks(t, texts(f.must(t, "alice", "capacity", "")), "fine now")
}

func TestHoursForAnEarlierDay(t *testing.T) {
	f := team(t) // Monday 23 November 2026
	contains(t, texts(f.must(t, "alice", "capacity", "hours 2 date=2026-11-16 visit ran late")), "Logged 2 extra hours")
	contains(t, texts(f.must(t, "alice", "capacity", "hours 1 date=2026-11-23")), "Logged 1 extra hour")
	for _, d := range []string{"2026-11-15", "2026-11-24"} {
		resp := f.do(t, "alice", "capacity", "hours 2 date="+d)
		if resp.Code == "" {
			t.Fatalf("hours for %s accepted", d)
		}
		contains(t, texts(resp), "Mon 16 Nov 2026 to Mon 23 Nov 2026")
	}
	var hs []*domain.HoursEntry
	if err := f.st.View(func(tx domain.Tx) (err error) { hs, err = tx.Hours("north", time.Time{}); return err }); err != nil {
		t.Fatal(err)
	}
	if len(hs) != 2 || domain.DateOf(hs[0].At.In(f.eng.Location())) != "2026-11-16" {
		t.Fatalf("hours: %+v", hs)
	}
}

func TestCaseMoveToAnotherTeam(t *testing.T) {
	f := matrixFixture(t) // Alice holds C-2 (cp 8); C-1 waits in North's queue
	south := func(as, command, text string) engine.Response {
		return f.eng.Handle(context.Background(), engine.Request{Platform: "test", Channel: "test:C-SOUTH", Caller: domain.PersonID("test:" + as), Command: command, Text: text})
	}
	out := f.must(t, "meg", "caseload", "case move C-2 south turned 18, adults' team")
	contains(t, texts(out), "C-2 is on its way from North to South", "stays in Alice's caseload here until they allocate it", "manager has been told")
	contains(t, f.outboxTo(t, "test:olly"), "Meg is sending C-2 (8 points) from North to South", "turned 18, adults' team", "top of the team's queue", "Alice keeps it in North until you allocate it here")
	contains(t, f.outboxTo(t, "test:alice"), "stays in your caseload until South allocates it")
	if w := f.workload(t, "alice"); w.Cases != 1 || w.Load != 8 {
		t.Fatalf("C-2 left Alice's figures before South allocated it: %+v", w)
	}
	contains(t, texts(f.do(t, "meg", "caseload", "case move C-2 east why")), `no team with the ID "east"`)
	contains(t, texts(f.do(t, "meg", "caseload", "case move C-2 south again")), "already on its way to South")

	var dg []domain.Message
	if err := f.st.View(func(tx domain.Tx) error {
		tm, err := tx.Team("south")
		if err != nil {
			return err
		}
		dg, err = digest.Build(tx, f.eng.Policy(), f.eng.Prompts(), f.eng.Location(), tm, f.clock.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	contains(t, texts(engine.Response{Messages: dg}), "Coming from other teams", "C-2 from North, 8 points")
	got := texts(south("olly", "allocate", ""))
	contains(t, got, "C-2: cp, 8 points", "coming from North (turned 18, adults' team); Alice holds it there until you allocate it")
	contains(t, texts(south("olly", "caseload", "case close C-2")), "on its way here from North", "allocate it first")
	contains(t, texts(south("olly", "caseload", "case show C-2")), "C-2: 8 points")

	if resp := south("olly", "allocate", "C-2 <@pat>"); resp.Code != "" {
		t.Fatalf("South proposes C-2: %s", texts(resp))
	}
	if w := f.workload(t, "alice"); w.Cases != 0 {
		t.Fatalf("C-2 still counts for Alice after South allocated it: %+v", w)
	}
	if resp := south("pat", "allocate", "accept C-2"); resp.Code != "" {
		t.Fatalf("Pat accepts: %s", texts(resp))
	}
	contains(t, texts(south("olly", "caseload", "case show C-2")), "added by Meg", "accepted by Alice",
		"moved from north to south by Meg: turned 18", "left <@test:alice>'s caseload for south", "accepted by Pat")
	var out1 bool
	for _, e := range f.audits(t, "north") {
		out1 = out1 || e.Action == "case.move_out" && e.Subject == "C-2" && e.After == "south"
	}
	if !out1 {
		t.Fatal("North's audit log does not show the move")
	}

	// A case nobody holds goes at once, to the top of the queue.
	south("olly", "caseload", "case add S-9 cp high_risk")
	contains(t, texts(f.must(t, "meg", "caseload", "case move C-1 south needs the South team")), "C-1 has moved from North to the queue of South")
	q := texts(south("olly", "allocate", ""))
	if !strings.Contains(q, "C-1") || strings.Index(q, "C-1") > strings.Index(q, "S-9") || !strings.Contains(q, "moved from North") {
		t.Fatalf("the moved case is not at the top with its reason:\n%s", q)
	}
	for text, want := range map[string]string{
		"case move C-3 north why":     "in this team already",
		"case move C-3 south":         "needs the case",
		"case move C-1 south why not": "belongs to another team",
	} {
		resp := f.do(t, "meg", "caseload", text)
		if resp.Code == "" {
			t.Fatalf("%s: accepted", text)
		}
		contains(t, texts(resp), want)
	}
}

func TestAddASYEWithTheStartOfTheYear(t *testing.T) {
	f := team(t)
	contains(t, texts(f.do(t, "meg", "caseload", "add <@dee|Dee> practitioner started=2026-09-01")), "started= is the first day of an ASYE's assessed year")
	contains(t, texts(f.do(t, "meg", "caseload", "add <@dee|Dee> asye started=sometime")), "YYYY-MM-DD")
	f.must(t, "meg", "caseload", "add <@dee|Dee> asye fte=0.5 started=2026-09-01")
	// Month 3 of the year: 85 × 0.5 × 0.8.
	if w := f.workload(t, "dee"); w.Capacity != 34 {
		t.Fatalf("capacity %v, want 34", w.Capacity)
	}
	f.must(t, "meg", "caseload", "add <@dee|Dee> practitioner")
	var m *domain.Member
	if err := f.st.View(func(tx domain.Tx) (err error) { m, err = tx.Member("north", "test:dee"); return err }); err != nil {
		t.Fatal(err)
	}
	if m.ASYEStarted != "" || m.FTE != 0.5 {
		t.Fatalf("a practitioner keeps an ASYE start: %+v", m)
	}
}
