package store

import (
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/safeload/safeload/internal/domain"
)

// concernTeams writes concerns of two teams and returns the IDs of north's
// open ones.
func concernTeams(t *testing.T, db *DB) []uint64 {
	t.Helper()
	var open []uint64
	err := db.Update(func(tx domain.Tx) error {
		for _, id := range []string{"north", "south"} {
			if err := tx.PutTeam(&domain.Team{ID: id}); err != nil {
				return err
			}
		}
		for i, team := range []string{"north", "south", "north", "north"} {
			c := &domain.Concern{Team: team, By: "slack:U1", Text: "too much", RaisedAt: time.Unix(int64(i), 0)}
			if i == 3 {
				c.ResolvedBy, c.ResolvedAt = "slack:U9", time.Unix(10, 0)
			}
			if err := tx.PutConcern(c); err != nil {
				return err
			}
			if team == "north" && i != 3 {
				open = append(open, c.ID)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return open
}

func concernIDs(t *testing.T, db *DB, team string, openOnly bool) []uint64 {
	t.Helper()
	var ids []uint64
	if err := db.View(func(tx domain.Tx) error {
		cs, err := tx.Concerns(team, openOnly)
		for _, c := range cs {
			if c.Team != team {
				t.Errorf("Concerns(%s) lists a concern of %s", team, c.Team)
			}
			ids = append(ids, c.ID)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return ids
}

// A store of schema 4 gets its concerns index on the first writable open;
// read-only, it reads every concern as before.
func TestSchema4StoreGetsItsConcernsIndex(t *testing.T) {
	db := openTemp(t, Options{})
	want := concernTeams(t, db)
	path := db.Path()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketTeamConcerns) }); err != nil {
		t.Fatal(err)
	}
	_ = b.Close()
	setSchema(t, path, 4)

	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := concernIDs(t, ro, "north", true); len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("read-only schema 4: north's open concerns = %v, want %v", got, want)
	}
	_ = ro.Close()

	db = openMigrated(t, path)
	if got := concernIDs(t, db, "north", true); len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("after migration: north's open concerns = %v, want %v", got, want)
	}
	if got := concernIDs(t, db, "north", false); len(got) != 3 {
		t.Errorf("after migration: north has %d concerns, want 3", len(got))
	}
	if got := concernIDs(t, db, "south", false); len(got) != 1 {
		t.Errorf("after migration: south has %d concerns, want 1", len(got))
	}
	wantNoCheckErrors(t, db)

	// Check finds an index that lost an entry.
	if err := db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTeamConcerns).Delete(concernIndexKey("north", want[0]))
	}); err != nil {
		t.Fatal(err)
	}
	if errs := db.Check(); len(errs) != 1 {
		t.Errorf("Check of a concerns index without an entry = %v, want one problem", errs)
	}
}

// openMigrated opens the store at path to write, which migrates it, and
// checks it reached this code's schema; the store closes when the test ends.
func openMigrated(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if got := schemaOfDB(t, db); got != SchemaVersion {
		t.Errorf("schema after migration = %d, want %d", got, SchemaVersion)
	}
	return db
}
