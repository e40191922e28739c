package store

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ViewKV runs fn on the raw buckets in one read-only transaction: what a
// copy to another store reads.
func (db *DB) ViewKV(fn func(KV) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error { return fn(boltKV{tx: tx}) })
}

// WriteBolt writes a new bbolt file at path holding a copy of the buckets
// that view shows (one consistent state of another store), atomically: the
// copy is written and synced beside path, then renamed. An existing path
// that holds any record is refused.
func WriteBolt(path string, view func(fn func(KV) error) error) error {
	if _, err := os.Stat(path); err == nil {
		db, err := Open(path, Options{ReadOnly: true, Timeout: 300 * time.Millisecond})
		if err != nil {
			return fmt.Errorf("%s exists and is not an empty store: %w", path, err)
		}
		var empty bool
		err = db.ViewKV(func(kv KV) error { var err error; empty, err = Empty(kv); return err })
		_ = db.Close()
		if err != nil {
			return err
		}
		if !empty {
			return fmt.Errorf("%s already holds a store with records; choose a new file", path)
		}
	}
	tmp := path + ".tmp"
	_ = os.Remove(tmp)
	b, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	err = b.Update(func(tx *bolt.Tx) error {
		return view(func(src KV) error { return CopyAll(boltKV{tx: tx}, src, func() error { return nil }) })
	})
	if cerr := b.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
