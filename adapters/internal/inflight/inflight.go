// Package inflight counts the answers an adapter is still finishing after
// their request was answered, so that shutdown (and tests) can wait for
// them. Unlike a bare sync.WaitGroup it may be waited for while new
// requests still arrive, as they do while a server stops.
package inflight

import "sync"

// Counter is the count. The zero value is ready to use.
type Counter struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n falls to 0
}

// Add counts one more answer being finished.
func (c *Counter) Add() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == 0 {
		c.idle = make(chan struct{})
	}
	c.n++
}

// Done counts one answer finished.
func (c *Counter) Done() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n--
	if c.n == 0 {
		close(c.idle)
	}
}

// Wait blocks until no answer is being finished.
func (c *Counter) Wait() {
	c.mu.Lock()
	if c.n == 0 {
		c.mu.Unlock()
		return
	}
	idle := c.idle
	c.mu.Unlock()
	<-idle
}
