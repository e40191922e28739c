package engine

import (
	"context"
	"sync"
	"testing"
)

// Every function handed to goWork runs at once, side by side, however many
// are running already: none waits for a worker to be free.
func TestGoWorkNeverQueues(t *testing.T) {
	for round := 0; round < 3; round++ { // later rounds reuse the first round's workers
		const n = 50
		var started, finished sync.WaitGroup
		started.Add(n)
		finished.Add(n)
		release := make(chan struct{})
		for i := 0; i < n; i++ {
			goWork(func() {
				defer finished.Done()
				started.Done()
				<-release // held until all n have started: a queued one would never start
			})
		}
		started.Wait()
		close(release)
		finished.Wait()
	}
}

type blockingHandler struct{ release chan struct{} }

func (h blockingHandler) Handle(context.Context, Request) Response {
	<-h.release
	return Response{Name: "late"}
}

// A request not answered in time is answered later through the channel,
// from the goroutine that goes on running it.
func TestAnswerWithinLater(t *testing.T) {
	h := blockingHandler{release: make(chan struct{})}
	_, ok, later := AnswerWithin(context.Background(), h, Request{}, 0)
	if ok || later == nil {
		t.Fatalf("ok %v, later %v: a request still running must be answered later", ok, later)
	}
	close(h.release)
	if resp := <-later; resp.Name != "late" {
		t.Fatalf("later answer %+v", resp)
	}
	resp, ok, _ := AnswerWithin(context.Background(), handlerOf(Response{Name: "now"}), Request{}, 1<<62)
	if !ok || resp.Name != "now" {
		t.Fatalf("in time: ok %v, %+v", ok, resp)
	}
}

type handlerOf Response

func (h handlerOf) Handle(context.Context, Request) Response { return Response(h) }
