package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/store/storetest"
)

// documentedBuckets is the key layout of keys.go, written out again so that
// a bucket dropped from topBuckets by mistake fails here.
var documentedBuckets = []string{"meta", "people", "teams", "channels", "t", "caserefs",
	"memberships", "proposals", "pending", "concerns", "outbox", "state", "convrefs", "outboxdue", "outboxlive",
	"teamconcerns"}

func reopen(tb testing.TB, db *DB, opt Options) *DB {
	tb.Helper()
	if err := db.Close(); err != nil {
		tb.Fatalf("Close: %v", err)
	}
	again, err := Open(db.Path(), opt)
	if err != nil {
		tb.Fatalf("re-Open: %v", err)
	}
	tb.Cleanup(func() { _ = again.Close() })
	return again
}

func wantNoCheckErrors(tb testing.TB, db *DB) {
	tb.Helper()
	if errs := db.Check(); len(errs) != 0 {
		tb.Errorf("Check() = %v, want no errors", errs)
	}
}

func TestEverythingSurvivesReopen(t *testing.T) {
	db := openTemp(t, Options{})
	f := storetest.Fill(t, db)
	db = reopen(t, db, Options{})
	storetest.Verify(t, db, f)
	wantNoCheckErrors(t, db)
	// The reference index came back too: another team cannot take C-1001.
	err := db.Update(func(tx domain.Tx) error {
		return tx.PutCase(&domain.Case{Ref: "C-1001", Team: "south", Type: "cin", Status: domain.CaseQueued})
	})
	if got, want := domain.ErrorCode(err), domain.ECONFLICT; got != want {
		t.Errorf("PutCase(C-1001 in south) after reopen = %v, want code %q", err, want)
	}

	ro := reopen(t, db, Options{ReadOnly: true})
	storetest.Verify(t, ro, f)
}

func TestFailedUpdateLeavesNothingAfterReopen(t *testing.T) {
	db := openTemp(t, Options{})
	boom := errors.New("boom")
	err := db.Update(func(tx domain.Tx) error {
		if err := tx.PutTeam(&domain.Team{ID: "north", Channel: "slack:C01"}); err != nil {
			return err
		}
		for n := range uint64(5) {
			if err := writeAction(tx, "north", n+1); err != nil {
				return err
			}
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want %v", err, boom)
	}
	db = reopen(t, db, Options{})
	if err := db.View(func(tx domain.Tx) error {
		teams, err := tx.Teams()
		if got, want := len(teams), 0; err != nil || got != want {
			t.Errorf("Teams() = %d, %v; want %d", got, err, want)
		}
		out, err := tx.Outbox(0)
		if got, want := len(out), 0; err != nil || got != want {
			t.Errorf("Outbox(0) = %d, %v; want %d", got, err, want)
		}
		if _, err := tx.CaseTeam("C-1"); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("CaseTeam(C-1) = %v, want ENOTFOUND", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	wantNoCheckErrors(t, db)
}

func TestEveryBucketExistsAfterOpen(t *testing.T) {
	if got, want := len(topBuckets), len(documentedBuckets); got != want {
		t.Errorf("topBuckets has %d buckets, the layout documents %d", got, want)
	}
	check := func(db *DB) {
		t.Helper()
		if err := db.bolt.View(func(tx *bolt.Tx) error {
			for _, name := range documentedBuckets {
				if tx.Bucket([]byte(name)) == nil {
					t.Errorf("bucket %q missing after Open", name)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	db := openTemp(t, Options{})
	check(db)
	check(reopen(t, db, Options{}))
}

func TestOpenWaitsForTheLockThenGivesUp(t *testing.T) {
	db := openTemp(t, Options{})
	done := make(chan error, 1)
	go func() {
		second, err := Open(db.Path(), Options{Timeout: 100 * time.Millisecond})
		if err == nil {
			_ = second.Close()
		}
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second): // a guard against a hang, not a timing assertion
		t.Fatal("second Open did not return")
	}
	if err == nil {
		t.Fatal("second Open of a locked file succeeded")
	}
	for _, want := range []string{"another safeload process is using", db.Path()} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	// Once the first is closed, the file opens again.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(db.Path(), Options{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	_ = again.Close()
}

func schemaIn(tb testing.TB, path string) uint64 {
	tb.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		tb.Fatalf("bolt.Open: %v", err)
	}
	defer b.Close()
	var v uint64
	if err := b.View(func(tx *bolt.Tx) error {
		v = schemaOf(boltKV{tx: tx})
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return v
}

func setSchema(tb testing.TB, path string, v uint64) {
	tb.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		tb.Fatalf("bolt.Open: %v", err)
	}
	defer b.Close()
	if err := b.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists([]byte("meta"))
		if err != nil {
			return err
		}
		buf := make([]byte, 8)
		binary.BigEndian.PutUint64(buf, v)
		return meta.Put([]byte("schema"), buf)
	}); err != nil {
		tb.Fatal(err)
	}
}

func TestSchemaVersion(t *testing.T) {
	t.Run("written on Open", func(t *testing.T) {
		db := openTemp(t, Options{})
		_ = db.Close()
		if got, want := schemaIn(t, db.Path()), uint64(SchemaVersion); got != want {
			t.Errorf("schema = %d, want %d", got, want)
		}
	})
	t.Run("a bare bbolt file is migrated", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "bare.db")
		b, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		_ = b.Close()
		db, err := Open(path, Options{})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		wantNoCheckErrors(t, db)
		_ = db.Close()
		if got, want := schemaIn(t, path), uint64(SchemaVersion); got != want {
			t.Errorf("schema = %d, want %d", got, want)
		}
	})
	for _, opt := range []Options{{}, {ReadOnly: true}} {
		t.Run(fmt.Sprintf("a newer file is refused (read-only %v)", opt.ReadOnly), func(t *testing.T) {
			db := openTemp(t, Options{})
			storetest.Fill(t, db)
			_ = db.Close()
			newer := uint64(SchemaVersion + 1)
			setSchema(t, db.Path(), newer)
			again, err := Open(db.Path(), opt)
			if err == nil {
				_ = again.Close()
				t.Fatal("Open of a newer schema succeeded")
			}
			for _, want := range []string{"newer", fmt.Sprint(newer), db.Path()} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if got, want := schemaIn(t, db.Path()), newer; got != want {
				t.Errorf("schema after the refusal = %d, want %d (left as it was)", got, want)
			}
		})
	}
}

func TestNowIsOneTimestampPerTransaction(t *testing.T) {
	start := time.Date(2026, 3, 27, 16, 0, 0, 0, time.UTC)
	fake := clock.NewFake(start)
	db := openTemp(t, Options{Clock: fake})
	var audit domain.AuditEntry
	var item domain.OutboxItem
	var hours domain.HoursEntry
	if err := db.Update(func(tx domain.Tx) error {
		if got, want := tx.Now(), start; !got.Equal(want) {
			t.Errorf("Now() = %s, want %s", got, want)
		}
		if err := tx.PutTeam(&domain.Team{ID: "north", CreatedAt: tx.Now()}); err != nil {
			return err
		}
		fake.Advance(time.Hour) // the world moves on; this transaction does not
		audit = domain.AuditEntry{Team: "north", Action: "case.add"}
		item = domain.OutboxItem{Dest: "slack:C01"}
		hours = domain.HoursEntry{Team: "north", Hours: 1}
		if err := tx.Audit(&audit); err != nil {
			return err
		}
		if err := tx.Enqueue(&item); err != nil {
			return err
		}
		if err := tx.AddHours(&hours); err != nil {
			return err
		}
		if got, want := tx.Now(), start; !got.Equal(want) {
			t.Errorf("Now() after the clock moved = %s, want %s", got, want)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for what, got := range map[string]time.Time{"audit At": audit.At, "outbox CreatedAt": item.CreatedAt,
		"outbox NextTry": item.NextTry, "hours At": hours.At} {
		if !got.Equal(start) {
			t.Errorf("%s = %s, want the transaction's %s", what, got, start)
		}
	}
	for _, run := range []func(func(domain.Tx) error) error{db.Update, db.View, db.Batch} {
		if err := run(func(tx domain.Tx) error {
			if got, want := tx.Now(), start.Add(time.Hour); !got.Equal(want) {
				t.Errorf("next transaction Now() = %s, want %s", got, want)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBackup(t *testing.T) {
	db := openTemp(t, Options{})
	f := storetest.Fill(t, db)

	// A writer carries on while the backup is taken, numbering state keys
	// (which Verify does not look at) so that the copy can be checked whole.
	busyKey := func(n int) string { return fmt.Sprintf("busy/%08d", n) }
	stop, busy := make(chan struct{}), make(chan struct{})
	var once sync.Once
	markBusy := func() { once.Do(func() { close(busy) }) }
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 1; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := db.Update(func(tx domain.Tx) error { return tx.(*Tx).PutState(busyKey(n), storetest.StateValue{Count: n}) }); err != nil {
				t.Errorf("writer: %v", err)
				markBusy()
				return
			}
			if n == 20 {
				markBusy()
			}
		}
	}()
	<-busy
	path := filepath.Join(t.TempDir(), "backup.db")
	err := db.Backup(path)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}
	if _, err := os.Stat(path + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Backup left %s.tmp behind (stat: %v)", path, err)
	}

	copyDB, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("Open backup: %v", err)
	}
	t.Cleanup(func() { _ = copyDB.Close() })
	wantNoCheckErrors(t, copyDB)
	storetest.Verify(t, copyDB, f)
	if err := copyDB.View(func(tx domain.Tx) error {
		keys, err := tx.(*Tx).StateKeys("busy/")
		for i, k := range keys {
			if want := busyKey(i + 1); k != want {
				t.Fatalf("backup state key %d = %q, want %q: not one moment's copy", i, k, want)
			}
		}
		t.Logf("the backup caught the writer after %d commits", len(keys))
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// TestCheckFindsCorruption flips bytes in copies of a sound store: inside a
// record, which bbolt cannot see, and in a page header, which it can.
func TestCheckFindsCorruption(t *testing.T) {
	db := openTemp(t, Options{})
	storetest.Fill(t, db)
	if err := db.Update(func(tx domain.Tx) error {
		for n := range uint64(200) { // enough cases for pages of their own
			if err := writeAction(tx, "north", n+1); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	wantNoCheckErrors(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	sound, err := os.ReadFile(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	pageSize := int(binary.LittleEndian.Uint32(sound[24:28])) // meta page: header, magic, version, page size
	marker := []byte(`{"ref":"C-1001"`)

	tests := []struct {
		name    string
		corrupt func(file []byte, page, at int) // page: start of a page holding the marker; at: the marker
	}{
		{"a record that no longer decodes", func(file []byte, page, at int) { file[at] = 'X' }},
		{"a page of no known type", func(file []byte, page, at int) { file[page+8], file[page+9] = 0xff, 0xff }},
		{"a page with a wrong element count", func(file []byte, page, at int) { file[page+10], file[page+11] = 0xff, 0x7f }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := bytes.Clone(sound)
			hits := 0
			// Every copy of the record, since freed pages may hold old ones.
			for off := 0; ; {
				i := bytes.Index(file[off:], marker)
				if i < 0 {
					break
				}
				at := off + i
				if page := at / pageSize * pageSize; page >= 2*pageSize {
					tt.corrupt(file, page, at)
					hits++
				}
				off = at + len(marker)
			}
			if hits == 0 {
				t.Fatalf("no page holds %s", marker)
			}
			path := filepath.Join(t.TempDir(), "corrupt.db")
			if err := os.WriteFile(path, file, 0o600); err != nil {
				t.Fatal(err)
			}
			bad, err := Open(path, Options{ReadOnly: true, Timeout: time.Second})
			if err != nil { // the damage is in a data page; the meta pages are sound
				t.Fatalf("Open(read-only) of the corrupt copy: %v", err)
			}
			defer bad.Close()
			errs := bad.Check()
			if len(errs) == 0 {
				t.Fatalf("Check() found nothing wrong in a corrupted copy")
			}
			t.Logf("Check() found %d problems, first: %v", len(errs), errs[0])
		})
	}
}
