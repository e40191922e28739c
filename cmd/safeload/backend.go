package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/store"
	"github.com/safeload/safeload/internal/store/etcdstore"
)

// backend is the store the process runs on: the bbolt file, or etcd.
type backend interface {
	domain.Store
	Stats() (store.Stats, error)
	Backup(path string) error
	// Snapshot streams a bbolt file of one consistent state to w, calling
	// start with its size first.
	Snapshot(w io.Writer, start func(size int64) error) (int64, error)
}

var (
	_ backend = (*store.DB)(nil)
	_ backend = (*etcdstore.Store)(nil)
)

// openStore opens the configured store; readOnly for commands that only
// read (export, digest --dry-run, backup).
func openStore(cfg *Config, clk clock.Clock, readOnly bool) (backend, error) {
	if clk == nil {
		clk = clock.Real{}
	}
	if cfg.Store.Kind == "etcd" {
		return openEtcd(cfg, clk, cfg.Store.Prefix, readOnly)
	}
	return store.Open(cfg.DB, store.Options{Clock: clk, ReadOnly: readOnly})
}

// etcdTimeout bounds one action's calls to etcd: chat platforms drop an
// interaction not answered within 3 seconds, so a command that cannot
// reach etcd must say so before then.
const etcdTimeout = 2 * time.Second

func openEtcd(cfg *Config, clk clock.Clock, prefix string, noPrepare bool) (*etcdstore.Store, error) {
	return etcdstore.Open(etcdstore.Options{
		Endpoints: cfg.Store.Endpoints, Prefix: prefix, TLS: cfg.Store.TLS,
		Username: cfg.Store.Username, Password: cfg.Store.Password, Clock: clk, NoPrepare: noPrepare,
		Timeout: etcdTimeout,
	})
}

// leadership is whether this replica runs the clocks, the digest, outbox
// delivery and the Discord gateway. With bbolt the one process always does.
type leadership struct{ on atomic.Bool }

func (l *leadership) leading() bool { return l.on.Load() }

// registerLeader adds the safeload_leader gauge.
func (a *app) registerLeader() {
	a.metrics.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "safeload_leader",
		Help: "1 while this replica is the leader (runs clocks, digests, outbox delivery and the Discord gateway), else 0.",
	}, func() float64 {
		if a.lead.leading() {
			return 1
		}
		return 0
	}))
}

// registerSpeculation counts, on a bbolt store, what became of the writes
// run first on a snapshot: applied as run, run again because something
// they read had changed (stale), run in the commit (bailed), or refused.
func (a *app) registerSpeculation() {
	db, ok := a.store.(*store.DB)
	if !ok {
		return
	}
	for _, r := range []struct {
		result string
		count  func(store.SpecStats) uint64
	}{
		{"applied", func(s store.SpecStats) uint64 { return s.Applied }},
		{"stale", func(s store.SpecStats) uint64 { return s.Stale }},
		{"bailed", func(s store.SpecStats) uint64 { return s.Bailed }},
		{"refused", func(s store.SpecStats) uint64 { return s.Refused }},
	} {
		a.metrics.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "safeload_speculative_writes_total",
			Help:        "Write commands run first on a snapshot, by result: applied, stale (what they read had changed: run again), bailed (run in the commit), refused.",
			ConstLabels: prometheus.Labels{"result": r.result},
		}, func() float64 { return float64(r.count(db.SpecStats())) }))
	}
}

// backendName is "bolt" or "etcd", for /healthz.
func (a *app) backendName() string {
	if a.cfg.Store.Kind == "etcd" {
		return "etcd"
	}
	return "bolt"
}

// runLeader runs the leader's work: at once with bbolt, and with etcd
// only while this replica wins the election, stopping the moment it loses.
func (a *app) runLeader(ctx context.Context, work []func(ctx context.Context)) {
	runAll := func(ctx context.Context) {
		a.lead.on.Store(true)
		defer a.lead.on.Store(false)
		var wg sync.WaitGroup
		for _, w := range work {
			wg.Add(1)
			go func() { defer wg.Done(); w(ctx) }()
		}
		wg.Wait()
	}
	es, ok := a.store.(*etcdstore.Store)
	if !ok {
		runAll(ctx)
		return
	}
	host, _ := os.Hostname()
	id := fmt.Sprintf("%s/%d", host, os.Getpid())
	es.Lead(ctx, a.cfg.Store.LeaderTTL, id, func(lctx context.Context) {
		a.log.WithField("replica", id).Info("leading: running clocks, digests, delivery")
		runAll(lctx)
		if ctx.Err() == nil {
			a.log.WithField("replica", id).Warn("no longer leading")
		}
	})
}

// runCopy is `safeload copy --from bolt:FILE --to etcd` and back: the whole
// store, all or nothing, into an empty target.
func (c *cli) runCopy(args []string) int {
	fs := flag.NewFlagSet("copy", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	from := fs.String("from", "", "bolt:FILE or etcd")
	to := fs.String("to", "", "etcd or bolt:FILE")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	usage := "usage: safeload copy --from bolt:FILE --to etcd, or --from etcd --to bolt:FILE (etcd as SAFELOAD_ETCD_* configure it)"
	if fs.NArg() != 0 {
		return c.fail(exitUsage, "%s", usage)
	}
	fromFile, fromBolt := strings.CutPrefix(*from, "bolt:")
	toFile, toBolt := strings.CutPrefix(*to, "bolt:")
	switch {
	case fromBolt && fromFile != "" && *to == "etcd":
	case *from == "etcd" && toBolt && toFile != "":
	default:
		return c.fail(exitUsage, "%s", usage)
	}
	cfg, code, ok := c.config()
	if !ok {
		return code
	}
	if len(cfg.Store.Endpoints) == 0 {
		return c.fail(exitUsage, "bad configuration: SAFELOAD_ETCD_ENDPOINTS: copy needs the etcd client URLs (and SAFELOAD_STORE=etcd)")
	}
	es, err := openEtcd(cfg, nil, cfg.Store.Prefix, true)
	if err != nil {
		return c.fail(exitFailed, "%v", err)
	}
	defer es.Close()
	if fromBolt {
		db, err := store.Open(fromFile, store.Options{ReadOnly: true, Timeout: 300 * time.Millisecond})
		if err != nil {
			return c.fail(exitFailed, "copy: %v", err)
		}
		defer db.Close()
		if err := es.CopyFrom(db.ViewKV); err != nil {
			return c.fail(exitFailed, "copy: nothing was copied: %v", err)
		}
		fmt.Fprintf(c.stdout, "copied %s to etcd under %s\n", fromFile, es.Prefix())
		return exitOK
	}
	if err := es.CopyTo(toFile); err != nil {
		return c.fail(exitFailed, "copy: nothing was copied: %v", err)
	}
	fmt.Fprintf(c.stdout, "copied etcd under %s to %s\n", es.Prefix(), toFile)
	return exitOK
}

// storeDesc names the store in the start-up log line.
func (a *app) storeDesc() string {
	if a.cfg.Store.Kind == "etcd" {
		return "etcd " + strings.Join(a.cfg.Store.Endpoints, ",") + " " + a.cfg.Store.Prefix
	}
	return a.cfg.DB
}

// backupEtcd writes a bbolt file of the etcd store at one revision, while
// replicas serve.
func (c *cli) backupEtcd(cfg *Config, dst string) int {
	es, err := openEtcd(cfg, nil, cfg.Store.Prefix, true)
	if err != nil {
		return c.fail(exitFailed, "%v", err)
	}
	defer es.Close()
	if err := es.Backup(dst); err != nil {
		return c.fail(exitFailed, "%v", err)
	}
	fmt.Fprintf(c.stdout, "backup of etcd under %s written to %s\n", es.Prefix(), dst)
	return exitOK
}

// healthTimeout bounds how long /healthz waits for etcd.
const healthTimeout = 2 * time.Second

// reachable asks etcd, when the store is on it, for a linearizable read
// within healthTimeout; bbolt is always reachable.
func (a *app) reachable(ctx context.Context) error {
	es, ok := a.store.(*etcdstore.Store)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	return es.Healthy(ctx)
}
