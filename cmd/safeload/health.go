package main

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// health is what GET /healthz reports.
type health struct {
	Status              string          `json:"status"` // ok or unhealthy
	Store               string          `json:"store"`
	Backend             string          `json:"backend"` // bolt or etcd
	Leader              bool            `json:"leader"`  // runs clocks, digests, delivery
	OutboxDepth         int             `json:"outbox_depth"`
	OutboxOldestSeconds float64         `json:"outbox_oldest_seconds"`
	LastDigest          string          `json:"last_digest,omitempty"`
	Platforms           map[string]bool `json:"platforms"` // connected?
	Problems            []string        `json:"problems,omitempty"`
}

// healthz answers 200 when the store is readable and every long-lived
// platform connection is up, 503 otherwise, with the figures either way.
func (a *app) healthz(platforms []*platform) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := health{Status: "ok", Store: "ok", Backend: a.backendName(), Leader: a.lead.leading(), Platforms: map[string]bool{}}
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
				h.OutboxOldestSeconds = a.clock.Now().Sub(st.OutboxOldest).Seconds()
			}
		}
		var last time.Time
		if h.Store == "ok" {
			_ = a.store.View(func(tx domain.Tx) error {
				_, err := tx.GetState("digest:last", &last)
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
		if len(h.Problems) > 0 {
			h.Status = "unhealthy"
			code = http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(h)
	})
}
