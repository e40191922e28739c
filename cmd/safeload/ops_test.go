package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/safeload/safeload/adapters/slack/fakeslack"
	"github.com/safeload/safeload/internal/delivery"
)

func TestBadConfigurationExits2NamingTheSetting(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{[]string{"SLACK_BOT_TOKEN=xoxb-1"}, "SLACK_SIGNING_SECRET"},
		{[]string{"SLACK_SIGNING_SECRET=abc"}, "SLACK_BOT_TOKEN"},
		{[]string{"SLACK_BOT_TOKEN=xoxb-1", "SLACK_APP_TOKEN=nope"}, "SLACK_APP_TOKEN"},
		{[]string{"SAFELOAD_TZ=Mars/Olympus"}, "SAFELOAD_TZ"},
		{[]string{"SAFELOAD_DIGEST_CRON=every monday"}, "SAFELOAD_DIGEST_CRON"},
		{[]string{"SAFELOAD_ACK_WITHIN=two days"}, "SAFELOAD_ACK_WITHIN"},
		{[]string{"SAFELOAD_ESCALATE_EVERY=-5s"}, "SAFELOAD_ESCALATE_EVERY"},
		{[]string{"SAFELOAD_POLICY=" + filepath.Join(dir, "missing.yaml")}, "SAFELOAD_POLICY"},
		{[]string{"SAFELOAD_POLICY=" + badPolicy(t, dir)}, "load_bands.amber_from"},
		{[]string{"DISCORD_PUBLIC_KEY=not-hex"}, "DISCORD_PUBLIC_KEY"},
		{[]string{"DISCORD_BOT_TOKEN=abc"}, "DISCORD_PUBLIC_KEY"},
		{[]string{"SAFELOAD_ADMINS=U1"}, "SAFELOAD_ADMINS"},
		{[]string{"SAFELOAD_LOG_FORMAT=xml"}, "SAFELOAD_LOG_FORMAT"},
		{[]string{"SAFELOAD_METRICS_TEAMS=maybe"}, "SAFELOAD_METRICS_TEAMS"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			env := append([]string{"SAFELOAD_DB=" + filepath.Join(dir, "x.db"), "SAFELOAD_ADDR=127.0.0.1:0"}, tc.env...)
			_, errOut, code := safeload(t, "", env, "serve")
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr %q", code, errOut)
			}
			if !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
				t.Fatalf("stderr must be one line naming %s, got %q", tc.want, errOut)
			}
		})
	}
}

// server runs the real serve in-process and returns its base URL.
type server struct {
	url    string
	cancel context.CancelFunc
	done   chan int
	stderr *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startServe(t *testing.T, env map[string]string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	s := &server{cancel: cancel, done: make(chan int, 1), stderr: &syncBuffer{}}
	c := &cli{ctx: ctx, stdin: strings.NewReader(""), stdout: io.Discard, stderr: s.stderr,
		getenv: func(k string) string { return env[k] }, ready: func(addr string) { ready <- addr }}
	go func() { s.done <- c.run([]string{"serve"}) }()
	select {
	case addr := <-ready:
		s.url = "http://" + addr
	case code := <-s.done:
		t.Fatalf("serve exited %d before serving:\n%s", code, s.stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

func (s *server) stop(t *testing.T) int {
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code
		return code
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop within 10 s")
	}
	return -1
}

func TestServeHealthAndMetrics(t *testing.T) {
	dir := t.TempDir()
	s := startServe(t, map[string]string{"SAFELOAD_DB": filepath.Join(dir, "s.db"), "SAFELOAD_ADDR": "127.0.0.1:0"})
	resp, err := http.Get(s.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var h health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || h.Status != "ok" || h.Store != "ok" {
		t.Fatalf("healthz = %d %+v", resp.StatusCode, h)
	}
	families := scrape(t, s.url)
	if _, ok := families["safeload_outbox_depth"]; !ok {
		t.Fatalf("metrics lack safeload_outbox_depth: %v", keys(families))
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exited %d after a graceful stop:\n%s", code, s.stderr.String())
	}
}

func scrape(t *testing.T, base string) map[string]*dtoFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("metrics are not Prometheus text: %v", err)
	}
	out := map[string]*dtoFamily{}
	for name, f := range fams {
		fam := &dtoFamily{}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			v := m.GetCounter().GetValue() + m.GetGauge().GetValue()
			fam.samples = append(fam.samples, sample{labels, v})
		}
		out[name] = fam
	}
	return out
}

type sample struct {
	labels map[string]string
	value  float64
}

type dtoFamily struct{ samples []sample }

// sum adds the samples whose labels include every given pair.
func (f *dtoFamily) sum(pairs ...string) float64 {
	if f == nil {
		return 0
	}
	var total float64
	for _, s := range f.samples {
		ok := true
		for i := 0; i+1 < len(pairs); i += 2 {
			if s.labels[pairs[i]] != pairs[i+1] {
				ok = false
			}
		}
		if ok {
			total += s.value
		}
	}
	return total
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestBackupWhileServeRunsAndCheck(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "live.db")
	seedStore(t, db) // something in the store first

	s := startServe(t, map[string]string{"SAFELOAD_DB": db, "SAFELOAD_ADDR": "127.0.0.1:0"})
	_ = s
	backup := filepath.Join(dir, "copy.db")
	out, errOut, code := safeload(t, "", []string{"SAFELOAD_DB=" + db}, "backup", backup)
	if code != 0 || !strings.Contains(out, "through the running safeload") {
		t.Fatalf("backup exit %d\n%s\n%s", code, out, errOut)
	}
	out, errOut, code = safeload(t, "", nil, "check", backup)
	if code != 0 || !strings.Contains(out, "1 teams") {
		t.Fatalf("check exit %d\n%s\n%s", code, out, errOut)
	}
	// A damaged copy is reported, not trusted.
	b, _ := os.ReadFile(backup)
	for i := 4096 * 2; i < len(b); i++ { // every page after the two meta pages
		b[i] ^= 0xA5
	}
	bad := filepath.Join(dir, "bad.db")
	if err := os.WriteFile(bad, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = safeload(t, "", nil, "check", bad)
	if code == 0 {
		t.Fatalf("check passed a damaged file: %s", errOut)
	}
	_, _, code = safeload(t, "", nil, "check", filepath.Join(dir, "nothing.db"))
	if code != 1 {
		t.Fatalf("check of a missing file exit %d, want 1", code)
	}
}

// The metrics move with real commands: parse /metrics before and after.
func TestMetricsCountCommands(t *testing.T) {
	fake := fakeslack.New()
	t.Cleanup(fake.Close)
	s := startSlackServe(t, map[string]string{
		"SAFELOAD_DB": filepath.Join(t.TempDir(), "m.db"), "SAFELOAD_ADDR": "127.0.0.1:0", "SAFELOAD_ADMINS": "slack:UADMIN",
		"SLACK_BOT_TOKEN": "xoxb-m", "SLACK_SIGNING_SECRET": "m-secret", "SLACK_API_URL": fake.APIURL(),
	})
	s.fake = fake
	before := scrape(t, s.url)
	s.command(t, "UADMIN", "caseload", "setup Metrics Team")
	s.command(t, "UADMIN", "caseload", "add <@UMEG|meg> manager")
	s.command(t, "UMEG", "caseload", "board")
	s.command(t, "UNOBODY", "allocate", "")
	after := scrape(t, s.url)
	for _, tc := range []struct {
		command, outcome string
		want             float64
	}{{"caseload.setup", "ok", 1}, {"caseload.add", "ok", 1}, {"caseload.board", "ok", 1}, {"allocate.queue", "forbidden", 1}} {
		got := after["safeload_commands_total"].sum("command", tc.command, "outcome", tc.outcome) -
			before["safeload_commands_total"].sum("command", tc.command, "outcome", tc.outcome)
		if got != tc.want {
			t.Errorf("safeload_commands_total{command=%q,outcome=%q} moved by %g, want %g", tc.command, tc.outcome, got, tc.want)
		}
	}
	if got := after["safeload_members"].sum("team", "metrics-team"); got != 0 {
		t.Errorf("a team with no practitioners has %g members rated", got)
	}
	if _, ok := after["safeload_request_duration_seconds"]; !ok {
		t.Error("no latency histogram")
	}
}

func TestHealthzIs503WhenAPlatformIsDown(t *testing.T) {
	c := &cli{ctx: context.Background(), stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
		getenv: func(k string) string {
			return map[string]string{"SAFELOAD_DB": filepath.Join(t.TempDir(), "h.db")}[k]
		}}
	cfg, err := c.loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.openApp(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	up := true
	h := a.healthz([]*platform{{name: "slack", connected: func() bool { return up }}}, &delivery.Loop{Store: a.store})
	for _, tc := range []struct {
		up   bool
		want int
	}{{true, 200}, {false, 503}} {
		up = tc.up
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		if rec.Code != tc.want || !strings.Contains(rec.Body.String(), `"slack":`+fmt.Sprint(tc.up)) {
			t.Errorf("connected=%v: %d %s", tc.up, rec.Code, rec.Body.String())
		}
	}
}

// badPolicy writes a policy whose amber band starts above its red band.
func badPolicy(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "bad-policy.yaml")
	if err := os.WriteFile(p, []byte("load_bands:\n  amber_from: 120\n  red_from: 110\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
