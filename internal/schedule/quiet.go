package schedule

import (
	"github.com/safeload/safeload/internal/domain"
)

// kept is what the scheduler keeps of a team's members and open cases
// between the read passes that look for anything due (clocksDue), so that
// a quiet pass does not decode every open case of every team again: on a
// store of 1,000 teams and 300,000 cases that decoding was nearly all of a
// pass.
//
// It holds for one revision of the team and one day. The team's revision
// (TeamRev) moves in every commit that changes the team's record (its
// policy included), its members or its cases, and never goes back (a
// team's data is never deleted), so at the same revision they are what
// was read; the only other input of what is kept is the day (a reduction
// ends, an assessed year is over), which is part of the key. Everything
// else the clocks read (concerns, proposals, firings, snapshots, digests
// posted) and the time of day are read or used afresh in every pass, and
// the pass that fires (applyClocks) reads everything from its own write
// transaction and never uses what is kept. The scheduler's policy is fixed
// for its life. Nothing is kept across a restart, which is also how a
// restore is done (stop, copy, start).
type kept struct {
	rev     uint64
	day     domain.Date
	members []*domain.Member
	// cases are only the open cases a clock can be about (clockCase), in
	// the order the store lists them.
	cases []*domain.Case
	// sum is the summary of all the open cases by the scheduler's policy
	// (what the team's over-capacity clock judges).
	sum *domain.TeamSummary
}

// clockCase reports whether a case may be what a clock is about, whatever
// the time: a queued or proposed case that is high risk by either policy
// (the team's, for its wait; the scheduler's, for the team's count of
// high-risk cases waiting), or an allocated case whose override has a
// review date and is not reviewed.
func clockCase(c *domain.Case, pols ...*domain.Policy) bool {
	switch c.Status {
	case domain.CaseQueued, domain.CaseProposed:
		for _, p := range pols {
			if p.IsHighRisk(c) {
				return true
			}
		}
	case domain.CaseAllocated:
		return c.Override != nil && !c.Override.Reviewed && c.Override.ReviewOn != ""
	}
	return false
}

// loadKept gives a read pass the team's members and cases from what is
// kept, when it was kept at the team's revision and today; otherwise it
// reads them (all of them, for this pass) and keeps what the next passes
// need.
func (t *teamRun) loadKept() error {
	s := t.s
	rev, err := t.tx.TeamRev(t.team.ID)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return nil // a team with no data yet: read as it comes
	} else if err != nil {
		return err
	}
	day := t.day()
	if k := s.kept[t.team.ID]; k != nil && k.rev == rev && k.day == day {
		t.members, t.cases, t.loaded, t.partial = k.members, k.cases, true, true
		t.sum, t.sumPol = k.sum, s.Policy
		s.keptHits++
		return nil
	}
	if err := t.load(); err != nil {
		return err
	}
	sum, err := t.summary(s.Policy)
	if err != nil {
		return err
	}
	k := &kept{rev: rev, day: day, members: t.members, sum: sum}
	for _, c := range t.cases {
		if clockCase(c, t.pol(), s.Policy) {
			k.cases = append(k.cases, c)
		}
	}
	if s.kept == nil {
		s.kept = map[string]*kept{}
	}
	s.kept[t.team.ID] = k
	return nil
}
