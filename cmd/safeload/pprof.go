package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"
)

// pprofAddr reads SAFELOAD_PPROF_ADDR, the opt-in listen address of Go's
// profiler (net/http/pprof) on its own listener: "" when it is unset. A
// profile shows the program's memory, so an address that other machines
// can reach (another interface, or every interface) is refused unless
// SAFELOAD_PPROF_ALLOW_REMOTE=1 says it is meant.
func pprofAddr(getenv func(string) string) (string, error) {
	addr := strings.TrimSpace(getenv("SAFELOAD_PPROF_ADDR"))
	if addr == "" {
		return "", nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return "", &configError{"SAFELOAD_PPROF_ADDR", fmt.Sprintf("%q is not host:port, e.g. 127.0.0.1:6060", addr)}
	}
	if getenv("SAFELOAD_PPROF_ALLOW_REMOTE") == "1" || host == "localhost" {
		return addr, nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return addr, nil
	}
	return "", &configError{"SAFELOAD_PPROF_ADDR", fmt.Sprintf("%q is not a loopback address (127.0.0.1, ::1 or localhost); set SAFELOAD_PPROF_ALLOW_REMOTE=1 to serve the profiler there anyway", addr)}
}

// pprofHandler serves the profiler's pages under /debug/pprof/.
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// servePprof serves the profiler on ln until ctx ends.
func servePprof(ctx context.Context, ln net.Listener) {
	srv := &http.Server{Handler: pprofHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	_ = srv.Serve(ln)
}
