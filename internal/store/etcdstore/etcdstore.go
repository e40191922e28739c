// Package etcdstore keeps safeload's state in an etcd cluster, so that
// several replicas can serve one deployment. It runs the same typed
// transaction as the bbolt store (store.Tx) over an emulation of bbolt's
// nested buckets (see kv.go for the key layout), so every typed method works
// on both.
//
// Each action is one etcd transaction: its reads are at one revision, its
// writes are buffered, and the commit applies them only when no other write
// committed since that revision (a compare on the deployment's commit key);
// on a conflict the action runs again at the newer revision, a bounded
// number of times. That makes every action serializable across replicas: the
// same button pressed on two replicas at once has exactly one winner, and the
// other run sees the result. A read-only view reads one revision.
package etcdstore

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
	"go.uber.org/zap"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/store"
)

// Options configure Open.
type Options struct {
	Endpoints []string
	// Prefix is where every key of the deployment lives (default "/safeload/").
	Prefix   string
	TLS      *tls.Config
	Username string
	Password string
	// Clock stamps every transaction (default the wall clock).
	Clock clock.Clock
	// Timeout bounds one transaction's calls to etcd (default 5s).
	Timeout time.Duration
	// MaxTxnOps is the most operations the server takes in one transaction
	// (etcd's --max-txn-ops, default 128); concurrent actions share a
	// commit up to it.
	MaxTxnOps int
	// NoPrepare opens without creating the buckets (copy checks the
	// target is empty first; backup and export only read).
	NoPrepare bool
}

// DefaultPrefix is the prefix when none is configured.
const DefaultPrefix = "/safeload/"

// maxAttempts bounds how often an action runs again after a conflict.
const maxAttempts = 24

// Store is a domain.Store on etcd.
type Store struct {
	cli     *clientv3.Client
	prefix  string
	clock   clock.Clock
	timeout time.Duration
	maxOps  int
	group   store.Grouper
	// base is the parent of every call to etcd; Abort cancels it.
	base  context.Context
	abort context.CancelFunc
	// sess holds the writers' lock's lease.
	sessMu sync.Mutex
	sess   *concurrency.Session
}

var _ domain.Store = (*Store)(nil)

// Open connects to etcd and, unless opt.NoPrepare, creates the buckets and
// brings the schema up to date. It fails when etcd cannot be reached
// within opt.Timeout.
func Open(opt Options) (*Store, error) {
	if len(opt.Endpoints) == 0 {
		return nil, errors.New("etcd store: no endpoints")
	}
	if opt.Prefix == "" {
		opt.Prefix = DefaultPrefix
	}
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 5 * time.Second
	}
	if opt.MaxTxnOps <= 0 {
		opt.MaxTxnOps = 128
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:            opt.Endpoints,
		TLS:                  opt.TLS,
		Username:             opt.Username,
		Password:             opt.Password,
		DialTimeout:          opt.Timeout,
		DialKeepAliveTime:    5 * time.Second,
		DialKeepAliveTimeout: 3 * time.Second,
		Logger:               zap.NewNop(),
	})
	if err != nil {
		return nil, fmt.Errorf("connect to etcd at %s: %w", strings.Join(opt.Endpoints, ","), err)
	}
	s := &Store{cli: cli, prefix: opt.Prefix, clock: opt.Clock, timeout: opt.Timeout, maxOps: opt.MaxTxnOps}
	s.group = store.Grouper{Max: maxGroup, Commit: s.commit}
	s.base, s.abort = context.WithCancel(context.Background())
	if !opt.NoPrepare {
		ctx, cancel := context.WithTimeout(context.Background(), opt.Timeout)
		err := s.checkCopying(ctx)
		cancel()
		if err == nil {
			err = s.Update(func(tx domain.Tx) error {
				return store.Prepare(s.kv(tx), "etcd "+opt.Prefix)
			})
		}
		if err != nil {
			_ = cli.Close()
			return nil, fmt.Errorf("etcd store at %s: %w", strings.Join(opt.Endpoints, ","), err)
		}
	}
	return s, nil
}

// kv is the raw KV under a typed transaction this package made.
func (s *Store) kv(tx domain.Tx) store.KV { return tx.(*store.Tx).KV() }

// Client is the etcd client, for leader election.
func (s *Store) Client() *clientv3.Client { return s.cli }

// Prefix is where the deployment's keys live.
func (s *Store) Prefix() string { return s.prefix }

// Close finishes queued actions and disconnects.
func (s *Store) Close() error {
	s.group.Stop()
	s.sessMu.Lock()
	if s.sess != nil {
		// Give the writers' lock's lease back, but do not wait for an etcd
		// that cannot be reached (Session.Close would wait up to its TTL):
		// the lease then runs out by itself.
		s.sess.Orphan()
		ctx, cancel := context.WithTimeout(context.Background(), min(s.timeout, time.Second))
		_, _ = s.cli.Revoke(ctx, s.sess.Lease())
		cancel()
	}
	s.sessMu.Unlock()
	s.abort()
	return s.cli.Close()
}

// Abort ends every call to etcd under way, as a failure to reach it: at
// shutdown, so that a process whose etcd is gone stops without waiting
// for each transaction's timeout.
func (s *Store) Abort() { s.abort() }

// View runs fn on one consistent revision.
func (s *Store) View(fn func(domain.Tx) error) error {
	ctx, cancel := context.WithTimeout(s.base, s.timeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		t, err := s.begin(ctx)
		if err != nil {
			return err
		}
		t.readOnly = true
		err = store.Safely(fn, store.NewTx(t, s.clock.Now()))
		if t.err == errStale && attempt < maxAttempts {
			backoff(attempt + 1)
			continue
		}
		if t.err != nil {
			return t.err
		}
		return err
	}
}

// ViewKV runs fn on the raw buckets at one revision (backup, copy).
func (s *Store) ViewKV(ctx context.Context, fn func(store.KV) error) error {
	t, err := s.begin(ctx)
	if err != nil {
		return err
	}
	t.readOnly = true
	err = fn(t)
	if t.err != nil {
		return t.err
	}
	return err
}

// Update runs fn in one serializable transaction. fn may run more than once
// (after a conflict with another replica), so it must have no effect
// outside the transaction. Updates of one process share commits as Group's
// do, so that they never conflict with each other, only with other
// replicas.
func (s *Store) Update(fn func(domain.Tx) error) error { return s.Group(fn) }

// Healthy reports whether etcd answers a linearizable read within the
// store's timeout (a cluster without quorum does not).
func (s *Store) Healthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	stop := context.AfterFunc(s.base, cancel)
	defer stop()
	_, err := s.cli.Get(ctx, commitKey(s.prefix))
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// errUnavailable marks a failure to reach etcd.
var errUnavailable = errors.New("etcd cannot be reached")

func unavailable(err error) error {
	if err == nil || errors.Is(err, errUnavailable) {
		return err
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	return &domain.Error{Code: domain.EUNAVAILABLE, Message: fmt.Sprintf("%v: %v", errUnavailable, err)}
}

var (
	errEmptyKey     = errors.New("etcd store: empty key")
	errRootSequence = errors.New("etcd store: the root has no sequence")
	errConflict     = &domain.Error{Code: domain.EUNAVAILABLE, Message: "etcd store: too many conflicting transactions, gave up"}
)

func (s *Store) txnError(err error, ops int) error {
	if errors.Is(err, rpctypes.ErrTooManyOps) || errors.Is(err, rpctypes.ErrGRPCTooManyOps) {
		return fmt.Errorf("one action needs %d operations in one etcd transaction, more than the etcd server allows: raise its --max-txn-ops (and --max-request-bytes): %w", ops, err)
	}
	if errors.Is(err, rpctypes.ErrRequestTooLarge) || errors.Is(err, rpctypes.ErrGRPCRequestTooLarge) {
		return fmt.Errorf("one action writes more than the etcd server takes in one request: raise its --max-request-bytes: %w", err)
	}
	return unavailable(err)
}

// commit runs the calls, as many per etcd transaction as fit in the
// server's limit, until each has its answer.
func (s *Store) commit(calls []store.Call) {
	for len(calls) > 0 {
		n := s.commitSome(calls)
		calls = calls[n:]
	}
}

// commitSome commits a prefix of calls in one etcd transaction, retrying
// on conflict, gives each its result and returns how many it answered.
// A call that fails (a refusal) has its writes discarded and gets its
// error; the others commit.
func (s *Store) commitSome(calls []store.Call) int {
	var last error
	unlock := func() {}
	defer func() { unlock() }()
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if attempt == 1 {
			// Another replica committed first: take the writers' lock, so
			// that replicas under contention take turns instead of one
			// losing again and again. Uncontended commits never take it.
			unlock = s.writerLock()
		} else if attempt > 1 {
			backoff(attempt)
		}
		ctx, cancel := context.WithTimeout(s.base, s.timeout)
		n, results, ok, err := s.try(ctx, calls)
		cancel()
		if err != nil {
			for _, c := range calls[:n] {
				c.Err <- err
			}
			return n
		}
		if !ok {
			last = errConflict
			continue
		}
		for i, c := range calls[:n] {
			c.Err <- results[i]
		}
		return n
	}
	calls[0].Err <- last
	return 1
}

// lockTTL is the lease of the writers' lock: a replica that dies holding
// it delays the others' contended commits by at most this long.
const lockTTL = 5

// writerLock takes the deployment's writers' lock (an etcd mutex under
// the prefix) and returns its release; without etcd it returns at once,
// and the commit goes on without it.
func (s *Store) writerLock() func() {
	sess := s.lockSession()
	if sess == nil {
		return func() {}
	}
	ctx, cancel := context.WithTimeout(s.base, s.timeout)
	defer cancel()
	m := concurrency.NewMutex(sess, s.prefix+"x/writer")
	if err := m.Lock(ctx); err != nil {
		return func() {}
	}
	return func() {
		ctx, cancel := context.WithTimeout(s.base, s.timeout)
		defer cancel()
		_ = m.Unlock(ctx)
	}
}

// lockSession is the lease the writers' lock is held on, made again after
// it expired.
func (s *Store) lockSession() *concurrency.Session {
	s.sessMu.Lock()
	defer s.sessMu.Unlock()
	if s.sess != nil {
		select {
		case <-s.sess.Done():
			s.sess = nil
		default:
			return s.sess
		}
	}
	ctx, cancel := context.WithTimeout(s.base, s.timeout)
	defer cancel()
	sess, err := concurrency.NewSession(s.cli, concurrency.WithTTL(lockTTL), concurrency.WithContext(s.base))
	if err != nil || ctx.Err() != nil {
		return nil
	}
	s.sess = sess
	return sess
}

// try runs calls at the newest revision and commits those that fit.
func (s *Store) try(ctx context.Context, calls []store.Call) (n int, results []error, ok bool, err error) {
	t, err := s.begin(ctx)
	if err != nil {
		return len(calls), nil, false, err
	}
	now := s.clock.Now()
	results = make([]error, len(calls))
	n = len(calls)
	kept := 0
	for i, c := range calls {
		sp := t.savepoint()
		err := store.Safely(c.Fn, store.NewTx(t, now))
		if t.err == errStale {
			return len(calls), nil, false, nil // run again, as after a conflict
		}
		if t.err != nil {
			return len(calls), nil, false, t.err
		}
		if err != nil {
			t.rollback(sp)
			results[i] = err
			continue
		}
		if kept > 0 && t.ops() > s.maxOps {
			t.rollback(sp)
			n = i
			break
		}
		kept++
	}
	ok, err = t.commit()
	if err != nil {
		return n, nil, false, err
	}
	return n, results, ok, nil
}

func backoff(attempt int) {
	d := time.Millisecond << min(attempt, 6)
	time.Sleep(d/2 + rand.N(d))
}

// maxGroup bounds how many actions share one commit.
const maxGroup = 16

// Group runs fn in a transaction shared with other concurrent actions; fn's
// writes commit all together or not at all, and an error from fn discards
// fn's writes only. fn may run more than once.
func (s *Store) Group(fn func(domain.Tx) error) error { return s.group.Submit(fn) }
