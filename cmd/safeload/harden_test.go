package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/schedule"
	"github.com/safeload/safeload/internal/store"
)

func seedStore(t *testing.T, db string) {
	t.Helper()
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update(func(tx domain.Tx) error {
		return tx.PutTeam(&domain.Team{ID: "north", Name: "North", Channel: "console:#north"})
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()
}

// A backup aimed at the live store, by any path, is refused and the store
// keeps serving; the copy itself is written by the backup process.
func TestBackupNeverReplacesTheStore(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "live.db")
	seedStore(t, db)
	before, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.db")
	if err := os.Symlink(db, link); err != nil {
		t.Fatal(err)
	}
	startServe(t, map[string]string{"SAFELOAD_DB": db, "SAFELOAD_ADDR": "127.0.0.1:0"})
	for _, target := range []string{db, link, filepath.Join(dir, ".", "live.db")} {
		_, errOut, code := safeload(t, "", []string{"SAFELOAD_DB=" + db}, "backup", target)
		if code != 2 || !strings.Contains(errOut, "is the store itself") {
			t.Fatalf("backup %s: exit %d, %q", target, code, errOut)
		}
		after, err := os.Stat(db)
		if err != nil || !os.SameFile(before, after) {
			t.Fatalf("backup %s replaced the store: %v", target, err)
		}
	}
	// A copy in a directory of the caller's own is written by the caller.
	out, errOut, code := safeload(t, "", []string{"SAFELOAD_DB=" + db}, "backup", filepath.Join(dir, "copy.db"))
	if code != 0 || !strings.Contains(out, "through the running safeload") {
		t.Fatalf("backup exit %d: %s %s", code, out, errOut)
	}
	if _, _, code := safeload(t, "", nil, "check", filepath.Join(dir, "copy.db")); code != 0 {
		t.Fatalf("check of the streamed copy exit %d", code)
	}
}

// The admin socket setting never deletes what it names unless it is a
// stale socket.
func TestAdminSocketRemovesOnlyAStaleSocket(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "live.db")
	seedStore(t, db)
	_, errOut, code := safeload(t, "", []string{"SAFELOAD_DB=" + db, "SAFELOAD_ADDR=127.0.0.1:0", "SAFELOAD_ADMIN_SOCKET=" + db}, "serve")
	if code != 2 || !strings.Contains(errOut, "SAFELOAD_ADMIN_SOCKET") {
		t.Fatalf("serve with the store as its socket: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("the store is gone: %v", err)
	}
	// A socket left by a killed serve is cleared.
	sock := filepath.Join(dir, "admin.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	startServe(t, map[string]string{"SAFELOAD_DB": db, "SAFELOAD_ADDR": "127.0.0.1:0", "SAFELOAD_ADMIN_SOCKET": sock})
	if fi, err := os.Lstat(sock); err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("serve did not take over the stale socket: %v", err)
	}
}

// A message waiting longer than the policy allows makes /healthz degraded,
// with the reason.
func TestHealthzDegradedWhenTheOutboxIsStale(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "live.db")
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update(func(tx domain.Tx) error {
		return tx.Enqueue(&domain.OutboxItem{Dest: "slack:C1", CreatedAt: time.Now().Add(-2 * time.Hour),
			NextTry: time.Now().Add(9 * time.Minute), Message: domain.Message{Text: "late"}})
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	s := startServe(t, map[string]string{"SAFELOAD_DB": db, "SAFELOAD_ADDR": "127.0.0.1:0"})
	resp, err := http.Get(s.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || h.Status != "degraded" || len(h.Degraded) != 1 || h.OutboxDepth != 1 {
		t.Fatalf("healthz = %d %+v", resp.StatusCode, h)
	}
	// Liveness asks nothing outside the process: a supervisor must not
	// restart a working process because Slack is down.
	live, err := http.Get(s.url + "/livez")
	if err != nil {
		t.Fatal(err)
	}
	live.Body.Close()
	if live.StatusCode != http.StatusOK {
		t.Fatalf("livez = %d while the process works", live.StatusCode)
	}
}

// A truncated store is reported as damaged with exit 1, never a panic.
func TestCheckTruncatedFile(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "live.db")
	seedStore(t, db)
	b, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{100, 4096, 8192, 12288} {
		cut := filepath.Join(dir, "cut.db")
		if err := os.WriteFile(cut, b[:n], 0o600); err != nil {
			t.Fatal(err)
		}
		_, errOut, code := safeload(t, "", nil, "check", cut)
		if code != 1 || strings.Contains(errOut, "panic") || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Fatalf("check of a file cut at %d bytes: exit %d, %q", n, code, errOut)
		}
	}
}

// Stopping is bounded by one deadline, whatever hangs: a request that never
// ends and background work that never returns.
func TestStopHasOneDeadline(t *testing.T) {
	hang := make(chan struct{})
	defer close(hang)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang })}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	go func() { _, _ = http.Get("http://" + ln.Addr().String()) }()
	var wg sync.WaitGroup
	wg.Add(1) // background work that ignores its context
	defer wg.Done()
	time.Sleep(50 * time.Millisecond) // let the request reach the handler
	start := time.Now()
	if stop(logrus.New(), srv, func() {}, func() {}, &wg, 400*time.Millisecond) {
		t.Fatal("stop reported success with work still running")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("stop took %s, deadline 400ms", took)
	}
}

// /metrics has no authentication: team slugs stay out of it unless the
// operator asks for them; the Go and process collectors are there.
func TestMetricsKeepTeamsOutByDefault(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "live.db")
	seedStore(t, db) // team "north"
	for _, perTeam := range []bool{false, true} {
		env := map[string]string{"SAFELOAD_DB": db, "SAFELOAD_ADDR": "127.0.0.1:0", "SAFELOAD_ADMIN_SOCKET": filepath.Join(dir, "a.sock")}
		if perTeam {
			env["SAFELOAD_METRICS_TEAMS"] = "true"
		}
		s := startServe(t, env)
		fams := scrape(t, s.url)
		withTeam := 0
		for _, smp := range fams["safeload_members"].samples {
			if smp.labels["team"] != "" {
				withTeam++
			}
		}
		if perTeam != (withTeam > 0) {
			t.Errorf("SAFELOAD_METRICS_TEAMS=%v: %d samples name a team", perTeam, withTeam)
		}
		for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "safeload_panics_total"} {
			if _, ok := fams[name]; !ok {
				t.Errorf("no %s in /metrics", name)
			}
		}
		if s.stop(t) != 0 {
			t.Fatal("serve did not stop cleanly")
		}
	}
}

// A digest the scheduler posts is counted and shows in /healthz.
func TestDigestFiringShowsInHealthz(t *testing.T) {
	fc := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	a := testApp(t, map[string]string{"SAFELOAD_DB": filepath.Join(t.TempDir(), "h.db")}, fc, io.Discard)
	newScheduler(a, nil).Observe(schedule.KindDigest)
	rec := httptest.NewRecorder()
	a.healthz(nil, &delivery.Loop{Store: a.store}).ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	var h health
	if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil {
		t.Fatal(err)
	}
	if h.LastDigest != "2026-03-02T09:00:00Z" || h.Version == "" {
		t.Fatalf("healthz = %+v", h)
	}
	if got := counterValue(t, a, "safeload_escalations_total"); got != 1 {
		t.Fatalf("safeload_escalations_total = %g", got)
	}
}

// Background work still waiting on the store a moment after it was told to
// stop has its store calls ended, so the stop finishes instead of running
// into the deadline (an etcd that is gone would otherwise hold it for each
// call's timeout).
func TestStopAbortsWorkWaitingOnTheStore(t *testing.T) {
	srv := &http.Server{Handler: http.NotFoundHandler()}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	aborted := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // a store call that ignores the context and ends only on abort
		defer wg.Done()
		<-aborted
	}()
	var once sync.Once
	if !stop(logrus.New(), srv, func() {}, func() { once.Do(func() { close(aborted) }) }, &wg, time.Minute) {
		t.Fatal("stop gave up although aborting the store ended the work")
	}
	select {
	case <-aborted:
	default:
		t.Fatal("the store's calls were not aborted")
	}
}
