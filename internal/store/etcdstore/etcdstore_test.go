package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/store"
	"github.com/safeload/safeload/internal/store/etcdstore"
	"github.com/safeload/safeload/internal/store/etcdstore/etcdtest"
	"github.com/safeload/safeload/internal/store/storetest"
)

// prefixes gives every store of a test its own prefix on the shared
// cluster, so each starts empty.
var prefixes atomic.Int64

func openOn(t testing.TB, c *etcdtest.Cluster, clk clock.Clock) *etcdstore.Store {
	t.Helper()
	s, err := etcdstore.Open(etcdstore.Options{
		Endpoints: c.Endpoints(),
		Prefix:    fmt.Sprintf("/test%d/", prefixes.Add(1)),
		Clock:     clk,
		MaxTxnOps: etcdtest.MaxTxnOps,
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestContractOneMember(t *testing.T) {
	c := etcdtest.Start(t, 1)
	storetest.Run(t, func(t *testing.T, clk clock.Clock) domain.Store { return openOn(t, c, clk) })
}

func TestContractThreeMembers(t *testing.T) {
	c := etcdtest.Start(t, 3)
	storetest.Run(t, func(t *testing.T, clk clock.Clock) domain.Store { return openOn(t, c, clk) })
}

// Two replicas on one prefix increment one counter at the same time: each
// transaction is serializable, so no increment is lost and each outbox ID
// is given once.
func TestReplicasDoNotLoseUpdates(t *testing.T) {
	c := etcdtest.Start(t, 3)
	prefix := fmt.Sprintf("/test%d/", prefixes.Add(1))
	var replicas []*etcdstore.Store
	for i := range 3 {
		s, err := etcdstore.Open(etcdstore.Options{Endpoints: c.Endpoints()[i : i+1], Prefix: prefix})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { _ = s.Close() })
		replicas = append(replicas, s)
	}
	const each = 16
	var wg sync.WaitGroup
	for r, s := range replicas {
		for w := range each {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.Group(func(tx domain.Tx) error {
					n, err := storetest.Count(tx, "counter")
					if err != nil {
						return err
					}
					if err := storetest.PutCount(tx, "counter", n+1); err != nil {
						return err
					}
					return tx.Enqueue(&domain.OutboxItem{Dest: fmt.Sprintf("r%d/%d", r, w)})
				})
				if err != nil {
					t.Errorf("replica %d writer %d: %v", r, w, err)
				}
			}()
		}
	}
	wg.Wait()
	err := replicas[0].View(func(tx domain.Tx) error {
		n, err := storetest.Count(tx, "counter")
		if err != nil {
			return err
		}
		if n != 3*each {
			t.Errorf("counter = %d, want %d", n, 3*each)
		}
		out, err := tx.Outbox(0)
		if err != nil {
			return err
		}
		seen := map[uint64]bool{}
		for _, it := range out {
			if seen[it.ID] {
				t.Errorf("outbox ID %d given twice", it.ID)
			}
			seen[it.ID] = true
		}
		if len(out) != 3*each {
			t.Errorf("outbox holds %d items, want %d", len(out), 3*each)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Without quorum an action fails as unavailable, writes nothing, and the
// store carries on by itself when quorum returns.
func TestQuorumLostAndBack(t *testing.T) {
	c := etcdtest.Start(t, 3)
	s, err := etcdstore.Open(etcdstore.Options{Endpoints: c.Endpoints()[:1], Prefix: "/quorum/", Timeout: time.Second})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	put := func(n int) error {
		return s.Update(func(tx domain.Tx) error { return storetest.PutCount(tx, "k", n) })
	}
	if err := put(1); err != nil {
		t.Fatalf("put with quorum: %v", err)
	}
	c.StopMember(1)
	c.StopMember(2)
	err = put(2)
	if got := domain.ErrorCode(err); got != domain.EUNAVAILABLE {
		t.Fatalf("put without quorum: code %q (%v), want %q", got, err, domain.EUNAVAILABLE)
	}
	if err := s.Healthy(context.Background()); domain.ErrorCode(err) != domain.EUNAVAILABLE {
		t.Errorf("Healthy without quorum = %v", err)
	}
	c.RestartMember(1)
	deadline := time.Now().Add(10 * time.Second)
	for {
		err = put(3)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("put after quorum came back: %v", err)
	}
	var n int
	if err := s.View(func(tx domain.Tx) error { n, err = storetest.Count(tx, "k"); return err }); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("k = %d, want 3 (the write without quorum must not land)", n)
	}
}

// With a small limit on a transaction's operations, concurrent actions
// still share commits, split where the limit falls; every one lands once.
func TestGroupsSplitAtTheOperationLimit(t *testing.T) {
	c := etcdtest.Start(t, 1)
	s, err := etcdstore.Open(etcdstore.Options{Endpoints: c.Endpoints(), Prefix: "/split/", MaxTxnOps: 16})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	const calls = 40
	var wg sync.WaitGroup
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Group(func(tx domain.Tx) error {
				for k := range 3 {
					if err := storetest.PutCount(tx, fmt.Sprintf("k%02d/%d", i, k), i); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Errorf("call %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	err = s.View(func(tx domain.Tx) error {
		written := 0
		for i := range calls {
			for k := range 3 {
				f, ok, err := tx.Fired(storetest.CounterKey(fmt.Sprintf("k%02d/%d", i, k)))
				if err != nil {
					return err
				}
				if ok && f.Msgs == i {
					written++
				}
			}
		}
		if written != 3*calls {
			t.Errorf("%d records written, want %d", written, 3*calls)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A copy that fails removes what it wrote; one that was killed leaves its
// marker, and the store refuses to open until a copy runs again, which
// starts over; a copy into a prefix with records is refused.
func TestUnfinishedCopyIsRefusedAndRedone(t *testing.T) {
	c := etcdtest.Start(t, 1)
	src := openOn(t, c, nil)
	t.Cleanup(func() { _ = src.Close() })
	f := storetest.Fill(t, src)
	dst, err := etcdstore.Open(etcdstore.Options{Endpoints: c.Endpoints(), Prefix: "/copy/", NoPrepare: true, MaxTxnOps: etcdtest.MaxTxnOps})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dst.Close() })
	boom := errors.New("the source went away")
	err = dst.CopyFrom(func(fn func(store.KV) error) error {
		return src.ViewKV(context.Background(), func(kv store.KV) error {
			if err := fn(kv); err != nil {
				return err
			}
			return boom
		})
	})
	if !errors.Is(err, boom) {
		t.Fatalf("CopyFrom = %v, want the source's failure", err)
	}
	resp, err := dst.Client().Get(context.Background(), "/copy/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil || resp.Count != 0 {
		t.Fatalf("after a failed copy the prefix holds %d keys (%v), want none", resp.Count, err)
	}
	// A copy killed half-way: its marker and part of the data.
	for _, k := range []string{"/copy/x/copying", "/copy/cteams\x00\x01vnorth"} {
		if _, err := dst.Client().Put(context.Background(), k, "{}"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := etcdstore.Open(etcdstore.Options{Endpoints: c.Endpoints(), Prefix: "/copy/"}); err == nil ||
		!strings.Contains(err.Error(), "unfinished copy") {
		t.Fatalf("a store holding an unfinished copy: Open = %v", err)
	}
	if err := dst.CopyFrom(func(fn func(store.KV) error) error { return src.ViewKV(context.Background(), fn) }); err != nil {
		t.Fatalf("copy again: %v", err)
	}
	if err := dst.CopyFrom(func(fn func(store.KV) error) error { return src.ViewKV(context.Background(), fn) }); err == nil {
		t.Fatal("a copy onto a store with records was not refused")
	}
	got, err := etcdstore.Open(etcdstore.Options{Endpoints: c.Endpoints(), Prefix: "/copy/"})
	if err != nil {
		t.Fatalf("open the copy: %v", err)
	}
	t.Cleanup(func() { _ = got.Close() })
	storetest.Verify(t, got, f)
}

// Buckets made and removed as bbolt's are: CreateBucket refuses one that
// exists, DeleteBucket removes its records and nested buckets and nothing
// beside it.
func TestCreateAndDeleteBuckets(t *testing.T) {
	c := etcdtest.Start(t, 1)
	s := openOn(t, c, nil)
	t.Cleanup(func() { _ = s.Close() })
	raw := func(fn func(kv store.KV) error) error {
		return s.Update(func(tx domain.Tx) error { return fn(tx.(*store.Tx).KV()) })
	}
	err := raw(func(kv store.KV) error {
		top, err := kv.CreateBucketIfNotExists([]byte("scratch"))
		if err != nil {
			return err
		}
		for _, name := range []string{"a", "ab"} {
			b, err := top.CreateBucket([]byte(name))
			if err != nil {
				return err
			}
			if err := b.Put([]byte("k"), []byte(name)); err != nil {
				return err
			}
			inner, err := b.CreateBucket([]byte("inner"))
			if err != nil {
				return err
			}
			if err := inner.Put([]byte("k"), []byte("deep")); err != nil {
				return err
			}
		}
		if _, err := top.CreateBucket([]byte("a")); err == nil {
			t.Error("CreateBucket of an existing bucket succeeded")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := raw(func(kv store.KV) error { return kv.Bucket([]byte("scratch")).DeleteBucket([]byte("a")) }); err != nil {
		t.Fatal(err)
	}
	err = s.ViewKV(context.Background(), func(kv store.KV) error {
		top := kv.Bucket([]byte("scratch"))
		if top.Bucket([]byte("a")) != nil {
			t.Error("the deleted bucket is still there")
		}
		ab := top.Bucket([]byte("ab"))
		if ab == nil || string(ab.Get([]byte("k"))) != "ab" || string(ab.Bucket([]byte("inner")).Get([]byte("k"))) != "deep" {
			t.Error("deleting a took its neighbour ab with it")
		}
		if err := top.DeleteBucket([]byte("none")); err == nil {
			t.Error("DeleteBucket of a missing bucket succeeded")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.Client().Get(context.Background(), s.Prefix(), clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range resp.Kvs {
		if strings.Contains(string(kv.Key), "ca\x00\x01") {
			t.Errorf("a key of the deleted bucket is left: %q", kv.Key)
		}
	}
}
