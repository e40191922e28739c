package engine

import "time"

// workerIdle is how long a goroutine that ran a request waits for the next
// one before it ends.
const workerIdle = 10 * time.Second

// work hands a function to a goroutine that is waiting for one. It is
// unbuffered: a send succeeds only when a worker is idle, so nothing ever
// queues behind a busy request.
var work = make(chan func())

// goWork runs f on a goroutine of its own, as `go f()` does, but reuses an
// idle one when there is one. A request's goroutine grows its stack to the
// depth of a command (the store's reads, JSON, templates) and a new
// goroutine starts small, so every request on a new goroutine paid for
// copying its stack several times as it grew; a reused one has grown
// already.
func goWork(f func()) {
	select {
	case work <- f:
	default:
		go worker(f)
	}
}

func worker(f func()) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		f()
		f = nil // nothing of the last request stays reachable while idle
		idle.Reset(workerIdle)
		select {
		case f = <-work:
		case <-idle.C:
			return
		}
	}
}
