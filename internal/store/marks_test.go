package store

import (
	"bytes"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/safeload/safeload/internal/domain"
)

// TestMarksSendBackOnlyWhatWasWrittenOver runs one speculative run, makes
// one write after its snapshot, and checks the run in the commit: it is
// stale exactly when the write could change something it read, and the
// reads no write touched are not read again.
func TestMarksSendBackOnlyWhatWasWrittenOver(t *testing.T) {
	walked := []byte("walked")
	// The run: a Get of "one", a walk over the keys of p1 from p1/b, a
	// plain walk that stops after its second key, and the sequence of
	// "seq"; it writes down what it saw.
	run := func(tx domain.Tx) error {
		kv := tx.(*Tx).tx
		b := kv.Bucket(walked)
		var seen []byte
		seen = append(seen, b.Get([]byte("one"))...)
		c := prefixCursor(b.Bucket([]byte("people")), []byte("p1/"))
		for k, v := c.Seek([]byte("p1/b")); k != nil && bytes.HasPrefix(k, []byte("p1/")); k, v = c.Next() {
			seen = append(seen, v...)
		}
		pc := b.Bucket([]byte("plain")).Cursor()
		k, _ := pc.First()
		seen = append(seen, k...)
		k, _ = pc.Next()
		seen = append(seen, k...)
		seen = append(seen, byte(b.Bucket([]byte("seq")).Sequence()))
		return kv.Bucket(walked).Put([]byte("seen"), seen)
	}
	for _, tc := range []struct {
		name  string
		write func(b Bucket) error
		stale bool
	}{
		{"nothing written", func(Bucket) error { return nil }, false},
		{"another key", func(b Bucket) error { return b.Put([]byte("two"), []byte("2")) }, false},
		{"the key read", func(b Bucket) error { return b.Put([]byte("one"), []byte("1!")) }, true},
		{"the key read, same bytes", func(b Bucket) error { return b.Put([]byte("one"), []byte("1")) }, false},
		{"another person's entry", func(b Bucket) error { return b.Bucket([]byte("people")).Put([]byte("p2/a"), []byte("x")) }, false},
		{"an entry before the walk", func(b Bucket) error { return b.Bucket([]byte("people")).Put([]byte("p1/a"), []byte("x")) }, false},
		{"an entry walked over", func(b Bucket) error { return b.Bucket([]byte("people")).Put([]byte("p1/b"), []byte("x")) }, true},
		{"an entry after the walk's last", func(b Bucket) error { return b.Bucket([]byte("people")).Put([]byte("p1/z"), []byte("x")) }, true},
		{"an entry deleted", func(b Bucket) error { return b.Bucket([]byte("people")).Delete([]byte("p1/c")) }, true},
		{"past where a plain walk stopped", func(b Bucket) error { return b.Bucket([]byte("plain")).Put([]byte("k9"), []byte("x")) }, false},
		{"within a plain walk", func(b Bucket) error { return b.Bucket([]byte("plain")).Put([]byte("k1a"), []byte("x")) }, true},
		{"the sequence", func(b Bucket) error { return b.Bucket([]byte("seq")).SetSequence(7) }, true},
		// Valid, but read again in full: a bucket made or deleted is
		// marked only by when.
		{"a bucket made", func(b Bucket) error { _, err := b.CreateBucket([]byte("new")); return err }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openTemp(t, Options{NoSync: true})
			if err := db.Update(func(tx domain.Tx) error {
				b, err := tx.(*Tx).tx.CreateBucketIfNotExists(walked)
				if err != nil {
					return err
				}
				people, _ := b.CreateBucket([]byte("people"))
				plain, _ := b.CreateBucket([]byte("plain"))
				_, _ = b.CreateBucket([]byte("seq"))
				for _, k := range []string{"p0/a", "p1/b", "p1/c", "p2/b"} {
					if err := people.Put([]byte(k), []byte(k[len(k)-1:])); err != nil {
						return err
					}
				}
				for _, k := range []string{"k1", "k2", "k3"} {
					if err := plain.Put([]byte(k), []byte("v")); err != nil {
						return err
					}
				}
				return b.Put([]byte("one"), []byte("1"))
			}); err != nil {
				t.Fatal(err)
			}
			s := newSpec(&db.alloc)
			defer s.free()
			if err := db.bolt.View(func(btx *bolt.Tx) error {
				s.snap = uint64(btx.ID())
				ok, err := s.run(run, &Tx{tx: specKV{btx, s}, now: db.clock.Now()})
				if !ok || err != nil {
					t.Fatalf("the run: ok %v, %v", ok, err)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if err := db.Update(func(tx domain.Tx) error { return tc.write(tx.(*Tx).tx.Bucket(walked)) }); err != nil {
				t.Fatal(err)
			}
			if err := db.bolt.Update(func(btx *bolt.Tx) error {
				if valid := s.valid(btx); valid == tc.stale {
					t.Errorf("valid = %v, want %v", valid, !tc.stale)
				}
				// Reads the marks pass are not read again: with nothing
				// written since the snapshot, none is.
				spans := s.spans()
				again := 0
				for i := range s.reads {
					if !db.alloc.marks.unchanged(&s.reads[i], s.snap, spans) {
						again++
					}
				}
				switch {
				case tc.name == "nothing written" && again != 0:
					t.Errorf("%d of %d reads read again, want none", again, len(s.reads))
				case tc.name == "a bucket made" && again != len(s.reads):
					t.Errorf("%d of %d reads read again, want all", again, len(s.reads))
				}
				if tc.stale && again == 0 {
					t.Error("stale, yet the marks passed every read")
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestMarksForgetUnderAFloor: past marksKept keys, every mark is
// forgotten, and a run older than that is read again in full.
func TestMarksForgetUnderAFloor(t *testing.T) {
	var m commitMarks
	for i := range marksKept + 10 {
		m.key(string(rune('a'+i%7)), []byte{byte(i >> 8), byte(i)}, uint64(10+i/100))
	}
	if m.floor == 0 || m.n != 10 || len(m.paths) != 7 {
		t.Fatalf("floor %d, %d marked, %d buckets", m.floor, m.n, len(m.paths))
	}
	r := &specRead{kind: readGet, path: "b", key: []byte("never written")}
	if m.unchanged(r, m.floor-1, nil) {
		t.Error("a run older than the floor passed without being read again")
	}
	if !m.unchanged(r, m.last, nil) {
		t.Error("a run as new as the last write was read again")
	}
}
