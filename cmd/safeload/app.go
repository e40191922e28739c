package main

import (
	"context"
	"io"

	"github.com/sirupsen/logrus"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/internal/store"
	"github.com/safeload/safeload/prompts"
)

// app is the wired core every long-running sub-command shares: the store,
// the prompts and the engine over them.
type app struct {
	cfg     *Config
	log     *logrus.Logger
	clock   clock.Clock
	store   *store.DB
	prompts *prompts.Set
	engine  *engine.Engine
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
	st, err := store.Open(cfg.DB, store.Options{Clock: clk})
	if err != nil {
		return nil, err
	}
	eng := engine.New(st, &cfg.Policy, p, cfg.TZ, cfg.Admins)
	eng.AckWithin = cfg.AckWithin
	a := &app{cfg: cfg, log: c.newLogger(cfg), clock: clk, store: st, prompts: p, engine: eng, out: c.stdout}
	wireDigest(a)
	return a, nil
}

func (a *app) Close() error { return a.store.Close() }
