package schedule_test

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/internal/schedule"
	"github.com/safeload/safeload/internal/store"
)

// sent is what a pass put in the outbox, as comparable text.
type sent struct{ kind, dest, text string }

func sentOf(items []*domain.OutboxItem) []sent {
	out := make([]sent, 0, len(items))
	for _, it := range items {
		out = append(out, sent{it.Kind, it.Dest, flatten(it.Message)})
	}
	return out
}

// fromScratch makes the pass at now that a scheduler which keeps nothing
// makes, on a copy of the store as it is: what fires, what it sends.
func (f *fixture) fromScratch(now time.Time) (int, []sent) {
	f.t.Helper()
	path := filepath.Join(f.t.TempDir(), "scratch.db")
	if err := f.st.Backup(path); err != nil {
		f.t.Fatal(err)
	}
	st, err := store.Open(path, store.Options{Clock: f.clock})
	if err != nil {
		f.t.Fatal(err)
	}
	defer st.Close()
	eng := engine.New(st, &f.pol, f.prompts, london, f.admins)
	s := &schedule.Scheduler{Store: st, Policy: &f.pol, Prompts: f.prompts, Loc: london, Clock: f.clock,
		Cron: f.cron, AckWithin: f.ackWithin, EscalateEvery: f.escalate, Admins: eng.Admins, Log: quiet}
	n, err := s.RunOnce(now)
	if err != nil {
		f.t.Fatal(err)
	}
	var items []*domain.OutboxItem
	if err := st.View(func(tx domain.Tx) error {
		items, err = tx.Outbox(0)
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	return n, sentOf(items)
}

// sameAsFromScratch makes the scheduler's pass at now and fails unless it
// fires and sends exactly what a scheduler that keeps nothing would, from
// the same store.
func (f *fixture) sameAsFromScratch(step string, now time.Time) int {
	f.t.Helper()
	f.take() // what the commands sent
	f.clock.Set(now)
	// What the read pass plans, first from what is kept, then by a
	// scheduler on the same store that keeps nothing.
	scratch := &schedule.Scheduler{Store: f.st, Policy: &f.pol, Prompts: f.prompts, Loc: london, Clock: f.clock,
		AckWithin: f.ackWithin, EscalateEvery: f.escalate, Log: quiet}
	for _, team := range []string{"north"} {
		got, err := schedule.PlanRead(f.sched, team, now)
		if err != nil {
			f.t.Fatal(err)
		}
		want, err := schedule.PlanRead(scratch, team, now)
		if err != nil {
			f.t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			f.t.Fatalf("%s (%s): a read pass plans %q; from scratch %q", step, now, got, want)
		}
	}
	wantN, want := f.fromScratch(now)
	gotN := f.run()
	got := sentOf(f.take())
	if gotN != wantN || len(got) != len(want) {
		f.t.Fatalf("%s (%s): fired %d, sent %d; from scratch %d, %d\ngot  %q\nwant %q", step, now, gotN, len(got), wantN, len(want), got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			f.t.Fatalf("%s (%s): message %d is\n%q\nfrom scratch\n%q", step, now, i, got[i], want[i])
		}
	}
	return gotN
}

func (f *fixture) putCase(c *domain.Case) {
	f.t.Helper()
	if err := f.st.Update(func(tx domain.Tx) error { return tx.PutCase(c) }); err != nil {
		f.t.Fatal(err)
	}
}

// What the scheduler keeps of each team between its read passes decides
// exactly as a store read from scratch, across every kind of change a
// clock reads and as time passes: a pass at each step is compared with the
// same pass by a scheduler that keeps nothing, on a copy of the store.
func TestKeptInputsDecideAsAStoreReadFromScratch(t *testing.T) {
	f := newFixture(t, at(2026, 11, 23, 8, 0), func(f *fixture) { f.cron = "0 9 * * MON" })
	f.team(false)
	f.do("admin", "caseload", "add "+mention("bo")+" asye started=2025-11-24")
	f.addCases("north", person("alice"), "A", 9, "cp") // 72 of 85 points
	// fired counts the firings of all passes; firedKept those of the
	// passes that planned the team from what was kept; hits how many such
	// passes the scheduler of the moment made.
	fired, firedKept, hits := 0, 0, 0
	step := func(name string, now time.Time) {
		t.Helper()
		h := schedule.KeptHits(f.sched)
		n := f.sameAsFromScratch(name, now)
		fired += n
		if schedule.KeptHits(f.sched) > h {
			hits++
			firedKept += n
		}
	}
	// early is the first pass of a day, which reads the team afresh (the
	// day is part of what is kept), so that the next passes of the day
	// plan from what it kept.
	early := func(y int, m time.Month, d int) { step("early", at(y, m, d, 6, 0)) }

	step("first pass", at(2026, 11, 23, 8, 0))
	step("nothing changed", at(2026, 11, 23, 8, 20)) // the first read pass: it keeps
	step("nothing changed again", at(2026, 11, 23, 8, 30))
	if hits == 0 {
		t.Fatal("the third pass planned nothing from what was kept")
	}
	// A high-risk case waits (due Wednesday 08:40); the digest is due at 09:00.
	f.clock.Set(at(2026, 11, 23, 8, 40))
	f.addCases("north", "", "Q", 1, "cin", "high_risk")
	step("a high-risk case queued", at(2026, 11, 23, 8, 50))
	step("the weekly digest", at(2026, 11, 23, 9, 1))
	// A concern (no change to the team's revision): due Wednesday 10:00.
	f.clock.Set(at(2026, 11, 23, 10, 0))
	f.do("alice", "capacity", "concern too many court reports this week")
	step("a concern raised", at(2026, 11, 23, 15, 0))
	// A proposal nobody answers: a reminder after a working day (16:00).
	f.clock.Set(at(2026, 11, 23, 16, 0))
	f.do("meg", "allocate", "Q-1 "+mention("cy"))
	step("a proposal", at(2026, 11, 23, 16, 10))
	step("later that day", at(2026, 11, 23, 23, 59))
	// Midnight: Bo's assessed year is over.
	step("the ASYE anniversary", at(2026, 11, 24, 0, 30))
	step("after the anniversary", at(2026, 11, 24, 8, 0))
	step("before the proposal's reminder", at(2026, 11, 24, 15, 59))
	step("the proposal's reminder", at(2026, 11, 24, 16, 30))
	// An override whose review is due on Friday.
	f.putCase(&domain.Case{Ref: "O-1", Team: "north", Type: "cp", Status: domain.CaseAllocated, Holder: person("cy"),
		CreatedAt: f.clock.Now(), AllocatedAt: f.clock.Now(),
		Override: &domain.Override{Reason: "no one else", ReviewOn: "2026-11-27", By: person("meg"), At: f.clock.Now(), Percent: 104}})
	step("an override", at(2026, 11, 24, 17, 0))
	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := f.st.Backup(backup); err != nil {
		t.Fatal(err)
	}
	early(2026, 11, 25)
	step("high risk waiting, concern not yet due", at(2026, 11, 25, 8, 45))
	step("the concern's acknowledgement due", at(2026, 11, 25, 10, 30))
	// A reduction that ends on Friday: the team's figures change on Saturday.
	f.do("meg", "caseload", "reduction "+mention("cy")+" 50 until=2026-11-27 union duties")
	step("a reduction", at(2026, 11, 25, 11, 0))
	f.reopen() // a restart keeps nothing
	hits = 0
	step("after a restart", at(2026, 11, 25, 12, 0))
	step("after a restart, nothing changed", at(2026, 11, 25, 12, 30))
	early(2026, 11, 26)
	step("the next repeat of the escalations", at(2026, 11, 26, 11, 0))
	step("the override's review", at(2026, 11, 27, 9, 0))
	// Over capacity with Cy's reduction (200 of 195.5 points), under once
	// it has ended (200 of 221).
	for _, p := range []string{"alice", "cy", "bo"} {
		f.addCases("north", person(p), "X-"+p, 4, "proceedings")
	}
	step("over capacity", at(2026, 11, 27, 14, 0))
	step("over capacity, nothing changed", at(2026, 11, 27, 15, 0))
	step("the reduction has ended", at(2026, 11, 28, 10, 0))
	step("a quiet weekend", at(2026, 11, 29, 10, 0))
	early(2026, 11, 30)
	step("the next week's snapshot and digest", at(2026, 11, 30, 9, 5))
	f.do("meg", "caseload", "case close X-alice-1")
	f.do("meg", "caseload", "case close X-alice-2")
	step("cases closed", at(2026, 11, 30, 10, 0))
	early(2026, 12, 4)
	step("a week on", at(2026, 12, 4, 15, 0))
	afterRestart := hits

	// A restore: the store as it was on Tuesday, and the bot started on it.
	if err := f.st.Close(); err != nil {
		t.Fatal(err)
	}
	copyFile(t, backup, f.path)
	f.open()
	hits = 0
	step("after a restore", at(2026, 12, 4, 16, 0))
	step("after a restore, nothing changed", at(2026, 12, 4, 17, 0))
	step("after a restore, the next week", at(2026, 12, 7, 9, 5))
	early(2026, 12, 8)
	step("after a restore, a week on", at(2026, 12, 8, 12, 0))

	if fired < 10 || firedKept < 3 {
		t.Fatalf("%d firings in all, %d in passes planned from what was kept: the scenario fires too little to compare", fired, firedKept)
	}
	if afterRestart < 3 || hits < 1 {
		t.Fatalf("passes planned from what was kept: %d after the restart, %d after the restore", afterRestart, hits)
	}
}
