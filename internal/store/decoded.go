package store

import (
	"cmp"
	"slices"
	"sync"

	"github.com/safeload/safeload/internal/domain"
)

// decodedMax bounds each cache of decoded records; a full one is emptied.
const decodedMax = 2048

// casesDecodedMax bounds the cache of decoded cases, which commands read
// one person's at a time (walks over a whole team's cases, the scheduler's
// and the digest's, decode without it, so as not to empty it).
const casesDecodedMax = 16384

// decodedCache keeps records already decoded, keyed by their stored bytes:
// the same bytes always decode to the same record, so a hit is exact
// whatever was committed since, on any store. Every command reads its team
// and its caller's membership, and decoding their JSON (times included) was
// a tenth of a read command's CPU. Callers get their own copy (clone), so
// what they change never reaches the cache.
type decodedCache[T any] struct {
	mu    sync.RWMutex
	m     map[string]*T
	clone func(*T) *T
	max   int // 0: decodedMax
	// read, when set, decodes a record the cache does not hold (exactly as
	// decode would).
	read func([]byte) (*T, error)
}

func (c *decodedCache[T]) decode(b []byte) (*T, error) {
	c.mu.RLock()
	v, ok := c.m[string(b)]
	c.mu.RUnlock()
	if ok {
		return c.clone(v), nil
	}
	var t *T
	var err error
	if c.read != nil {
		t, err = c.read(b)
	} else {
		t = new(T)
		err = decode(b, t)
	}
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= cmp.Or(c.max, decodedMax) {
		c.m = make(map[string]*T)
	}
	c.m[string(b)] = c.clone(t)
	c.mu.Unlock()
	return t, nil
}

var (
	teamsDecoded = &decodedCache[domain.Team]{clone: func(t *domain.Team) *domain.Team {
		c := *t
		c.Incoming = slices.Clone(t.Incoming)
		return &c
	}}
	membersDecoded = &decodedCache[domain.Member]{read: func(v []byte) (*domain.Member, error) { return decodeMember(v, "") }, clone: func(m *domain.Member) *domain.Member {
		c := *m
		c.Reductions = slices.Clone(m.Reductions)
		return &c
	}}
	casesDecoded = &decodedCache[domain.Case]{max: casesDecodedMax, read: func(v []byte) (*domain.Case, error) { return decodeCase(v, "") }, clone: func(cs *domain.Case) *domain.Case {
		c := *cs
		c.Factors = slices.Clone(cs.Factors)
		c.Involved = slices.Clone(cs.Involved)
		c.PrevHolders = slices.Clone(cs.PrevHolders)
		if cs.Override != nil {
			o := *cs.Override
			c.Override = &o
		}
		return &c
	}}
)
