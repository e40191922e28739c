package engine

import (
	"sync"

	"github.com/safeload/safeload/internal/domain"
)

// capacityTextsMax bounds the sentences kept; a full cache is emptied.
const capacityTextsMax = 4096

// capacityTextKey is all that /capacity's main sentence is written from.
type capacityTextKey struct {
	W     domain.Workload
	Self  bool
	Hours float64
}

// capacityTexts keeps /capacity's main sentence by what it is written
// from. The prompts are fixed for the engine's life and the sentence's
// functions depend on nothing else, so a kept sentence is exact; a
// member's figures rarely change between two /capacity, and writing this
// sentence out was the largest single cost of the command.
type capacityTexts struct {
	mu sync.RWMutex
	m  map[capacityTextKey]string
}

func (c *capacityTexts) get(k capacityTextKey, write func() string) string {
	c.mu.RLock()
	s, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return s
	}
	s = write()
	c.mu.Lock()
	if c.m == nil || len(c.m) >= capacityTextsMax {
		c.m = make(map[capacityTextKey]string)
	}
	c.m[k] = s
	c.mu.Unlock()
	return s
}

// capacityText is r.say("capacity.text", …), kept.
func (r *run) capacityText(w domain.Workload, self bool, hours float64) string {
	return r.e.capTexts.get(capacityTextKey{W: w, Self: self, Hours: hours}, func() string {
		return r.say("capacity.text", "W", w, "Self", self, "Hours", hours)
	})
}
