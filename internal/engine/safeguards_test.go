package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/internal/importer"
)

// guarded is North with a service manager (Sue), Meg managing, Alice and
// Una practising full time, and Ash, an ASYE.
func guarded(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	f.must(t, "admin", "caseload", "setup North")
	for _, s := range []string{"<@meg|Meg> manager", "<@alice|Alice> practitioner", "<@una|Una> practitioner", "<@ash|Ash> asye"} {
		f.must(t, "admin", "caseload", "add "+s)
	}
	f.must(t, "admin", "caseload", "service-manager <@sue|Sue>")
	return f
}

// hold gives who n allocated cases of the given spec, straight in the store.
func (f *fixture) hold(t *testing.T, who, prefix string, n int, typ string) {
	t.Helper()
	err := f.st.Update(func(tx domain.Tx) error {
		for i := 1; i <= n; i++ {
			c := &domain.Case{Ref: prefix + "-" + string(rune('A'+i-1)), Team: "north", Type: typ, Status: domain.CaseAllocated,
				Holder: domain.PersonID("test:" + who), CreatedAt: tx.Now(), AllocatedAt: tx.Now()}
			if err := tx.PutCase(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// toldTo is the text of the outbox items for dest.
func (f *fixture) toldTo(t *testing.T, dest string) string {
	t.Helper()
	var b strings.Builder
	for _, it := range f.outbox(t) {
		if it.Dest == dest {
			b.WriteString(Flatten(it.Message))
		}
	}
	return b.String()
}

func refusedUnchanged(t *testing.T, f *fixture, as, command, text string, code string, want ...string) {
	t.Helper()
	before := fileHash(t, f)
	resp := f.do(t, as, command, text)
	if resp.Code != code {
		t.Fatalf("/%s %s: code %q, want %q: %s", command, text, resp.Code, code, texts(resp))
	}
	for _, m := range resp.Messages {
		if m.Audience != domain.ToCaller {
			t.Fatalf("a refusal must be private: %+v", m)
		}
	}
	for _, w := range want {
		if !strings.Contains(texts(resp), w) {
			t.Errorf("refusal lacks %q:\n%s", w, texts(resp))
		}
	}
	if fileHash(t, f) != before {
		t.Fatal("a refusal changed the store")
	}
}

func TestASYEProtectedFromHighRiskCases(t *testing.T) {
	f := guarded(t)
	f.must(t, "meg", "caseload", "case add C-1 proceedings")
	f.must(t, "meg", "caseload", "case add C-2 cin high_risk")
	f.must(t, "meg", "caseload", "case add C-3 cin")
	for _, ref := range []string{"C-1", "C-2"} {
		refusedUnchanged(t, f, "meg", "allocate", ref+" <@ash>", domain.EINVALID,
			"Ash is an ASYE", "/allocate "+ref+" <@test:ash> override review=4w <reason>")
	}
	// An ordinary case goes as a plain proposal.
	f.must(t, "meg", "allocate", "C-3 <@ash>")
	if got := f.toldTo(t, "test:sue"); got != "" {
		t.Fatalf("an ordinary proposal told the service manager:\n%s", got)
	}
	// The override form records the reason, shows it and tells Sue privately.
	out := texts(f.must(t, "meg", "allocate", "C-1 <@ash> override review=2w co-working with Alice, who is in court"))
	if !strings.Contains(out, "an ASYE is protected from this kind of case") || !strings.Contains(out, "co-working with Alice") {
		t.Fatalf("the proposal must show the override:\n%s", out)
	}
	if c := f.caseOf(t, "C-1"); c.Status != domain.CaseProposed {
		t.Fatalf("C-1 is %s", c.Status)
	}
	sue := f.toldTo(t, "test:sue")
	if !strings.Contains(sue, "Ash is an ASYE") || !strings.Contains(sue, "co-working with Alice") {
		t.Fatalf("the service manager must be told of the override:\n%s", sue)
	}
	f.must(t, "ash", "allocate", "accept C-1")
	if c := f.caseOf(t, "C-1"); c.Override == nil || c.Override.Reason != "co-working with Alice, who is in court" {
		t.Fatalf("the override is not on the case: %+v", c.Override)
	}
}

func TestRedByCountNeedsOverride(t *testing.T) {
	f := guarded(t)
	f.hold(t, "una", "U", 15, "care_leaver") // 60 points: 70.6 %, 15 cases amber
	f.must(t, "meg", "caseload", "case add C-16 care_leaver")
	refusedUnchanged(t, f, "meg", "allocate", "C-16 <@una>", domain.EINVALID,
		"75.3 % of points, but 16 cases: 🔴 red by number of cases", "Red by number of cases, this needs an override")
	out := texts(f.must(t, "meg", "allocate", "C-16 <@una> override review=1w the family asked for her"))
	if !strings.Contains(out, "by number of cases") {
		t.Fatalf("the proposal must say which rule makes it red:\n%s", out)
	}
	if sue := f.toldTo(t, "test:sue"); !strings.Contains(sue, "C-16") || !strings.Contains(sue, "the family asked for her") {
		t.Fatalf("an allocation into red must tell the service manager:\n%s", sue)
	}
	// Una's own view says amber comes from the count, not the points.
	f.must(t, "una", "allocate", "decline C-16 not this week")
	me := texts(f.must(t, "una", "capacity", ""))
	if !strings.Contains(me, "by number of cases") || strings.Contains(me, "safe level") && !strings.Contains(me, "number of cases") {
		t.Fatalf("a count-amber /capacity must say it is the count:\n%s", me)
	}
	if strings.Contains(me, "with room") {
		t.Fatalf("amber is never \"with room\":\n%s", me)
	}
}

func TestNoAllocationToSomeoneOnLeave(t *testing.T) {
	f := guarded(t)
	err := f.st.Update(func(tx domain.Tx) error {
		m, err := tx.Member("north", "test:alice")
		if err != nil {
			return err
		}
		m.Reductions = []domain.Reduction{{Reason: "maternity leave", Percent: 100}}
		return tx.PutMember(m)
	})
	if err != nil {
		t.Fatal(err)
	}
	f.must(t, "meg", "caseload", "case add C-1 cin")
	refusedUnchanged(t, f, "meg", "allocate", "C-1 <@alice>", domain.ECONFLICT, "Alice is on leave (maternity leave)")
	refusedUnchanged(t, f, "meg", "allocate", "C-1 <@alice> override review=1w urgent", domain.ECONFLICT, "on leave")
	board := texts(f.must(t, "meg", "caseload", "board"))
	if !strings.Contains(board, "Alice: on leave") || strings.Contains(board, "Alice: no capacity") {
		t.Fatalf("the board must say Alice is on leave:\n%s", board)
	}
}

func TestSuggestionsAddUpAcrossTheQueue(t *testing.T) {
	f := guarded(t)
	f.hold(t, "alice", "A", 8, "cp") // 64 of 85
	f.hold(t, "una", "U", 8, "cp")   // 64 of 85
	f.hold(t, "ash", "H", 8, "cp")   // 64 of 68
	for _, ref := range []string{"C-1", "C-2", "C-3", "C-4", "C-5"} {
		f.must(t, "meg", "caseload", "case add "+ref+" cp")
	}
	out := texts(f.must(t, "meg", "allocate", ""))
	// Each of Alice and Una has room for two cp (80 of 85) but not a third.
	if a, u := strings.Count(out, "Suggest Alice"), strings.Count(out, "Suggest Una"); a != 2 || u != 2 {
		t.Fatalf("suggestions must add up: Alice %d, Una %d, want 2 each:\n%s", a, u, out)
	}
	if !strings.Contains(out, "Nobody in the team has room for C-5 without going over 100 %") {
		t.Fatalf("the fifth case must say nobody has room:\n%s", out)
	}
	if strings.Contains(out, "(-") {
		t.Fatalf("never negative room:\n%s", out)
	}
	// Someone who declined a case is not suggested for it again.
	f.must(t, "meg", "allocate", "C-1 <@alice>")
	f.must(t, "alice", "allocate", "decline C-1 too far to travel")
	out = texts(f.must(t, "meg", "allocate", ""))
	i := strings.Index(out, "C-1:")
	next := out[i:]
	if j := strings.Index(next[1:], "C-2:"); j > 0 {
		next = next[:j]
	}
	if strings.Contains(next, "Suggest Alice") {
		t.Fatalf("Alice declined C-1 and must not be suggested for it:\n%s", next)
	}
}

func TestTwoProposalsToOnePersonAddUp(t *testing.T) {
	f := guarded(t)
	f.hold(t, "alice", "A", 9, "cp") // 72 of 85: 84.7 %
	f.must(t, "meg", "caseload", "case add C-1 cin")
	f.must(t, "meg", "caseload", "case add C-2 cin")
	f.must(t, "meg", "allocate", "C-1 <@alice>") // 77: 90.6 %
	// The second counts the first as taken: 82 of 85 = 96.5 %, not 90.6 %.
	out := texts(f.must(t, "meg", "allocate", "C-2 <@alice>"))
	if !strings.Contains(out, "90.6 % 🟢 green → 96.5 %") || !strings.Contains(out, "counts C-1") {
		t.Fatalf("the second proposal must count the first:\n%s", out)
	}
}

func TestAcceptRefusedTellsTheProposer(t *testing.T) {
	f := guarded(t)
	f.hold(t, "alice", "A", 10, "cp") // 80 of 85
	f.must(t, "meg", "caseload", "case add C-1 care_leaver")
	f.must(t, "meg", "allocate", "C-1 <@alice>") // 84: 98.8 %
	// Meanwhile one of Alice's cases gets heavier: C-1 would now take her over.
	f.must(t, "meg", "caseload", "case update A-A court")
	resp := f.do(t, "alice", "allocate", "accept C-1")
	if !strings.Contains(texts(resp), "Your load has changed") {
		t.Fatalf("accept: %s", texts(resp))
	}
	if c := f.caseOf(t, "C-1"); c.Status != domain.CaseProposed {
		t.Fatalf("the refused accept changed the case: %s", c.Status)
	}
	if meg := f.toldTo(t, "test:meg"); !strings.Contains(meg, "Alice tried to accept C-1") {
		t.Fatalf("the proposer must be told privately:\n%s", meg)
	}
}

func TestDeclineReasonGoesPrivately(t *testing.T) {
	f := guarded(t)
	f.must(t, "admin", "caseload", "add <@dee|Dee> manager")
	f.must(t, "meg", "caseload", "case add C-1 cin")
	f.must(t, "meg", "allocate", "C-1 <@alice>")
	resp := f.must(t, "alice", "allocate", "decline C-1 "+secretReason)
	for _, m := range resp.Messages {
		if m.Audience == domain.ToChannel && strings.Contains(Flatten(m), secretReason) {
			t.Fatalf("the reason reached the channel:\n%s", Flatten(m))
		}
	}
	if !strings.Contains(texts(resp), "C-1 was declined by Alice; it is back in the queue") {
		t.Fatalf("the channel must hear that it was declined:\n%s", texts(resp))
	}
	for _, who := range []string{"test:meg", "test:dee"} {
		if !strings.Contains(f.toldTo(t, who), secretReason) {
			t.Errorf("%s must hear the reason privately", who)
		}
	}
	for _, who := range []string{"test:alice", "test:una", "test:sue", string(north)} {
		if strings.Contains(f.toldTo(t, who), secretReason) {
			t.Errorf("%s must not hear the reason", who)
		}
	}
	minutes := texts(f.must(t, "meg", "allocate", "done"))
	if strings.Contains(minutes, secretReason) || !strings.Contains(minutes, "declined C-1 and gave a reason") {
		t.Fatalf("minutes:\n%s", minutes)
	}
}

func TestOverrideReview(t *testing.T) {
	f := guarded(t)
	f.hold(t, "alice", "A", 10, "cp")
	f.must(t, "meg", "caseload", "case add C-1 cp")
	refusedUnchanged(t, f, "meg", "allocate", "C-1 <@alice> override review=13w long case", domain.EINVALID, "at most 12 weeks")
	// Mon 23 Nov + 4w = Mon 21 Dec; + 5w = Mon 28 Dec, a bank holiday: Tue 29 Dec.
	f.must(t, "meg", "allocate", "C-1 <@alice> override review=5w she knows the family")
	f.must(t, "alice", "allocate", "accept C-1")
	if c := f.caseOf(t, "C-1"); c.Override == nil || c.Override.ReviewOn != "2026-12-29" {
		t.Fatalf("review date on a working day: %+v", c.Override)
	}
	refusedUnchanged(t, f, "alice", "allocate", "review C-1 end", domain.EFORBIDDEN)
	refusedUnchanged(t, f, "meg", "allocate", "review C-2 end", domain.ENOTFOUND)
	refusedUnchanged(t, f, "meg", "allocate", "review C-1 continue review=4w", domain.EINVALID)
	out := texts(f.must(t, "meg", "allocate", "review C-1 continue review=4w hearing moved to January"))
	if !strings.Contains(out, "next review by Mon 21 Dec 2026") {
		t.Fatalf("continue:\n%s", out)
	}
	if c := f.caseOf(t, "C-1"); c.Override.ReviewOn != "2026-12-21" || c.Override.Reason != "hearing moved to January" || c.Override.ReviewedBy != "test:meg" {
		t.Fatalf("the review is not recorded: %+v", c.Override)
	}
	if !strings.Contains(f.toldTo(t, "test:alice"), "reviewed the override on C-1") {
		t.Fatal("the holder must be told of the review")
	}
	if show := texts(f.must(t, "meg", "caseload", "case show C-1")); !strings.Contains(show, "override reviewed by Meg: continues to Mon 21 Dec 2026: hearing moved to January") {
		t.Fatalf("the review is in the case's history:\n%s", show)
	}
	f.must(t, "meg", "allocate", "review C-1 end")
	if c := f.caseOf(t, "C-1"); !c.Override.Reviewed {
		t.Fatal("the override did not end")
	}
	refusedUnchanged(t, f, "meg", "allocate", "review C-1 end", domain.ECONFLICT, "no override waiting for review")
}

func TestConcernAgreeDisagree(t *testing.T) {
	f := guarded(t)
	f.must(t, "alice", "capacity", "concern too much court work")
	refusedUnchanged(t, f, "alice", "capacity", "agree 1", domain.ECONFLICT, "no plan yet")
	f.must(t, "meg", "capacity", "plan 1 C-3 moves to Una")
	refusedUnchanged(t, f, "una", "capacity", "disagree 1 no", domain.EFORBIDDEN, "Only Alice")
	f.must(t, "alice", "capacity", "disagree 1 C-3 is not the problem; the court work is")
	sue := f.toldTo(t, "test:sue")
	if !strings.Contains(sue, "not enough") || !strings.Contains(sue, "the court work is") {
		t.Fatalf("a disagreement goes to the service manager:\n%s", sue)
	}
	if !strings.Contains(f.toldTo(t, "test:meg"), "the court work is") {
		t.Fatal("the managers hear it too")
	}
	f.must(t, "meg", "capacity", "plan 1 court work shared with Una")
	f.must(t, "alice", "capacity", "agree 1")
	var c *domain.Concern
	if err := f.st.View(func(tx domain.Tx) (err error) { c, err = tx.Concern(1); return err }); err != nil {
		t.Fatal(err)
	}
	if !c.RaiserAgrees || c.RaiserAt.IsZero() {
		t.Fatalf("agreement not recorded: %+v", c)
	}
}

func TestManagerRaisesTeamConcern(t *testing.T) {
	f := guarded(t)
	f.hold(t, "alice", "A", 10, "cp")
	out := texts(f.must(t, "meg", "capacity", "concern three vacancies and the queue keeps growing"))
	if !strings.Contains(out, "Team concern #1") {
		t.Fatalf("raised:\n%s", out)
	}
	sue := f.toldTo(t, "test:sue")
	if !strings.Contains(sue, "three vacancies") || !strings.Contains(sue, "80 of 238 points") {
		t.Fatalf("the service manager must get the team's figures:\n%s", sue)
	}
	refusedUnchanged(t, f, "meg", "capacity", "ack 1", domain.EFORBIDDEN, "the service manager acknowledges it")
	f.must(t, "sue", "capacity", "ack 1")
}

func TestMinutesWithoutAMeeting(t *testing.T) {
	f := guarded(t)
	f.must(t, "meg", "caseload", "case add C-1 cin")
	out := texts(f.must(t, "meg", "allocate", "done"))
	if !strings.Contains(out, "Meg added C-1") {
		t.Fatalf("minutes without a meeting:\n%s", out)
	}
	f.clock.Advance(time.Minute)
	f.must(t, "meg", "caseload", "case add C-2 cin")
	out = texts(f.must(t, "meg", "allocate", "done"))
	if strings.Contains(out, "added C-1") || !strings.Contains(out, "added C-2") {
		t.Fatalf("the next minutes start at the last ones:\n%s", out)
	}
}

func TestRolesInPlainWords(t *testing.T) {
	f := guarded(t)
	f.must(t, "admin", "caseload", "add <@sara|Sara Shah> service_manager")
	f.must(t, "admin", "caseload", "add <@ro|Ro Ot> admin")
	f.must(t, "meg", "caseload", "case add C-1 cin")
	refusedUnchanged(t, f, "meg", "allocate", "C-1 <@sara>", domain.EINVALID, "Sara Shah is a service manager. Service managers carry no caseload")
	refusedUnchanged(t, f, "meg", "allocate", "C-1 <@ro>", domain.EINVALID, "Ro Ot is an admin. Admins carry no caseload")
}

func TestStudentSeesTheCasesTheyAreInvolvedIn(t *testing.T) {
	f := guarded(t)
	f.must(t, "admin", "caseload", "add <@stu|Stu> student")
	f.must(t, "meg", "caseload", "case add C-1 cin")
	f.must(t, "meg", "allocate", "C-1 <@alice>")
	f.must(t, "alice", "allocate", "accept C-1")
	f.must(t, "meg", "caseload", "case involve C-1 <@stu>")
	out := texts(f.must(t, "stu", "capacity", ""))
	if !strings.Contains(out, "Cases you are involved in (1)") || !strings.Contains(out, "C-1: cin, held by Alice") {
		t.Fatalf("a student's /capacity:\n%s", out)
	}
}

func TestReweighOverTheLevelAsksForAReason(t *testing.T) {
	f := guarded(t)
	f.hold(t, "alice", "A", 10, "cp")                                 // 80 of 85
	f.must(t, "meg", "caseload", "case update A-A proceedings court") // 80 − 8 + 12 = 84: 98.8 %, green
	if c := f.caseOf(t, "A-A"); c.Override != nil {
		t.Fatalf("no override below the level: %+v", c.Override)
	}
	f.must(t, "meg", "caseload", "case update A-B court") // 86: 101.2 %
	c := f.caseOf(t, "A-B")
	if c.Override == nil || c.Override.Reason != "" || c.Override.ReviewOn != "2026-11-25" {
		t.Fatalf("a re-weigh over the level must ask for a reason by Wed 25 Nov: %+v", c.Override)
	}
	if meg := f.toldTo(t, "test:meg"); !strings.Contains(meg, "needs a reason by Wed 25 Nov 2026") || !strings.Contains(meg, "/allocate review A-B continue") {
		t.Fatalf("the managers must be asked for a reason:\n%s", meg)
	}
	if show := texts(f.must(t, "alice", "caseload", "case show A-B")); !strings.Contains(show, "no reason recorded yet") {
		t.Fatalf("case show:\n%s", show)
	}
	f.must(t, "meg", "allocate", "review A-B continue review=4w the hearing is in three weeks; A-C moves to Una")
	if c := f.caseOf(t, "A-B"); c.Override.Reason == "" || c.Override.ReviewOn != "2026-12-21" {
		t.Fatalf("the reason is not recorded: %+v", c.Override)
	}
}

func TestImportedCaseHistoryStartsWithTheImport(t *testing.T) {
	f := newFixture(t)
	yaml := `teams:
  - id: north
    name: North
    channel: slack:C1
    members:
      - {id: slack:U1, name: Alice, role: practitioner, fte: 1}
    cases:
      - {ref: C-1, type: cp, factors: [court], allocated_to: slack:U1}
`
	if _, err := importer.Import(f.st, []byte(yaml), "north.yaml", f.eng.Policy()); err != nil {
		t.Fatal(err)
	}
	resp := f.eng.Handle(context.Background(), engine.Request{Platform: "slack", Channel: "slack:C1", Caller: "slack:U1", Command: "caseload", Text: "case show C-1"})
	out := texts(resp)
	i := strings.Index(out, "History")
	if i < 0 || !strings.Contains(out[i:], "imported from north.yaml as cp court") {
		t.Fatalf("the history must start with the import:\n%s", out)
	}
}

func TestFTECutOverTheLevelTellsAndAsksForAReason(t *testing.T) {
	f := guarded(t)
	f.hold(t, "alice", "A", 8, "cp")                                        // 64 of 85: 75.3 %
	f.must(t, "meg", "caseload", "add <@alice|Alice> practitioner fte=0.9") // 64 of 76.5: 83.7 %
	if got := f.toldTo(t, "test:alice"); got != "" {
		t.Fatalf("still under the level, yet told:\n%s", got)
	}
	f.must(t, "meg", "caseload", "add <@alice|Alice> practitioner fte=0.6") // 64 of 51: 125.5 %, 8 cases red by count too
	if got := f.toldTo(t, "test:alice"); !strings.Contains(got, "FTE 0.9 → 0.6") || !strings.Contains(got, "125.5 %") {
		t.Fatalf("the holder must be told:\n%s", got)
	}
	if got := f.toldTo(t, "test:meg"); !strings.Contains(got, "needs a reason by Wed 25 Nov 2026") {
		t.Fatalf("the managers must be asked for a reason:\n%s", got)
	}
	overrides := 0
	for _, ref := range []string{"A-A", "A-B", "A-C", "A-D", "A-E", "A-F", "A-G", "A-H"} {
		if c := f.caseOf(t, ref); c.Override != nil && c.Override.Reason == "" {
			overrides++
		}
	}
	if overrides != 1 {
		t.Fatalf("%d reason-less overrides, want one", overrides)
	}
}
