package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/safeload/safeload/internal/domain"
)

// Speculative writes.
//
// bbolt has one writer at a time, so the group commit runs every action's
// reads, rules and sentences one after another in the commit goroutine,
// while the request goroutines, which could do that work side by side,
// wait. Speculate runs an action first on a read-only snapshot, outside the
// commit: its reads go to the snapshot and are written down with what they
// saw, its writes are kept in memory. A refusal ends there, having cost a
// read. Otherwise the commit goroutine only checks that every read would
// see the same now (the same bytes for every key, the same keys in every
// walk, the same buckets and sequences) and writes the kept writes; when
// anything the action read has changed since, the action runs again, on a
// new snapshot once, then for real in the commit, as before. Either way the
// result is the one a run in the commit would have had: the checked reads
// are all the action's output depends on.
//
// New sequence numbers (record IDs, team revisions) come from one allocator
// per bucket for speculative and real runs alike, so two actions never get
// the same number, whichever commits first, and a speculation's numbers do
// not depend on the snapshot it read.

// seqAlloc hands out each bucket's sequence numbers in the process: always
// above what the bucket holds and above every number handed out before.
// A speculative run that is refused, bails out, or is stale and tried
// again on a new snapshot gives its numbers back, newest first, and each
// is taken back only while no later number of its bucket has been handed
// out (giveBack); any other number taken by a run that did not commit is
// skipped for good.
type seqAlloc struct {
	mu   sync.Mutex
	next map[string]uint64 // path → the last number handed out
	// marks are what each writing transaction wrote (marks.go); they
	// travel with the allocator, which every writing transaction carries.
	marks commitMarks
}

func (a *seqAlloc) take(path string, stored uint64) uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.next == nil {
		a.next = map[string]uint64{}
	}
	n := max(a.next[path], stored) + 1
	a.next[path] = n
	return n
}

// giveBack returns n when nothing was taken after it, so that a run that
// bails out and runs again gets the same number (no gap in proposal
// numbers for a lone user).
func (a *seqAlloc) giveBack(path string, n uint64) {
	a.mu.Lock()
	if a.next[path] == n {
		a.next[path] = n - 1
	}
	a.mu.Unlock()
}

// subPath is a bucket's path: its name after its parent's, each name
// length-prefixed so that no two paths are spelled alike.
func subPath(parent string, name []byte) string {
	var n [binary.MaxVarintLen64]byte
	l := binary.PutUvarint(n[:], uint64(len(name)))
	return parent + string(n[:l]) + string(name)
}

// cutName splits the first bucket name off a path (as bytes: a path is
// turned into bytes once for all its names).
func cutName(path []byte) (name, rest []byte, ok bool) {
	l, n := binary.Uvarint(path)
	if n <= 0 || uint64(len(path)-n) < l {
		return nil, nil, false
	}
	return path[n : n+int(l)], path[n+int(l):], true
}

// walkPath finds the bucket at path in tx, nil when it is missing.
func walkPath(tx *bolt.Tx, path string) *bolt.Bucket {
	var b *bolt.Bucket
	for p, first := []byte(path), true; len(p) > 0; first = false {
		name, rest, ok := cutName(p)
		if !ok {
			return nil
		}
		if p = rest; first {
			b = tx.Bucket(name)
		} else {
			b = b.Bucket(name)
		}
		if b == nil {
			return nil
		}
	}
	return b
}

// SpecStats counts what became of speculative runs.
type SpecStats struct {
	// Applied: checked and written as they were.
	Applied uint64
	// Stale: something read had changed by the commit; run again, on a
	// new snapshot the first time and in the commit after that.
	Stale uint64
	// Bailed: the run did something a snapshot cannot answer (walked a
	// bucket it had written to, deleted a bucket) or failed on our side;
	// run in the commit.
	Bailed uint64
	// Refused: the action refused on the snapshot; nothing committed.
	Refused uint64
}

type specCounters struct{ applied, stale, bailed, refused atomic.Uint64 }

// SpecStats reports the store's speculative runs so far.
func (db *DB) SpecStats() SpecStats {
	return SpecStats{Applied: db.spec.applied.Load(), Stale: db.spec.stale.Load(),
		Bailed: db.spec.bailed.Load(), Refused: db.spec.refused.Load()}
}

// Speculate is Group for an action that may be refused: fn runs first on a
// snapshot outside the shared commit; an error there for which refused is
// true is returned at once, having changed nothing and cost what a read
// costs. Otherwise fn's writes join the shared commit, as Group's would,
// and fn runs again only when something it read has changed: on a new
// snapshot the first time, in the commit after that.
func (db *DB) Speculate(fn func(domain.Tx) error, refused func(error) bool) error {
	for attempt := 1; ; attempt++ {
		s := newSpec(&db.alloc)
		defer s.free()
		var ok bool
		var err error
		if verr := db.bolt.View(func(btx *bolt.Tx) error {
			s.snap = uint64(btx.ID())
			ok, err = s.run(fn, &Tx{tx: specKV{btx, s}, now: db.clock.Now()})
			return nil
		}); verr != nil {
			return verr
		}
		switch {
		case ok && err != nil && refused(err):
			s.giveBack()
			db.spec.refused.Add(1)
			return err
		case !ok || err != nil:
			s.giveBack()
			db.spec.bailed.Add(1)
			return db.Group(fn)
		case len(s.writes) == 0:
			db.spec.applied.Add(1)
			return nil
		}
		// A stale run's first time round, it passes its turn and runs again
		// on a new snapshot, outside the commit; after that, the commit runs
		// it, so that one busy person's writes cannot keep it waiting.
		last := attempt >= maxSpeculations
		// What the run's cursors looked at is worked out here, so that the
		// commit goroutine, which every write waits on, does not.
		s.cursorSpans = s.spans()
		err = db.group.Submit(func(t domain.Tx) error {
			if kv, isBolt := t.(*Tx).tx.(boltKV); isBolt && s.valid(kv.tx) {
				db.spec.applied.Add(1)
				return s.apply(kv.tx)
			}
			db.spec.stale.Add(1)
			if !last {
				return errPassed
			}
			return fn(t)
		})
		if !errors.Is(err, errPassed) {
			return err
		}
		s.giveBack()
	}
}

// maxSpeculations is how many snapshots a write is tried on before the
// commit runs it.
const maxSpeculations = 2

// specs are reused: a run's record of reads and writes is some tens of
// kilobytes, and making it anew for every write was an eighth of what a
// write allocates.
var specs = sync.Pool{New: func() any {
	return &spec{dirty: map[string]*specDirty{}, reads: make([]specRead, 0, 64), writes: make([]specWrite, 0, 16)}
}}

func newSpec(alloc *seqAlloc) *spec {
	s := specs.Get().(*spec)
	s.alloc = alloc
	return s
}

// free empties s, dropping what it holds, and gives it back for reuse; s
// must not be used after. A run that grew very large is left to the
// collector.
func (s *spec) free() {
	if cap(s.reads) > 4096 || cap(s.writes) > 1024 || cap(s.arena) > 1<<20 {
		return
	}
	// Past their lengths, the slices hold nothing: that was cleared when
	// they were last emptied, or never written.
	clear(s.reads)
	clear(s.writes)
	clear(s.taken)
	s.reads, s.writes, s.taken, s.arena = s.reads[:0], s.writes[:0], s.taken[:0], s.arena[:0]
	clear(s.dirty)
	clear(s.top)
	s.cursors, s.cursorSpans = 0, nil
	s.alloc, s.snap = nil, 0
	specs.Put(s)
}

// spec is one speculative run: what it read and what it would write.
type spec struct {
	alloc   *seqAlloc
	snap    uint64 // the snapshot's transaction
	reads   []specRead
	writes  []specWrite
	dirty   map[string]*specDirty // by bucket path: the run's own writes
	top     map[string]*specBucket
	cursors int
	taken   []specWrite // numbers taken, to give back if the run is dropped
	arena   []byte      // copies of what the run read (keep)

	// cursorSpans are what each cursor looked at (spans), worked out
	// once the run is over, before the commit checks it.
	cursorSpans []cursorSpan
}

// specDirty is a bucket the run wrote to.
type specDirty struct {
	created bool   // made by the run: nothing of it is stored
	puts    int    // how many puts and deletes the run made in it (in writes)
	seq     uint64 // the sequence as the run set it
	hasSeq  bool
}

type readKind uint8

const (
	readGet    readKind = iota // Get(key) saw val
	readBucket                 // the bucket at path exists (found) or not
	readSeq                    // Sequence() was seq
	readCursor                 // a cursor step gave key, val
)

type cursorOp uint8

const (
	opFirst cursorOp = iota
	opSeek
	opNext
)

type specRead struct {
	kind   readKind
	path   string
	key    []byte // Get's key, Seek's argument
	val    []byte // Get's value; a cursor step's value
	found  bool   // readBucket: it exists; readCursor: its value was not nil
	seq    uint64
	cursor int // readCursor: which cursor
	op     cursorOp
	gotKey []byte // readCursor: the key the step gave (nil at the end)
	// readCursor of a walk over one prefix: the step went past it (to
	// the end or a key without it), which is all the walk looked at.
	prefix []byte
	past   bool
}

type writeKind uint8

const (
	writePut writeKind = iota
	writeDelete
	writeCreate // CreateBucketIfNotExists
	writeSetSeq
	writeTakeSeq // a number from the allocator
)

type specWrite struct {
	kind writeKind
	path string
	key  []byte
	val  []byte
	seq  uint64
}

// errBail stops a run that a snapshot cannot answer.
type errBail struct{}

func bail() { panic(errBail{}) }

// run calls fn, turning a bail-out or a panic into ok == false: the commit
// runs fn again, and reports a panic there.
func (s *spec) run(fn func(domain.Tx) error, tx *Tx) (ok bool, err error) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return true, fn(tx)
}

func (s *spec) giveBack() {
	for i := len(s.taken) - 1; i >= 0; i-- {
		s.alloc.giveBack(s.taken[i].path, s.taken[i].seq)
	}
}

func (s *spec) read(r specRead) { s.reads = append(s.reads, r) }

func (s *spec) write(w specWrite) {
	s.writes = append(s.writes, w)
	d := s.dirty[w.path]
	if d == nil {
		d = &specDirty{}
		s.dirty[w.path] = d
	}
	switch w.kind {
	case writePut, writeDelete:
		d.puts++
	case writeCreate:
		d.created = true
	case writeSetSeq, writeTakeSeq:
		d.seq, d.hasSeq = w.seq, true
	}
}

// valid checks every read against tx, the shared commit's transaction.
func (s *spec) valid(tx *bolt.Tx) bool {
	var buckets map[string]*bolt.Bucket // made when a read must be read again
	bucket := func(path string) *bolt.Bucket {
		b, ok := buckets[path]
		if !ok {
			if buckets == nil {
				buckets = map[string]*bolt.Bucket{}
			}
			b = walkPath(tx, path)
			buckets[path] = b
		}
		return b
	}
	var cursors []*bolt.Cursor // by cursor number, made when a walk must be walked again
	if s.cursorSpans == nil {
		s.cursorSpans = s.spans()
	}
	spans := s.cursorSpans
	for i := range s.reads {
		r := &s.reads[i]
		if s.alloc.marks.unchanged(r, s.snap, spans) {
			continue
		}
		b := bucket(r.path)
		switch r.kind {
		case readBucket:
			if (b != nil) != r.found {
				return false
			}
			continue
		}
		if b == nil {
			return false // it was there when read
		}
		switch r.kind {
		case readGet:
			v := b.Get(r.key)
			if (v == nil) != (r.val == nil) || !bytes.Equal(v, r.val) {
				return false
			}
		case readSeq:
			if b.Sequence() != r.seq {
				return false
			}
		case readCursor:
			if cursors == nil {
				cursors = make([]*bolt.Cursor, s.cursors+1)
			}
			c := cursors[r.cursor]
			if c == nil {
				c = b.Cursor()
				cursors[r.cursor] = c
			}
			var k, v []byte
			switch r.op {
			case opFirst:
				k, v = c.First()
			case opSeek:
				k, v = c.Seek(r.key)
			case opNext:
				k, v = c.Next()
			}
			if r.prefix != nil && (k == nil || !bytes.HasPrefix(k, r.prefix)) {
				if !r.past {
					return false
				}
				continue
			}
			if r.past || (k == nil) != (r.gotKey == nil) || !bytes.Equal(k, r.gotKey) ||
				(v != nil) != r.found || !bytes.Equal(v, r.val) {
				return false
			}
		}
	}
	return true
}

// apply writes the run's writes into tx, in the order they were made.
func (s *spec) apply(tx *bolt.Tx) error {
	marks, txid := &s.alloc.marks, uint64(tx.ID())
	var b *bolt.Bucket // the bucket of the write before, at path
	path := ""
	for _, w := range s.writes {
		if w.kind == writeCreate {
			if err := createPath(tx, w.path); err != nil {
				return err
			}
			marks.reshaped(txid)
			continue
		}
		if b == nil || w.path != path {
			if b, path = walkPath(tx, w.path), w.path; b == nil {
				return berrors.ErrBucketNotFound // valid() saw it; cannot happen
			}
		}
		var err error
		switch w.kind {
		case writePut:
			err = b.Put(w.key, w.val)
			marks.key(w.path, w.key, txid)
		case writeDelete:
			err = b.Delete(w.key)
			marks.key(w.path, w.key, txid)
		case writeSetSeq:
			err = b.SetSequence(w.seq)
			marks.sequence(w.path, txid)
		case writeTakeSeq:
			// Above every number committed before, and above this one:
			// a team's revision goes up with every commit that changes it.
			err = b.SetSequence(max(b.Sequence()+1, w.seq))
			marks.sequence(w.path, txid)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func createPath(tx *bolt.Tx, path string) error {
	var b *bolt.Bucket
	for p, first := []byte(path), true; len(p) > 0; first = false {
		name, rest, ok := cutName(p)
		if !ok {
			return berrors.ErrBucketNameRequired // paths are made by subPath: cannot happen
		}
		var err error
		if p = rest; first {
			b, err = tx.CreateBucketIfNotExists(name)
		} else {
			b, err = b.CreateBucketIfNotExists(name)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// specKV is the snapshot's top-level buckets. They are made when the store
// opens and never deleted, so finding one is not a read to check.
type specKV struct {
	tx *bolt.Tx
	s  *spec
}

func (k specKV) Bucket(name []byte) Bucket {
	if sb, ok := k.s.top[string(name)]; ok {
		return sb
	}
	b := k.tx.Bucket(name)
	if b == nil {
		return nil
	}
	sb := &specBucket{s: k.s, path: subPath("", name), b: b}
	if k.s.top == nil {
		k.s.top = map[string]*specBucket{}
	}
	k.s.top[string(name)] = sb
	return sb
}

func (k specKV) CreateBucketIfNotExists(name []byte) (Bucket, error) {
	if b := k.Bucket(name); b != nil {
		return b, nil
	}
	bail()
	return nil, nil
}

func (k specKV) ForEachBucket(func(name []byte) error) error {
	bail()
	return nil
}

// specBucket is a bucket of the snapshot as the run sees it: the stored
// bucket (b, nil when the run made it) under the run's own writes.
type specBucket struct {
	s    *spec
	path string
	b    *bolt.Bucket
	// kids are the nested buckets looked up so far (nil: missing), so
	// that each is looked up, and its lookup written down, once. A bucket
	// has a few, so a list does.
	kids []specKid
}

type specKid struct {
	name string // the end of the kid's path
	k    *specBucket
}

func (sb *specBucket) findKid(name []byte) (*specBucket, bool) {
	for _, kid := range sb.kids {
		if kid.name == string(name) {
			return kid.k, true
		}
	}
	return nil, false
}

// setKid notes the bucket at path, which ends in its name, as a kid.
func (sb *specBucket) setKid(path string, name []byte, k *specBucket) {
	for i := range sb.kids {
		if sb.kids[i].name == string(name) {
			sb.kids[i].k = k
			return
		}
	}
	sb.kids = append(sb.kids, specKid{name: path[len(path)-len(name):], k: k})
}

func (sb *specBucket) dirty() *specDirty { return sb.s.dirty[sb.path] }

// wrote is the value the run last put at key in the bucket at path (nil
// for a delete), if it put or deleted it. A run writes a few keys, so they
// are looked for in its writes, newest first.
func (s *spec) wrote(path string, key []byte, d *specDirty) ([]byte, bool) {
	if d.puts == 0 {
		return nil, false
	}
	for i := len(s.writes) - 1; i >= 0; i-- {
		w := &s.writes[i]
		if (w.kind == writePut || w.kind == writeDelete) && w.path == path && bytes.Equal(w.key, key) {
			return w.val, true
		}
	}
	return nil, false
}

// keep copies b, which the snapshot may not hold for long, into the run's
// arena, to be checked in the commit. The arena is reused run after run
// (only the records of reads point into it, and they are cleared first),
// so a read costs no allocation of its own. nil stays nil and empty stays
// empty: a missing key is not an empty value.
func (s *spec) keep(b []byte) []byte {
	switch {
	case b == nil:
		return nil
	case len(b) == 0:
		return []byte{}
	case len(s.arena)+len(b) > cap(s.arena):
		// Full: a new one. What was kept stays in the old, which is
		// dropped when the run is.
		s.arena = make([]byte, 0, max(2*cap(s.arena), len(b), 4096))
	}
	start := len(s.arena)
	s.arena = append(s.arena, b...)
	return s.arena[start:len(s.arena):len(s.arena)]
}

func (sb *specBucket) Get(key []byte) []byte {
	if d := sb.dirty(); d != nil {
		if v, ok := sb.s.wrote(sb.path, key, d); ok {
			return v
		}
		if d.created {
			return nil
		}
	}
	if sb.b == nil {
		return nil
	}
	v := sb.b.Get(key)
	sb.s.read(specRead{kind: readGet, path: sb.path, key: sb.s.keep(key), val: sb.s.keep(v)})
	return v
}

func (sb *specBucket) Put(key, value []byte) error {
	if len(key) == 0 {
		return berrors.ErrKeyRequired
	}
	sb.s.write(specWrite{kind: writePut, path: sb.path, key: bytes.Clone(key), val: append(make([]byte, 0, len(value)), value...)})
	return nil
}

func (sb *specBucket) Delete(key []byte) error {
	sb.s.write(specWrite{kind: writeDelete, path: sb.path, key: bytes.Clone(key)})
	return nil
}

func (sb *specBucket) Bucket(name []byte) Bucket {
	if k := sb.kid(name); k != nil {
		return k
	}
	return nil
}

func (sb *specBucket) kid(name []byte) *specBucket {
	if k, ok := sb.findKid(name); ok {
		return k
	}
	var k *specBucket
	path := subPath(sb.path, name)
	if sb.b != nil { // else made by the run, and so are its buckets
		b := sb.b.Bucket(name)
		sb.s.read(specRead{kind: readBucket, path: path, found: b != nil})
		if b != nil {
			k = &specBucket{s: sb.s, path: path, b: b}
		}
	}
	sb.setKid(path, name, k)
	return k
}

func (sb *specBucket) CreateBucketIfNotExists(name []byte) (Bucket, error) {
	if k := sb.kid(name); k != nil {
		return k, nil
	}
	k := &specBucket{s: sb.s, path: subPath(sb.path, name)}
	sb.s.write(specWrite{kind: writeCreate, path: k.path})
	sb.setKid(k.path, name, k)
	return k, nil
}

func (sb *specBucket) CreateBucket(name []byte) (Bucket, error) {
	if sb.kid(name) != nil {
		return nil, berrors.ErrBucketExists
	}
	return sb.CreateBucketIfNotExists(name)
}

func (sb *specBucket) DeleteBucket([]byte) error {
	bail()
	return nil
}

// walkable is the stored bucket, when the run has not written to it: a
// walk over the run's own writes would have to merge them in.
func (sb *specBucket) walkable() *bolt.Bucket {
	if sb.written() {
		bail()
	}
	return sb.b
}

// written reports whether the run put, deleted or made anything in the
// bucket (a new sequence number changes no walk).
func (sb *specBucket) written() bool {
	d := sb.dirty()
	return d != nil && (d.created || d.puts > 0)
}

func (sb *specBucket) Cursor() Cursor { return sb.prefixCursor(nil) }

// prefixCursor is a cursor for a walk over the keys that begin with prefix
// (see prefixCursor in kv.go): a step past them is checked only for being
// past them.
func (sb *specBucket) prefixCursor(prefix []byte) Cursor {
	b := sb.walkable()
	if b == nil {
		bail()
	}
	sb.s.cursors++
	return &specCursor{sb: sb, id: sb.s.cursors, c: b.Cursor(), prefix: bytes.Clone(prefix)}
}

func (sb *specBucket) ForEach(fn func(k, v []byte) error) error {
	if sb.walkable() == nil {
		return nil // made by the run, and empty
	}
	c := sb.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil {
			continue
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

func (sb *specBucket) ForEachBucket(fn func(name []byte) error) error {
	if sb.walkable() == nil {
		return nil
	}
	c := sb.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v != nil {
			continue
		}
		if err := fn(k); err != nil {
			return err
		}
	}
	return nil
}

func (sb *specBucket) storedSeq() uint64 {
	if sb.b == nil {
		return 0
	}
	return sb.b.Sequence()
}

func (sb *specBucket) Sequence() uint64 {
	if d := sb.dirty(); d != nil && d.hasSeq {
		return d.seq
	}
	if sb.b == nil {
		return 0
	}
	v := sb.b.Sequence()
	sb.s.read(specRead{kind: readSeq, path: sb.path, seq: v})
	return v
}

func (sb *specBucket) NextSequence() (uint64, error) {
	stored := sb.storedSeq()
	if d := sb.dirty(); d != nil && d.hasSeq {
		stored = max(stored, d.seq)
	}
	w := specWrite{kind: writeTakeSeq, path: sb.path, seq: sb.s.alloc.take(sb.path, stored)}
	sb.s.taken = append(sb.s.taken, w)
	sb.s.write(w)
	return w.seq, nil
}

func (sb *specBucket) SetSequence(v uint64) error {
	sb.s.write(specWrite{kind: writeSetSeq, path: sb.path, seq: v})
	return nil
}

// specCursor walks a stored bucket the run has not written to, writing
// down every step.
type specCursor struct {
	sb     *specBucket
	id     int
	c      *bolt.Cursor
	prefix []byte
}

func (sc *specCursor) step(op cursorOp, seek []byte, k, v []byte) ([]byte, []byte) {
	if sc.sb.written() {
		bail() // written to since the walk began
	}
	r := specRead{kind: readCursor, path: sc.sb.path, cursor: sc.id, op: op, key: sc.sb.s.keep(seek), prefix: sc.prefix}
	if sc.prefix != nil && (k == nil || !bytes.HasPrefix(k, sc.prefix)) {
		r.past = true
	} else {
		r.gotKey, r.val, r.found = sc.sb.s.keep(k), sc.sb.s.keep(v), v != nil
	}
	sc.sb.s.read(r)
	return k, v
}

func (sc *specCursor) First() ([]byte, []byte) {
	k, v := sc.c.First()
	return sc.step(opFirst, nil, k, v)
}

func (sc *specCursor) Seek(seek []byte) ([]byte, []byte) {
	k, v := sc.c.Seek(seek)
	return sc.step(opSeek, seek, k, v)
}

func (sc *specCursor) Next() ([]byte, []byte) {
	k, v := sc.c.Next()
	return sc.step(opNext, nil, k, v)
}
