package main

import (
	"context"
	"io"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/internal/metrics"
	"github.com/safeload/safeload/prompts"
)

// app is the wired core every long-running sub-command shares: the store,
// the prompts and the engine over them.
type app struct {
	cfg     *Config
	log     *logrus.Logger
	clock   clock.Clock
	store   backend
	lead    leadership
	prompts *prompts.Set
	engine  *engine.Engine
	// handler is the engine as adapters must call it: counted, timed and
	// logged one line per request.
	handler engine.Handler
	metrics *metrics.Metrics
	out     io.Writer
	// scheduleOnce runs the scheduler's clocks once at the clock's time, and
	// digestNow posts every team's digest; both are set by wireDigest.
	scheduleOnce func(ctx context.Context) error
	digestNow    func(ctx context.Context) error
}

// openApp loads the prompts (a broken one stops start-up), opens the store
// and builds the engine.
func (c *cli) openApp(cfg *Config, clk clock.Clock) (*app, error) {
	if clk == nil {
		clk = clock.Real{}
	}
	p, err := prompts.Load(cfg.PromptsDir)
	if err != nil {
		return nil, &configError{"SAFELOAD_PROMPTS", err.Error()}
	}
	st, err := openStore(cfg, clk, false)
	if err != nil {
		return nil, err
	}
	eng := engine.New(st, &cfg.Policy, p, cfg.TZ, cfg.Admins)
	eng.AckWithin = cfg.AckWithin
	a := &app{cfg: cfg, log: c.newLogger(cfg), clock: clk, store: st, prompts: p, engine: eng, out: c.stdout}
	a.metrics = metrics.New(storeSource{a}, metrics.Options{PerTeam: cfg.MetricsTeams})
	a.registerLeader()
	a.registerSpeculation()
	if cfg.Store.Kind != "etcd" {
		a.lead.on.Store(true) // the one process that owns the bbolt file
	}
	a.handler = &metrics.Handler{Next: eng, Metrics: a.metrics, Log: a.log.WithField("component", "engine")}
	wireDigest(a)
	return a, nil
}

func (a *app) Close() error { return a.store.Close() }

// outboxLoop is the one way the outbox is delivered (serve, and digest's
// deliver-now): through the senders given, the admins told privately of a
// message that failed for good, Retry-After capped by the policy, every
// outcome counted.
func (a *app) outboxLoop(senders map[string]delivery.Sender) *delivery.Loop {
	return &delivery.Loop{Store: a.store, Clock: a.clock, Log: a.log.WithField("component", "delivery"),
		Senders: senders, Admins: a.engine.Admins, Observe: a.metrics.Delivered,
		MaxWait: time.Duration(a.cfg.Policy.RetryAfterMaxMinutes) * time.Minute,
		Notice: func(it *domain.OutboxItem, err error) domain.Message {
			return domain.Message{Text: a.prompts.Say("delivery.failed", map[string]any{"Dest": it.Dest, "Kind": it.Kind, "Err": err.Error()})}
		}}
}

// storeSource feeds the metrics from the store at scrape time.
type storeSource struct{ a *app }

func (s storeSource) Outbox() (int, time.Duration, error) {
	st, err := s.a.store.Stats()
	if err != nil {
		return 0, 0, err
	}
	var age time.Duration
	if !st.OutboxOldest.IsZero() {
		age = s.a.clock.Now().Sub(st.OutboxOldest)
	}
	return st.OutboxDepth, age, nil
}

func (s storeSource) RAGCounts() (map[string]map[domain.RAG]int, error) {
	return metrics.RAGCounts(s.a.store, &s.a.cfg.Policy, s.a.cfg.TZ)
}
