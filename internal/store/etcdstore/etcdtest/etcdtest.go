// Package etcdtest starts real etcd servers (the embedded server of
// go.etcd.io/etcd/server/v3/embed) on loopback for tests: one member, or a
// cluster of several, so that the etcd store's tests need nothing but Go.
package etcdtest

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Member is one running etcd server.
type Member struct {
	Name      string
	ClientURL string
	peerURL   string
	dir       string
	etcd      *embed.Etcd
	tls       *transport.TLSInfo // clients over TLS, when set
}

// Cluster is a running etcd cluster.
type Cluster struct {
	Members []*Member
	initial string
	tb      testing.TB
}

// MaxTxnOps is the servers' limit on one transaction's operations: large
// enough for an import or a copy of a test fixture in one transaction.
const MaxTxnOps = 4096

// Start starts an n-member cluster, stopped when the test ends.
func Start(tb testing.TB, n int) *Cluster {
	tb.Helper()
	c := &Cluster{tb: tb}
	var initial []string
	for i := range n {
		m := &Member{
			Name:      fmt.Sprintf("m%d", i),
			ClientURL: "http://" + freeAddr(tb),
			peerURL:   "http://" + freeAddr(tb),
			dir:       tb.TempDir(),
		}
		c.Members = append(c.Members, m)
		initial = append(initial, m.Name+"="+m.peerURL)
	}
	c.initial = strings.Join(initial, ",")
	errs := make(chan error, n)
	for _, m := range c.Members {
		go func() { errs <- c.start(m, embed.ClusterStateFlagNew) }()
	}
	for range n {
		if err := <-errs; err != nil {
			tb.Fatalf("start etcd: %v", err)
		}
	}
	tb.Cleanup(c.Stop)
	return c
}

// Endpoints are the members' client URLs.
func (c *Cluster) Endpoints() []string {
	var out []string
	for _, m := range c.Members {
		out = append(out, m.ClientURL)
	}
	return out
}

func (c *Cluster) start(m *Member, state string) error {
	cfg := embed.NewConfig()
	cfg.Name = m.Name
	cfg.Dir = m.dir
	cu, pu := mustURL(m.ClientURL), mustURL(m.peerURL)
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{cu}, []url.URL{cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{pu}, []url.URL{pu}
	if m.tls != nil {
		cfg.ClientTLSInfo = *m.tls
	}
	cfg.InitialCluster = c.initial
	cfg.InitialClusterToken = "safeload-test"
	cfg.ClusterState = state
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	cfg.UnsafeNoFsync = true
	cfg.MaxTxnOps = MaxTxnOps
	cfg.TickMs = 20
	cfg.ElectionMs = 200
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return err
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return err
	case <-time.After(30 * time.Second):
		e.Close()
		return fmt.Errorf("member %s not ready after 30s", m.Name)
	}
	m.etcd = e
	return nil
}

// StopMember stops one member, as a crash would (its data stays).
func (c *Cluster) StopMember(i int) {
	if m := c.Members[i]; m.etcd != nil {
		m.etcd.Server.HardStop()
		m.etcd.Close()
		m.etcd = nil
	}
}

// RestartMember starts a stopped member again on its data.
func (c *Cluster) RestartMember(i int) {
	c.tb.Helper()
	if err := c.start(c.Members[i], embed.ClusterStateFlagExisting); err != nil {
		c.tb.Fatalf("restart etcd member %d: %v", i, err)
	}
}

// Stop stops every member.
func (c *Cluster) Stop() {
	for i := range c.Members {
		c.StopMember(i)
	}
}

func freeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

func mustURL(s string) url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return *u
}
