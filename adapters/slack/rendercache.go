package slack

import (
	"encoding/json"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
)

// maxRendered bounds the render cache: one entry per team whose board has
// been asked for, so the bound is only reached by a very large install,
// which then renders some boards again.
const maxRendered = 1024

// sharedViews are the commands whose answer is the same for everyone who
// asks, until the team changes: the team's board, which every member reads
// between two commits. Their rendering is kept per team.
var sharedViews = map[string]bool{"caseload.board": true}

// renderCache keeps the Block Kit and the immediate answer of the last
// answer of each shared view, by team, with the engine's messages they were
// rendered from. The renderer is a function of the messages alone (its
// prompts are fixed for the adapter's life), and a hit needs messages equal
// to the kept ones in every field, so what it gives is byte for byte what
// rendering them again would give: after any commit, a new day or a
// restart, a changed board is a different message and is rendered afresh.
type renderCache struct {
	mu      sync.Mutex
	entries map[string]*renderedView
	hits    atomic.Int64 // for tests
}

// renderedView is one answer as rendered; nothing in it is changed once it is
// in the cache (its blocks are only ever marshalled).
type renderedView struct {
	msgs []domain.Message
	outs []outMsg
	// ack is ackJSON of the first message, nil when there is none or it is
	// too large for an immediate answer.
	ack json.RawMessage
}

// cacheKey names the entry an answer would be kept under; "" when it is not
// a shared view (or has no team), and is rendered every time.
func cacheKey(resp engine.Response) string {
	if !sharedViews[resp.Name] || resp.Team == "" || resp.Code != "" {
		return ""
	}
	for _, m := range resp.Messages {
		if m.Image != nil {
			return "" // pictures are sent apart from the answer
		}
	}
	return resp.Name + "\x00" + resp.Team
}

// render is render(msgs) and the immediate answer of its first message,
// from the cache when the messages are those last rendered under key.
func (c *renderCache) render(key string, msgs []domain.Message, render func() []outMsg) ([]outMsg, json.RawMessage) {
	c.mu.Lock()
	e := c.entries[key]
	c.mu.Unlock()
	if e != nil && sameMessages(e.msgs, msgs) {
		c.hits.Add(1)
		return e.outs, e.ack
	}
	e = &renderedView{msgs: copyMessages(msgs), outs: render()}
	if len(e.outs) > 0 {
		e.ack = e.outs[0].ack()
	}
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]*renderedView{}
	}
	if _, ok := c.entries[key]; !ok && len(c.entries) >= maxRendered {
		for k := range c.entries { // any one: the map's order is random
			delete(c.entries, k)
			break
		}
	}
	c.entries[key] = e
	c.mu.Unlock()
	return e.outs, e.ack
}

// sameMessages says whether a and b are equal in every field.
func sameMessages(a, b []domain.Message) bool {
	return slices.EqualFunc(a, b, sameMessage)
}

func sameMessage(a, b domain.Message) bool {
	return a.Audience == b.Audience && a.To == b.To && a.Title == b.Title && a.Text == b.Text &&
		a.RAG == b.RAG && a.Replace == b.Replace && a.Footer == b.Footer && a.Image == nil && b.Image == nil &&
		slices.Equal(a.Fields, b.Fields) && slices.Equal(a.Buttons, b.Buttons) &&
		slices.EqualFunc(a.Sections, b.Sections, func(x, y domain.Section) bool {
			return x.Title == y.Title && slices.Equal(x.Lines, y.Lines)
		})
}

// copyMessages copies the slices of the messages kept, so that nothing the
// engine does with its own later can change them.
func copyMessages(ms []domain.Message) []domain.Message {
	out := slices.Clone(ms)
	for i := range out {
		m := &out[i]
		m.Fields = slices.Clone(m.Fields)
		m.Buttons = slices.Clone(m.Buttons)
		m.Sections = slices.Clone(m.Sections)
		for j := range m.Sections {
			m.Sections[j].Lines = slices.Clone(m.Sections[j].Lines)
		}
	}
	return out
}
