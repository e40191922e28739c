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
	"github.com/safeload/safeload/internal/httpsrv"
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
	// leaderOnly: run holds a connection only one replica may hold (the
	// Discord gateway); it runs on the leader.
	leaderOnly bool
}

// stopWithin is the one deadline of a stop (SIGTERM): requests in flight,
// answers still being finished, delivery, the scheduler and the admin
// socket all end within it, under the README's 10 s and systemd's
// TimeoutStopSec. What is not done by then stays in the store (the outbox,
// the clocks) for the next start.
const stopWithin = 9 * time.Second

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
	tuneGC(c.getenv)

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
	senders := map[string]delivery.Sender{}
	for _, p := range platforms {
		senders[p.name] = p.sender
	}
	loop := a.outboxLoop(senders)
	a.engine.Wake = loop.Wake

	mux := http.NewServeMux()
	mux.Handle("GET /healthz", a.healthz(platforms, loop))
	mux.Handle("GET /livez", livez())
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
	srv, ln := httpsrv.New(mux, ln, httpsrv.Defaults)
	names := []string{}
	for _, p := range platforms {
		names = append(names, p.name)
	}
	log.WithFields(logrus.Fields{"addr": ln.Addr().String(), "store": a.storeDesc(), "platforms": names, "version": version}).Info("safeload serving")

	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	var pln net.Listener
	if pprofAt != "" {
		if pln, err = net.Listen("tcp", pprofAt); err != nil {
			return c.fail(exitUsage, "bad configuration: SAFELOAD_PPROF_ADDR: %v", err)
		}
		log.WithField("addr", pln.Addr().String()).Info("profiler serving (SAFELOAD_PPROF_ADDR)")
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
	// With etcd, backup reads etcd itself: no replica needs an admin socket.
	if cfg.Store.Kind != "etcd" || cfg.AdminSocket != "" {
		adminLn, err := a.listenAdmin()
		if err != nil {
			return c.fail(exitUsage, "bad configuration: SAFELOAD_ADMIN_SOCKET: %v", err)
		}
		defer adminLn.Close()
		background("admin", func(ctx context.Context) error { a.serveAdmin(ctx, adminLn); return nil })
	}
	// The leader's work runs on one replica at a time (with bbolt, here).
	var leaderWork []func(context.Context)
	leaderTask := func(name string, fn func(context.Context) error) {
		leaderWork = append(leaderWork, func(ctx context.Context) {
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				log.WithError(err).WithField("component", name).Error("stopped")
			}
		})
	}
	if pln != nil {
		background("pprof", func(ctx context.Context) error { servePprof(ctx, pln); return nil })
	}
	leaderTask("delivery", func(ctx context.Context) error { loop.Run(ctx); return nil })
	for _, p := range platforms {
		switch {
		case p.run == nil:
		case p.leaderOnly:
			leaderTask(p.name, p.run)
		default:
			background(p.name, p.run)
		}
	}
	if sched := schedulerFor(a, loop.Wake); sched != nil {
		leaderTask("scheduler", sched)
	}
	background("leader", func(ctx context.Context) error { a.runLeader(ctx, leaderWork); return nil })

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
	// A store that cannot be reached must not hold the stop up for its
	// timeouts: background work still running a moment after it was told to
	// stop is waiting on the store, and its calls are ended.
	abort := func() {}
	if ab, ok := a.store.(interface{ Abort() }); ok {
		abort = ab.Abort
	}
	if !stop(log, srv, cancel, abort, &wg, stopWithin) {
		log.Warn("stopped at the deadline with work still running; it is in the store for the next start")
		return exitOK
	}
	log.Info("stopped; undelivered messages stay in the outbox for the next start")
	return exitOK
}

// stop ends serve within one deadline: the HTTP server gets half of it to
// finish the requests in flight, then the background work (platform
// connections and answers still being finished, delivery, scheduler, admin
// socket) is cancelled and waited for until the deadline; if it has not
// finished a second after it was cancelled, abort ends its calls to the
// store. It reports whether everything finished in time.
func stop(log logrus.FieldLogger, srv *http.Server, cancel context.CancelFunc, abort func(), wg *sync.WaitGroup, within time.Duration) bool {
	deadline := time.Now().Add(within)
	sctx, scancel := context.WithDeadline(context.Background(), deadline.Add(-within/2))
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.WithError(err).Warn("requests still in flight at shutdown")
		_ = srv.Close()
	}
	cancel()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	grace := time.NewTimer(min(time.Second, time.Until(deadline)))
	defer grace.Stop()
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	for {
		select {
		case <-done:
			return true
		case <-grace.C:
			abort()
		case <-t.C:
			return false
		}
	}
}
