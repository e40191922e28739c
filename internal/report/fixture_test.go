package report_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/digest"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/store"
)

var london = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return loc
}()

func at(day string, hour int) time.Time {
	d, err := time.ParseInLocation(time.DateOnly, day, london)
	if err != nil {
		panic(err)
	}
	return d.Add(time.Duration(hour) * time.Hour)
}

// fixture is a team of three (Alice and Cy practitioners, Bo an ASYE) and
// a manager, with four weekly snapshots in August 2026 taken on a fake
// clock as the digest takes them, cases allocated after waits, concerns,
// overrides and hours. The first snapshot is stored the way a store older
// than per-member roles kept it.
type fixture struct {
	st    *store.DB
	clock *clock.Fake
	pol   domain.Policy
	// loads are each week's cp cases held by Alice, Bo and Cy.
	loads [4][3]int
}

var weeks = []string{"2026-08-03", "2026-08-10", "2026-08-17", "2026-08-24"}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{clock: clock.NewFake(at("2026-07-20", 9)), pol: domain.DefaultPolicy(),
		loads: [4][3]int{{10, 8, 5}, {11, 8, 5}, {11, 9, 5}, {10, 8, 5}}}
	st, err := store.Open(filepath.Join(t.TempDir(), "safeload.db"), store.Options{Clock: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	f.st = st
	people := []*domain.Member{
		{Team: "north", Person: "test:alice", Name: "Alice Adams", Role: domain.RolePractitioner, FTE: 1},
		{Team: "north", Person: "test:bo", Name: "Bo Brown", Role: domain.RoleASYE, FTE: 1},
		{Team: "north", Person: "test:cy", Name: "Cy Cole", Role: domain.RolePractitioner, FTE: 1},
		{Team: "north", Person: "test:meg", Name: "Meg Moss", Role: domain.RoleManager, FTE: 1},
	}
	f.update(t, func(tx domain.Tx) error {
		if err := tx.PutTeam(&domain.Team{ID: "north", Name: "North CIN", Channel: "test:CNORTH", CreatedAt: tx.Now()}); err != nil {
			return err
		}
		for _, m := range people {
			if err := tx.PutMember(m); err != nil {
				return err
			}
		}
		return nil
	})
	for w, day := range weeks {
		f.clock.Set(at(day, 9))
		f.update(t, func(tx domain.Tx) error {
			for k, p := range []domain.PersonID{"test:alice", "test:bo", "test:cy"} {
				for n := 1; n <= 12; n++ {
					c := &domain.Case{Ref: fmt.Sprintf("H-%s-%02d", p[5:], n), Team: "north", Type: "cp", CreatedAt: tx.Now()}
					if n <= f.loads[w][k] {
						c.Status, c.Holder, c.AllocatedAt = domain.CaseAllocated, p, tx.Now()
					} else {
						c.Status = domain.CaseClosed
					}
					if err := tx.PutCase(c); err != nil {
						return err
					}
				}
			}
			team, err := tx.Team("north")
			if err != nil {
				return err
			}
			snap, _, err := digest.EnsureSnapshot(tx, &f.pol, london, team, tx.Now())
			if err != nil {
				return err
			}
			if w == 0 { // as an older store kept it: no role, no FTE
				for i := range snap.Members {
					snap.Members[i].Role, snap.Members[i].FTE = "", 0
				}
				return tx.PutWeekSnapshot("north", snap.Week, snap)
			}
			return nil
		})
	}
	f.clock.Set(at("2026-11-20", 12))
	f.update(t, func(tx domain.Tx) error {
		// Waits: 2 days; 6 hours (high risk); 21 days; and one allocated
		// in October, outside the period.
		for _, c := range []*domain.Case{
			{Ref: "W-1", Type: "cin", QueuedSince: at("2026-08-03", 9), AllocatedAt: at("2026-08-05", 9)},
			{Ref: "W-2", Type: "cin", Factors: []string{"high_risk"}, QueuedSince: at("2026-08-10", 9), AllocatedAt: at("2026-08-10", 15)},
			{Ref: "W-3", Type: "cin", QueuedSince: at("2026-07-30", 9), AllocatedAt: at("2026-08-20", 9)},
			{Ref: "W-4", Type: "cin", QueuedSince: at("2026-10-01", 9), AllocatedAt: at("2026-10-02", 9)},
			// Overrides: one reviewed on time, one never reviewed.
			{Ref: "O-1", Type: "cin", Override: &domain.Override{Reason: "no one else", At: at("2026-08-10", 11), ReviewOn: "2026-09-07"}},
			{Ref: "O-2", Type: "cin", Override: &domain.Override{Reason: "court tomorrow", At: at("2026-08-17", 11), ReviewOn: "2026-09-14"}},
		} {
			c.Team, c.Status, c.Holder, c.CreatedAt, c.ClosedAt = "north", domain.CaseClosed, "test:cy", at("2026-07-01", 9), at("2026-10-30", 9)
			if err := tx.PutCase(c); err != nil {
				return err
			}
		}
		for _, c := range []*domain.Concern{
			// Acknowledged after a day (in time), planned, resolved.
			{By: "test:alice", Text: "too much", RaisedAt: at("2026-08-03", 10), AckBy: "test:meg", AckAt: at("2026-08-04", 10),
				Plan: "move C-1", PlanAt: at("2026-08-04", 11), ResolvedAt: at("2026-08-10", 9), ResolvedBy: "test:meg"},
			// Raised on a Friday, acknowledged six days later: late.
			{By: "test:bo", Text: "court week", RaisedAt: at("2026-08-14", 10), AckBy: "test:meg", AckAt: at("2026-08-20", 10),
				Plan: "support", PlanAt: at("2026-08-20", 11)},
			{By: "test:cy", Text: "no time", RaisedAt: at("2026-08-24", 10)},
			{By: "test:cy", Text: "June", RaisedAt: at("2026-06-10", 10), AckAt: at("2026-06-10", 11), AckBy: "test:meg"},
		} {
			c.Team = "north"
			if err := tx.PutConcern(c); err != nil {
				return err
			}
		}
		for _, h := range []*domain.HoursEntry{
			{By: "test:alice", Hours: 3, At: at("2026-08-05", 18)},
			{By: "test:alice", Hours: 2.5, At: at("2026-08-12", 18)},
			{By: "test:bo", Hours: 4, At: at("2026-08-20", 18)},
			{By: "test:bo", Hours: 9, At: at("2026-10-02", 18)},
		} {
			h.Team = "north"
			if err := tx.AddHours(h); err != nil {
				return err
			}
		}
		return nil
	})
	f.clock.Set(at("2026-09-04", 12))
	f.update(t, func(tx domain.Tx) error {
		return tx.Audit(&domain.AuditEntry{Actor: "test:meg", Team: "north", Action: "allocate.review", Subject: "O-1", Detail: "continue"})
	})
	f.clock.Set(at("2026-11-20", 12))
	return f
}

func (f *fixture) update(t *testing.T, fn func(domain.Tx) error) {
	t.Helper()
	if err := f.st.Update(fn); err != nil {
		t.Fatal(err)
	}
}
