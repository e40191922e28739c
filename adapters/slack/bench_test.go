package slack

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/safeload/safeload/adapters/slack/fakeslack"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/prompts"
)

// benchTeam is the harness with the load generator's team in one channel:
// a manager and 45 practitioners, with 90 allocated open cases between
// them, set up through the engine directly.
func benchTeam(b *testing.B) *harness {
	b.Helper()
	h := newHarness(b)
	h.logger.SetLevel(0) // panic only: a served answer writes no log entry, as in production
	ch := h.Channel()
	do := func(as, command, text string) {
		resp := h.eng.Handle(context.Background(), engine.Request{Platform: "slack", Channel: ch,
			Caller: domain.PersonID("slack:" + as), Command: command, Text: text})
		if resp.Code != "" {
			b.Fatalf("/%s %s as %s was refused (%s): %v", command, text, as, resp.Code, resp.Messages)
		}
	}
	do("UADMIN", "caseload", "setup Bench Team")
	do("UADMIN", "caseload", "add <@UMGR|Manager> manager")
	for i := 0; i < 45; i++ {
		do("UMGR", "caseload", fmt.Sprintf("add <@UP%02d|Practitioner %02d> practitioner", i, i))
	}
	for i := 0; i < 90; i++ {
		ref, p := fmt.Sprintf("B-%d", i), fmt.Sprintf("UP%02d", i%45)
		do("UMGR", "caseload", "case add "+ref+" review")
		do("UMGR", "allocate", ref+" <@"+p+">")
		do(p, "allocate", "accept "+ref)
	}
	return h
}

// benchWriter is a ResponseWriter that keeps the last answer, reused so
// that the benchmark counts the adapter's allocations, not a recorder's.
type benchWriter struct {
	h    http.Header
	code int
	body bytes.Buffer
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) WriteHeader(code int)        { w.code = code }
func (w *benchWriter) Write(p []byte) (int, error) { return w.body.Write(p) }
func (w *benchWriter) Flush()                      {}

func (w *benchWriter) reset() {
	clear(w.h)
	w.code = http.StatusOK
	w.body.Reset()
}

// benchCommand serves one signed slash command per iteration through the
// commands endpoint, as Slack sends it (a fresh trigger_id each time, so
// that none is dropped as a replay). Building the signed request is not
// timed.
func benchCommand(b *testing.B, h *harness, as, command, text string) {
	handler := h.ad.CommandsHandler()
	w := &benchWriter{h: http.Header{}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		body := h.commandForm(domain.PersonID("slack:"+as), command, text, "https://hooks.slack.invalid/commands/1")
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, "/slack/commands", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range fakeslack.SignedHeaders(testSecret, h.clock.Now(), body) {
			r.Header.Set(k, v)
		}
		r.ContentLength = int64(len(body))
		w.reset()
		b.StartTimer()
		handler.ServeHTTP(w, r)
		b.StopTimer()
		if w.code != http.StatusOK || w.body.Len() == 0 {
			b.Fatalf("/%s %s: status %d, body %q", command, text, w.code, w.body.String())
		}
		h.ad.Wait()
		b.StartTimer()
	}
}

// BenchmarkAnswerBoard is /caseload board through the HTTP endpoint: the
// signature, the form, the engine (its board cached) and the immediate
// answer's Block Kit and JSON.
func BenchmarkAnswerBoard(b *testing.B) {
	h := benchTeam(b)
	benchCommand(b, h, "UP00", "caseload", "board")
}

// BenchmarkAnswerCapacity is a practitioner's own /capacity through the
// HTTP endpoint.
func BenchmarkAnswerCapacity(b *testing.B) {
	h := benchTeam(b)
	benchCommand(b, h, "UP00", "capacity", "")
}

// BenchmarkRenderAck is the adapter's own share of an answer: the engine's
// message rendered to Block Kit and its immediate answer written, for the
// board (45 lines) and a practitioner's /capacity, with the answer written
// directly (ack) and through encoding/json (ackJSON, as before).
func BenchmarkRenderAck(b *testing.B) {
	capacity := domain.Message{Title: "Your workload", Text: "🟢 7.1 %: 6 of 85 points, 2 cases. Green, with room.", RAG: domain.Green,
		Sections: []domain.Section{{Title: "Cases held (2)", Lines: []domain.Line{{Text: "B-0: review, 3 points"}, {Text: "B-45: review, 3 points"}}},
			{Title: "Caseload review in supervision", Lines: []domain.Line{{Text: "Not reviewed here yet. Next review due by Mon 15 Feb 2027."}}}}}
	r := renderer{p: prompts.MustLoad()}
	for _, c := range []struct {
		name string
		m    domain.Message
	}{{"board", goldenMessages()[0]}, {"capacity", capacity}} {
		b.Run(c.name+"/ack", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if r.render(c.m)[0].ack() == nil {
					b.Fatal("no answer")
				}
			}
		})
		b.Run(c.name+"/ackJSON", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if ackJSON(r.render(c.m)[0].webhook()) == nil {
					b.Fatal("no answer")
				}
			}
		})
	}
}
