package store

import (
	"errors"
	"runtime/debug"
	"slices"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/safeload/safeload/internal/domain"
)

// maxGroup bounds how many actions share one commit.
const maxGroup = 256

// ErrClosed is returned for work sent to a closed store.
var ErrClosed = errors.New("the store is closed")

// Call is one action waiting for a shared commit: its function, and where
// its answer goes.
type Call struct {
	Fn  func(domain.Tx) error
	Err chan error
}

// Grouper commits concurrent actions together: while one commit (and its
// fsync, or its etcd round trip) is under way, the actions that arrive queue
// up, and the next commit takes them all, up to Max. A lone writer waits for
// nobody (unlike bbolt's Batch, which holds every batch for a timer), and 64
// writers share commits. Both stores use it; each brings its own Commit.
type Grouper struct {
	// Max bounds how many actions one call of Commit gets.
	Max int
	// Commit runs the calls and sends each its answer.
	Commit func(calls []Call)

	once   sync.Once
	mu     sync.RWMutex
	closed bool
	ch     chan Call
	done   chan struct{}
}

// Submit queues fn for the next shared commit and waits for its answer.
func (g *Grouper) Submit(fn func(domain.Tx) error) error {
	g.once.Do(func() {
		g.ch = make(chan Call, g.Max)
		g.done = make(chan struct{})
		go g.loop()
	})
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return ErrClosed
	}
	c := Call{Fn: fn, Err: make(chan error, 1)}
	g.ch <- c
	g.mu.RUnlock()
	return <-c.Err
}

func (g *Grouper) loop() {
	defer close(g.done)
	for c := range g.ch {
		calls := []Call{c}
	drain:
		for len(calls) < g.Max {
			select {
			case c, ok := <-g.ch:
				if !ok {
					break drain
				}
				calls = append(calls, c)
			default:
				break drain
			}
		}
		g.Commit(calls)
	}
}

// Stop ends the commit loop after the queued calls are done; later calls
// of Submit get ErrClosed.
func (g *Grouper) Stop() {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return
	}
	g.closed = true
	ch := g.ch
	g.mu.Unlock()
	if ch != nil {
		close(ch)
		<-g.done
	}
}

// Group runs fn in a transaction shared with other concurrent actions. It
// keeps Update's promise: fn's writes commit all together or not at all, and
// an error from fn (a refusal) discards fn's writes only. fn may run more
// than once, so it must not have effects outside the transaction.
func (db *DB) Group(fn func(domain.Tx) error) error { return db.group.Submit(fn) }

// commitGroup runs the calls in order in one transaction. When one fails,
// the transaction is rolled back, that call gets its error (it saw exactly
// the state it would have seen had the calls run one by one), and the
// others run again without it.
func (db *DB) commitGroup(calls []Call) {
	var passed []bool
	for len(calls) > 0 {
		failed, failErr := -1, error(nil)
		passed = slices.Grow(passed[:0], len(calls))[:len(calls)]
		err := db.bolt.Update(func(btx *bolt.Tx) error {
			now := db.clock.Now()
			for i, c := range calls {
				err := Safely(c.Fn, &Tx{tx: boltKV{btx, &db.alloc}, now: now})
				passed[i] = errors.Is(err, errPassed)
				if err != nil && !passed[i] {
					failed, failErr = i, err
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			calls[failed].Err <- failErr
			calls = append(calls[:failed], calls[failed+1:]...)
			continue
		}
		for i, c := range calls {
			if passed[i] {
				c.Err <- errPassed
			} else {
				c.Err <- err
			}
		}
		return
	}
}

// errPassed is a call's way of leaving a shared commit having written
// nothing (a speculative write whose reads had changed): the others commit
// without it, and it gets errPassed back.
var errPassed = errors.New("passed its turn in the shared commit")

// Safely runs fn on tx, turning a panic into a domain.PanicError, so that a
// bug in one action fails that action and not the commit loop.
func Safely(fn func(domain.Tx) error, tx domain.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &domain.PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return fn(tx)
}
