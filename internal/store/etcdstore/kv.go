package etcdstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/safeload/safeload/internal/store"
)

// The key layout under the prefix P. A bucket at path b1/…/bn has the base
//
//	B(root) = P
//	B(path + name) = B(path) "c" esc(name) 0x00 0x01
//
// where esc doubles no byte but turns 0x00 into 0x00 0xFF, so that a base is
// never a prefix of another bucket's base. Inside a bucket with base B:
//
//	B "v" key  → a record's value
//	B "b" name → a nested bucket's marker, holding its sequence (8 bytes, big-endian)
//
// so a bucket's records are the range [B "v", B "w") in key order, and its
// nested buckets the range [B "b", B "c"). Beside the buckets:
//
//	P "x/commit"  the commit key: every write transaction compares its
//	              revision with the one it read at, and puts it
//	P "l/"        the leader election
const (
	recordTag = "v"
	bucketTag = "b"
	childTag  = "c"
)

func commitKey(prefix string) string { return prefix + "x/commit" }

// electionPrefix is where replicas campaign to lead.
func electionPrefix(prefix string) string { return prefix + "l/leader" }

func childBase(base string, name []byte) string {
	var b strings.Builder
	b.Grow(len(base) + len(name) + 3)
	b.WriteString(base)
	b.WriteString(childTag)
	for _, c := range name {
		b.WriteByte(c)
		if c == 0 {
			b.WriteByte(0xFF)
		}
	}
	b.WriteString("\x00\x01")
	return b.String()
}

// pageSize is how many keys a range read fetches at a time.
const pageSize = 256

// wval is a buffered write: a value, or a deletion.
type wval struct {
	v   []byte
	del bool
}

// undo restores one key of the write buffer.
type undo struct {
	key  string
	prev *wval // nil: the key had no buffered write
}

// etx is one etcd transaction: every read is at one revision (rev), writes
// are buffered, and commit applies them only if no other write transaction
// committed since rev. It implements store.KV.
type etx struct {
	s         *Store
	ctx       context.Context
	rev       int64
	commitMod int64
	cache     map[string][]byte // snapshot reads at rev; nil value: absent
	// ranges says which ranges were read whole at rev (a key of one that
	// is not in the cache is absent) or found too large to read whole.
	ranges map[string]rangeState
	writes map[string]*wval
	undo   []undo
	// err is the first failure to reach etcd: the transaction is then
	// worthless, whatever its function returned.
	err error
	// readOnly refuses every write (a View).
	readOnly bool
}

var _ store.KV = (*etx)(nil)

// begin pins the transaction to the newest revision.
func (s *Store) begin(ctx context.Context) (*etx, error) {
	resp, err := s.cli.Get(ctx, commitKey(s.prefix))
	if err != nil {
		return nil, unavailable(err)
	}
	t := &etx{s: s, ctx: ctx, rev: resp.Header.Revision, cache: map[string][]byte{}, writes: map[string]*wval{},
		ranges: map[string]rangeState{}}
	if len(resp.Kvs) > 0 {
		t.commitMod = resp.Kvs[0].ModRevision
	}
	return t, nil
}

// broken reports that etcd could not be reached: reads give nothing more.
func (t *etx) broken() bool { return t.err != nil && t.err != errReadOnly }

func (t *etx) fail(err error) {
	if t.err != nil {
		return
	}
	if errors.Is(err, rpctypes.ErrFutureRev) || errors.Is(err, rpctypes.ErrCompacted) {
		// The member asked lags behind the revision, or it was compacted
		// away: run the transaction again at a newer one.
		t.err = errStale
		return
	}
	t.err = unavailable(err)
}

// errStale is a read that could not be served at the transaction's
// revision; the transaction runs again.
var errStale = errors.New("etcd store: the revision read is not available on this member")

// readOpts read at the transaction's revision. The reads stay
// linearizable: serializable reads at the same revision, served by
// whichever member the client picks, were seen to miss keys written
// before it on a three-member cluster.
func (t *etx) readOpts(opts ...clientv3.OpOption) []clientv3.OpOption {
	return append(opts, clientv3.WithRev(t.rev))
}

func (t *etx) get(key string) []byte {
	if w, ok := t.writes[key]; ok {
		if w.del {
			return nil
		}
		return w.v
	}
	if v, ok := t.cache[key]; ok {
		return v
	}
	if t.broken() {
		return nil
	}
	resp, err := t.s.cli.Get(t.ctx, key, t.readOpts()...)
	if err != nil {
		t.fail(err)
		return nil
	}
	var v []byte
	if len(resp.Kvs) > 0 {
		v = resp.Kvs[0].Value
		if v == nil {
			v = []byte{}
		}
	}
	t.cache[key] = v
	return v
}

// errReadOnly is a write inside a View.
var errReadOnly = errors.New("etcd store: write in a read-only transaction")

type rangeState int8

const (
	rangeWhole rangeState = iota + 1
	rangeLarge
)

// prefetch is how many keys of a bucket a first read of one of them
// fetches: a small bucket (a team's members, its open cases) is then read
// in one round trip instead of one per key.
const prefetch = 512

// getIn reads key, which lies in [lo, hi) (a bucket's records or its
// nested buckets' markers), reading the whole range at the first miss when
// it is small.
func (t *etx) getIn(key, lo, hi string) []byte {
	if w, ok := t.writes[key]; ok {
		if w.del {
			return nil
		}
		return w.v
	}
	if v, ok := t.cache[key]; ok {
		return v
	}
	switch t.ranges[lo] {
	case rangeWhole:
		return nil
	case rangeLarge:
		return t.get(key)
	}
	if t.broken() {
		return nil
	}
	resp, err := t.s.cli.Get(t.ctx, lo, t.readOpts(clientv3.WithRange(hi), clientv3.WithLimit(prefetch))...)
	if err != nil {
		t.fail(err)
		return nil
	}
	for _, x := range resp.Kvs {
		if _, ok := t.cache[string(x.Key)]; !ok {
			v := x.Value
			if v == nil {
				v = []byte{}
			}
			t.cache[string(x.Key)] = v
		}
	}
	if resp.More {
		t.ranges[lo] = rangeLarge
		return t.get(key)
	}
	t.ranges[lo] = rangeWhole
	return t.cache[key]
}

func (t *etx) set(key string, w *wval) {
	if t.readOnly {
		if t.err == nil {
			t.err = errReadOnly
		}
		return
	}
	prev := t.writes[key]
	t.undo = append(t.undo, undo{key: key, prev: prev})
	t.writes[key] = w
}

func (t *etx) put(key string, v []byte) {
	t.set(key, &wval{v: append([]byte{}, v...)})
}

// savepoint and rollback discard the writes of one function of a group.
func (t *etx) savepoint() int { return len(t.undo) }

func (t *etx) rollback(sp int) {
	for i := len(t.undo) - 1; i >= sp; i-- {
		u := t.undo[i]
		if u.prev == nil {
			delete(t.writes, u.key)
		} else {
			t.writes[u.key] = u.prev
		}
	}
	t.undo = t.undo[:sp]
}

// ops is how many operations the commit will carry.
func (t *etx) ops() int { return len(t.writes) + 1 }

// commit applies the writes if nothing was committed since the
// transaction's revision. ok is false on such a conflict.
func (t *etx) commit() (ok bool, err error) {
	if t.err != nil {
		return false, t.err
	}
	if len(t.writes) == 0 {
		return true, nil
	}
	ops := make([]clientv3.Op, 0, t.ops())
	keys := make([]string, 0, len(t.writes))
	for k := range t.writes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if w := t.writes[k]; w.del {
			ops = append(ops, clientv3.OpDelete(k))
		} else {
			ops = append(ops, clientv3.OpPut(k, string(w.v)))
		}
	}
	ck := commitKey(t.s.prefix)
	ops = append(ops, clientv3.OpPut(ck, ""))
	resp, err := t.s.cli.Txn(t.ctx).
		If(clientv3.Compare(clientv3.ModRevision(ck), "=", t.commitMod)).
		Then(ops...).Commit()
	if err != nil {
		return false, t.s.txnError(err, len(ops))
	}
	return resp.Succeeded, nil
}

// iter walks the keys of [lo, hi) as the transaction sees them: the
// snapshot at rev with the buffered writes laid over it.
type iter struct {
	t    *etx
	hi   string
	page []kv
	pi   int
	from string // where the next page starts
	more bool
	over []string // buffered keys in range, sorted
	oi   int
}

type kv struct {
	k string
	v []byte
}

func (t *etx) iter(lo, hi string) *iter {
	it := &iter{t: t, hi: hi, from: lo, more: true}
	for k := range t.writes {
		if k >= lo && k < hi {
			it.over = append(it.over, k)
		}
	}
	slices.Sort(it.over)
	return it
}

func (it *iter) fill() {
	if it.pi < len(it.page) || !it.more || it.t.broken() {
		return
	}
	resp, err := it.t.s.cli.Get(it.t.ctx, it.from, it.t.readOpts(clientv3.WithRange(it.hi), clientv3.WithLimit(pageSize))...)
	if err != nil {
		it.t.fail(err)
		it.more = false
		return
	}
	it.page, it.pi = it.page[:0], 0
	for _, x := range resp.Kvs {
		v := x.Value
		if v == nil {
			v = []byte{}
		}
		it.page = append(it.page, kv{string(x.Key), v})
		it.t.cache[string(x.Key)] = v
	}
	it.more = resp.More && len(resp.Kvs) > 0
	if len(resp.Kvs) > 0 {
		it.from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

// next returns the next key and value, ok false at the end.
func (it *iter) next() (string, []byte, bool) {
	for {
		it.fill()
		var snap *kv
		if it.pi < len(it.page) {
			snap = &it.page[it.pi]
		}
		var over string
		hasOver := it.oi < len(it.over)
		if hasOver {
			over = it.over[it.oi]
		}
		switch {
		case snap == nil && !hasOver:
			return "", nil, false
		case hasOver && (snap == nil || over <= snap.k):
			it.oi++
			if snap != nil && over == snap.k {
				it.pi++
			}
			if w := it.t.writes[over]; !w.del {
				return over, w.v, true
			}
		default:
			it.pi++
			return snap.k, snap.v, true
		}
	}
}

// bucket is a store.Bucket inside an etx.
type bucket struct {
	t      *etx
	base   string // B(path)
	meta   string // the marker key in the parent
	parent string // the parent's base
}

func (t *etx) root() bucket { return bucket{t: t, base: t.s.prefix} }

func (t *etx) Bucket(name []byte) store.Bucket { return t.root().Bucket(name) }

func (t *etx) CreateBucketIfNotExists(name []byte) (store.Bucket, error) {
	return t.root().CreateBucketIfNotExists(name)
}

func (t *etx) ForEachBucket(fn func(name []byte) error) error { return t.root().ForEachBucket(fn) }

func (b bucket) rec(key []byte) string { return b.base + recordTag + string(key) }

func (b bucket) Get(key []byte) []byte {
	return b.t.getIn(b.rec(key), b.base+recordTag, b.base+"w")
}

// marker reads a nested bucket's marker.
func (b bucket) marker(meta string) []byte { return b.t.getIn(meta, b.base+bucketTag, b.base+childTag) }

func (b bucket) Put(key, value []byte) error {
	if len(key) == 0 {
		return errEmptyKey
	}
	b.t.put(b.rec(key), value)
	return b.t.err
}

func (b bucket) Delete(key []byte) error {
	if b.Get(key) != nil {
		b.t.set(b.rec(key), &wval{del: true})
	}
	return b.t.err
}

func (b bucket) Bucket(name []byte) store.Bucket {
	meta := b.base + bucketTag + string(name)
	if b.marker(meta) == nil && !b.t.broken() {
		// Once etcd is unreachable every bucket seems present and empty,
		// so that the function runs to its end; its result is discarded.
		return nil
	}
	return bucket{t: b.t, base: childBase(b.base, name), meta: meta, parent: b.base}
}

func (b bucket) CreateBucketIfNotExists(name []byte) (store.Bucket, error) {
	if len(name) == 0 {
		return nil, errEmptyKey
	}
	meta := b.base + bucketTag + string(name)
	if b.marker(meta) == nil {
		b.t.put(meta, make([]byte, 8))
	}
	if b.t.err != nil {
		return nil, b.t.err
	}
	return bucket{t: b.t, base: childBase(b.base, name), meta: meta, parent: b.base}, nil
}

// CreateBucket makes a nested bucket that must not exist yet.
func (b bucket) CreateBucket(name []byte) (store.Bucket, error) {
	if len(name) == 0 {
		return nil, errEmptyKey
	}
	if b.marker(b.base+bucketTag+string(name)) != nil {
		return nil, fmt.Errorf("etcd store: bucket %q already exists", name)
	}
	return b.CreateBucketIfNotExists(name)
}

// DeleteBucket removes a nested bucket, its records and its own nested
// buckets.
func (b bucket) DeleteBucket(name []byte) error {
	meta := b.base + bucketTag + string(name)
	if b.marker(meta) == nil {
		if b.t.err != nil {
			return b.t.err
		}
		return fmt.Errorf("etcd store: bucket %q not found", name)
	}
	base := childBase(b.base, name)
	var keys []string
	it := b.t.iter(base, clientv3.GetPrefixRangeEnd(base))
	for k, _, ok := it.next(); ok; k, _, ok = it.next() {
		keys = append(keys, k)
	}
	if b.t.err != nil {
		return b.t.err
	}
	for _, k := range append(keys, meta) {
		b.t.set(k, &wval{del: true})
	}
	return b.t.err
}

func (b bucket) ForEach(fn func(k, v []byte) error) error {
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return b.t.err
}

func (b bucket) ForEachBucket(fn func(name []byte) error) error {
	lo := b.base + bucketTag
	it := b.t.iter(lo, b.base+childTag)
	for k, _, ok := it.next(); ok; k, _, ok = it.next() {
		if err := fn([]byte(k[len(lo):])); err != nil {
			return err
		}
	}
	return b.t.err
}

func (b bucket) Cursor() store.Cursor { return &cursor{b: b} }

func (b bucket) Sequence() uint64 {
	if v := b.t.getIn(b.meta, b.parent+bucketTag, b.parent+childTag); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func (b bucket) SetSequence(v uint64) error {
	if b.meta == "" {
		return errRootSequence
	}
	buf := make([]byte, 8)
	binary.BigEndian.PutUint64(buf, v)
	b.t.put(b.meta, buf)
	return b.t.err
}

func (b bucket) NextSequence() (uint64, error) {
	n := b.Sequence() + 1
	return n, b.SetSequence(n)
}

// cursor walks a bucket's records.
type cursor struct {
	b  bucket
	it *iter
}

func (c *cursor) First() ([]byte, []byte) { return c.Seek(nil) }

func (c *cursor) Seek(seek []byte) ([]byte, []byte) {
	c.it = c.b.t.iter(c.b.rec(seek), c.b.base+"w")
	return c.Next()
}

func (c *cursor) Next() ([]byte, []byte) {
	if c.it == nil {
		return c.First()
	}
	k, v, ok := c.it.next()
	if !ok {
		return nil, nil
	}
	return []byte(k[len(c.b.base)+len(recordTag):]), v
}
