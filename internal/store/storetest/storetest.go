// Package storetest is the contract every domain.Store keeps: the bbolt store
// runs it today, and a store over etcd must pass it unchanged before the
// engine may use it. It imports only the domain and the clock, never a store.
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, clk clock.Clock) domain.Store { return openEmpty(t, clk) })
//	}
//
// Fill and Verify are exported so that an implementation can also prove that
// what it wrote survives closing and re-opening, which only it knows how to do.
package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/domain"
)

// Run runs the whole contract. open must return a new, empty store whose
// transactions are stamped by clk on each call; the suite closes it when the
// sub-test ends. The clock is a fake one that the suite moves itself.
func Run(t *testing.T, open func(t *testing.T, clk clock.Clock) domain.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s domain.Store)
	}{
		{"RoundTrip", func(t *testing.T, s domain.Store) { Verify(t, s, Fill(t, s)) }},
		{"NotFound", testNotFound},
		{"Teams", testTeams},
		{"CaseRefsUniqueAcrossTeams", testCaseRefs},
		{"Memberships", testMemberships},
		{"Proposals", testProposals},
		{"Concerns", testConcerns},
		{"Hours", testHours},
		{"Audit", testAudit},
		{"Outbox", testOutbox},
		{"Clocks", testClocks},
		{"DigestRecords", testDigestRecords},
		{"ConversationRefs", testConversationRefs},
		{"FailedUpdateLeavesNothing", testRollback},
		{"ViewDoesNotWrite", testViewReadOnly},
		{"NowIsOnePerTransaction", nil},
		{"ValuesAreCopies", testCopies},
		{"ConcurrentUpdates", testConcurrent},
		{"GroupRefusalDiscardsOnlyItsWrites", testGroup},
		{"WeekSnapshots", testWeekSnapshots},
		{"TeamLife", testTeamLife},
		{"ReadModels", testReadModels},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clock.NewFake(T0)
			s := open(t, clk)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			if tt.fn == nil {
				testNow(t, s, clk)
				return
			}
			tt.fn(t, s)
		})
	}
}

// T0 is the fixture's Monday morning; every time in it is a fixed UTC time so
// that values compare exactly after a round trip.
var T0 = time.Date(2026, 5, 11, 9, 0, 0, 0, time.UTC)

// errRollback makes an Update give up on purpose.
var errRollback = errors.New("storetest: roll back")

// Fixture is what Fill wrote, with the IDs the store gave.
type Fixture struct {
	People    []*domain.Person
	Teams     []*domain.Team
	Members   []*domain.Member
	Cases     []*domain.Case
	Proposals []*domain.Proposal
	Concerns  []*domain.Concern
	Hours     []*domain.HoursEntry
	Audit     []*domain.AuditEntry // in the order written, not the order kept
	Outbox    []*domain.OutboxItem
	Clocks    []FiredClock
	Digests   []PostedDigest
	// DigestsSince and LastDigest are what Fill records with
	// PutDigestsSince and PutLastDigest.
	DigestsSince, LastDigest time.Time
	Refs                     map[string]*domain.ConversationRef
}

// FiredClock is a clock's firing, as Fill records it.
type FiredClock struct {
	Key    domain.ClockKey
	Firing domain.ClockFiring
}

// PostedDigest is a digest's posting, as Fill records it.
type PostedDigest struct {
	Slot   domain.DigestSlot
	Firing domain.ClockFiring
}

// StateValue is the record the suite keeps as a week's snapshot.
type StateValue struct {
	Week  string    `json:"week"`
	Count int       `json:"count"`
	At    time.Time `json:"at"`
}

func at(d time.Duration) time.Time { return T0.Add(d) }

// Fill writes one or more of every kind of record to an empty store, over
// several transactions, and returns them.
func Fill(tb testing.TB, s domain.Store) *Fixture {
	tb.Helper()
	f := &Fixture{
		People: []*domain.Person{
			{ID: "slack:U01", Name: "Alice Adams"},
			{ID: "slack:U09", Name: "Meg Moss", Admin: true},
		},
		Teams: []*domain.Team{
			{ID: "north", Name: "North CIN", Channel: "slack:C01", ServiceManager: "slack:USM", CreatedAt: T0},
			{ID: "south", Name: "South CP", Channel: "discord:55", CreatedAt: T0, MeetingStart: at(time.Hour)},
		},
		Members: []*domain.Member{
			{Team: "north", Person: "slack:U01", Name: "Alice Adams", Role: domain.RolePractitioner, FTE: 1, JoinedAt: T0},
			{Team: "north", Person: "slack:U02", Name: "Bo Brown", Role: domain.RoleASYE, FTE: 0.8, JoinedAt: T0,
				Reductions: []domain.Reduction{{Reason: "practice educator", Percent: 10, Until: "2027-03-31"}}},
			{Team: "north", Person: "slack:U09", Name: "Meg Moss", Role: domain.RoleManager, FTE: 1, JoinedAt: T0},
			{Team: "south", Person: "slack:U01", Name: "Alice Adams", Role: domain.RolePractitioner, FTE: 0.2, JoinedAt: T0},
		},
		Cases: []*domain.Case{
			{Ref: "C-1001", Team: "north", Type: "cp", Factors: []string{"court", "rural"}, Children: 3,
				Status: domain.CaseAllocated, Holder: "slack:U01", Involved: []domain.PersonID{"slack:U05"},
				PrevHolders: []domain.PersonID{"slack:U02"}, CreatedAt: T0, AllocatedAt: at(time.Hour),
				Override: &domain.Override{Reason: "continuity", ReviewOn: "2026-06-08", By: "slack:U09", At: at(time.Hour), Percent: 104.5}},
			{Ref: "C-1002", Team: "north", Type: "cin", Status: domain.CaseQueued, CreatedAt: T0, QueuedSince: T0},
			{Ref: "CIN/2024/001", Team: "south", Type: "proceedings", Status: domain.CaseClosed, CreatedAt: T0, ClosedAt: at(2 * time.Hour)},
		},
		Proposals: []*domain.Proposal{
			{Team: "north", Ref: "C-1002", Kind: domain.ProposeAllocate, To: "slack:U02", By: "slack:U09", At: at(time.Hour),
				Before: 50, After: 57.4, Status: domain.ProposalPending},
			{Team: "north", Ref: "C-1001", Kind: domain.ProposeTransfer, To: "slack:U01", From: "slack:U02", By: "slack:U09",
				At: T0, Reason: "Bo is on leave", Before: 92, After: 104.5, Status: domain.ProposalAccepted,
				AnsweredAt: at(time.Hour), AnsweredBy: "slack:U01"},
			{Team: "south", Ref: "CIN/2024/001", Kind: domain.ProposeAllocate, To: "slack:U01", By: "slack:U09", At: at(time.Hour),
				Status: domain.ProposalPending, Reminded: true},
		},
		Concerns: []*domain.Concern{
			{Team: "north", By: "slack:U01", Text: "Too many court cases this month", RaisedAt: T0,
				Snapshot: domain.Workload{Person: "slack:U01", Role: domain.RolePractitioner, FTE: 1, Capacity: 85, Load: 93, Percent: 109.4, Cases: 10, RAG: domain.Amber}},
			{Team: "north", By: "slack:U02", Text: "Travel", RaisedAt: T0, AckBy: "slack:U09", AckAt: at(time.Hour),
				Plan: "swap a rural case", PlanBy: "slack:U09", PlanAt: at(2 * time.Hour), ResolvedBy: "slack:U09", ResolvedAt: at(3 * time.Hour)},
			{Team: "south", By: "slack:U01", Text: "Cover", RaisedAt: at(time.Hour), Escalations: 2},
		},
		Hours: []*domain.HoursEntry{
			{Team: "north", By: "slack:U01", Hours: 2.5, Note: "court report", At: T0},
			{Team: "north", By: "slack:U02", Hours: 1, At: at(48 * time.Hour)},
			{Team: "south", By: "slack:U01", Hours: 3, At: at(24 * time.Hour)},
		},
		Audit: []*domain.AuditEntry{
			{At: at(time.Hour), Actor: "slack:U09", Team: "north", Action: "propose", Subject: "C-1002", After: "slack:U02"},
			{At: T0, Actor: "slack:U09", Team: "north", Action: "case.add", Subject: "C-1002"}, // written late, kept in time order
			{At: at(2 * time.Hour), Actor: "slack:U01", Team: "north", Action: "accept", Subject: "C-1001", Before: "slack:U02", After: "slack:U01"},
			{At: at(time.Hour), Actor: "slack:U09", Team: "south", Action: "propose", Subject: "CIN/2024/001"},
			{At: T0, Actor: "slack:U00", Action: "grant", Subject: "slack:U09", Detail: "admin"},
		},
		Outbox: []*domain.OutboxItem{
			{Dest: "slack:C01", Kind: "digest", Message: domain.Message{Audience: domain.ToChannel, To: "slack:C01", Title: "Weekly digest", RAG: domain.Amber,
				Sections: []domain.Section{{Title: "Queue", Lines: []domain.Line{{Text: "C-1002", RAG: domain.Green}}}}}, CreatedAt: T0, NextTry: T0},
			{Dest: "slack:UGONE", Kind: "dm", Message: domain.Message{Audience: domain.ToPerson, Text: "gone"}, CreatedAt: T0, NextTry: T0,
				Attempts: 5, LastError: "user_not_found", Failed: true},
			{Dest: "slack:USM", Kind: "escalation", Message: domain.Message{Audience: domain.ToPerson, Text: "Concern 1 waits",
				Buttons: []domain.Button{{Label: "Acknowledge", ActionID: "ack:1", Style: domain.ButtonPrimary, For: "slack:USM"}}},
				CreatedAt: at(time.Hour), NextTry: at(2 * time.Hour), Attempts: 1, LastError: "429"},
		},
		Clocks: []FiredClock{
			{domain.ClockKey{Kind: domain.ClockConcern, Concern: 1, N: 1}, domain.ClockFiring{At: at(time.Hour), Due: T0, To: []domain.PersonID{"slack:USM"}}},
			{domain.ClockKey{Kind: domain.ClockHighRisk, Team: "north", Ref: "C-1", Since: T0, N: 2}, domain.ClockFiring{At: at(2 * time.Hour), Msgs: 1}},
			{domain.ClockKey{Kind: domain.ClockTeamOver, Team: "south"}, domain.ClockFiring{At: at(time.Hour), Due: T0}},
		},
		Digests: []PostedDigest{
			{domain.DigestSlot{Team: "north", Slot: T0}, domain.ClockFiring{At: at(time.Minute), Msgs: 1}},
			{domain.DigestSlot{Manager: "slack:USM", Slot: T0}, domain.ClockFiring{At: at(time.Minute), Msgs: 2}},
		},
		DigestsSince: at(-7 * 24 * time.Hour),
		LastDigest:   at(time.Minute),
		Refs: map[string]*domain.ConversationRef{
			"teams:29:alice": {ServiceURL: "https://smba.example/", Tenant: "t1", Conversation: "a:1", Name: "Alice", SeenAt: T0},
		},
	}
	// Members and cases need their teams committed first.
	update(tb, s, "Fill people and teams", func(tx domain.Tx) error {
		if err := putAll(f.People, func(p *domain.Person) error { return tx.PutPerson(clone(p)) }); err != nil {
			return err
		}
		return putAll(f.Teams, func(t *domain.Team) error { return tx.PutTeam(clone(t)) })
	})
	update(tb, s, "Fill members and cases", func(tx domain.Tx) error {
		if err := putAll(f.Members, func(m *domain.Member) error { return tx.PutMember(clone(m)) }); err != nil {
			return err
		}
		return putAll(f.Cases, func(c *domain.Case) error { return tx.PutCase(clone(c)) })
	})
	// These keep the IDs the store gives them.
	update(tb, s, "Fill proposals, concerns and hours", func(tx domain.Tx) error {
		if err := putAll(f.Proposals, tx.PutProposal); err != nil {
			return err
		}
		if err := putAll(f.Concerns, tx.PutConcern); err != nil {
			return err
		}
		return putAll(f.Hours, tx.AddHours)
	})
	for _, e := range f.Audit { // one transaction each, like real actions
		update(tb, s, "Fill audit", func(tx domain.Tx) error { return tx.Audit(e) })
	}
	update(tb, s, "Fill outbox and state", func(tx domain.Tx) error {
		if err := putAll(f.Outbox, tx.Enqueue); err != nil {
			return err
		}
		for _, c := range f.Clocks {
			if err := tx.MarkFired(c.Key, c.Firing); err != nil {
				return err
			}
		}
		for _, d := range f.Digests {
			if err := tx.MarkDigestPosted(d.Slot, d.Firing); err != nil {
				return err
			}
		}
		for id, ref := range f.Refs {
			if err := tx.PutConversationRef(id, clone(ref)); err != nil {
				return err
			}
		}
		if err := tx.PutDigestsSince(f.DigestsSince); err != nil {
			return err
		}
		return tx.PutLastDigest(f.LastDigest)
	})
	return f
}

// Verify checks, in one View, that s holds exactly what Fill wrote.
func Verify(tb testing.TB, s domain.Store, f *Fixture) {
	tb.Helper()
	view(tb, s, "Verify", func(tx domain.Tx) error {
		for _, want := range f.People {
			got, err := tx.Person(want.ID)
			mustEqual(tb, "Person("+string(want.ID)+")", got, err, want)
		}
		teams, err := tx.Teams()
		mustEqual(tb, "Teams()", sortedBy(teams, func(t *domain.Team) string { return t.ID }), err, f.Teams)
		for _, want := range f.Teams {
			got, err := tx.Team(want.ID)
			mustEqual(tb, "Team("+want.ID+")", got, err, want)
			got, err = tx.TeamByChannel(want.Channel)
			mustEqual(tb, "TeamByChannel("+string(want.Channel)+")", got, err, want)
		}

		for _, team := range []string{"north", "south"} {
			members, err := tx.Members(team)
			mustEqual(tb, "Members("+team+")", sortedBy(members, memberKey), err,
				sortedBy(filter(f.Members, func(m *domain.Member) bool { return m.Team == team }), memberKey))
			cases, err := tx.Cases(team)
			mustEqual(tb, "Cases("+team+")", sortedBy(cases, func(c *domain.Case) string { return c.Ref }), err,
				sortedBy(filter(f.Cases, func(c *domain.Case) bool { return c.Team == team }), func(c *domain.Case) string { return c.Ref }))
		}
		for _, want := range f.Members {
			got, err := tx.Member(want.Team, want.Person)
			mustEqual(tb, "Member("+memberKey(want)+")", got, err, want)
		}
		ms, err := tx.Memberships("slack:U01")
		mustEqual(tb, "Memberships(slack:U01)", sortedBy(ms, memberKey), err,
			sortedBy(filter(f.Members, func(m *domain.Member) bool { return m.Person == "slack:U01" }), memberKey))
		for _, want := range f.Cases {
			got, err := tx.Case(want.Team, want.Ref)
			mustEqual(tb, "Case("+want.Ref+")", got, err, want)
			team, err := tx.CaseTeam(want.Ref)
			mustEqual(tb, "CaseTeam("+want.Ref+")", team, err, want.Team)
		}

		for _, want := range f.Proposals {
			got, err := tx.Proposal(want.ID)
			mustEqual(tb, fmt.Sprintf("Proposal(%d)", want.ID), got, err, want)
		}
		pending, err := tx.PendingProposals()
		mustEqual(tb, "PendingProposals()", pending, err,
			filter(f.Proposals, func(p *domain.Proposal) bool { return p.Status == domain.ProposalPending }))

		for _, want := range f.Concerns {
			got, err := tx.Concern(want.ID)
			mustEqual(tb, fmt.Sprintf("Concern(%d)", want.ID), got, err, want)
		}
		all, err := tx.Concerns("north", false)
		mustEqual(tb, "Concerns(north, all)", all, err, f.Concerns[:2])
		open, err := tx.Concerns("north", true)
		mustEqual(tb, "Concerns(north, open)", open, err, f.Concerns[:1])

		hours, err := tx.Hours("north", time.Time{})
		mustEqual(tb, "Hours(north)", hours, err, f.Hours[:2])
		hours, err = tx.Hours("north", at(time.Hour))
		mustEqual(tb, "Hours(north, since)", hours, err, f.Hours[1:2])

		log, err := tx.AuditLog("north", time.Time{})
		mustEqual(tb, "AuditLog(north)", log, err, []*domain.AuditEntry{f.Audit[1], f.Audit[0], f.Audit[2]})
		log, err = tx.AuditLog("north", at(time.Hour))
		mustEqual(tb, "AuditLog(north, since)", log, err, []*domain.AuditEntry{f.Audit[0], f.Audit[2]})
		log, err = tx.AuditLog("south", time.Time{})
		mustEqual(tb, "AuditLog(south)", log, err, f.Audit[3:4])
		log, err = tx.AuditLog("", time.Time{})
		mustEqual(tb, "AuditLog(\"\")", log, err, f.Audit[4:5])

		out, err := tx.Outbox(0)
		mustEqual(tb, "Outbox(0)", out, err, []*domain.OutboxItem{f.Outbox[0], f.Outbox[2]})
		out, err = tx.Outbox(1)
		mustEqual(tb, "Outbox(1)", out, err, f.Outbox[:1])
		failed, err := tx.OutboxItem(f.Outbox[1].ID)
		mustEqual(tb, "OutboxItem(failed)", failed, err, f.Outbox[1])

		for _, c := range f.Clocks {
			got, ok, err := tx.Fired(c.Key)
			mustEqual(tb, fmt.Sprintf("Fired(%+v)", c.Key), ok, err, true)
			mustEqual(tb, fmt.Sprintf("Fired(%+v) firing", c.Key), got, nil, c.Firing)
		}
		for _, d := range f.Digests {
			got, ok, err := tx.DigestPosted(d.Slot)
			mustEqual(tb, fmt.Sprintf("DigestPosted(%+v)", d.Slot), ok, err, true)
			mustEqual(tb, fmt.Sprintf("DigestPosted(%+v) firing", d.Slot), got, nil, d.Firing)
		}
		for id, want := range f.Refs {
			got, err := tx.ConversationRef(id)
			mustEqual(tb, "ConversationRef("+id+")", got, err, want)
		}
		since, err := tx.DigestsSince()
		mustEqual(tb, "DigestsSince", since, err, f.DigestsSince)
		last, err := tx.LastDigest()
		mustEqual(tb, "LastDigest", last, err, f.LastDigest)
		return nil
	})
}

func testNotFound(t *testing.T, s domain.Store) {
	update(t, s, "a team to look in", func(tx domain.Tx) error { return tx.PutTeam(&domain.Team{ID: "north"}) })
	view(t, s, "NotFound", func(tx domain.Tx) error {
		for name, err := range map[string]error{
			"Person":          second(tx.Person("slack:UNONE")),
			"Team":            second(tx.Team("nowhere")),
			"TeamByChannel":   second(tx.TeamByChannel("slack:CNONE")),
			"Member":          second(tx.Member("north", "slack:UNONE")),
			"Member(no team)": second(tx.Member("nowhere", "slack:UNONE")),
			"Case":            second(tx.Case("north", "C-404")),
			"Case(no team)":   second(tx.Case("nowhere", "C-404")),
			"CaseTeam":        second(tx.CaseTeam("C-404")),
			"Proposal":        second(tx.Proposal(404)),
			"Concern":         second(tx.Concern(404)),
			"OutboxItem":      second(tx.OutboxItem(404)),
		} {
			wantCode(t, name, err, domain.ENOTFOUND)
		}
		ms, err := tx.Memberships("slack:UNONE")
		mustEqual(t, "Memberships(nobody)", len(ms), err, 0)
		_, ok, err := tx.Fired(domain.ClockKey{Kind: domain.ClockConcern, Concern: 404, N: 1})
		mustEqual(t, "Fired(missing)", ok, err, false)
		_, ok, err = tx.DigestPosted(domain.DigestSlot{Team: "north", Slot: T0})
		mustEqual(t, "DigestPosted(missing)", ok, err, false)
		since, err := tx.DigestsSince()
		mustEqual(t, "DigestsSince(never)", since, err, time.Time{})
		last, err := tx.LastDigest()
		mustEqual(t, "LastDigest(never)", last, err, time.Time{})
		wantCode(t, "ConversationRef", second(tx.ConversationRef("teams:29:nobody")), domain.ENOTFOUND)
		out, err := tx.Outbox(0)
		mustEqual(t, "Outbox(empty)", len(out), err, 0)
		pending, err := tx.PendingProposals()
		mustEqual(t, "PendingProposals(empty)", len(pending), err, 0)
		log, err := tx.AuditLog("north", time.Time{})
		mustEqual(t, "AuditLog(empty)", len(log), err, 0)
		return nil
	})
}

func testTeams(t *testing.T, s domain.Store) {
	err := s.Update(func(tx domain.Tx) error { return tx.PutTeam(&domain.Team{Name: "no id"}) })
	wantCode(t, "PutTeam without an ID", err, domain.EINVALID)

	update(t, s, "two teams", func(tx domain.Tx) error {
		if err := tx.PutTeam(&domain.Team{ID: "north", Channel: "slack:C01"}); err != nil {
			return err
		}
		return tx.PutTeam(&domain.Team{ID: "south", Channel: "slack:C02"})
	})
	err = s.Update(func(tx domain.Tx) error { return tx.PutTeam(&domain.Team{ID: "east", Channel: "slack:C01"}) })
	wantCode(t, "PutTeam on another team's channel", err, domain.ECONFLICT)

	update(t, s, "move north to a new channel", func(tx domain.Tx) error {
		return tx.PutTeam(&domain.Team{ID: "north", Name: "North", Channel: "slack:C03"})
	})
	view(t, s, "channels", func(tx domain.Tx) error {
		_, err := tx.TeamByChannel("slack:C01")
		wantCode(t, "TeamByChannel(old channel)", err, domain.ENOTFOUND)
		tm, err := tx.TeamByChannel("slack:C03")
		mustEqual(t, "TeamByChannel(new channel)", tm, err, &domain.Team{ID: "north", Name: "North", Channel: "slack:C03"})
		_, err = tx.Team("east")
		wantCode(t, "Team(east) after its conflict", err, domain.ENOTFOUND)
		teams, err := tx.Teams()
		mustEqual(t, "len(Teams())", len(teams), err, 2)
		return nil
	})
	update(t, s, "the freed channel can be taken", func(tx domain.Tx) error {
		return tx.PutTeam(&domain.Team{ID: "east", Channel: "slack:C01"})
	})
}

func testCaseRefs(t *testing.T, s domain.Store) {
	update(t, s, "two teams and a case", func(tx domain.Tx) error {
		for _, id := range []string{"north", "south"} {
			if err := tx.PutTeam(&domain.Team{ID: id}); err != nil {
				return err
			}
		}
		return tx.PutCase(&domain.Case{Ref: "C-1", Team: "north", Type: "cin", Status: domain.CaseQueued})
	})
	err := s.Update(func(tx domain.Tx) error {
		return tx.PutCase(&domain.Case{Ref: "C-1", Team: "south", Type: "cp", Status: domain.CaseQueued})
	})
	wantCode(t, "PutCase(C-1 in south)", err, domain.ECONFLICT)

	err = s.Update(func(tx domain.Tx) error {
		return tx.PutCase(&domain.Case{Ref: "C-2", Team: "nowhere", Type: "cp"})
	})
	if err == nil {
		t.Errorf("PutCase in a team that does not exist: no error")
	}
	update(t, s, "the same team may update its case", func(tx domain.Tx) error {
		return tx.PutCase(&domain.Case{Ref: "C-1", Team: "north", Type: "cp", Status: domain.CaseQueued})
	})
	view(t, s, "after the conflict", func(tx domain.Tx) error {
		team, err := tx.CaseTeam("C-1")
		mustEqual(t, "CaseTeam(C-1)", team, err, "north")
		c, err := tx.Case("north", "C-1")
		mustEqual(t, "Case(north, C-1)", c, err, &domain.Case{Ref: "C-1", Team: "north", Type: "cp", Status: domain.CaseQueued})
		_, err = tx.Case("south", "C-1")
		wantCode(t, "Case(south, C-1)", err, domain.ENOTFOUND)
		cases, err := tx.Cases("south")
		mustEqual(t, "len(Cases(south))", len(cases), err, 0)
		_, err = tx.CaseTeam("C-2")
		wantCode(t, "CaseTeam(C-2)", err, domain.ENOTFOUND)
		return nil
	})
}

func testMemberships(t *testing.T, s domain.Store) {
	err := s.Update(func(tx domain.Tx) error {
		return tx.PutMember(&domain.Member{Team: "nowhere", Person: "slack:U01", Role: domain.RolePractitioner})
	})
	if err == nil {
		t.Errorf("PutMember in a team that does not exist: no error")
	}
	update(t, s, "members", func(tx domain.Tx) error {
		for _, id := range []string{"a-team", "b-team", "c-team"} {
			if err := tx.PutTeam(&domain.Team{ID: id}); err != nil {
				return err
			}
		}
		for _, m := range []*domain.Member{
			{Team: "b-team", Person: "slack:U01", Role: domain.RolePractitioner, FTE: 0.5},
			{Team: "a-team", Person: "slack:U01", Role: domain.RoleManager},
			{Team: "a-team", Person: "slack:U010", Role: domain.RoleStudent}, // shares a prefix
			{Team: "c-team", Person: "slack:U02", Role: domain.RoleASYE, FTE: 1},
		} {
			if err := tx.PutMember(m); err != nil {
				return err
			}
		}
		// Changing a role keeps one membership.
		return tx.PutMember(&domain.Member{Team: "b-team", Person: "slack:U01", Role: domain.RolePractitioner, FTE: 0.6})
	})
	view(t, s, "memberships", func(tx domain.Tx) error {
		ms, err := tx.Memberships("slack:U01")
		mustEqual(t, "Memberships(slack:U01)", sortedBy(ms, memberKey), err, []*domain.Member{
			{Team: "a-team", Person: "slack:U01", Role: domain.RoleManager},
			{Team: "b-team", Person: "slack:U01", Role: domain.RolePractitioner, FTE: 0.6},
		})
		ms, err = tx.Memberships("slack:U0")
		mustEqual(t, "len(Memberships(slack:U0))", len(ms), err, 0)
		members, err := tx.Members("a-team")
		mustEqual(t, "len(Members(a-team))", len(members), err, 2)
		return nil
	})
}

func testProposals(t *testing.T, s domain.Store) {
	var props []*domain.Proposal
	for i := range 3 {
		props = append(props, &domain.Proposal{Team: "north", Ref: fmt.Sprintf("C-%d", i), To: "slack:U01", Status: domain.ProposalPending})
	}
	update(t, s, "proposals", func(tx domain.Tx) error { return putAll(props, tx.PutProposal) })
	ids := idsOf(props, func(p *domain.Proposal) uint64 { return p.ID })
	wantIncreasing(t, "proposal IDs", ids)
	update(t, s, "answer the middle one", func(tx domain.Tx) error {
		p, err := tx.Proposal(ids[1])
		if err != nil {
			return err
		}
		p.Status, p.AnsweredBy, p.AnsweredAt = domain.ProposalDeclined, "slack:U01", tx.Now()
		if err := tx.PutProposal(p); err != nil {
			return err
		}
		if p.ID != ids[1] {
			t.Errorf("PutProposal changed an existing ID from %d to %d", ids[1], p.ID)
		}
		return nil
	})
	view(t, s, "pending", func(tx domain.Tx) error {
		pending, err := tx.PendingProposals()
		mustEqual(t, "PendingProposals IDs", idsOf(pending, func(p *domain.Proposal) uint64 { return p.ID }), err, []uint64{ids[0], ids[2]})
		p, err := tx.Proposal(ids[1])
		mustEqual(t, "declined status", p.Status, err, domain.ProposalDeclined)
		return nil
	})
	update(t, s, "a later proposal", func(tx domain.Tx) error {
		p := &domain.Proposal{Team: "north", Ref: "C-9", Status: domain.ProposalPending}
		if err := tx.PutProposal(p); err != nil {
			return err
		}
		if p.ID <= ids[2] {
			t.Errorf("a later proposal got ID %d, not above %d", p.ID, ids[2])
		}
		return nil
	})
}

func testConcerns(t *testing.T, s domain.Store) {
	var concerns []*domain.Concern
	for i, team := range []string{"north", "south", "north"} {
		concerns = append(concerns, &domain.Concern{Team: team, By: "slack:U01", Text: fmt.Sprint("concern ", i), RaisedAt: T0})
	}
	update(t, s, "concerns", func(tx domain.Tx) error { return putAll(concerns, tx.PutConcern) })
	concernIDs := func(cs []*domain.Concern) []uint64 { return idsOf(cs, func(c *domain.Concern) uint64 { return c.ID }) }
	ids := concernIDs(concerns)
	wantIncreasing(t, "concern IDs", ids)
	update(t, s, "resolve the first", func(tx domain.Tx) error {
		c, err := tx.Concern(ids[0])
		if err != nil {
			return err
		}
		c.ResolvedAt, c.ResolvedBy = at(time.Hour), "slack:U09"
		return tx.PutConcern(c)
	})
	view(t, s, "concerns", func(tx domain.Tx) error {
		all, err := tx.Concerns("north", false)
		mustEqual(t, "Concerns(north, all)", concernIDs(all), err, []uint64{ids[0], ids[2]})
		open, err := tx.Concerns("north", true)
		mustEqual(t, "Concerns(north, open)", concernIDs(open), err, []uint64{ids[2]})
		south, err := tx.Concerns("south", true)
		mustEqual(t, "Concerns(south, open)", concernIDs(south), err, []uint64{ids[1]})
		return nil
	})
}

func testHours(t *testing.T, s domain.Store) {
	update(t, s, "team", func(tx domain.Tx) error { return tx.PutTeam(&domain.Team{ID: "north"}) })
	var stamped *domain.HoursEntry
	var now time.Time
	update(t, s, "hours", func(tx domain.Tx) error {
		now = tx.Now()
		if err := tx.AddHours(&domain.HoursEntry{Team: "north", By: "slack:U01", Hours: 1, At: now.Add(-48 * time.Hour)}); err != nil {
			return err
		}
		stamped = &domain.HoursEntry{Team: "north", By: "slack:U01", Hours: 2.5, Note: "late visit"}
		return tx.AddHours(stamped)
	})
	if stamped.ID == 0 {
		t.Errorf("AddHours gave no ID")
	}
	if !stamped.At.Equal(now) {
		t.Errorf("AddHours At = %s, want the transaction's Now %s", stamped.At, now)
	}
	err := s.Update(func(tx domain.Tx) error { return tx.AddHours(&domain.HoursEntry{Team: "nowhere", Hours: 1}) })
	if err == nil {
		t.Errorf("AddHours in a team that does not exist: no error")
	}
	view(t, s, "hours", func(tx domain.Tx) error {
		all, err := tx.Hours("north", time.Time{})
		mustEqual(t, "len(Hours(north))", len(all), err, 2)
		since, err := tx.Hours("north", now) // at or after: the boundary counts
		mustEqual(t, "len(Hours(north, now))", len(since), err, 1)
		if len(since) == 1 && since[0].Hours != 2.5 {
			t.Errorf("Hours since now = %+v, want the 2.5 hours", since[0])
		}
		return nil
	})
}

func testAudit(t *testing.T, s domain.Store) {
	update(t, s, "team", func(tx domain.Tx) error { return tx.PutTeam(&domain.Team{ID: "north"}) })
	var now time.Time
	var stamped []*domain.AuditEntry
	update(t, s, "audit", func(tx domain.Tx) error {
		now = tx.Now()
		for _, d := range []time.Duration{0, -time.Hour, time.Hour, 0} {
			e := &domain.AuditEntry{Actor: "slack:U09", Team: "north", Action: "act", Detail: d.String()}
			if d != 0 {
				e.At = now.Add(d)
			}
			if err := tx.Audit(e); err != nil {
				return err
			}
			stamped = append(stamped, e)
		}
		return tx.Audit(&domain.AuditEntry{Actor: "slack:U09", Team: "south", Action: "other team"})
	})
	wantIncreasing(t, "audit Seqs", idsOf(stamped, func(e *domain.AuditEntry) uint64 { return e.Seq }))
	for i, e := range stamped {
		if e.Detail == "0s" && !e.At.Equal(now) {
			t.Errorf("entry %d At = %s, want the transaction's Now %s", i, e.At, now)
		}
	}
	view(t, s, "audit log", func(tx domain.Tx) error {
		details := func(es []*domain.AuditEntry) []string {
			var out []string
			for _, e := range es {
				out = append(out, e.Detail)
			}
			return out
		}
		log, err := tx.AuditLog("north", time.Time{})
		mustEqual(t, "AuditLog(north)", details(log), err, []string{"-1h0m0s", "0s", "0s", "1h0m0s"})
		for i := 1; i < len(log); i++ {
			if log[i].At.Before(log[i-1].At) {
				t.Errorf("AuditLog not in time order at %d: %s before %s", i, log[i-1].At, log[i].At)
			}
		}
		log, err = tx.AuditLog("north", now) // at or after: the boundary counts
		mustEqual(t, "AuditLog(north, now)", details(log), err, []string{"0s", "0s", "1h0m0s"})
		log, err = tx.AuditLog("north", now.Add(time.Nanosecond))
		mustEqual(t, "AuditLog(north, now+1ns)", details(log), err, []string{"1h0m0s"})
		log, err = tx.AuditLog("south", time.Time{})
		mustEqual(t, "len(AuditLog(south))", len(log), err, 1)
		return nil
	})
}

func testOutbox(t *testing.T, s domain.Store) {
	var items []*domain.OutboxItem
	var now time.Time
	update(t, s, "enqueue", func(tx domain.Tx) error {
		now = tx.Now()
		for i := range 4 {
			it := &domain.OutboxItem{Dest: fmt.Sprintf("slack:C%d", i), Message: domain.Message{Text: fmt.Sprint(i)}}
			if err := tx.Enqueue(it); err != nil {
				return err
			}
			items = append(items, it)
		}
		return nil
	})
	wantIncreasing(t, "outbox IDs", idsOf(items, func(it *domain.OutboxItem) uint64 { return it.ID }))
	for i, it := range items {
		if !it.CreatedAt.Equal(now) || !it.NextTry.Equal(now) {
			t.Errorf("item %d CreatedAt, NextTry = %s, %s; want both the transaction's Now %s", i, it.CreatedAt, it.NextTry, now)
		}
	}
	update(t, s, "deliver one, fail one, retry one", func(tx domain.Tx) error {
		if err := tx.DeleteOutboxItem(items[0].ID); err != nil {
			return err
		}
		failed, err := tx.OutboxItem(items[1].ID)
		if err != nil {
			return err
		}
		failed.Failed, failed.Attempts, failed.LastError = true, 5, "channel_not_found"
		if err := tx.PutOutboxItem(failed); err != nil {
			return err
		}
		retry, err := tx.OutboxItem(items[2].ID)
		if err != nil {
			return err
		}
		retry.Attempts, retry.NextTry = 1, now.Add(time.Minute)
		if err := tx.PutOutboxItem(retry); err != nil {
			return err
		}
		return tx.PutOutboxItem(&domain.OutboxItem{Dest: "slack:C9", Message: domain.Message{Text: "new"}}) // ID 0: enqueued
	})
	view(t, s, "outbox", func(tx domain.Tx) error {
		out, err := tx.Outbox(0)
		var got []string
		for _, it := range out {
			got = append(got, it.Dest)
		}
		mustEqual(t, "Outbox(0) destinations", got, err, []string{"slack:C2", "slack:C3", "slack:C9"})
		if len(out) > 0 && out[0].Attempts != 1 {
			t.Errorf("retried item Attempts = %d, want 1", out[0].Attempts)
		}
		out, err = tx.Outbox(2)
		mustEqual(t, "len(Outbox(2))", len(out), err, 2)
		_, err = tx.OutboxItem(items[0].ID)
		wantCode(t, "OutboxItem(deleted)", err, domain.ENOTFOUND)
		failed, err := tx.OutboxItem(items[1].ID)
		mustEqual(t, "OutboxItem(failed).Failed", failed.Failed, err, true)
		return nil
	})
}

// testRollback writes something of every kind and then fails: the store must
// look as if the transaction never ran.
func testRollback(t *testing.T, s domain.Store) {
	update(t, s, "a team", func(tx domain.Tx) error { return tx.PutTeam(&domain.Team{ID: "north", Channel: "slack:C01"}) })
	err := s.Update(func(tx domain.Tx) error {
		steps := []error{
			tx.PutPerson(&domain.Person{ID: "slack:U01"}),
			tx.PutTeam(&domain.Team{ID: "south", Channel: "slack:C02"}),
			tx.PutTeam(&domain.Team{ID: "north", Name: "renamed", Channel: "slack:C03"}),
			tx.PutMember(&domain.Member{Team: "north", Person: "slack:U01", Role: domain.RolePractitioner, FTE: 1}),
			tx.PutCase(&domain.Case{Ref: "C-1", Team: "north", Type: "cin", Status: domain.CaseQueued}),
			tx.PutProposal(&domain.Proposal{Team: "north", Ref: "C-1", Status: domain.ProposalPending}),
			tx.PutConcern(&domain.Concern{Team: "north", By: "slack:U01"}),
			tx.AddHours(&domain.HoursEntry{Team: "north", By: "slack:U01", Hours: 1}),
			tx.Audit(&domain.AuditEntry{Team: "north", Action: "case.add"}),
			tx.Enqueue(&domain.OutboxItem{Dest: "slack:C01"}),
			PutCount(tx, "k", 1),
			tx.MarkDigestPosted(domain.DigestSlot{Team: "north", Slot: T0}, domain.ClockFiring{At: T0}),
			tx.PutLastDigest(T0),
		}
		for i, err := range steps {
			if err != nil {
				t.Errorf("step %d: %v", i, err)
			}
		}
		return fmt.Errorf("half-way: %w", errRollback)
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Update = %v, want the function's own error", err)
	}
	view(t, s, "nothing left", func(tx domain.Tx) error {
		for name, err := range map[string]error{
			"Person":             second(tx.Person("slack:U01")),
			"Team(south)":        second(tx.Team("south")),
			"TeamByChannel(C02)": second(tx.TeamByChannel("slack:C02")),
			"TeamByChannel(C03)": second(tx.TeamByChannel("slack:C03")),
			"Member":             second(tx.Member("north", "slack:U01")),
			"Case":               second(tx.Case("north", "C-1")),
			"CaseTeam":           second(tx.CaseTeam("C-1")),
		} {
			wantCode(t, name, err, domain.ENOTFOUND)
		}
		tm, err := tx.TeamByChannel("slack:C01")
		mustEqual(t, "TeamByChannel(C01)", tm, err, &domain.Team{ID: "north", Channel: "slack:C01"})
		counts := map[string]func() (int, error){
			"Memberships":      func() (int, error) { return count(tx.Memberships("slack:U01")) },
			"PendingProposals": func() (int, error) { return count(tx.PendingProposals()) },
			"Concerns":         func() (int, error) { return count(tx.Concerns("north", false)) },
			"Hours":            func() (int, error) { return count(tx.Hours("north", time.Time{})) },
			"AuditLog":         func() (int, error) { return count(tx.AuditLog("north", time.Time{})) },
			"Outbox":           func() (int, error) { return count(tx.Outbox(0)) },
		}
		for name, fn := range counts {
			n, err := fn()
			mustEqual(t, "len("+name+")", n, err, 0)
		}
		_, ok, err := tx.Fired(CounterKey("k"))
		mustEqual(t, "Fired(k)", ok, err, false)
		_, ok, err = tx.DigestPosted(domain.DigestSlot{Team: "north", Slot: T0})
		mustEqual(t, "DigestPosted", ok, err, false)
		last, err := tx.LastDigest()
		mustEqual(t, "LastDigest", last, err, time.Time{})
		return nil
	})
	// A conflict inside a transaction fails the whole transaction too.
	err = s.Update(func(tx domain.Tx) error {
		if err := PutCount(tx, "before-conflict", 1); err != nil {
			return err
		}
		return tx.PutTeam(&domain.Team{ID: "east", Channel: "slack:C01"})
	})
	wantCode(t, "Update ending in a conflict", err, domain.ECONFLICT)
	view(t, s, "no state", func(tx domain.Tx) error {
		_, ok, err := tx.Fired(CounterKey("before-conflict"))
		mustEqual(t, "Fired(before-conflict)", ok, err, false)
		return nil
	})
}

func testViewReadOnly(t *testing.T, s domain.Store) {
	_ = s.View(func(tx domain.Tx) error {
		if err := PutCount(tx, "k", 1); err == nil {
			t.Errorf("MarkFired inside View: no error")
		}
		if err := tx.PutPerson(&domain.Person{ID: "slack:U01"}); err == nil {
			t.Errorf("PutPerson inside View: no error")
		}
		return nil
	})
	view(t, s, "nothing written", func(tx domain.Tx) error {
		_, ok, err := tx.Fired(CounterKey("k"))
		mustEqual(t, "Fired(k)", ok, err, false)
		return nil
	})
}

func testNow(t *testing.T, s domain.Store, clk *clock.Fake) {
	check := func(tx domain.Tx) error {
		first := tx.Now()
		if first.IsZero() {
			t.Errorf("Now() is zero")
		}
		clk.Advance(time.Minute)
		if got := tx.Now(); !got.Equal(first) {
			t.Errorf("Now() moved within one transaction: %s then %s", first, got)
		}
		return nil
	}
	update(t, s, "Update", check)
	view(t, s, "View", check)
	var a, b time.Time
	update(t, s, "first", func(tx domain.Tx) error { a = tx.Now(); return nil })
	clk.Advance(time.Millisecond)
	update(t, s, "second", func(tx domain.Tx) error { b = tx.Now(); return nil })
	if !b.After(a) {
		t.Errorf("a later transaction's Now %s is not after %s", b, a)
	}
}

func testCopies(t *testing.T, s domain.Store) {
	c := &domain.Case{Ref: "C-1", Team: "north", Type: "cp", Factors: []string{"court"}, Status: domain.CaseQueued}
	update(t, s, "write", func(tx domain.Tx) error {
		if err := tx.PutTeam(&domain.Team{ID: "north"}); err != nil {
			return err
		}
		if err := tx.PutCase(c); err != nil {
			return err
		}
		c.Factors[0], c.Type = "rural", "cin" // the caller's copy changes after Put
		got, err := tx.Case("north", "C-1")
		if err != nil {
			return err
		}
		got.Factors[0] = "high_risk" // and so does what Get returned
		return nil
	})
	var kept *domain.Case
	view(t, s, "read", func(tx domain.Tx) error {
		var err error
		kept, err = tx.Case("north", "C-1")
		return err
	})
	// Read after the transaction ended: still whole.
	mustEqual(t, "Case kept after View", kept, nil,
		&domain.Case{Ref: "C-1", Team: "north", Type: "cp", Factors: []string{"court"}, Status: domain.CaseQueued})
}

func testConcurrent(t *testing.T, s domain.Store) {
	const writers, each = 8, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				err := s.Update(func(tx domain.Tx) error {
					n, err := Count(tx, "counter")
					if err != nil {
						return err
					}
					if err := PutCount(tx, "counter", n+1); err != nil {
						return err
					}
					return tx.Enqueue(&domain.OutboxItem{Dest: fmt.Sprintf("w%d/%d", w, i)})
				})
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	view(t, s, "totals", func(tx domain.Tx) error {
		got, err := Count(tx, "counter")
		mustEqual(t, "counter (less: an update was lost)", got, err, writers*each)
		out, err := tx.Outbox(0)
		mustEqual(t, "len(Outbox)", len(out), err, writers*each)
		seen := make(map[uint64]bool)
		for _, it := range out {
			if seen[it.ID] {
				t.Errorf("outbox ID %d given twice", it.ID)
			}
			seen[it.ID] = true
		}
		return nil
	})
}

// testGroup runs concurrent actions through Group, every fourth of which
// writes and then refuses: exactly the others' writes must stay, each once,
// however often the store ran a function.
func testGroup(t *testing.T, s domain.Store) {
	const calls = 32
	errRefused := errors.New("storetest: refused")
	var wg sync.WaitGroup
	var mu sync.Mutex
	runs := 0
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Group(func(tx domain.Tx) error {
				mu.Lock()
				runs++
				mu.Unlock()
				n, err := Count(tx, "counter")
				if err != nil {
					return err
				}
				if err := PutCount(tx, "counter", n+1); err != nil {
					return err
				}
				if err := tx.Enqueue(&domain.OutboxItem{Dest: fmt.Sprintf("g%d", i)}); err != nil {
					return err
				}
				if i%4 == 3 {
					if err := PutCount(tx, fmt.Sprintf("refused:%02d", i), n+1); err != nil {
						return err
					}
					return errRefused
				}
				return nil
			})
			if i%4 == 3 && !errors.Is(err, errRefused) {
				t.Errorf("call %d: Group = %v, want its refusal", i, err)
			} else if i%4 != 3 && err != nil {
				t.Errorf("call %d: Group = %v", i, err)
			}
		}()
	}
	wg.Wait()
	if runs < calls {
		t.Errorf("the functions ran %d times for %d calls", runs, calls)
	}
	view(t, s, "totals", func(tx domain.Tx) error {
		n, err := Count(tx, "counter")
		mustEqual(t, "counter", n, err, calls-calls/4)
		for i := 3; i < calls; i += 4 {
			_, ok, err := tx.Fired(CounterKey(fmt.Sprintf("refused:%02d", i)))
			mustEqual(t, fmt.Sprintf("refused call %d's record", i), ok, err, false)
		}
		out, err := tx.Outbox(0)
		mustEqual(t, "len(Outbox)", len(out), err, calls-calls/4)
		for _, it := range out {
			var i int
			if _, err := fmt.Sscanf(it.Dest, "g%d", &i); err != nil || i%4 == 3 {
				t.Errorf("outbox holds %q, from a refused call", it.Dest)
			}
		}
		return nil
	})
}

// testWeekSnapshots stores weekly figures of two teams whose IDs share a
// beginning, out of order: each team lists its own weeks, oldest first.
func testWeekSnapshots(t *testing.T, s domain.Store) {
	put := map[string][]domain.Date{
		"north":      {"2026-05-11", "2026-04-27", "2026-05-04"},
		"north-east": {"2026-05-04"},
	}
	update(t, s, "put", func(tx domain.Tx) error {
		for team, weeks := range put {
			for i, w := range weeks {
				if err := tx.PutWeekSnapshot(team, w, StateValue{Week: string(w), Count: i}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	view(t, s, "read", func(tx domain.Tx) error {
		weeks, err := tx.SnapshotWeeks("north")
		mustEqual(t, "SnapshotWeeks(north)", weeks, err, []domain.Date{"2026-04-27", "2026-05-04", "2026-05-11"})
		weeks, err = tx.SnapshotWeeks("north-east")
		mustEqual(t, "SnapshotWeeks(north-east)", weeks, err, []domain.Date{"2026-05-04"})
		var v StateValue
		ok, err := tx.WeekSnapshot("north", "2026-05-04", &v)
		mustEqual(t, "WeekSnapshot(north, 2026-05-04)", v, err, StateValue{Week: "2026-05-04", Count: 2})
		if !ok {
			t.Error("WeekSnapshot(north, 2026-05-04) not found")
		}
		ok, err = tx.WeekSnapshot("south", "2026-05-04", &v)
		mustEqual(t, "WeekSnapshot(south) found", ok, err, false)
		// With nothing to read into, it only says whether one is stored.
		ok, err = tx.WeekSnapshot("north", "2026-05-11", nil)
		mustEqual(t, "WeekSnapshot(north, 2026-05-11, nil) found", ok, err, true)
		ok, err = tx.WeekSnapshot("north-east", "2026-05-11", nil)
		mustEqual(t, "WeekSnapshot(north-east, 2026-05-11, nil) found", ok, err, false)
		return nil
	})
}

// ---- helpers ----

func update(tb testing.TB, s domain.Store, what string, fn func(domain.Tx) error) {
	tb.Helper()
	if err := s.Update(fn); err != nil {
		tb.Fatalf("%s: Update: %v", what, err)
	}
}

func view(tb testing.TB, s domain.Store, what string, fn func(domain.Tx) error) {
	tb.Helper()
	if err := s.View(fn); err != nil {
		tb.Fatalf("%s: View: %v", what, err)
	}
}

// mustEqual fails when err is not nil or got differs from want; values are
// shown as JSON, which is easier to read than %+v for nested records.
func mustEqual[T any](tb testing.TB, what string, got T, err error, want T) {
	tb.Helper()
	if err != nil {
		tb.Errorf("%s: %v", what, err)
		return
	}
	if !reflect.DeepEqual(got, want) {
		tb.Errorf("%s:\n got  %s\n want %s", what, asJSON(got), asJSON(want))
	}
}

func wantCode(tb testing.TB, what string, err error, code string) {
	tb.Helper()
	if got := domain.ErrorCode(err); got != code {
		tb.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

func asJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return string(b)
}

func clone[T any](v *T) *T {
	c := *v
	return &c
}

// wantIncreasing fails unless ids are non-zero and each above the one before.
func wantIncreasing(tb testing.TB, what string, ids []uint64) {
	tb.Helper()
	for i, id := range ids {
		if id == 0 || i > 0 && id <= ids[i-1] {
			tb.Fatalf("%s = %v, want non-zero and increasing", what, ids)
		}
	}
}

func idsOf[T any](list []T, id func(T) uint64) []uint64 {
	out := make([]uint64, len(list))
	for i, x := range list {
		out[i] = id(x)
	}
	return out
}

// putAll puts each of list, stopping at the first error.
func putAll[T any](list []T, put func(T) error) error {
	for _, x := range list {
		if err := put(x); err != nil {
			return err
		}
	}
	return nil
}

func second[T any](_ T, err error) error { return err }

func count[T any](list []T, err error) (int, error) { return len(list), err }

func memberKey(m *domain.Member) string { return m.Team + "\x00" + string(m.Person) }

func filter[T any](list []T, keep func(T) bool) []T {
	var out []T
	for _, x := range list {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

// sortedBy returns a sorted copy, for lists whose order the contract leaves
// to the store.
func sortedBy[T any](list []T, key func(T) string) []T {
	out := append([]T(nil), list...)
	sort.SliceStable(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}
