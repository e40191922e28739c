package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/internal/store/etcdstore/etcdtest"
)

var etcdPrefixes atomic.Int64

// etcdEnv configures a store of its own on the cluster.
func etcdEnv(t *testing.T, c *etcdtest.Cluster) map[string]string {
	return map[string]string{
		"SAFELOAD_STORE":          "etcd",
		"SAFELOAD_ETCD_ENDPOINTS": strings.Join(c.Endpoints(), ","),
		"SAFELOAD_ETCD_PREFIX":    fmt.Sprintf("/cmdtest%d/", etcdPrefixes.Add(1)),
		"SAFELOAD_DB":             filepath.Join(t.TempDir(), "unused.db"),
		"SAFELOAD_ADDR":           "127.0.0.1:0",
		"SAFELOAD_LEADER_TTL":     "1s",
		"SAFELOAD_LOG_LEVEL":      "warning",
	}
}

func envList(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return out
}

func TestEtcdSettingsExit2NamingTheSetting(t *testing.T) {
	dir := t.TempDir()
	cert := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(cert, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		env  []string
		want string
	}{
		{[]string{"SAFELOAD_STORE=sqlite"}, "SAFELOAD_STORE"},
		{[]string{"SAFELOAD_STORE=etcd"}, "SAFELOAD_ETCD_ENDPOINTS"},
		{[]string{"SAFELOAD_STORE=etcd", "SAFELOAD_ETCD_ENDPOINTS=127.0.0.1:2379"}, "SAFELOAD_ETCD_ENDPOINTS"},
		{[]string{"SAFELOAD_STORE=etcd", "SAFELOAD_ETCD_ENDPOINTS=http://a:2379,ftp://b:1"}, "SAFELOAD_ETCD_ENDPOINTS"},
		{[]string{"SAFELOAD_STORE=etcd", "SAFELOAD_ETCD_ENDPOINTS=http://a:2379", "SAFELOAD_ETCD_PREFIX=safeload"}, "SAFELOAD_ETCD_PREFIX"},
		{[]string{"SAFELOAD_LEADER_TTL=soon"}, "SAFELOAD_LEADER_TTL"},
		{[]string{"SAFELOAD_STORE=etcd", "SAFELOAD_ETCD_ENDPOINTS=https://a:2379", "SAFELOAD_ETCD_CERT=" + cert}, "SAFELOAD_ETCD_KEY"},
		{[]string{"SAFELOAD_STORE=etcd", "SAFELOAD_ETCD_ENDPOINTS=https://a:2379", "SAFELOAD_ETCD_CACERT=" + cert}, "SAFELOAD_ETCD_CACERT"},
		{[]string{"SAFELOAD_STORE=etcd", "SAFELOAD_ETCD_ENDPOINTS=https://a:2379", "SAFELOAD_ETCD_CACERT=" + filepath.Join(dir, "none")}, "SAFELOAD_ETCD_CACERT"},
		{[]string{"SAFELOAD_STORE=etcd", "SAFELOAD_ETCD_ENDPOINTS=http://a:2379", "SAFELOAD_ETCD_USERNAME=root"}, "SAFELOAD_ETCD_PASSWORD"},
	}
	for _, tt := range tests {
		_, errOut, code := safeload(t, "", append(tt.env, "SAFELOAD_DB="+filepath.Join(dir, "s.db")), "serve")
		if code != exitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming %s", tt.env, code, errOut, tt.want)
		}
	}
}

// healthOf reads /healthz.
func healthOf(t *testing.T, base string) (int, health) {
	t.Helper()
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, h
}

// waitLeaders waits until exactly one of the servers leads and returns it.
func waitLeaders(t *testing.T, servers []*server, within time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		leader, n := -1, 0
		for i, s := range servers {
			if s == nil {
				continue
			}
			if _, h := healthOf(t, s.url); h.Leader {
				leader, n = i, n+1
			}
		}
		if n == 1 {
			return leader
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d leaders after %s, want 1", n, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Two replicas on one etcd: one leads (healthz and the gauge say which);
// when it stops the other takes over within about the lease; without
// etcd, healthz answers 503.
func TestReplicasElectOneLeader(t *testing.T) {
	c := etcdtest.Start(t, 1)
	env := etcdEnv(t, c)
	servers := []*server{startServe(t, env), startServe(t, env)}
	leader := waitLeaders(t, servers, 10*time.Second)
	for i, s := range servers {
		code, h := healthOf(t, s.url)
		if code != 200 || h.Backend != "etcd" || h.Leader != (i == leader) {
			t.Errorf("replica %d: healthz %d %+v", i, code, h)
		}
		want := 0.0
		if i == leader {
			want = 1
		}
		if got := scrape(t, s.url)["safeload_leader"].sum(); got != want {
			t.Errorf("replica %d: safeload_leader = %v, want %v", i, got, want)
		}
	}
	if code := servers[leader].stop(t); code != 0 {
		t.Fatalf("leader exited %d", code)
	}
	servers[leader] = nil
	start := time.Now()
	next := waitLeaders(t, servers, 5*time.Second)
	t.Logf("replica %d took over in %s", next, time.Since(start).Round(time.Millisecond))

	t0 := time.Now()
	c.Stop()
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, h := healthOf(t, servers[next].url)
		if code == http.StatusServiceUnavailable {
			t.Logf("503 %s after etcd stopped", time.Since(t0).Round(time.Millisecond))
			if resp, err := http.Get(servers[next].url + "/livez"); err != nil || resp.StatusCode != 200 {
				t.Errorf("livez without etcd: %v %v", resp, err)
			} else {
				resp.Body.Close()
			}
			if len(h.Problems) == 0 || !strings.Contains(h.Problems[0], "etcd") {
				t.Errorf("healthz 503 without naming etcd: %+v", h)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("healthz still %d without etcd", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// import, export, backup, check and copy both ways against etcd.
func TestEtcdImportExportBackupCopy(t *testing.T) {
	c := etcdtest.Start(t, 1)
	env := envList(etcdEnv(t, c))
	dir := t.TempDir()
	example := filepath.Join("..", "..", "deploy", "examples", "team.yaml")
	out, errOut, code := safeload(t, "", env, "import", example)
	if code != exitOK || !strings.Contains(out, "25 cases (25 new)") {
		t.Fatalf("import exited %d\n%s%s", code, out, errOut)
	}
	etcdCSV, errOut, code := safeload(t, "", env, "export")
	if code != exitOK || len(strings.Split(strings.TrimSpace(etcdCSV), "\n")) != 13 {
		t.Fatalf("export exited %d\n%s%s", code, etcdCSV, errOut)
	}

	if out, errOut, code := safeload(t, "", env, "audit", "--format", "csv"); code != exitOK || !strings.Contains(out, "import") {
		t.Errorf("audit on etcd exited %d\n%s%s", code, out, errOut)
	}
	page := filepath.Join(dir, "report.html")
	if out, errOut, code := safeload(t, "", env, "report", "--out", page); code != exitOK {
		t.Errorf("report on etcd exited %d\n%s%s", code, out, errOut)
	} else if fi, err := os.Stat(page); err != nil || fi.Size() == 0 {
		t.Errorf("report on etcd wrote nothing: %v", err)
	}

	backup := filepath.Join(dir, "backup.db")
	if out, errOut, code := safeload(t, "", env, "backup", backup); code != exitOK {
		t.Fatalf("backup exited %d\n%s%s", code, out, errOut)
	}
	if out, errOut, code := safeload(t, "", nil, "check", backup); code != exitOK || !strings.Contains(out, "2 teams") {
		t.Fatalf("check of the etcd backup exited %d\n%s%s", code, out, errOut)
	}
	boltCSV, errOut, code := safeload(t, "", []string{"SAFELOAD_DB=" + backup}, "export")
	if code != exitOK || boltCSV != etcdCSV {
		t.Fatalf("export of the backup (exit %d) differs from etcd's:\n%s\n%s%s", code, boltCSV, etcdCSV, errOut)
	}

	// etcd → bolt, then bolt → a fresh prefix, which exports the same.
	moved := filepath.Join(dir, "moved.db")
	if out, errOut, code := safeload(t, "", env, "copy", "--from", "etcd", "--to", "bolt:"+moved); code != exitOK {
		t.Fatalf("copy to bolt exited %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code := safeload(t, "", env, "copy", "--from", "etcd", "--to", "bolt:"+moved); code != exitFailed ||
		!strings.Contains(errOut, "already holds") {
		t.Errorf("copy onto a store with records exited %d: %s", code, errOut)
	}
	if _, errOut, code := safeload(t, "", env, "copy", "--from", "bolt:"+moved, "--to", "etcd"); code != exitFailed ||
		!strings.Contains(errOut, "already holds") {
		t.Errorf("copy onto a non-empty etcd exited %d: %s", code, errOut)
	}
	fresh := envList(etcdEnv(t, c))
	if out, errOut, code := safeload(t, "", fresh, "copy", "--from", "bolt:"+moved, "--to", "etcd"); code != exitOK {
		t.Fatalf("copy to etcd exited %d\n%s%s", code, out, errOut)
	}
	freshCSV, errOut, code := safeload(t, "", fresh, "export")
	if code != exitOK || freshCSV != etcdCSV {
		t.Fatalf("export after the round trip (exit %d) differs:\n%s\n%s%s", code, freshCSV, etcdCSV, errOut)
	}
	out, _, code = safeload(t, "", fresh, "import", example)
	if code != exitOK || !strings.HasSuffix(strings.TrimSpace(out), "Nothing changed.") {
		t.Errorf("import after the round trip exited %d: %s", code, out)
	}
	if _, errOut, code := safeload(t, "", env, "copy", "--from", "etcd"); code != exitUsage {
		t.Errorf("copy without --to exited %d: %s", code, errOut)
	}
}

// Commands while etcd is unreachable are answered privately "try again in
// a minute", and change nothing.
func TestCommandsWithoutEtcdSayTryAgain(t *testing.T) {
	c := etcdtest.Start(t, 1)
	env := etcdEnv(t, c)
	cl := &cli{ctx: context.Background(), stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string { return env[k] }}
	cfg, err := cl.loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	a, err := cl.openApp(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	c.Stop()
	for _, req := range []engine.Request{
		{Platform: "slack", Channel: "slack:C1", Caller: "slack:U1", Command: "capacity", Text: "hours 2 court"},
		{Platform: "slack", Channel: "slack:C1", Caller: "slack:U1", Command: "capacity"},
	} {
		start := time.Now()
		resp := a.handler.Handle(context.Background(), req)
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("%s %s without etcd took %s, more than a chat platform waits", req.Command, req.Text, took)
		}
		if resp.Code != domain.EUNAVAILABLE || len(resp.Messages) != 1 || resp.Messages[0].Audience != domain.ToCaller ||
			!strings.Contains(resp.Messages[0].Text, "try again in a minute") {
			t.Errorf("%s %s without etcd: %+v", req.Command, req.Text, resp)
		}
	}
}

// TLS with client certificates and etcd's authentication: the right
// settings import and export; a wrong password or no certificate changes
// nothing and says why.
func TestEtcdTLSAndAuthentication(t *testing.T) {
	certs := etcdtest.NewCerts(t, "safeload")
	c := etcdtest.StartTLS(t, certs)
	tlsCfg, err := transport.TLSInfo{CertFile: certs.ClientCert, KeyFile: certs.ClientKey, TrustedCAFile: certs.CA}.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	admin, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), TLS: tlsCfg, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx := context.Background()
	const prefix = "/council-a/"
	for _, step := range []func() error{
		func() error { _, err := admin.UserAdd(ctx, "root", "root-secret"); return err },
		func() error { _, err := admin.UserGrantRole(ctx, "root", "root"); return err },
		func() error { _, err := admin.RoleAdd(ctx, "safeload"); return err },
		func() error {
			_, err := admin.RoleGrantPermission(ctx, "safeload", prefix, clientv3.GetPrefixRangeEnd(prefix), clientv3.PermissionType(clientv3.PermReadWrite))
			return err
		},
		func() error { _, err := admin.UserAdd(ctx, "safeload", "s3cret"); return err },
		func() error { _, err := admin.UserGrantRole(ctx, "safeload", "safeload"); return err },
		func() error { _, err := admin.AuthEnable(ctx); return err },
	} {
		if err := step(); err != nil {
			t.Fatalf("setting up etcd authentication: %v", err)
		}
	}
	env := []string{"SAFELOAD_STORE=etcd", "SAFELOAD_ETCD_ENDPOINTS=" + c.Endpoints()[0], "SAFELOAD_ETCD_PREFIX=" + prefix,
		"SAFELOAD_ETCD_CACERT=" + certs.CA, "SAFELOAD_ETCD_CERT=" + certs.ClientCert, "SAFELOAD_ETCD_KEY=" + certs.ClientKey,
		"SAFELOAD_ETCD_USERNAME=safeload", "SAFELOAD_DB=" + filepath.Join(t.TempDir(), "unused.db")}
	example := filepath.Join("..", "..", "deploy", "examples", "team.yaml")
	if out, errOut, code := safeload(t, "", append(env, "SAFELOAD_ETCD_PASSWORD=wrong"), "import", example); code != exitFailed ||
		!strings.Contains(errOut, "authentication failed") {
		t.Errorf("import with a wrong password exited %d\n%s%s", code, out, errOut)
	}
	noCert := []string{"SAFELOAD_STORE=etcd", "SAFELOAD_ETCD_ENDPOINTS=" + c.Endpoints()[0], "SAFELOAD_ETCD_PREFIX=" + prefix,
		"SAFELOAD_ETCD_CACERT=" + certs.CA, "SAFELOAD_ETCD_USERNAME=safeload", "SAFELOAD_ETCD_PASSWORD=s3cret",
		"SAFELOAD_DB=" + filepath.Join(t.TempDir(), "unused.db")}
	if out, errOut, code := safeload(t, "", noCert, "import", example); code != exitFailed {
		t.Errorf("import without a client certificate exited %d\n%s%s", code, out, errOut)
	}
	env = append(env, "SAFELOAD_ETCD_PASSWORD=s3cret")
	if out, errOut, code := safeload(t, "", env, "import", example); code != exitOK || !strings.Contains(out, "25 cases (25 new)") {
		t.Fatalf("import over TLS with authentication exited %d\n%s%s", code, out, errOut)
	}
	if out, errOut, code := safeload(t, "", env, "export"); code != exitOK || len(strings.Split(strings.TrimSpace(out), "\n")) != 13 {
		t.Fatalf("export over TLS with authentication exited %d\n%s%s", code, out, errOut)
	}
}
