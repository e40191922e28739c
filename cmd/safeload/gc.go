package main

import (
	"runtime/debug"
)

// serveGC is how serve sets Go's garbage collector when the operator has
// not: collect when the heap has grown to five times what is live
// (GOGC=400) rather than twice, but never let it pass a soft limit of
// 256 MiB (GOMEMLIMIT), half the memory the deployment manifests give the
// container. A command allocates a few kilobytes and keeps none of them,
// and serve's live heap is some tens of megabytes, so the collector's work
// is mostly wasted at the default: under 64 clients it took a fifth of
// serve's CPU. GOGC and GOMEMLIMIT, when set, are Go's own settings and
// win.
const (
	serveGCPercent   = 400
	serveMemoryLimit = 256 << 20
)

// tuneGC applies serveGC where the environment does not set its own.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
}
