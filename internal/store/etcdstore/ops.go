package etcdstore

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/safeload/safeload/internal/store"
)

// copyingKey marks a copy into etcd under way: a store that holds it is
// incomplete, and Open refuses it until a copy finishes.
func copyingKey(prefix string) string { return prefix + "x/copying" }

// checkCopying refuses a prefix that holds an unfinished copy.
func (s *Store) checkCopying(ctx context.Context) error {
	resp, err := s.cli.Get(ctx, copyingKey(s.prefix), clientv3.WithCountOnly())
	if err != nil {
		return unavailable(err)
	}
	if resp.Count > 0 {
		return fmt.Errorf("etcd under %s holds an unfinished copy; run 'safeload copy' again (it starts over)", s.prefix)
	}
	return nil
}

// Stats counts teams and the outbox, at one revision, from the outbox's
// indexes.
func (s *Store) Stats() (store.Stats, error) {
	var st store.Stats
	ctx, cancel := context.WithTimeout(s.base, s.timeout)
	defer cancel()
	err := s.ViewKV(ctx, func(kv store.KV) error {
		var err error
		st, err = store.StatsOf(kv)
		return err
	})
	return st, err
}

// viewAll gives a copy one revision of the whole store, however long it
// takes to read.
func (s *Store) viewAll(fn func(store.KV) error) error {
	return s.ViewKV(context.Background(), fn)
}

// Backup writes a bbolt file of the store at one revision to path,
// atomically, so that 'safeload check' and a bbolt deployment can use it.
func (s *Store) Backup(path string) error {
	if err := store.WriteBolt(path, s.viewAll); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// Snapshot writes the same bbolt file to w, calling start with its size
// first (the admin socket's stream announces it).
func (s *Store) Snapshot(w io.Writer, start func(size int64) error) (int64, error) {
	dir, err := os.MkdirTemp("", "safeload-backup-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "backup.db")
	if err := s.Backup(path); err != nil {
		return 0, err
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if err := start(fi.Size()); err != nil {
		return 0, err
	}
	return io.Copy(w, f)
}

// Empty reports whether the prefix holds no record (an unfinished copy
// counts as empty: a copy clears it).
func (s *Store) Empty() (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	resp, err := s.cli.Get(ctx, copyingKey(s.prefix), clientv3.WithCountOnly())
	if err != nil {
		return false, unavailable(err)
	}
	if resp.Count > 0 {
		return true, nil
	}
	var empty bool
	err = s.ViewKV(ctx, func(kv store.KV) error {
		var err error
		empty, err = store.Empty(kv)
		return err
	})
	return empty, err
}

// CopyFrom copies another store, seen through view at one consistent
// state, into this prefix, which must be empty. The copy is written in
// transactions of at most the server's operation limit under a marker that
// keeps every replica out until the last one removes it; on failure
// everything written is removed again.
func (s *Store) CopyFrom(view func(fn func(store.KV) error) error) (err error) {
	empty, err := s.Empty()
	if err != nil {
		return err
	}
	if !empty {
		return fmt.Errorf("etcd under %s already holds a store with records; copy refuses to write over it", s.prefix)
	}
	ctx := context.Background()
	if _, err := s.cli.Delete(ctx, s.prefix, clientv3.WithPrefix()); err != nil {
		return unavailable(err)
	}
	if _, err := s.cli.Put(ctx, copyingKey(s.prefix), ""); err != nil {
		return unavailable(err)
	}
	defer func() {
		if err != nil {
			_, _ = s.cli.Delete(ctx, s.prefix, clientv3.WithPrefix())
		}
	}()
	t, err := s.begin(ctx)
	if err != nil {
		return err
	}
	flush := func() error {
		if t.err != nil {
			return t.err
		}
		ops := make([]clientv3.Op, 0, len(t.writes))
		for k, w := range t.writes {
			ops = append(ops, clientv3.OpPut(k, string(w.v)))
		}
		if len(ops) == 0 {
			return nil
		}
		if _, err := s.cli.Txn(ctx).Then(ops...).Commit(); err != nil {
			return s.txnError(err, len(ops))
		}
		for k, w := range t.writes {
			t.cache[k] = w.v
		}
		t.writes, t.undo = map[string]*wval{}, nil
		return nil
	}
	err = view(func(src store.KV) error {
		return store.CopyAll(t, src, func() error {
			if t.ops() >= s.maxOps-4 {
				return flush()
			}
			return nil
		})
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	ck := commitKey(s.prefix)
	if _, err := s.cli.Txn(ctx).Then(clientv3.OpDelete(copyingKey(s.prefix)), clientv3.OpPut(ck, "")).Commit(); err != nil {
		return unavailable(err)
	}
	return nil
}

// CopyTo writes the store at one revision to a new bbolt file at path.
func (s *Store) CopyTo(path string) error { return store.WriteBolt(path, s.viewAll) }
