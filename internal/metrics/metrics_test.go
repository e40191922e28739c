package metrics

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
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
