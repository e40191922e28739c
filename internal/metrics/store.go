package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/safeload/safeload/internal/digest"
	"github.com/safeload/safeload/internal/domain"
)

// Source is what the scrape reads from the store.
type Source interface {
	// Outbox is the number of undelivered messages and the oldest one's age.
	Outbox() (depth int, oldest time.Duration, err error)
	// RAGCounts is the number of members per RAG colour per team.
	RAGCounts() (map[string]map[domain.RAG]int, error)
}

var (
	outboxDepth = prometheus.NewDesc("safeload_outbox_depth", "Messages waiting in the outbox.", nil, nil)
	outboxAge   = prometheus.NewDesc("safeload_outbox_oldest_age_seconds", "Age of the oldest undelivered message.", nil, nil)
	members     = prometheus.NewDesc("safeload_members", "Case-carrying members per RAG colour.", []string{"rag"}, nil)
	teamMembers = prometheus.NewDesc("safeload_members", "Case-carrying members per RAG colour per team.", []string{"team", "rag"}, nil)
)

// storeCollector reads the store at scrape time; the RAG counts walk every
// case, so they are cached for a minute.
type storeCollector struct {
	src Source
	// perTeam labels the RAG counts by team. /metrics has no
	// authentication, so team slugs and their figures stay out unless the
	// operator asks for them (SAFELOAD_METRICS_TEAMS=true).
	perTeam bool

	mu      sync.Mutex
	cached  map[string]map[domain.RAG]int
	cachedT time.Time
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxDepth
	ch <- outboxAge
	ch <- c.membersDesc()
}

func (c *storeCollector) membersDesc() *prometheus.Desc {
	if c.perTeam {
		return teamMembers
	}
	return members
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	if depth, oldest, err := c.src.Outbox(); err == nil {
		ch <- prometheus.MustNewConstMetric(outboxDepth, prometheus.GaugeValue, float64(depth))
		ch <- prometheus.MustNewConstMetric(outboxAge, prometheus.GaugeValue, oldest.Seconds())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cached == nil || time.Since(c.cachedT) > time.Minute {
		counts, err := c.src.RAGCounts()
		if err != nil {
			return
		}
		c.cached, c.cachedT = counts, time.Now()
	}
	rags := []domain.RAG{domain.Green, domain.Amber, domain.Red}
	if c.perTeam {
		for team, byRAG := range c.cached {
			for _, rag := range rags {
				ch <- prometheus.MustNewConstMetric(teamMembers, prometheus.GaugeValue, float64(byRAG[rag]), team, string(rag))
			}
		}
		return
	}
	for _, rag := range rags {
		n := 0
		for _, byRAG := range c.cached {
			n += byRAG[rag]
		}
		ch <- prometheus.MustNewConstMetric(members, prometheus.GaugeValue, float64(n), string(rag))
	}
}

// RAGCounts counts each team's case-carrying members by RAG colour today
// (in loc), from the open cases only: a Source's RAGCounts.
func RAGCounts(st domain.Store, pol *domain.Policy, loc *time.Location) (map[string]map[domain.RAG]int, error) {
	out := map[string]map[domain.RAG]int{}
	err := st.View(func(tx domain.Tx) error {
		teams, err := tx.Teams()
		if err != nil {
			return err
		}
		day := domain.DateOf(tx.Now().In(loc))
		for _, t := range teams {
			ms, err := tx.Members(t.ID)
			if err != nil {
				return err
			}
			cs, err := digest.OpenCases(tx, t.ID)
			if err != nil {
				return err
			}
			sum := pol.ForTeam(t).Summarise(ms, cs, day)
			out[t.ID] = map[domain.RAG]int{domain.Green: sum.Green, domain.Amber: sum.Amber, domain.Red: sum.Red}
		}
		return nil
	})
	return out, err
}
