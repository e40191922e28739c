package store

import (
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/safeload/safeload/internal/domain"
)

// openCaseTeam puts a team with cases in every status, some closed, one
// closed and then opened again, one reassigned.
func openCaseTeam(tb testing.TB, db *DB) {
	tb.Helper()
	err := db.Update(func(tx domain.Tx) error {
		if err := tx.PutTeam(&domain.Team{ID: "north"}); err != nil {
			return err
		}
		for i, st := range []domain.CaseStatus{domain.CaseQueued, domain.CaseClosed, domain.CaseAllocated, domain.CaseProposed, domain.CaseClosed, domain.CaseAllocated} {
			c := &domain.Case{Ref: "C-" + string(rune('a'+i)), Team: "north", Type: "cp", Status: st}
			if err := tx.PutCase(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	err = db.Update(func(tx domain.Tx) error {
		closeF, err := tx.Case("north", "C-f")
		if err != nil {
			return err
		}
		closeF.Status = domain.CaseClosed
		reopen, err := tx.Case("north", "C-e")
		if err != nil {
			return err
		}
		reopen.Status = domain.CaseQueued
		move, err := tx.Case("north", "C-c")
		if err != nil {
			return err
		}
		move.Holder = "test:bob"
		return putAllCases(tx, closeF, reopen, move)
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func putAllCases(tx domain.Tx, cs ...*domain.Case) error {
	for _, c := range cs {
		if err := tx.PutCase(c); err != nil {
			return err
		}
	}
	return nil
}

func openRefs(tb testing.TB, db *DB) []string {
	tb.Helper()
	var refs []string
	err := db.View(func(tx domain.Tx) error {
		cs, err := tx.(*Tx).OpenCases("north")
		for _, c := range cs {
			refs = append(refs, c.Ref)
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return refs
}

// wantOpen is what openCaseTeam leaves open, in Cases' order.
var wantOpen = []string{"C-a", "C-c", "C-d", "C-e"}

func TestOpenCasesAreTheCasesNotClosed(t *testing.T) {
	db := openTemp(t, Options{})
	openCaseTeam(t, db)
	if got := openRefs(t, db); !slices.Equal(got, wantOpen) {
		t.Fatalf("OpenCases = %v, want %v", got, wantOpen)
	}
	// The same records as Cases gives, less the closed ones.
	err := db.View(func(tx domain.Tx) error {
		all, err := tx.Cases("north")
		if err != nil {
			return err
		}
		open, err := tx.(*Tx).OpenCases("north")
		if err != nil {
			return err
		}
		all = slices.DeleteFunc(all, func(c *domain.Case) bool { return !c.Open() })
		if len(all) != len(open) {
			t.Fatalf("%d open cases in Cases, %d from OpenCases", len(all), len(open))
		}
		for i := range all {
			if asJSONString(t, all[i]) != asJSONString(t, open[i]) {
				t.Errorf("OpenCases[%d] = %s, Cases has %s", i, asJSONString(t, open[i]), asJSONString(t, all[i]))
			}
		}
		if _, err := tx.(*Tx).OpenCases("nowhere"); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("OpenCases of no team: %v, want ENOTFOUND", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantNoCheckErrors(t, db)
}

func asJSONString(tb testing.TB, v any) string {
	b, err := encode(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// dropIndexes turns a store back into schema 1's layout.
func dropIndexes(tb testing.TB, path string) {
	tb.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(func(tx *bolt.Tx) error {
		td := tx.Bucket(bucketTeamData)
		return td.ForEachBucket(func(team []byte) error {
			for _, sub := range [][]byte{subOpen, subHoursBy, subHeld} {
				if td.Bucket(team).Bucket(sub) == nil {
					continue
				}
				if err := td.Bucket(team).DeleteBucket(sub); err != nil {
					return err
				}
			}
			return nil
		})
	}); err != nil {
		tb.Fatal(err)
	}
}

func TestSchema1StoreGetsItsIndexes(t *testing.T) {
	db := openTemp(t, Options{})
	openCaseTeam(t, db)
	hoursTeam(t, db)
	path := db.Path()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	dropIndexes(t, path)
	setSchema(t, path, 1)

	// Read-only, the file stays as it is, and OpenCases reads every case.
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := openRefs(t, ro); !slices.Equal(got, wantOpen) {
		t.Errorf("OpenCases of a read-only schema 1 store = %v, want %v", got, wantOpen)
	}
	wantHoursBy(t, ro)
	wantNoCheckErrors(t, ro)
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	if got := schemaIn(t, path); got != 1 {
		t.Fatalf("a read-only open changed the schema to %d", got)
	}

	// Opened to write, it is migrated.
	db = openMigrated(t, path)
	if got := openRefs(t, db); !slices.Equal(got, wantOpen) {
		t.Errorf("OpenCases after migration = %v, want %v", got, wantOpen)
	}
	wantHoursBy(t, db)
	wantNoCheckErrors(t, db)
}

func schemaOfDB(tb testing.TB, db *DB) uint64 {
	tb.Helper()
	var v uint64
	if err := db.bolt.View(func(tx *bolt.Tx) error { v = schemaOf(boltKV{tx: tx}); return nil }); err != nil {
		tb.Fatal(err)
	}
	return v
}

func TestCheckFindsABrokenOpenCaseIndex(t *testing.T) {
	db := openTemp(t, Options{})
	openCaseTeam(t, db)
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		open := tx.Bucket(bucketTeamData).Bucket([]byte("north")).Bucket(subOpen)
		if err := open.Delete([]byte("C-a")); err != nil { // open, not listed
			return err
		}
		if err := open.Put([]byte("C-b"), []byte{}); err != nil { // closed, listed
			return err
		}
		return open.Put([]byte("C-z"), []byte{}) // not there at all
	})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, e := range db.Check() {
		msgs = append(msgs, e.Error())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"case C-a is queued but the open-case index says closed", "case C-b is closed but the open-case index says open", "lists C-z, which is not there"} {
		if !strings.Contains(all, want) {
			t.Errorf("Check found:\n%s\nwant a problem containing %q", all, want)
		}
	}
}

var (
	hoursT0 = time.Date(2026, time.May, 11, 9, 0, 0, 0, time.UTC)
	// hoursAt are the times the entries of hoursTeam are logged at, in
	// that order: backdated ones, one before 1970, one with no time (the
	// transaction's), alternately by alice and bob.
	hoursAt = []time.Time{hoursT0, hoursT0.Add(-72 * time.Hour), hoursT0.Add(time.Hour), time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC),
		hoursT0.Add(-time.Hour), {}, hoursT0, hoursT0.Add(48 * time.Hour)}
)

func hoursTeam(tb testing.TB, db *DB) {
	tb.Helper()
	err := db.Update(func(tx domain.Tx) error {
		if err := tx.PutTeam(&domain.Team{ID: "north"}); err != nil {
			return err
		}
		for i, at := range hoursAt {
			by := domain.PersonID("test:alice")
			if i%2 == 1 {
				by = "test:bob"
			}
			if err := tx.AddHours(&domain.HoursEntry{Team: "north", By: by, Hours: float64(i + 1), At: at}); err != nil {
				return err
			}
		}
		return tx.AddHours(&domain.HoursEntry{Team: "north", By: "test:alice2", Hours: 100, At: hoursT0})
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// wantHoursBy checks HoursBy against Hours, for each person and from
// several moments.
func wantHoursBy(tb testing.TB, db *DB) {
	tb.Helper()
	err := db.View(func(tx domain.Tx) error {
		for _, p := range []domain.PersonID{"test:alice", "test:bob", "test:alice2", "test:nobody"} {
			for _, since := range []time.Time{{}, time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC),
				hoursT0.Add(-time.Hour), hoursT0, hoursT0.Add(time.Minute), time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)} {
				all, err := tx.Hours("north", since)
				if err != nil {
					return err
				}
				var want []uint64
				for _, h := range all {
					if h.By == p {
						want = append(want, h.ID)
					}
				}
				got, err := tx.(*Tx).HoursBy("north", p, since)
				if err != nil {
					return err
				}
				var ids []uint64
				for _, h := range got {
					ids = append(ids, h.ID)
				}
				slices.Sort(ids)
				if !slices.Equal(ids, want) {
					tb.Errorf("HoursBy(%s, %s) = entries %v, want %v", p, since, ids, want)
				}
				for i := 1; i < len(got); i++ {
					if got[i].At.Before(got[i-1].At) {
						tb.Errorf("HoursBy(%s, %s) is not oldest first: %s after %s", p, since, got[i].At, got[i-1].At)
					}
				}
			}
		}
		if _, err := tx.(*Tx).HoursBy("nowhere", "test:alice", time.Time{}); domain.ErrorCode(err) != domain.ENOTFOUND {
			tb.Errorf("HoursBy in no team: %v, want ENOTFOUND", err)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func TestHoursByIsHoursOfOnePerson(t *testing.T) {
	db := openTemp(t, Options{})
	hoursTeam(t, db)
	wantHoursBy(t, db)
	wantNoCheckErrors(t, db)
}

func TestCheckFindsABrokenHoursIndex(t *testing.T) {
	db := openTemp(t, Options{})
	hoursTeam(t, db)
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		by := tx.Bucket(bucketTeamData).Bucket([]byte("north")).Bucket(subHoursBy)
		if err := by.Delete(hoursByKey("test:alice", hoursT0, 1)); err != nil {
			return err
		}
		return by.Put(hoursByKey("test:carol", hoursT0, 99), []byte{})
	})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, e := range db.Check() {
		msgs = append(msgs, e.Error())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"hours entry 1 is missing from the hours index", "the hours index has an entry for no hours entry"} {
		if !strings.Contains(all, want) {
			t.Errorf("Check found:\n%s\nwant a problem containing %q", all, want)
		}
	}
}
