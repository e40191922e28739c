package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/benchdata"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/internal/store"
	"github.com/safeload/safeload/prompts"
)

// BenchmarkStartup is start-up on benchdata's standard store (1,000 teams,
// 20,000 practitioners, 300,000 cases):
//
//   - serve: from nothing to the first 200 from GET /healthz, in process,
//     as `safeload serve` with its scheduler, outbox and admin socket (the
//     scheduler's first pass over the store runs meanwhile, as it does);
//   - open: opening the store, loading the prompts and building the engine.
func BenchmarkStartup(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "bench.db")
	if err := benchdata.Build(path, benchdata.Teams, benchdata.Practitioners, benchdata.Cases); err != nil {
		b.Fatal(err)
	}
	env := map[string]string{
		"SAFELOAD_DB": path, "SAFELOAD_ADDR": "127.0.0.1:0", "SAFELOAD_ADMIN_SOCKET": filepath.Join(dir, "admin.sock"),
		"SAFELOAD_LOG_LEVEL": "error", "SAFELOAD_ADMINS": "slack:UADMIN",
	}

	b.Run("serve", func(b *testing.B) {
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		b.StopTimer()
		for range b.N {
			ctx, cancel := context.WithCancel(context.Background())
			ready := make(chan string, 1)
			done := make(chan int, 1)
			c := &cli{ctx: ctx, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
				getenv: func(k string) string { return env[k] }, ready: func(addr string) { ready <- addr }}
			b.StartTimer()
			go func() { done <- c.run([]string{"serve"}) }()
			var addr string
			select {
			case addr = <-ready:
			case code := <-done:
				cancel()
				b.Fatalf("serve exited %d before serving", code)
			}
			resp, err := client.Get("http://" + addr + "/healthz")
			if err != nil {
				cancel()
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			b.StopTimer()
			cancel()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("GET /healthz: %s", resp.Status)
			}
			if code := <-done; code != 0 {
				b.Fatalf("serve exited %d after a graceful stop", code)
			}
		}
	})

	b.Run("open", func(b *testing.B) {
		pol := domain.DefaultPolicy()
		for b.Loop() {
			st, err := store.Open(path, store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			p, err := prompts.Load("")
			if err != nil {
				b.Fatal(err)
			}
			_ = engine.New(st, &pol, p, time.UTC, nil)
			b.StopTimer()
			if err := st.Close(); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	})
}
