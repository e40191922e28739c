package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/safeload/safeload/internal/domain"
)

var heldPeople = []domain.PersonID{"test:alice", "test:bob", "test:carol", "test:nobody", ""}

// wantHeld checks HeldCases and HoursTotal of every person in every team
// against Cases and Hours read from scratch.
func wantHeld(tb testing.TB, db *DB, teams ...string) {
	tb.Helper()
	err := db.View(func(tx domain.Tx) error {
		for _, team := range teams {
			all, err := tx.Cases(team)
			if err != nil {
				return err
			}
			for _, p := range heldPeople {
				var want []string
				for _, c := range all {
					if c.Open() && c.Holder == p && p != "" {
						want = append(want, asJSONString(tb, c))
					}
				}
				cs, err := tx.(*Tx).HeldCases(team, p)
				if err != nil {
					return err
				}
				var got []string
				for _, c := range cs {
					got = append(got, asJSONString(tb, c))
				}
				if !slices.Equal(got, want) {
					tb.Errorf("HeldCases(%s, %q) =\n%v\nwant\n%v", team, p, got, want)
				}
				open, err := tx.Concerns(team, true)
				if err != nil {
					return err
				}
				want = nil
				for _, c := range open {
					if c.By == p {
						want = append(want, asJSONString(tb, c))
					}
				}
				concerns, err := tx.(*Tx).OpenConcernsBy(team, p)
				if err != nil {
					return err
				}
				got = nil
				for _, c := range concerns {
					got = append(got, asJSONString(tb, c))
				}
				if !slices.Equal(got, want) {
					tb.Errorf("OpenConcernsBy(%s, %q) =\n%v\nwant\n%v", team, p, got, want)
				}
				pending, err := tx.PendingProposals()
				if err != nil {
					return err
				}
				want = nil
				for _, x := range pending {
					if x.Team == team && x.To == p {
						want = append(want, asJSONString(tb, x))
					}
				}
				waiting, err := tx.(*Tx).PendingTo(team, p)
				if err != nil {
					return err
				}
				got = nil
				for _, x := range waiting {
					got = append(got, asJSONString(tb, x))
				}
				if !slices.Equal(got, want) {
					tb.Errorf("PendingTo(%s, %q) =\n%v\nwant\n%v", team, p, got, want)
				}
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func wantHoursTotal(tb testing.TB, db *DB) {
	tb.Helper()
	err := db.View(func(tx domain.Tx) error {
		for _, p := range []domain.PersonID{"test:alice", "test:bob", "test:alice2", "test:nobody"} {
			for _, since := range []time.Time{{}, time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC),
				hoursT0.Add(-time.Hour), hoursT0, hoursT0.Add(time.Minute), time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)} {
				all, err := tx.Hours("north", since)
				if err != nil {
					return err
				}
				var want float64
				for _, h := range all {
					if h.By == p {
						want += h.Hours
					}
				}
				got, err := tx.(*Tx).HoursTotal("north", p, since)
				if err != nil {
					return err
				}
				if got != want {
					tb.Errorf("HoursTotal(%s, %s) = %v, want %v", p, since, got, want)
				}
			}
		}
		if _, err := tx.(*Tx).HoursTotal("nowhere", "test:alice", time.Time{}); domain.ErrorCode(err) != domain.ENOTFOUND {
			tb.Errorf("HoursTotal in no team: %v, want ENOTFOUND", err)
		}
		if _, err := tx.(*Tx).HeldCases("nowhere", "test:alice"); domain.ErrorCode(err) != domain.ENOTFOUND {
			tb.Errorf("HeldCases in no team: %v, want ENOTFOUND", err)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// TestHeldCasesFollowEveryChange changes holders, statuses and teams one
// commit at a time and, after each, compares the holder index with the
// cases read from scratch, before and after a reopen.
func TestHeldCasesFollowEveryChange(t *testing.T) {
	db := openTemp(t, Options{})
	update := func(what string, fn func(tx domain.Tx) error) {
		t.Helper()
		if err := db.Update(fn); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		wantHeld(t, db, "north", "south")
		wantNoCheckErrors(t, db)
	}
	update("teams", func(tx domain.Tx) error {
		if err := tx.PutTeam(&domain.Team{ID: "north"}); err != nil {
			return err
		}
		return tx.PutTeam(&domain.Team{ID: "south"})
	})
	update("cases", func(tx domain.Tx) error {
		for i := 0; i < 12; i++ {
			c := &domain.Case{Ref: fmt.Sprintf("H-%02d", i), Team: "north", Type: "cp", Status: domain.CaseQueued}
			if i%3 != 0 {
				c.Status, c.Holder = domain.CaseAllocated, heldPeople[i%3]
			}
			if err := tx.PutCase(c); err != nil {
				return err
			}
		}
		return nil
	})
	change := func(ref string, fn func(c *domain.Case)) func(tx domain.Tx) error {
		return func(tx domain.Tx) error {
			c, err := tx.Case("north", ref)
			if err != nil {
				return err
			}
			fn(c)
			return tx.PutCase(c)
		}
	}
	update("reassign", change("H-01", func(c *domain.Case) { c.Holder = "test:carol" }))
	update("propose", change("H-03", func(c *domain.Case) { c.Status, c.Holder = domain.CaseProposed, "test:alice" }))
	update("unassign", change("H-02", func(c *domain.Case) { c.Status, c.Holder = domain.CaseQueued, "" }))
	update("close", change("H-04", func(c *domain.Case) { c.Status = domain.CaseClosed }))
	update("reopen", change("H-04", func(c *domain.Case) { c.Status = domain.CaseAllocated; c.Holder = "test:bob" }))
	update("same again", change("H-05", func(c *domain.Case) {}))
	update("move", func(tx domain.Tx) error {
		c, err := tx.Case("north", "H-07")
		if err != nil {
			return err
		}
		c.Team = "south"
		return tx.MoveCase(c, "north")
	})
	update("move back", func(tx domain.Tx) error {
		c, err := tx.Case("south", "H-07")
		if err != nil {
			return err
		}
		c.Team, c.Holder = "north", "test:carol"
		return tx.MoveCase(c, "south")
	})
	// A refused change leaves the index as it was.
	if err := db.Update(func(tx domain.Tx) error {
		if err := change("H-08", func(c *domain.Case) { c.Holder = "test:nobody" })(tx); err != nil {
			return err
		}
		return domain.Errorf(domain.ECONFLICT, "refused")
	}); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Fatalf("refused change: %v", err)
	}
	wantHeld(t, db, "north", "south")
	db = reopen(t, db, Options{})
	wantHeld(t, db, "north", "south")
	wantNoCheckErrors(t, db)
}

func TestHoursTotalIsTheSumOfHoursBy(t *testing.T) {
	db := openTemp(t, Options{})
	hoursTeam(t, db)
	wantHoursTotal(t, db)
	wantNoCheckErrors(t, db)
}

// toSchema3 turns a store back into schema 3's layout: no holder,
// open-concern or pending-proposal indexes, no holders in the open-case
// index, no hours in the hours index, no values in the pending index.
func toSchema3(tb testing.TB, path string) {
	tb.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(func(tx *bolt.Tx) error {
		td := tx.Bucket(bucketTeamData)
		return td.ForEachBucket(func(team []byte) error {
			tb := td.Bucket(team)
			for _, sub := range [][]byte{subHeld, subOpenConcerns, subPendingTo} {
				if tb.Bucket(sub) != nil {
					if err := tb.DeleteBucket(sub); err != nil {
						return err
					}
				}
			}
			for _, sub := range [][]byte{subOpen, subHoursBy} {
				b := tb.Bucket(sub)
				if b == nil {
					continue
				}
				var keys [][]byte
				_ = b.ForEach(func(k, _ []byte) error { keys = append(keys, slices.Clone(k)); return nil })
				for _, k := range keys {
					if err := b.Put(k, []byte{}); err != nil {
						return err
					}
				}
			}
			return nil
		})
	}); err != nil {
		tb.Fatal(err)
	}
	if err := b.Update(func(tx *bolt.Tx) error {
		pending := tx.Bucket(bucketPending)
		var keys [][]byte
		_ = pending.ForEach(func(k, _ []byte) error { keys = append(keys, slices.Clone(k)); return nil })
		for _, k := range keys {
			if err := pending.Put(k, []byte{}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
}

func TestSchema3StoreGetsItsHolderIndex(t *testing.T) {
	db := openTemp(t, Options{})
	openCaseTeam(t, db)
	hoursTeam(t, db)
	err := db.Update(func(tx domain.Tx) error {
		c, err := tx.Case("north", "C-a")
		if err != nil {
			return err
		}
		c.Status, c.Holder = domain.CaseAllocated, "test:alice"
		if err := tx.PutCase(c); err != nil {
			return err
		}
		for i, by := range []domain.PersonID{"test:alice", "test:bob", "test:alice"} {
			cn := &domain.Concern{Team: "north", By: by, Text: "too much", RaisedAt: hoursT0}
			if i == 1 {
				cn.ResolvedAt, cn.ResolvedBy = hoursT0, "test:carol"
			}
			if err := tx.PutConcern(cn); err != nil {
				return err
			}
			x := &domain.Proposal{Team: "north", Ref: "C-a", To: by, Status: domain.ProposalPending}
			if i == 1 {
				x.Status = domain.ProposalDeclined
			}
			if err := tx.PutProposal(x); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	path := db.Path()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	toSchema3(t, path)
	setSchema(t, path, 3)

	// Read-only, the file stays as it is and the answers are the same.
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	wantHeld(t, ro, "north")
	wantHoursTotal(t, ro)
	wantNoCheckErrors(t, ro)
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	if got := schemaIn(t, path); got != 3 {
		t.Fatalf("a read-only open changed the schema to %d", got)
	}

	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := schemaOfDB(t, db); got != SchemaVersion {
		t.Errorf("schema after migration = %d, want %d", got, SchemaVersion)
	}
	wantHeld(t, db, "north")
	wantHoursTotal(t, db)
	wantNoCheckErrors(t, db)
}

func TestCheckFindsABrokenHolderIndex(t *testing.T) {
	db := openTemp(t, Options{})
	openCaseTeam(t, db)
	hoursTeam(t, db)
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		tb := tx.Bucket(bucketTeamData).Bucket([]byte("north"))
		if err := tb.Bucket(subHeld).Delete(heldKey("test:bob", "C-c")); err != nil { // held, not listed
			return err
		}
		if err := tb.Bucket(subHeld).Put(heldKey("test:carol", "C-a"), []byte{}); err != nil { // listed, not held
			return err
		}
		if err := tb.Bucket(subOpen).Put([]byte("C-d"), []byte("test:dan")); err != nil {
			return err
		}
		if err := tb.Bucket(subOpenConcerns).Put(openConcernKey("test:alice", 42), []byte{}); err != nil {
			return err
		}
		if err := tb.Bucket(subPendingTo).Put(openConcernKey("test:alice", 42), []byte{}); err != nil {
			return err
		}
		return tb.Bucket(subHoursBy).Put(hoursByKey("test:alice", hoursT0, 1), hoursValue(99))
	})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, e := range db.Check() {
		msgs = append(msgs, e.Error())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"an open case is missing from the holder index", "the holder index has an entry for no open case it holds",
		`case C-d is held by "" but the open-case index says "test:dan"`, "the hours index does not hold the hours of entry 1",
		"the open-concern index lists a concern that is not open in this team",
		"the index of pending proposals lists one that is not pending in this team"} {
		if !strings.Contains(all, want) {
			t.Errorf("Check found:\n%s\nwant a problem containing %q", all, want)
		}
	}
}

// TestTeamRevMovesWithEveryChangeOfTheTeam: every commit that changes a
// team's record, members or cases moves its revision on, and only its own.
func TestTeamRevMovesWithEveryChangeOfTheTeam(t *testing.T) {
	db := openTemp(t, Options{})
	revs := func() (uint64, uint64) {
		t.Helper()
		var n, s uint64
		err := db.View(func(tx domain.Tx) (err error) {
			if n, err = tx.TeamRev("north"); err != nil {
				return err
			}
			s, err = tx.TeamRev("south")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n, s
	}
	if err := db.Update(func(tx domain.Tx) error {
		if err := tx.PutTeam(&domain.Team{ID: "north"}); err != nil {
			return err
		}
		return tx.PutTeam(&domain.Team{ID: "south"})
	}); err != nil {
		t.Fatal(err)
	}
	step := func(what string, north, south bool, fn func(tx domain.Tx) error) {
		t.Helper()
		n0, s0 := revs()
		if err := db.Update(fn); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		n1, s1 := revs()
		if (n1 != n0) != north || (s1 != s0) != south || n1 < n0 || s1 < s0 {
			t.Errorf("%s: north %d → %d, south %d → %d", what, n0, n1, s0, s1)
		}
	}
	step("team", true, false, func(tx domain.Tx) error { return tx.PutTeam(&domain.Team{ID: "north", Name: "North"}) })
	step("member", true, false, func(tx domain.Tx) error {
		return tx.PutMember(&domain.Member{Team: "north", Person: "test:alice", Role: domain.RolePractitioner})
	})
	step("case", true, false, func(tx domain.Tx) error {
		return tx.PutCase(&domain.Case{Ref: "R-1", Team: "north", Type: "cp", Status: domain.CaseQueued})
	})
	step("hours", false, false, func(tx domain.Tx) error {
		return tx.AddHours(&domain.HoursEntry{Team: "north", By: "test:alice", Hours: 1})
	})
	step("move", true, true, func(tx domain.Tx) error {
		return tx.MoveCase(&domain.Case{Ref: "R-1", Team: "south", Type: "cp", Status: domain.CaseQueued}, "north")
	})
	step("leaver", true, false, func(tx domain.Tx) error { return tx.DeleteMember("north", "test:alice") })
	n0, _ := revs()
	_ = db.Update(func(tx domain.Tx) error {
		if err := tx.PutTeam(&domain.Team{ID: "north", Name: "Refused"}); err != nil {
			return err
		}
		return domain.Errorf(domain.ECONFLICT, "refused")
	})
	db = reopen(t, db, Options{})
	if n1, _ := revs(); n1 != n0 {
		t.Errorf("a rolled-back change or a reopen moved the revision: %d → %d", n0, n1)
	}
	if err := db.View(func(tx domain.Tx) error { _, err := tx.TeamRev("nowhere"); return err }); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("TeamRev of no team: %v, want ENOTFOUND", err)
	}
}

// A case written again with the same holder writes only itself and its
// team's revision: its reference and index entries already say what they
// would be written with, and each entry written needlessly costs the
// commit a page written to disk.
func TestACaseWrittenAgainLeavesItsUnchangedEntriesAlone(t *testing.T) {
	db := openTemp(t, Options{})
	if err := db.Update(func(tx domain.Tx) error {
		if err := tx.PutTeam(&domain.Team{ID: "north"}); err != nil {
			return err
		}
		if err := tx.PutCase(&domain.Case{Ref: "Q-1", Team: "north", Type: "cp", Status: domain.CaseQueued}); err != nil {
			return err
		}
		return tx.PutCase(&domain.Case{Ref: "A-1", Team: "north", Type: "cp", Status: domain.CaseAllocated, Holder: "test:alice"})
	}); err != nil {
		t.Fatal(err)
	}
	written := func(ref string, fn func(c *domain.Case)) []string {
		t.Helper()
		s := newSpec(&db.alloc)
		defer s.free()
		if err := db.bolt.View(func(btx *bolt.Tx) error {
			ok, err := s.run(func(tx domain.Tx) error {
				c, err := tx.Case("north", ref)
				if err != nil {
					return err
				}
				fn(c)
				return tx.PutCase(c)
			}, &Tx{tx: specKV{btx, s}, now: db.clock.Now()})
			if !ok {
				t.Fatal("the run bailed")
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, w := range s.writes {
			if w.kind == writePut || w.kind == writeDelete {
				var name []byte
				for rest, ok := []byte(w.path), true; ok && len(rest) > 0; {
					name, rest, ok = cutName(rest)
				}
				paths = append(paths, string(name))
			}
		}
		slices.Sort(paths)
		return paths
	}
	for _, tc := range []struct {
		ref  string
		fn   func(c *domain.Case)
		want []string
	}{
		{"Q-1", func(c *domain.Case) { c.Status = domain.CaseProposed }, []string{"cases"}},
		{"A-1", func(c *domain.Case) { c.Factors = []string{"dv"} }, []string{"cases"}},
		{"Q-1", func(c *domain.Case) { c.Status, c.Holder = domain.CaseAllocated, "test:bob" }, []string{"cases", "held", "open"}},
		{"A-1", func(c *domain.Case) { c.Status = domain.CaseClosed }, []string{"cases", "held", "open"}},
	} {
		if got := written(tc.ref, tc.fn); !slices.Equal(got, tc.want) {
			t.Errorf("%s: wrote to %v, want %v", tc.ref, got, tc.want)
		}
	}
}
