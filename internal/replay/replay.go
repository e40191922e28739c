// Package replay remembers the platform requests already handled, so that a
// signed request captured and sent again within its signature's five
// minutes runs once, not twice. It knows nothing of any platform: adapters
// give it their request IDs (Slack's trigger_id, Discord's interaction id).
package replay

import (
	"sync"
	"time"
)

// Window is how long an ID is remembered: twice the five minutes a
// signature is accepted for, so a replay is refused for as long as it could
// pass the signature check.
const Window = 10 * time.Minute

// maxIDs bounds the memory: at that many IDs remembered, the oldest go.
const maxIDs = 200_000

// Guard remembers IDs for Window. The zero value is ready to use.
type Guard struct {
	mu    sync.Mutex
	seen  map[string]time.Time
	order []entry
}

type entry struct {
	id string
	at time.Time
}

// First reports whether id is new at now and remembers it; false means the
// request was already handled and must be dropped. An empty id cannot be
// checked and is always new.
func (g *Guard) First(id string, now time.Time) bool {
	if id == "" {
		return true
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.seen == nil {
		g.seen = map[string]time.Time{}
	}
	g.expire(now)
	if at, ok := g.seen[id]; ok && now.Sub(at) < Window {
		return false
	}
	g.seen[id] = now
	g.order = append(g.order, entry{id, now})
	return true
}

func (g *Guard) expire(now time.Time) {
	n := 0
	for n < len(g.order) && (now.Sub(g.order[n].at) >= Window || len(g.order)-n >= maxIDs) {
		if g.seen[g.order[n].id].Equal(g.order[n].at) {
			delete(g.seen, g.order[n].id)
		}
		n++
	}
	if n > 0 {
		g.order = append(g.order[:0:0], g.order[n:]...)
	}
}
