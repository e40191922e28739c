package prompts

import "sync"

// KeptMax bounds the texts a Kept holds; a full Kept is emptied.
const KeptMax = 4096

// Kept keeps texts by all that they are written from (K), so a text
// written from the same K again is not written out again. A kept text is
// exact only if what writes it depends on nothing but K. The zero Kept is
// empty and ready; it is safe for concurrent use.
type Kept[K comparable] struct {
	mu sync.RWMutex
	m  map[K]string
}

// Get is the text kept for k, or else the text write writes, which it
// keeps; an error from write is returned and nothing is kept.
func (c *Kept[K]) Get(k K, write func() (string, error)) (string, error) {
	c.mu.RLock()
	text, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return text, nil
	}
	text, err := write()
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= KeptMax {
		c.m = make(map[K]string)
	}
	c.m[k] = text
	c.mu.Unlock()
	return text, nil
}

// Len is the number of texts kept.
func (c *Kept[K]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
