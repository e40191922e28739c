package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

func TestPprofAddrIsLoopbackUnlessAllowed(t *testing.T) {
	for _, tc := range []struct {
		addr, allow string
		ok          bool
	}{
		{"", "", true},
		{"127.0.0.1:6060", "", true},
		{"localhost:6060", "", true},
		{"[::1]:6060", "", true},
		{"127.0.0.2:0", "", true},
		{":6060", "", false},
		{"0.0.0.0:6060", "", false},
		{"10.1.2.3:6060", "", false},
		{"pprof.example.org:6060", "", false},
		{"10.1.2.3:6060", "1", true},
		{":6060", "1", true},
		{"10.1.2.3:6060", "yes", false},
		{"127.0.0.1", "", false},
		{"nonsense", "1", false},
	} {
		env := map[string]string{"SAFELOAD_PPROF_ADDR": tc.addr, "SAFELOAD_PPROF_ALLOW_REMOTE": tc.allow}
		got, err := pprofAddr(func(k string) string { return env[k] })
		if (err == nil) != tc.ok {
			t.Errorf("SAFELOAD_PPROF_ADDR=%q SAFELOAD_PPROF_ALLOW_REMOTE=%q: %v, want ok=%v", tc.addr, tc.allow, err, tc.ok)
			continue
		}
		if err != nil && !strings.Contains(err.Error(), "SAFELOAD_PPROF_ADDR") {
			t.Errorf("the error does not name the setting: %v", err)
		}
		if err == nil && got != tc.addr {
			t.Errorf("SAFELOAD_PPROF_ADDR=%q gave %q", tc.addr, got)
		}
	}
}

func TestPprofServesProfilesOnItsOwnListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { servePprof(ctx, ln); close(done) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile") {
		t.Fatalf("GET /debug/pprof/goroutine: %d %.200s", resp.StatusCode, body)
	}
	cancel()
	<-done
}

func TestServeRefusesARemotePprofAddress(t *testing.T) {
	env := []string{"SAFELOAD_DB=" + filepath.Join(t.TempDir(), "x.db"), "SAFELOAD_ADDR=127.0.0.1:0", "SAFELOAD_PPROF_ADDR=0.0.0.0:6060"}
	_, errOut, code := safeload(t, "", env, "serve")
	if code != 2 || !strings.Contains(errOut, "SAFELOAD_PPROF_ADDR") {
		t.Fatalf("exit %d, stderr %q; want 2 naming SAFELOAD_PPROF_ADDR", code, errOut)
	}
}
