package schedule

import (
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// KeptHits is how many times a read pass planned a team from what the
// scheduler kept of its members and cases.
func KeptHits(s *Scheduler) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keptHits
}

// PlanRead is what a read pass of s plans in the team at now (outside a
// pass: no digest), one "what subject" line a firing.
func PlanRead(s *Scheduler, team string, now time.Time) ([]string, error) {
	if err := s.init(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	err := s.Store.View(func(tx domain.Tx) error {
		fs, err := s.plan(tx, team, now, nil, true, true)
		for _, f := range fs {
			out = append(out, f.what+" "+f.subject)
		}
		return err
	})
	return out, err
}
