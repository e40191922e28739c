package store

import (
	"errors"
	"runtime/debug"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/safeload/safeload/internal/domain"
)

// maxGroup bounds how many actions share one commit.
const maxGroup = 256

// ErrClosed is returned for work sent to a closed store.
var ErrClosed = errors.New("the store is closed")

type groupCall struct {
	fn  func(domain.Tx) error
	err chan error
}

// grouper commits concurrent actions together: while one commit (and its
// fsync) is under way, the actions that arrive queue up, and the next commit
// takes them all. A lone writer waits for nobody (unlike bbolt's Batch,
// which holds every batch for a timer), and 64 writers share fsyncs.
type grouper struct {
	once   sync.Once
	mu     sync.RWMutex
	closed bool
	ch     chan groupCall
	done   chan struct{}
}

// Group runs fn in a transaction shared with other concurrent actions. It
// keeps Update's promise: fn's writes commit all together or not at all, and
// an error from fn (a refusal) discards fn's writes only. fn may run more
// than once, so it must not have effects outside the transaction.
func (db *DB) Group(fn func(domain.Tx) error) error {
	g := &db.group
	g.once.Do(func() {
		g.ch = make(chan groupCall, maxGroup)
		g.done = make(chan struct{})
		go db.commitLoop()
	})
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return ErrClosed
	}
	c := groupCall{fn: fn, err: make(chan error, 1)}
	g.ch <- c
	g.mu.RUnlock()
	return <-c.err
}

func (db *DB) commitLoop() {
	defer close(db.group.done)
	for c := range db.group.ch {
		calls := []groupCall{c}
	drain:
		for len(calls) < maxGroup {
			select {
			case c, ok := <-db.group.ch:
				if !ok {
					break drain
				}
				calls = append(calls, c)
			default:
				break drain
			}
		}
		db.commitGroup(calls)
	}
}

// commitGroup runs the calls in order in one transaction. When one fails,
// the transaction is rolled back, that call gets its error (it saw exactly
// the state it would have seen had the calls run one by one), and the
// others run again without it.
func (db *DB) commitGroup(calls []groupCall) {
	for len(calls) > 0 {
		failed, failErr := -1, error(nil)
		err := db.bolt.Update(func(btx *bolt.Tx) error {
			now := db.clock.Now()
			for i, c := range calls {
				if err := safely(c.fn, &Tx{tx: btx, now: now}); err != nil {
					failed, failErr = i, err
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			calls[failed].err <- failErr
			calls = append(calls[:failed], calls[failed+1:]...)
			continue
		}
		for _, c := range calls {
			c.err <- err
		}
		return
	}
}

func safely(fn func(domain.Tx) error, tx domain.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &domain.PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return fn(tx)
}

// stop ends the commit loop after the queued calls are done.
func (g *grouper) stop() {
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
