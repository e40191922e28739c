package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// testReadModels checks the reads that serve one member (HeldCases,
// HoursTotal, OpenConcernsBy, PendingTo) against full scans (Cases, Hours,
// Concerns, PendingProposals)
// after every change, and that TeamRev moves with every change of a team's
// record, members or cases.
func testReadModels(t *testing.T, s domain.Store) {
	people := []domain.PersonID{"slack:U01", "slack:U02", "slack:U03"}
	update(t, s, "teams", func(tx domain.Tx) error {
		for _, id := range []string{"north", "south"} {
			if err := tx.PutTeam(&domain.Team{ID: id}); err != nil {
				return err
			}
		}
		return nil
	})
	rev := func() uint64 {
		t.Helper()
		var r uint64
		view(t, s, "rev", func(tx domain.Tx) (err error) { r, err = tx.TeamRev("north"); return err })
		return r
	}
	check := func(step string) {
		t.Helper()
		view(t, s, step, func(tx domain.Tx) error {
			since := T0.Add(-24 * time.Hour)
			for _, team := range []string{"north", "south"} {
				all, err := tx.Cases(team)
				if err != nil {
					return err
				}
				hours, err := tx.Hours(team, since)
				if err != nil {
					return err
				}
				concerns, err := tx.Concerns(team, true)
				if err != nil {
					return err
				}
				pending, err := tx.PendingProposals()
				if err != nil {
					return err
				}
				for _, p := range people {
					want := filter(all, func(c *domain.Case) bool { return c.Open() && c.Holder == p })
					got, err := tx.HeldCases(team, p)
					mustEqual(t, fmt.Sprintf("%s: HeldCases(%s, %s)", step, team, p), asJSON(got), err, asJSON(want))
					var sum float64
					for _, h := range hours {
						if h.By == p {
							sum += h.Hours
						}
					}
					total, err := tx.HoursTotal(team, p, since)
					mustEqual(t, fmt.Sprintf("%s: HoursTotal(%s, %s)", step, team, p), total, err, sum)
					wantC := filter(concerns, func(c *domain.Concern) bool { return c.By == p })
					gotC, err := tx.OpenConcernsBy(team, p)
					mustEqual(t, fmt.Sprintf("%s: OpenConcernsBy(%s, %s)", step, team, p), asJSON(gotC), err, asJSON(wantC))
					wantP := filter(pending, func(x *domain.Proposal) bool { return x.Team == team && x.To == p })
					gotP, err := tx.PendingTo(team, p)
					mustEqual(t, fmt.Sprintf("%s: PendingTo(%s, %s)", step, team, p), asJSON(gotP), err, asJSON(wantP))
				}
			}
			return nil
		})
	}
	step := func(what string, moves bool, fn func(tx domain.Tx) error) {
		t.Helper()
		before := rev()
		update(t, s, what, fn)
		if after := rev(); (after != before) != moves {
			t.Errorf("%s: north's revision %d → %d", what, before, after)
		}
		check(what)
	}
	check("empty teams")
	step("cases", true, func(tx domain.Tx) error {
		for i := 0; i < 9; i++ {
			c := &domain.Case{Ref: fmt.Sprintf("RM-%d", i), Team: "north", Type: "cp", Status: domain.CaseAllocated, Holder: people[i%3]}
			if i%4 == 0 {
				c.Status, c.Holder = domain.CaseQueued, ""
			}
			if err := tx.PutCase(c); err != nil {
				return err
			}
		}
		return nil
	})
	change := func(ref string, fn func(c *domain.Case)) func(tx domain.Tx) error {
		return func(tx domain.Tx) error {
			c, err := tx.Case("north", ref)
			if err != nil {
				return err
			}
			fn(c)
			return tx.PutCase(c)
		}
	}
	step("reassign", true, change("RM-1", func(c *domain.Case) { c.Holder = people[2] }))
	step("close", true, change("RM-2", func(c *domain.Case) { c.Status = domain.CaseClosed }))
	step("reopen", true, change("RM-2", func(c *domain.Case) { c.Status = domain.CaseAllocated; c.Holder = people[0] }))
	step("move", true, func(tx domain.Tx) error {
		c, err := tx.Case("north", "RM-5")
		if err != nil {
			return err
		}
		c.Team = "south"
		return tx.MoveCase(c, "north")
	})
	step("member", true, func(tx domain.Tx) error {
		return tx.PutMember(&domain.Member{Team: "north", Person: people[0], Role: domain.RolePractitioner})
	})
	step("leaver", true, func(tx domain.Tx) error { return tx.DeleteMember("north", people[0]) })
	step("team", true, func(tx domain.Tx) error { return tx.PutTeam(&domain.Team{ID: "north", Name: "North"}) })
	step("hours", false, func(tx domain.Tx) error {
		for i, at := range []time.Time{T0, T0.Add(-48 * time.Hour), T0.Add(time.Hour), {}} {
			if err := tx.AddHours(&domain.HoursEntry{Team: "north", By: people[i%2], Hours: float64(i) + 0.5, At: at}); err != nil {
				return err
			}
		}
		return nil
	})
	var ids []uint64
	step("concerns", false, func(tx domain.Tx) error {
		for i := 0; i < 4; i++ {
			c := &domain.Concern{Team: []string{"north", "south"}[i%2], By: people[i%3], Text: "too much", RaisedAt: T0}
			if err := tx.PutConcern(c); err != nil {
				return err
			}
			ids = append(ids, c.ID)
		}
		return nil
	})
	step("resolve", false, func(tx domain.Tx) error {
		c, err := tx.Concern(ids[0])
		if err != nil {
			return err
		}
		c.ResolvedAt, c.ResolvedBy = T0.Add(time.Hour), people[2]
		return tx.PutConcern(c)
	})
	var pids []uint64
	step("proposals", false, func(tx domain.Tx) error {
		for i := 0; i < 6; i++ {
			x := &domain.Proposal{Team: []string{"north", "south"}[i%2], Ref: fmt.Sprintf("RM-%d", i), To: people[i%3], By: people[2], At: T0, Status: domain.ProposalPending}
			if err := tx.PutProposal(x); err != nil {
				return err
			}
			pids = append(pids, x.ID)
		}
		return nil
	})
	answer := func(i int, fn func(x *domain.Proposal)) func(tx domain.Tx) error {
		return func(tx domain.Tx) error {
			x, err := tx.Proposal(pids[i])
			if err != nil {
				return err
			}
			fn(x)
			return tx.PutProposal(x)
		}
	}
	step("accepted", false, answer(0, func(x *domain.Proposal) { x.Status = domain.ProposalAccepted }))
	step("declined", false, answer(1, func(x *domain.Proposal) { x.Status = domain.ProposalDeclined }))
	step("to someone else", false, answer(2, func(x *domain.Proposal) { x.To = people[0] }))
	step("to another team", false, answer(3, func(x *domain.Proposal) { x.Team = "north" }))
	step("pending again", false, answer(0, func(x *domain.Proposal) { x.Status = domain.ProposalPending }))
	before := rev()
	if err := s.Update(func(tx domain.Tx) error {
		if err := change("RM-3", func(c *domain.Case) { c.Holder = people[0] })(tx); err != nil {
			return err
		}
		return errRollback
	}); err != errRollback {
		t.Fatalf("rolled-back update: %v", err)
	}
	if after := rev(); after != before {
		t.Errorf("a rolled-back change moved the revision %d → %d", before, after)
	}
	check("a rolled-back change")
	view(t, s, "no team", func(tx domain.Tx) error {
		if _, err := tx.HeldCases("nowhere", people[0]); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("HeldCases of no team: %v, want ENOTFOUND", err)
		}
		if _, err := tx.TeamRev("nowhere"); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("TeamRev of no team: %v, want ENOTFOUND", err)
		}
		return nil
	})
}
