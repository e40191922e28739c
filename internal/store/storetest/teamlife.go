package storetest

import (
	"testing"

	"github.com/safeload/safeload/internal/domain"
)

// testTeamLife: a leaver leaves the team and its memberships and nothing
// else; reviews come back in order; a case moves between teams whole.
func testTeamLife(t *testing.T, s domain.Store) {
	update(t, s, "setup", func(tx domain.Tx) error {
		for _, id := range []string{"a-team", "b-team"} {
			if err := tx.PutTeam(&domain.Team{ID: id, Policy: "adults", Posts: 4.5}); err != nil {
				return err
			}
		}
		for _, m := range []*domain.Member{
			{Team: "a-team", Person: "slack:U01", Role: domain.RolePractitioner, FTE: 1},
			{Team: "b-team", Person: "slack:U01", Role: domain.RoleManager, FTE: 1},
			{Team: "a-team", Person: "slack:U02", Role: domain.RoleASYE, FTE: 1, ASYEStarted: "2026-09-01"},
		} {
			if err := tx.PutMember(m); err != nil {
				return err
			}
		}
		if err := tx.AddHours(&domain.HoursEntry{Team: "a-team", By: "slack:U01", Hours: 2}); err != nil {
			return err
		}
		for _, o := range []domain.ReviewOutcome{domain.ReviewKeep, domain.ReviewReduce} {
			if err := tx.AddReview(&domain.Review{Team: "a-team", Person: "slack:U01", By: "slack:U09", Outcome: o}); err != nil {
				return err
			}
		}
		return tx.PutCase(&domain.Case{Ref: "C-1", Team: "a-team", Type: "cp", Status: domain.CaseAllocated, Holder: "slack:U01"})
	})
	update(t, s, "remove", func(tx domain.Tx) error { return tx.DeleteMember("a-team", "slack:U01") })
	wantCode(t, "DeleteMember twice", s.Update(func(tx domain.Tx) error { return tx.DeleteMember("a-team", "slack:U01") }), domain.ENOTFOUND)
	update(t, s, "move", func(tx domain.Tx) error {
		c, err := tx.Case("a-team", "C-1")
		if err != nil {
			return err
		}
		c.Team, c.Status, c.Holder, c.MovedFrom = "b-team", domain.CaseQueued, "", "a-team"
		return tx.MoveCase(c, "a-team")
	})
	view(t, s, "after", func(tx domain.Tx) error {
		ms, err := tx.Memberships("slack:U01")
		mustEqual(t, "Memberships of the leaver", len(ms), err, 1)
		members, err := tx.Members("a-team")
		mustEqual(t, "Members(a-team)", len(members), err, 1)
		mustEqual(t, "ASYEStarted", members[0].ASYEStarted, nil, domain.Date("2026-09-01"))
		hours, err := tx.Hours("a-team", T0.AddDate(-1, 0, 0))
		mustEqual(t, "the leaver's hours", len(hours), err, 1)
		rs, err := tx.Reviews("a-team")
		mustEqual(t, "Reviews", len(rs), err, 2)
		mustEqual(t, "review order", rs[1].Outcome, nil, domain.ReviewReduce)
		wantIncreasing(t, "review IDs", idsOf(rs, func(r *domain.Review) uint64 { return r.ID }))
		rs, err = tx.Reviews("b-team")
		mustEqual(t, "Reviews(b-team)", len(rs), err, 0)
		team, err := tx.CaseTeam("C-1")
		mustEqual(t, "CaseTeam after the move", team, err, "b-team")
		_, err = tx.Case("a-team", "C-1")
		wantCode(t, "the case in its old team", err, domain.ENOTFOUND)
		cs, err := tx.Cases("a-team")
		mustEqual(t, "Cases(a-team)", len(cs), err, 0)
		c, err := tx.Case("b-team", "C-1")
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "moved from", c.MovedFrom, nil, "a-team")
		tm, err := tx.Team("a-team")
		mustEqual(t, "team policy", tm.Policy+"/"+asJSON(tm.Posts), err, "adults/4.5")
		return nil
	})
}
