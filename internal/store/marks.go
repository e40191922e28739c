package store

import "bytes"

// Write marks.
//
// A speculative run is checked in the shared commit by reading again
// everything it read. Most of what it read has not been written since its
// snapshot: the channel, the team, the members, one person's hours. The
// marks say, for each bucket, which keys the latest writing transactions
// wrote and in which transaction, so that a read no
// transaction wrote over since the snapshot is known unchanged without
// reading it again; only the others are read again. The commit does less
// in the one goroutine every write waits on.
//
// Marks are made and read only inside writing transactions, which bbolt
// runs one at a time, so they need no lock of their own. A mark may say
// more changed than did (a transaction rolled back after making it, a key
// written again with the bytes it had): the read is then simply read again.

// commitMarks are the marks of every bucket.
type commitMarks struct {
	// shape is the last transaction that made or deleted a bucket: a run
	// older than it is checked read by read, as if there were no marks.
	shape uint64
	// floor: what was written at or before it is forgotten, and a run
	// older than it is checked read by read.
	floor uint64
	last  uint64 // the last transaction marked
	n     int    // the keys marked since the floor
	paths map[string]*pathMarks
}

// pathMarks are one bucket's marks. Transaction IDs only rise, so log is
// in the order of txid.
type pathMarks struct {
	last uint64            // the last transaction that changed anything in it
	seq  uint64            // the last transaction that set its sequence
	keys map[string]uint64 // key → the last transaction that wrote it
	log  []keyMark         // the same writes, oldest first, for walks
}

type keyMark struct {
	key  []byte
	txid uint64
}

// marksKept bounds the keys remembered: past it, all are forgotten under a
// new floor, so that a server that runs for months holds a few megabytes of
// marks at most. A run's snapshot is a commit or two old, so the few runs
// older than a new floor are read again, as they were before marks.
const marksKept = 1 << 16

func (m *commitMarks) path(path string, txid uint64) *pathMarks {
	if m.n >= marksKept {
		m.floor, m.n = m.last, 0
		clear(m.paths)
	}
	if m.paths == nil {
		m.paths = map[string]*pathMarks{}
	}
	pm := m.paths[path]
	if pm == nil {
		pm = &pathMarks{keys: map[string]uint64{}}
		m.paths[path] = pm
	}
	pm.last, m.last = txid, txid
	return pm
}

// key marks a Put or Delete of key in the bucket at path.
func (m *commitMarks) key(path string, key []byte, txid uint64) {
	pm := m.path(path, txid)
	pm.keys[string(key)] = txid
	pm.log = append(pm.log, keyMark{bytes.Clone(key), txid})
	m.n++
}

// sequence marks a change of the bucket's sequence.
func (m *commitMarks) sequence(path string, txid uint64) {
	m.path(path, txid).seq = txid
	m.n++
}

// reshaped marks a bucket made or deleted.
func (m *commitMarks) reshaped(txid uint64) { m.shape = txid }

// cursorSpan is the part of a bucket one cursor of a run looked at: keys
// from lo (nil: the first) to hi, or to the end when open; with a prefix,
// only the keys that begin with it.
type cursorSpan struct {
	lo, hi []byte
	open   bool
	prefix []byte
	seen   bool
}

// spans works out what each cursor of s looked at, by cursor number.
func (s *spec) spans() []cursorSpan {
	if s.cursors == 0 {
		return nil
	}
	spans := make([]cursorSpan, s.cursors+1)
	for i := range s.reads {
		r := &s.reads[i]
		if r.kind != readCursor {
			continue
		}
		sp := &spans[r.cursor]
		switch r.op {
		case opFirst:
			sp.lo, sp.seen = nil, true
		case opSeek:
			if !sp.seen || (sp.lo != nil && bytes.Compare(r.key, sp.lo) < 0) {
				sp.lo = r.key
			}
			sp.seen = true
		}
		sp.prefix = r.prefix
		switch {
		case r.past || r.gotKey == nil:
			sp.open = true
		case bytes.Compare(r.gotKey, sp.hi) > 0:
			sp.hi = r.gotKey
		}
	}
	return spans
}

// unchanged reports whether the marks show that no transaction after
// snap wrote what read r saw; false means it must be read again.
func (m *commitMarks) unchanged(r *specRead, snap uint64, spans []cursorSpan) bool {
	if snap < m.shape || snap < m.floor {
		return false
	}
	pm := m.paths[r.path]
	if pm == nil || pm.last <= snap {
		return true
	}
	switch r.kind {
	case readBucket:
		return true // only a made or deleted bucket changes it
	case readSeq:
		return pm.seq <= snap
	}
	if r.kind == readGet {
		return pm.keys[string(r.key)] <= snap
	}
	sp := &spans[r.cursor]
	for i := len(pm.log) - 1; i >= 0 && pm.log[i].txid > snap; i-- {
		if sp.covers(pm.log[i].key) {
			return false
		}
	}
	return true
}

// covers reports whether a write of key could change what the cursor saw.
func (sp *cursorSpan) covers(k []byte) bool {
	if sp.prefix != nil && !bytes.HasPrefix(k, sp.prefix) {
		return false // a prefix walk looks only at its own keys
	}
	if sp.lo != nil && bytes.Compare(k, sp.lo) < 0 {
		return false
	}
	return sp.open || bytes.Compare(k, sp.hi) <= 0
}
