package store

import "bytes"

// getter returns b's Get, or on bbolt the same reads through one cursor:
// bbolt's Get makes a new cursor each time, and growing its stack was a
// tenth of the time a scheduler pass spent reading a team's open cases by
// their references. (On etcd a cursor is a range read, so there it is Get.)
func getter(b Bucket) func(key []byte) []byte {
	bb, ok := b.(boltBucket)
	if !ok {
		return b.Get
	}
	c := bb.b.Cursor()
	return func(key []byte) []byte {
		k, v := c.Seek(key)
		if !bytes.Equal(k, key) {
			return nil
		}
		return v // nil for a nested bucket, as Get
	}
}
