package metrics

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/internal/enginetest"
)

type answer engine.Response

func (a answer) Handle(context.Context, engine.Request) engine.Response { return engine.Response(a) }

// A panicked request is counted and logged with its request id.
func TestPanicCountedAndLogged(t *testing.T) {
	m := New(nil)
	var buf bytes.Buffer
	log := logrus.New()
	log.SetOutput(&buf)
	h := &Handler{Next: answer{Name: "caseload.board", Code: domain.EINTERNAL, Panicked: true,
		Err: &domain.PanicError{Value: "boom", Stack: []byte("stack")}}, Metrics: m, Log: log}
	h.Handle(context.Background(), engine.Request{Platform: "slack", InteractionID: "T123"})
	if got := counter(t, m, "safeload_panics_total"); got != 1 {
		t.Fatalf("safeload_panics_total = %v", got)
	}
	if out := buf.String(); !strings.Contains(out, "T123") || !strings.Contains(out, "boom") {
		t.Fatalf("log %q lacks the request id or the panic", out)
	}
}

func counter(t *testing.T, m *Metrics, name string) float64 {
	t.Helper()
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, f := range fams {
		if f.GetName() == name {
			for _, mt := range f.GetMetric() {
				sum += mt.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// RAGCounts counts each team's practitioners by colour, from open cases.
func TestRAGCounts(t *testing.T) {
	env := enginetest.New(t, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), "test:admin")
	st, pol, eng := env.Store, env.Policy, env.Engine
	for _, c := range [][3]string{
		{"admin", "caseload", "setup North"}, {"admin", "caseload", "add <@alice|Alice> practitioner"},
		{"admin", "caseload", "add <@bo|Bo> practitioner fte=0.1"}, {"admin", "caseload", "case add C-1 proceedings court"},
		{"admin", "allocate", "C-1 <@bo> override review=2w court next week"}, {"bo", "allocate", "accept C-1"},
	} {
		resp := eng.Handle(context.Background(), engine.Request{Platform: "test", Channel: "test:C1", Caller: domain.PersonID("test:" + c[0]), Command: c[1], Text: c[2]})
		if resp.Code != "" {
			t.Fatalf("/%s %s: %s %v", c[1], c[2], resp.Code, resp.Messages)
		}
	}
	got, err := RAGCounts(st, pol, env.Loc)
	if err != nil {
		t.Fatal(err)
	}
	if n := got["north"]; n[domain.Green] != 1 || n[domain.Red] != 1 || len(got) != 1 {
		t.Fatalf("RAGCounts = %v", got)
	}
}
