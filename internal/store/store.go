// Package store keeps safeload's state in one bbolt file. It owns every key
// layout (see keys.go), so that another store (etcd, for a regional service on
// several replicas) can implement domain.Store without touching the engine or
// the adapters. It must not import the engine, the adapters or any chat library.
package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/safeload/safeload/internal/backup"
	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/domain"
)

// SchemaVersion is the layout this code writes. Open migrates older files
// forward with the functions in migrations.
const SchemaVersion = 5

// migrations[i] moves a store from version i to i+1, inside one transaction.
// Version 0 is a new, empty file.
var migrations = []func(tx KV) error{
	0: func(tx KV) error { return nil }, // buckets are created by Open
	1: func(tx KV) error {
		if err := indexOpenCases(tx); err != nil {
			return err
		}
		return indexHours(tx)
	},
	2: indexOutboxAll,
	3: indexHeld,
	4: indexConcerns,
}

// indexHours (1 → 2) lists every team's hours entries in the team's index
// by person and time.
func indexHours(tx KV) error {
	td := tx.Bucket(bucketTeamData)
	return td.ForEachBucket(func(team []byte) error {
		tb := td.Bucket(team)
		hours := tb.Bucket(subHours)
		if hours == nil {
			return nil
		}
		by, err := tb.CreateBucketIfNotExists(subHoursBy)
		if err != nil {
			return err
		}
		return hours.ForEach(func(k, v []byte) error {
			var h domain.HoursEntry
			if err := decode(v, &h); err != nil {
				return fmt.Errorf("hours entry %x of team %s: %w", k, team, err)
			}
			return by.Put(hoursByKey(h.By, h.At, btoi(k)), []byte{})
		})
	})
}

// indexOpenCases (1 → 2, with indexHours) lists every team's cases that are not closed in
// the team's open-case index.
func indexOpenCases(tx KV) error {
	td := tx.Bucket(bucketTeamData)
	return td.ForEachBucket(func(team []byte) error {
		tb := td.Bucket(team)
		cases := tb.Bucket(subCases)
		if cases == nil {
			return nil // the audit log of no team, or a team without cases
		}
		open, err := tb.CreateBucketIfNotExists(subOpen)
		if err != nil {
			return err
		}
		return cases.ForEach(func(ref, v []byte) error {
			var c domain.Case
			if err := decode(v, &c); err != nil {
				return fmt.Errorf("case %s of team %s: %w", ref, team, err)
			}
			if !c.Open() {
				return nil
			}
			return open.Put(ref, []byte{})
		})
	})
}

// Options tune Open.
type Options struct {
	// Timeout is how long to wait for another process's lock (default 1s).
	Timeout time.Duration
	// Clock stamps every transaction (default the wall clock).
	Clock clock.Clock
	// ReadOnly opens without writing (for check and export of a copy).
	ReadOnly bool
	// NoSync skips fsync; for benchmarks that measure the rest only.
	NoSync bool
}

// DB is the bbolt store. It implements domain.Store.
type DB struct {
	bolt  *bolt.DB
	clock clock.Clock
	path  string
	group Grouper
	alloc seqAlloc
	spec  specCounters
}

var _ domain.Store = (*DB)(nil)

// Open opens (creating if needed) the store at path, creates every bucket
// and migrates the schema.
func Open(path string, opt Options) (*DB, error) {
	if opt.Timeout == 0 {
		opt.Timeout = time.Second
	}
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	if opt.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
	}
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opt.Timeout, ReadOnly: opt.ReadOnly, NoSync: opt.NoSync})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("another safeload process is using %s (waited %s for its lock); stop it first, or use 'safeload backup' through it", path, opt.Timeout)
	} else if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db := &DB{bolt: b, clock: opt.Clock, path: path}
	db.group = Grouper{Max: maxGroup, Commit: db.commitGroup}
	first := db.migrate
	if opt.ReadOnly {
		first = db.checkVersion
	}
	if err := damaged(path, first); err != nil {
		_ = b.Close()
		return nil, err
	}
	return db, nil
}

// damaged runs the first read of a file, turning bbolt's panic (or a fault)
// on a damaged or truncated file into an error that says so.
func damaged(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("store %s is damaged (truncated or overwritten?): %v; restore it from a backup", path, r)
		}
	}()
	return fn()
}

func (db *DB) checkVersion() error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		v := schemaOf(boltKV{tx: tx})
		if v > SchemaVersion {
			return fmt.Errorf("store %s has schema version %d, newer than this safeload understands (%d): upgrade safeload", db.path, v, SchemaVersion)
		}
		return nil
	})
}

func schemaOf(tx KV) uint64 {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0
	}
	if v := meta.Get(keySchema); len(v) == 8 {
		return btoi(v)
	}
	return 0
}

func (db *DB) migrate() error {
	return db.bolt.Update(func(tx *bolt.Tx) error { return Prepare(boltKV{tx, &db.alloc}, db.path) })
}

// Path is the file the store lives in.
func (db *DB) Path() string { return db.path }

// Close finishes the actions already queued for a group commit, then
// releases the file and its lock.
func (db *DB) Close() error {
	db.group.Stop()
	return db.bolt.Close()
}

// View runs fn in a read-only transaction.
func (db *DB) View(fn func(domain.Tx) error) error {
	now := db.clock.Now()
	return db.bolt.View(func(btx *bolt.Tx) error { return fn(&Tx{tx: boltKV{tx: btx}, now: now}) })
}

// Update runs fn in one read-write transaction: all of it commits or none.
func (db *DB) Update(fn func(domain.Tx) error) error {
	now := db.clock.Now()
	return db.bolt.Update(func(btx *bolt.Tx) error { return fn(&Tx{tx: boltKV{btx, &db.alloc}, now: now}) })
}

// Batch is Update for functions that may safely run more than once (bbolt
// retries a batch without the function that failed). Concurrent callers
// share one commit, which is what makes 64 writers faster than one.
func (db *DB) Batch(fn func(domain.Tx) error) error {
	return db.bolt.Batch(func(btx *bolt.Tx) error { return fn(&Tx{tx: boltKV{btx, &db.alloc}, now: db.clock.Now()}) })
}

// WriteTo writes a consistent copy of the whole store to w (a bbolt file),
// while other transactions carry on.
func (db *DB) WriteTo(w io.Writer) (int64, error) {
	var n int64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// Snapshot writes a consistent copy of the whole store to w, first telling
// start its exact size (so a reader at the other end of a socket can tell a
// finished copy from a cut one).
func (db *DB) Snapshot(w io.Writer, start func(size int64) error) (int64, error) {
	var n int64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if err := start(tx.Size()); err != nil {
			return err
		}
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// Backup writes a consistent copy of the store to path, atomically (beside
// it under a temporary name, synced, renamed), and never over the store.
func (db *DB) Backup(path string) error {
	if err := backup.Write(path, db.path, 0, func(w io.Writer) (int64, error) {
		return db.Snapshot(w, func(int64) error { return nil })
	}); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// Check runs bbolt's consistency check and verifies the schema and that every
// record decodes. It returns every problem found.
func (db *DB) Check() []error {
	var errs []error
	err := db.bolt.View(func(tx *bolt.Tx) error {
		// A damaged page makes bbolt panic (or fault) as it is read: report
		// it as a problem found instead of crashing 'safeload check'.
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			if r := recover(); r != nil {
				errs = append(errs, fmt.Errorf("reading the records stopped at a damaged page: %v", r))
			}
		}()
		if fi, err := os.Stat(db.path); err == nil && fi.Size() < tx.Size() {
			errs = append(errs, fmt.Errorf("the file is %d bytes but the store needs %d: it was truncated", fi.Size(), tx.Size()))
		}
		for e := range tx.Check() {
			errs = append(errs, e)
		}
		if v := schemaOf(boltKV{tx: tx}); v == 0 || v > SchemaVersion {
			errs = append(errs, fmt.Errorf("schema version %d is not one this safeload knows (1..%d)", v, SchemaVersion))
		}
		for _, name := range topBuckets {
			if tx.Bucket(name) == nil {
				errs = append(errs, fmt.Errorf("bucket %q is missing", name))
			}
		}
		errs = append(errs, checkRecords(boltKV{tx: tx})...)
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	return errs
}

// Stats are a few figures for health checks and metrics.
type Stats struct {
	Teams        int
	OutboxDepth  int
	OutboxOldest time.Time
	SizeBytes    int64
}

// Stats counts teams and the outbox.
func (db *DB) Stats() (Stats, error) {
	var s Stats
	err := db.bolt.View(func(tx *bolt.Tx) error {
		s.SizeBytes = tx.Size()
		s.Teams = tx.Bucket(bucketTeams).Stats().KeyN
		var err error
		s.OutboxDepth, s.OutboxOldest, err = outboxStats(boltKV{tx: tx})
		return err
	})
	return s, err
}
