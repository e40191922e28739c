package engine

import (
	"slices"
	"sync"

	"github.com/safeload/safeload/internal/domain"
)

// boardCache keeps each team's last rendered board. A board is worked out
// from the team's record, members and open cases, the day, the policy and
// the prompts; the last two are fixed for the engine's life, the day is
// part of the key, and the team's revision (TeamRev) changes with every
// commit that changes any of the rest. A board rendered at one revision
// and day is therefore the board of every later read at the same pair.
// Only read-only transactions fill it: a write transaction sees a revision
// that a rolled-back commit may give back.
type boardCache struct {
	mu    sync.Mutex
	teams map[string]cachedBoard
}

type cachedBoard struct {
	rev uint64
	day domain.Date
	msg domain.Message
}

func (c *boardCache) get(team string, rev uint64, day domain.Date) (domain.Message, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.teams[team]
	if !ok || b.rev != rev || b.day != day {
		return domain.Message{}, false
	}
	return copyMessage(b.msg), true
}

func (c *boardCache) put(team string, rev uint64, day domain.Date, msg domain.Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.teams == nil {
		c.teams = map[string]cachedBoard{}
	}
	c.teams[team] = cachedBoard{rev: rev, day: day, msg: copyMessage(msg)}
}

// copyMessage copies the slices of a message, so that what a caller does
// with its copy never reaches the cache.
func copyMessage(m domain.Message) domain.Message {
	m.Fields = slices.Clone(m.Fields)
	m.Buttons = slices.Clone(m.Buttons)
	m.Sections = slices.Clone(m.Sections)
	for i := range m.Sections {
		m.Sections[i].Lines = slices.Clone(m.Sections[i].Lines)
	}
	return m
}

// cachedBoardMessage is boardMessage, from the cache when the team has not
// changed since it was rendered (read-only commands only).
func (r *run) cachedBoardMessage() (domain.Message, error) {
	if !r.c.readOnly() {
		msg, _, err := r.boardMessage()
		return msg, err
	}
	rev, err := r.tx.TeamRev(r.team.ID)
	if err != nil {
		return domain.Message{}, err
	}
	if msg, ok := r.e.boards.get(r.team.ID, rev, r.day); ok {
		return msg, nil
	}
	msg, _, err := r.boardMessage()
	if err != nil {
		return domain.Message{}, err
	}
	r.e.boards.put(r.team.ID, rev, r.day, msg)
	return msg, nil
}
