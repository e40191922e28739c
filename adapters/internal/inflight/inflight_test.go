package inflight

import (
	"sync"
	"testing"
)

// Wait may run while answers start and finish (go test -race checks it).
func TestWaitWhileAdding(t *testing.T) {
	var c Counter
	c.Wait() // nothing in flight: returns at once
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(2)
		go func() { defer wg.Done(); c.Add(); c.Done() }()
		go func() { defer wg.Done(); c.Wait() }()
	}
	wg.Wait()
	c.Add()
	done := make(chan struct{})
	go func() { c.Wait(); close(done) }()
	select {
	case <-done:
		t.Fatal("Wait returned with an answer in flight")
	default:
	}
	c.Done()
	<-done
}
