package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/domain"
)

// health is what GET /healthz reports.
type health struct {
	Version             string          `json:"version"`
	Status              string          `json:"status"` // ok, degraded (messages are not going out) or unhealthy
	Store               string          `json:"store"`
	Backend             string          `json:"backend"` // bolt or etcd
	Leader              bool            `json:"leader"`  // runs clocks, digests, delivery
	OutboxDepth         int             `json:"outbox_depth"`
	OutboxOldestSeconds float64         `json:"outbox_oldest_seconds"`
	LastDigest          string          `json:"last_digest,omitempty"`
	Platforms           map[string]bool `json:"platforms"` // connected?
	Problems            []string        `json:"problems,omitempty"`
	Degraded            []string        `json:"degraded,omitempty"`
}

// failStreakDegraded is how many deliveries in a row must fail, none
// succeeding, before /healthz calls delivery degraded.
const failStreakDegraded = 5

// healthz answers 200 when the store is readable, every long-lived platform
// connection is up and messages are going out; 503 otherwise, with the
// figures and the reasons either way. Delivery alone failing (the oldest
// undelivered message older than the policy's outbox_stale_minutes, or
// every recent delivery failing) is "degraded".
func (a *app) healthz(platforms []*platform, loop *delivery.Loop) http.Handler {
	stale := time.Duration(a.cfg.Policy.OutboxStaleMinutes) * time.Minute
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := health{Version: version, Status: "ok", Store: "ok", Backend: a.backendName(), Leader: a.lead.leading(), Platforms: map[string]bool{}}
		if err := a.reachable(r.Context()); err != nil {
			h.Store = "unreachable"
			h.Problems = append(h.Problems, "etcd cannot be reached (or has no quorum)")
		} else if st, err := a.store.Stats(); err != nil {
			h.Store = "unreadable"
			h.Problems = append(h.Problems, "the store cannot be read")
			if h.Backend == "etcd" {
				h.Problems[len(h.Problems)-1] = "etcd cannot be reached (or has no quorum)"
			}
		} else {
			h.OutboxDepth = st.OutboxDepth
			if !st.OutboxOldest.IsZero() {
				age := a.clock.Now().Sub(st.OutboxOldest)
				h.OutboxOldestSeconds = age.Seconds()
				if age > stale {
					h.Degraded = append(h.Degraded, fmt.Sprintf("the oldest undelivered message has waited %s", age.Round(time.Second)))
				}
			}
		}
		if n := loop.Failing(); n >= failStreakDegraded {
			h.Degraded = append(h.Degraded, fmt.Sprintf("the last %d deliveries all failed", n))
		}
		var last time.Time
		if h.Store == "ok" {
			_ = a.store.View(func(tx domain.Tx) error {
				var err error
				last, err = tx.LastDigest()
				return err
			})
		}
		if !last.IsZero() {
			h.LastDigest = last.UTC().Format(time.RFC3339)
		}
		for _, p := range platforms {
			up := true
			if p.leaderOnly && !h.Leader {
				continue // another replica holds this connection
			}
			if p.connected != nil {
				up = p.connected()
			}
			h.Platforms[p.name] = up
			if !up {
				h.Problems = append(h.Problems, p.name+" is not connected")
			}
		}
		code := http.StatusOK
		switch {
		case len(h.Problems) > 0:
			h.Status = "unhealthy"
			code = http.StatusServiceUnavailable
		case len(h.Degraded) > 0:
			h.Status = "degraded"
			code = http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(h)
	})
}

// livez answers 200 while the process serves HTTP. It asks nothing outside
// the process, so an outage of Slack or Discord (which /healthz reports)
// never makes a supervisor restart a process that is working.
func livez() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, "{\"status\":\"ok\",\"version\":%q}\n", version)
	})
}
