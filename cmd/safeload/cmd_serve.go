package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/sirupsen/logrus"

	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/domain"
)

// platform is one chat platform as serve sees it: its HTTP routes, its
// outbox sender, and an optional long-lived connection (Slack Socket Mode,
// Discord gateway). Each adapter's cmd_*.go file builds one from the config.
type platform struct {
	name   string
	routes map[string]http.Handler
	sender delivery.Sender
	// run, when set, holds the connection open until ctx ends.
	run func(ctx context.Context) error
	// connected, when set, reports whether the connection is up (healthz).
	connected func() bool
}

// shutdownGrace bounds how long requests in flight may take to finish.
const shutdownGrace = 8 * time.Second

func (c *cli) runServe(args []string) int {
	if len(args) > 0 {
		return c.fail(exitUsage, "serve takes no arguments; it is configured from the environment (see README.md)")
	}
	cfg, code, ok := c.config()
	if !ok {
		return code
	}
	a, err := c.openApp(cfg, nil)
	if err != nil {
		var ce *configError
		if errors.As(err, &ce) {
			return c.fail(exitUsage, "bad configuration: %v", err)
		}
		return c.fail(exitFailed, "%v", err)
	}
	defer a.Close()
	log := a.log

	var platforms []*platform
	for _, build := range []func(*app) (*platform, error){slackPlatform, discordPlatform, teamsPlatform} {
		p, err := build(a)
		if err != nil {
			return c.fail(exitUsage, "bad configuration: %v", err)
		}
		if p != nil {
			platforms = append(platforms, p)
		}
	}

	// The outbox: every message for someone other than the caller.
	loop := &delivery.Loop{Store: a.store, Clock: a.clock, Log: log.WithField("component", "delivery"),
		Senders: map[string]delivery.Sender{}, Admins: a.engine.Admins,
		Notice: func(it *domain.OutboxItem, err error) domain.Message {
			return domain.Message{Text: a.prompts.Say("delivery.failed", map[string]any{"Dest": it.Dest, "Kind": it.Kind, "Err": err.Error()})}
		}}
	for _, p := range platforms {
		loop.Senders[p.name] = p.sender
	}
	a.engine.Wake = loop.Wake

	loop.Observe = a.metrics.Delivered

	mux := http.NewServeMux()
	mux.Handle("GET /healthz", a.healthz(platforms))
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.metrics.Registry, promhttp.HandlerOpts{}))
	for _, p := range platforms {
		for path, h := range p.routes {
			mux.Handle("POST "+path, h)
		}
	}

	pprofAt, err := pprofAddr(c.getenv)
	if err != nil {
		return c.fail(exitUsage, "bad configuration: %v", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return c.fail(exitUsage, "bad configuration: SAFELOAD_ADDR: %v", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	names := []string{}
	for _, p := range platforms {
		names = append(names, p.name)
	}
	log.WithFields(logrus.Fields{"addr": ln.Addr().String(), "db": cfg.DB, "platforms": names}).Info("safeload serving")

	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	adminLn, err := a.listenAdmin()
	if err != nil {
		return c.fail(exitUsage, "bad configuration: SAFELOAD_ADMIN_SOCKET: %v", err)
	}
	defer adminLn.Close()
	go a.serveAdmin(ctx, adminLn)
	if pprofAt != "" {
		pln, err := net.Listen("tcp", pprofAt)
		if err != nil {
			return c.fail(exitUsage, "bad configuration: SAFELOAD_PPROF_ADDR: %v", err)
		}
		log.WithField("addr", pln.Addr().String()).Info("profiler serving (SAFELOAD_PPROF_ADDR)")
		go servePprof(ctx, pln)
	}
	var wg sync.WaitGroup
	background := func(name string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				log.WithError(err).WithField("component", name).Error("stopped")
			}
		}()
	}
	background("delivery", func(ctx context.Context) error { loop.Run(ctx); return nil })
	for _, p := range platforms {
		if p.run != nil {
			background(p.name, p.run)
		}
	}
	if sched := schedulerFor(a, loop.Wake); sched != nil {
		background("scheduler", sched)
	}

	if c.ready != nil {
		c.ready(ln.Addr().String())
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		cancel()
		wg.Wait()
		return c.fail(exitFailed, "http server: %v", err)
	case <-c.ctx.Done():
	}
	log.Info("stopping: finishing requests in flight")
	sctx, scancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.WithError(err).Warn("requests still in flight at shutdown")
	}
	cancel()
	wg.Wait()
	log.Info("stopped; undelivered messages stay in the outbox for the next start")
	return exitOK
}
