// Package metrics counts what operators need to watch, in Prometheus form,
// and logs one line per request. It wraps the engine's Handler so every
// adapter is measured the same way; it knows nothing of Slack or Discord.
package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/sirupsen/logrus"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
)

// Metrics is one registry of safeload's metrics.
type Metrics struct {
	Registry    *prometheus.Registry
	Commands    *prometheus.CounterVec
	Latency     *prometheus.HistogramVec
	Deliveries  *prometheus.CounterVec
	Escalations *prometheus.CounterVec
	Panics      prometheus.Counter
}

// Options tune New.
type Options struct {
	// PerTeam labels the RAG counts by team (SAFELOAD_METRICS_TEAMS).
	PerTeam bool
}

// New registers every metric, the Go runtime's and the process's, plus the
// store's figures read at scrape time.
func New(st Source, opt ...Options) *Metrics {
	var o Options
	if len(opt) > 0 {
		o = opt[0]
	}
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "safeload_commands_total", Help: "Commands and button presses handled, by command and outcome.",
		}, []string{"command", "outcome"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "safeload_request_duration_seconds", Help: "Time to answer a command or button press.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"platform"}),
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "safeload_deliveries_total", Help: "Outbox delivery attempts, by platform and outcome (sent, retry, failed).",
		}, []string{"platform", "outcome"}),
		Escalations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "safeload_escalations_total", Help: "Escalations and reminders fired, by kind.",
		}, []string{"kind"}),
		Panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "safeload_panics_total", Help: "Requests whose handling panicked (answered as an internal error; the stack is in the log).",
		}),
	}
	m.Registry.MustRegister(m.Commands, m.Latency, m.Deliveries, m.Escalations, m.Panics,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if st != nil {
		m.Registry.MustRegister(&storeCollector{src: st, perTeam: o.PerTeam})
	}
	return m
}

// Delivered is a delivery.Loop Observe hook.
func (m *Metrics) Delivered(platform, outcome string) {
	m.Deliveries.WithLabelValues(platform, outcome).Inc()
}

// Escalated counts one escalation of a kind.
func (m *Metrics) Escalated(kind string) { m.Escalations.WithLabelValues(kind).Inc() }

// Handler wraps an engine handler: it counts, times and logs each request.
// Concern texts, tokens and secrets never reach the log: only the command's
// name, never its text.
type Handler struct {
	Next    engine.Handler
	Metrics *Metrics
	Log     logrus.FieldLogger
	seq     uint64
	mu      sync.Mutex
}

var _ engine.Handler = (*Handler)(nil)

// Handle runs the request and records it.
func (h *Handler) Handle(ctx context.Context, req engine.Request) engine.Response {
	start := time.Now()
	resp := h.Next.Handle(ctx, req)
	elapsed := time.Since(start)
	outcome := "ok"
	if resp.Code != "" {
		outcome = resp.Code
	}
	name := resp.Name
	if name == "" {
		name = "unknown"
	}
	if h.Metrics != nil {
		h.Metrics.Commands.WithLabelValues(name, outcome).Inc()
		h.Metrics.Latency.WithLabelValues(req.Platform).Observe(elapsed.Seconds())
		if resp.Panicked {
			h.Metrics.Panics.Inc()
		}
	}
	if h.Log != nil {
		id := req.InteractionID
		if id == "" {
			h.mu.Lock()
			h.seq++
			id = "r" + itoa(h.seq)
			h.mu.Unlock()
		}
		entry := h.Log.WithFields(logrus.Fields{
			"request_id": id, "platform": req.Platform, "team": resp.Team, "user": string(req.Caller),
			"command": name, "outcome": outcome, "latency_ms": float64(elapsed.Microseconds()) / 1000,
		})
		if resp.Panicked {
			entry.WithError(resp.Err).Error("request panicked")
		} else if resp.Code == domain.EINTERNAL {
			entry.WithError(resp.Err).Error("request failed")
		} else {
			entry.Info("request")
		}
	}
	return resp
}

func itoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
