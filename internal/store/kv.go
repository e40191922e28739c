package store

import (
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bucket is a nested key/value bucket: the part of bbolt's bucket that the
// typed transaction (Tx) uses. bbolt provides it directly; the etcd store
// emulates it over one etcd transaction, so every typed method runs on both.
// Keys sort as bytes. Get returns nil for a missing key and for the name of
// a nested bucket; ForEach visits records only.
type Bucket interface {
	Get(key []byte) []byte
	Put(key, value []byte) error
	Delete(key []byte) error
	// Bucket returns a nested bucket, nil (an untyped nil) when it is missing.
	Bucket(name []byte) Bucket
	CreateBucketIfNotExists(name []byte) (Bucket, error)
	// CreateBucket makes a nested bucket that must not exist yet.
	CreateBucket(name []byte) (Bucket, error)
	// DeleteBucket removes a nested bucket and everything in it.
	DeleteBucket(name []byte) error
	// ForEach visits the records (not the nested buckets), in key order.
	ForEach(fn func(k, v []byte) error) error
	// ForEachBucket visits the names of the nested buckets.
	ForEachBucket(fn func(name []byte) error) error
	Cursor() Cursor
	// NextSequence returns the bucket's next sequence number (1, 2, …).
	NextSequence() (uint64, error)
	Sequence() uint64
	SetSequence(v uint64) error
}

// Cursor walks a bucket's keys in order; a nil key means the end. Values
// of nested buckets are nil.
type Cursor interface {
	First() (key, value []byte)
	Seek(seek []byte) (key, value []byte)
	Next() (key, value []byte)
}

// prefixCursor is b's cursor for a walk over the keys that begin with
// prefix, which stops at the first key without it and looks no further: a
// speculative run then checks only that the walk still stops there, not
// what lies beyond (another person's entries, changed by someone else).
func prefixCursor(b Bucket, prefix []byte) Cursor {
	if sb, ok := b.(*specBucket); ok {
		return sb.prefixCursor(prefix)
	}
	return b.Cursor()
}

// KV is the root of one transaction: the top-level buckets.
type KV interface {
	Bucket(name []byte) Bucket
	CreateBucketIfNotExists(name []byte) (Bucket, error)
	ForEachBucket(fn func(name []byte) error) error
}

// NewTx makes the typed transaction over another backend's KV (the etcd
// store uses it); now is the transaction's one timestamp.
func NewTx(kv KV, now time.Time) *Tx { return &Tx{tx: kv, now: now} }

// KV is the raw buckets under the typed transaction.
func (t *Tx) KV() KV { return t.tx }

// boltKV is a bbolt transaction seen as a KV. A writing transaction of the
// store carries its sequence allocator, so that its NextSequence never
// hands out a number a speculative run (spec.go) holds.
type boltKV struct {
	tx    *bolt.Tx
	alloc *seqAlloc
}

func (k boltKV) Bucket(name []byte) Bucket { return wrapBolt(k.tx.Bucket(name), k.alloc, "", name) }

func (k boltKV) CreateBucketIfNotExists(name []byte) (Bucket, error) {
	made := k.alloc != nil && k.tx.Bucket(name) == nil // only marks need to know
	b, err := k.tx.CreateBucketIfNotExists(name)
	if err != nil {
		return nil, err
	}
	if made {
		k.alloc.marks.reshaped(uint64(k.tx.ID()))
	}
	return wrapBolt(b, k.alloc, "", name), nil
}

func (k boltKV) ForEachBucket(fn func(name []byte) error) error {
	return k.tx.ForEach(func(name []byte, _ *bolt.Bucket) error { return fn(name) })
}

// wrapBolt keeps a missing bucket an untyped nil, so that callers may test
// the result against nil; the path is only needed (and only built) for the
// allocator.
func wrapBolt(b *bolt.Bucket, alloc *seqAlloc, parent string, name []byte) Bucket {
	if b == nil {
		return nil
	}
	if alloc == nil {
		return boltBucket{b: b}
	}
	return boltBucket{b: b, path: subPath(parent, name), alloc: alloc}
}

// boltBucket is a bbolt bucket seen as a Bucket.
type boltBucket struct {
	b     *bolt.Bucket
	path  string
	alloc *seqAlloc
}

func (b boltBucket) Get(key []byte) []byte { return b.b.Get(key) }

// The writes of a writing transaction leave their marks (marks.go), by
// which a speculative run's reads are checked.

func (b boltBucket) Put(key, value []byte) error {
	if b.alloc != nil {
		b.alloc.marks.key(b.path, key, b.txid())
	}
	return b.b.Put(key, value)
}

func (b boltBucket) Delete(key []byte) error {
	if b.alloc != nil {
		b.alloc.marks.key(b.path, key, b.txid())
	}
	return b.b.Delete(key)
}

func (b boltBucket) txid() uint64 { return uint64(b.b.Tx().ID()) }

// reshaped marks a bucket made or deleted in b.
func (b boltBucket) reshaped() {
	if b.alloc != nil {
		b.alloc.marks.reshaped(b.txid())
	}
}
func (b boltBucket) Bucket(name []byte) Bucket {
	return wrapBolt(b.b.Bucket(name), b.alloc, b.path, name)
}
func (b boltBucket) Cursor() Cursor   { return b.b.Cursor() }
func (b boltBucket) Sequence() uint64 { return b.b.Sequence() }
func (b boltBucket) SetSequence(v uint64) error {
	if b.alloc != nil {
		b.alloc.marks.sequence(b.path, b.txid())
	}
	return b.b.SetSequence(v)
}

// NextSequence takes the next number from the store's allocator when the
// transaction has one, so that it never repeats a number a speculative run
// took; otherwise it is bbolt's own.
func (b boltBucket) NextSequence() (uint64, error) {
	if b.alloc == nil || !b.b.Writable() {
		return b.b.NextSequence()
	}
	id := b.alloc.take(b.path, b.b.Sequence())
	return id, b.SetSequence(id)
}

func (b boltBucket) DeleteBucket(name []byte) error {
	b.reshaped()
	return b.b.DeleteBucket(name)
}

func (b boltBucket) CreateBucket(name []byte) (Bucket, error) {
	b.reshaped()
	nb, err := b.b.CreateBucket(name)
	if err != nil {
		return nil, err
	}
	return wrapBolt(nb, b.alloc, b.path, name), nil
}

func (b boltBucket) CreateBucketIfNotExists(name []byte) (Bucket, error) {
	if b.alloc != nil && b.b.Bucket(name) == nil { // only marks need to know
		b.reshaped()
	}
	nb, err := b.b.CreateBucketIfNotExists(name)
	if err != nil {
		return nil, err
	}
	return wrapBolt(nb, b.alloc, b.path, name), nil
}

func (b boltBucket) ForEach(fn func(k, v []byte) error) error {
	return b.b.ForEach(func(k, v []byte) error {
		if v == nil {
			return nil // a nested bucket
		}
		return fn(k, v)
	})
}

func (b boltBucket) ForEachBucket(fn func(name []byte) error) error {
	return b.b.ForEachBucket(fn)
}

// Prepare creates every top-level bucket and brings the schema up to date,
// inside the caller's transaction; where names the store in messages.
func Prepare(kv KV, where string) error {
	for _, name := range topBuckets {
		if _, err := kv.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	v := schemaOf(kv)
	if v > SchemaVersion {
		return fmt.Errorf("store %s has schema version %d, newer than this safeload understands (%d): upgrade safeload", where, v, SchemaVersion)
	}
	for ; v < SchemaVersion; v++ {
		if err := migrations[v](kv); err != nil {
			return fmt.Errorf("migrate store from version %d: %w", v, err)
		}
	}
	return kv.Bucket(bucketMeta).Put(keySchema, itob(SchemaVersion))
}

// Schema is the schema version a store holds (0: none yet).
func Schema(kv KV) uint64 { return schemaOf(kv) }

// Empty reports whether a store holds no record at all outside its
// metadata: what a copy may write into.
func Empty(kv KV) (bool, error) {
	empty := true
	err := kv.ForEachBucket(func(name []byte) error {
		if string(name) == string(bucketMeta) {
			return nil
		}
		ok, err := bucketEmpty(kv.Bucket(name))
		if err == nil && !ok {
			empty = false
			return errStop
		}
		return err
	})
	return empty, ignoreStop(err)
}

var errStop = errors.New("stop")

func bucketEmpty(b Bucket) (bool, error) {
	if err := b.ForEach(func(_, _ []byte) error { return errStop }); err != nil {
		return false, ignoreStop(err)
	}
	empty := true
	err := b.ForEachBucket(func(name []byte) error {
		ok, err := bucketEmpty(b.Bucket(name))
		if err == nil && !ok {
			empty = false
			return errStop
		}
		return err
	})
	return empty, ignoreStop(err)
}

func ignoreStop(err error) error {
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// CopyAll copies every bucket, record and sequence of src into dst, which
// the caller has checked is empty. put is called after each record written,
// so a backend with a limit on a transaction's size can commit in parts.
func CopyAll(dst, src KV, put func() error) error {
	return src.ForEachBucket(func(name []byte) error {
		d, err := dst.CreateBucketIfNotExists(name)
		if err != nil {
			return err
		}
		return copyBucket(d, src.Bucket(name), put)
	})
}

func copyBucket(dst, src Bucket, put func() error) error {
	if err := src.ForEach(func(k, v []byte) error {
		if err := dst.Put(k, v); err != nil {
			return err
		}
		return put()
	}); err != nil {
		return err
	}
	if s := src.Sequence(); s != 0 {
		if err := dst.SetSequence(s); err != nil {
			return err
		}
	}
	return src.ForEachBucket(func(name []byte) error {
		d, err := dst.CreateBucketIfNotExists(name)
		if err != nil {
			return err
		}
		if err := put(); err != nil {
			return err
		}
		return copyBucket(d, src.Bucket(name), put)
	})
}
