package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// CounterKey is the clock the suite uses as a named counter: its firing's
// Msgs is the count.
func CounterKey(name string) domain.ClockKey {
	return domain.ClockKey{Kind: domain.ClockNoSM, About: "storetest", Subject: name}
}

// Count reads the counter name, 0 before it is written.
func Count(tx domain.Tx, name string) (int, error) {
	f, _, err := tx.Fired(CounterKey(name))
	return f.Msgs, err
}

// PutCount sets the counter name to n.
func PutCount(tx domain.Tx, name string, n int) error {
	return tx.MarkFired(CounterKey(name), domain.ClockFiring{At: tx.Now(), Msgs: n})
}

// testClocks records a firing of every kind of clock, with keys that share
// beginnings: each reads back as written, none stands for another, repeats
// are their own, and a key that lacks what its kind needs is refused.
func testClocks(t *testing.T, s domain.Store) {
	queued := at(-48 * time.Hour)
	override := &domain.Override{At: at(-24 * time.Hour)}
	keys := []domain.ClockKey{
		{Kind: domain.ClockConcern, Concern: 1, N: 1},
		{Kind: domain.ClockConcern, Concern: 1, N: 2},
		{Kind: domain.ClockConcern, Concern: 12, N: 1},
		{Kind: domain.ClockHighRisk, Team: "north", Ref: "C-1", Since: queued},
		{Kind: domain.ClockHighRisk, Team: "north", Ref: "C-1", Since: queued, N: 2},
		{Kind: domain.ClockHighRisk, Team: "north", Ref: "C-1", Since: queued.Add(time.Nanosecond)},
		{Kind: domain.ClockHighRisk, Team: "north-east", Ref: "C-1", Since: queued},
		{Kind: domain.ClockOverride, Team: "north", Ref: "C-1", Since: override.At},
		{Kind: domain.ClockOverride, Team: "north", Ref: "C-1", Since: override.At, N: 3},
		{Kind: domain.ClockOverride, Team: "north", Ref: "C-1", Since: override.At, Review: "2026-06-01"},
		{Kind: domain.ClockOverride, Team: "north", Ref: "C-1", Since: override.At, Review: "2026-06-01", N: 2},
		{Kind: domain.ClockNoPlan, Concern: 1},
		{Kind: domain.ClockNoPlan, Concern: 1, N: 2},
		{Kind: domain.ClockNoPlan, Concern: 12},
		{Kind: domain.ClockTeamOver, Team: "north"},
		{Kind: domain.ClockTeamOver, Team: "north-east"},
		{Kind: domain.ClockLongOver, Team: "north", Person: "slack:U01", Week: "2026-04-27"},
		{Kind: domain.ClockLongOver, Team: "north", Person: "slack:U01", Week: "2026-05-04"},
		{Kind: domain.ClockNoSM, About: domain.ClockConcern, Subject: "1"},
		{Kind: domain.ClockNoSM, About: domain.ClockNoPlan, Subject: "1"},
		{Kind: domain.ClockNoSM, About: domain.ClockLongOver, Subject: "slack:U01:2026-04-27"},
	}
	firing := func(i int) domain.ClockFiring {
		return domain.ClockFiring{At: at(time.Duration(i) * time.Minute), Due: at(-time.Hour), To: []domain.PersonID{"slack:USM"}, Msgs: i}
	}
	update(t, s, "MarkFired", func(tx domain.Tx) error {
		for i, k := range keys {
			if err := tx.MarkFired(k, firing(i)); err != nil {
				return fmt.Errorf("%+v: %w", k, err)
			}
		}
		return nil
	})
	view(t, s, "Fired", func(tx domain.Tx) error {
		for i, k := range keys {
			got, ok, err := tx.Fired(k)
			mustEqual(t, fmt.Sprintf("Fired(%+v)", k), ok, err, true)
			mustEqual(t, fmt.Sprintf("Fired(%+v) firing", k), got, nil, firing(i))
		}
		// N of 0 and 1 are both the first firing of a repeating clock.
		got, _, err := tx.Fired(keys[3].Repeat(1))
		mustEqual(t, "Fired(high risk, N=1)", got, err, firing(3))
		for _, k := range []domain.ClockKey{
			{Kind: domain.ClockConcern, Concern: 1, N: 3},
			{Kind: domain.ClockHighRisk, Team: "north", Ref: "C-1", Since: queued, N: 3},
			{Kind: domain.ClockOverride, Team: "north", Ref: "C-1", Since: override.At, Review: "2026-06-15"},
			{Kind: domain.ClockTeamOver, Team: "south"},
			{Kind: domain.ClockNoSM, About: domain.ClockHighRisk, Subject: "1"},
		} {
			_, ok, err := tx.Fired(k)
			mustEqual(t, fmt.Sprintf("Fired(%+v), never fired", k), ok, err, false)
		}
		return nil
	})

	// Clearing one clock leaves its neighbours; firing again replaces.
	update(t, s, "ClearFired", func(tx domain.Tx) error {
		if err := tx.ClearFired(domain.ClockKey{Kind: domain.ClockTeamOver, Team: "north"}); err != nil {
			return err
		}
		return tx.MarkFired(keys[0], domain.ClockFiring{At: at(time.Hour)})
	})
	view(t, s, "after ClearFired", func(tx domain.Tx) error {
		_, ok, err := tx.Fired(domain.ClockKey{Kind: domain.ClockTeamOver, Team: "north"})
		mustEqual(t, "Fired(team over, cleared)", ok, err, false)
		got, _, err := tx.Fired(domain.ClockKey{Kind: domain.ClockTeamOver, Team: "north-east"})
		mustEqual(t, "Fired(the other team over)", got, err, firing(15))
		got, _, err = tx.Fired(keys[0])
		mustEqual(t, "Fired(fired again)", got, err, domain.ClockFiring{At: at(time.Hour)})
		return nil
	})

	bad := []domain.ClockKey{
		{},
		{Kind: "sometime", Team: "north"},
		{Kind: domain.ClockConcern, Concern: 1},
		{Kind: domain.ClockConcern, N: 1},
		{Kind: domain.ClockHighRisk, Ref: "C-1", Since: queued},
		{Kind: domain.ClockOverride, Team: "north", Since: override.At},
		{Kind: domain.ClockNoPlan},
		{Kind: domain.ClockTeamOver},
		{Kind: domain.ClockLongOver, Team: "north", Person: "slack:U01"},
		{Kind: domain.ClockNoSM, Subject: "1"},
	}
	err := s.Update(func(tx domain.Tx) error {
		for _, k := range bad {
			if err := tx.MarkFired(k, domain.ClockFiring{At: T0}); err == nil {
				t.Errorf("MarkFired(%+v): no error", k)
			}
			if _, _, err := tx.Fired(k); err == nil {
				t.Errorf("Fired(%+v): no error", k)
			}
			if err := tx.ClearFired(k); err == nil {
				t.Errorf("ClearFired(%+v): no error", k)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// testDigestRecords keeps team and service-manager digests apart per slot,
// refuses a slot that names neither or both, and keeps when the digest
// schedule first ran and when a digest last went out.
func testDigestRecords(t *testing.T, s domain.Store) {
	paris := time.FixedZone("CET", 3600)
	monday := T0
	team := domain.DigestSlot{Team: "north", Slot: monday}
	sm := domain.DigestSlot{Manager: "slack:USM", Slot: monday}
	update(t, s, "MarkDigestPosted", func(tx domain.Tx) error {
		if err := tx.MarkDigestPosted(team, domain.ClockFiring{At: at(time.Minute), Msgs: 3}); err != nil {
			return err
		}
		if err := tx.MarkDigestPosted(sm, domain.ClockFiring{At: at(2 * time.Minute), Msgs: 1}); err != nil {
			return err
		}
		if err := tx.PutDigestsSince(at(-time.Hour)); err != nil {
			return err
		}
		return tx.PutLastDigest(at(2 * time.Minute).In(paris))
	})
	view(t, s, "DigestPosted", func(tx domain.Tx) error {
		got, ok, err := tx.DigestPosted(team)
		mustEqual(t, "DigestPosted(team)", ok, err, true)
		mustEqual(t, "DigestPosted(team) firing", got, nil, domain.ClockFiring{At: at(time.Minute), Msgs: 3})
		// The same instant in another zone is the same slot.
		got, _, err = tx.DigestPosted(domain.DigestSlot{Team: "north", Slot: monday.In(paris)})
		mustEqual(t, "DigestPosted(team, slot in Paris)", got, err, domain.ClockFiring{At: at(time.Minute), Msgs: 3})
		got, _, err = tx.DigestPosted(sm)
		mustEqual(t, "DigestPosted(service manager)", got, err, domain.ClockFiring{At: at(2 * time.Minute), Msgs: 1})
		for _, other := range []domain.DigestSlot{
			{Team: "north", Slot: monday.AddDate(0, 0, 7)},
			{Team: "north-east", Slot: monday},
			{Team: "south", Slot: monday},
			{Manager: "slack:USM2", Slot: monday},
		} {
			_, ok, err := tx.DigestPosted(other)
			mustEqual(t, fmt.Sprintf("DigestPosted(%+v), never posted", other), ok, err, false)
		}
		since, err := tx.DigestsSince()
		mustEqual(t, "DigestsSince", since, err, at(-time.Hour))
		last, err := tx.LastDigest()
		mustEqual(t, "LastDigest (kept in UTC)", last, err, at(2*time.Minute))
		return nil
	})
	update(t, s, "a later digest", func(tx domain.Tx) error { return tx.PutLastDigest(at(time.Hour)) })
	view(t, s, "LastDigest moved on", func(tx domain.Tx) error {
		last, err := tx.LastDigest()
		mustEqual(t, "LastDigest", last, err, at(time.Hour))
		return nil
	})
	err := s.Update(func(tx domain.Tx) error {
		for _, bad := range []domain.DigestSlot{
			{Slot: monday},
			{Team: "north", Manager: "slack:USM", Slot: monday},
			{Team: "north"},
		} {
			if err := tx.MarkDigestPosted(bad, domain.ClockFiring{At: T0}); err == nil {
				t.Errorf("MarkDigestPosted(%+v): no error", bad)
			}
			if _, _, err := tx.DigestPosted(bad); err == nil {
				t.Errorf("DigestPosted(%+v): no error", bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// testConversationRefs keeps where a person or channel is reached, replaces
// it when told, and refuses one with no service URL.
func testConversationRefs(t *testing.T, s domain.Store) {
	alice := &domain.ConversationRef{ServiceURL: "https://smba.example/", Tenant: "t1", Name: "Alice", SeenAt: T0}
	channel := &domain.ConversationRef{ServiceURL: "https://smba.example/", Conversation: "19:c@thread", Tenant: "t1", SeenAt: T0}
	update(t, s, "PutConversationRef", func(tx domain.Tx) error {
		if err := tx.PutConversationRef("teams:29:alice", clone(alice)); err != nil {
			return err
		}
		return tx.PutConversationRef("teams:19:c@thread", clone(channel))
	})
	chat := clone(alice)
	chat.Conversation, chat.SeenAt = "a:1", at(time.Hour)
	update(t, s, "a 1:1 chat opened", func(tx domain.Tx) error { return tx.PutConversationRef("teams:29:alice", clone(chat)) })
	view(t, s, "ConversationRef", func(tx domain.Tx) error {
		got, err := tx.ConversationRef("teams:29:alice")
		mustEqual(t, "ConversationRef(alice)", got, err, chat)
		got, err = tx.ConversationRef("teams:19:c@thread")
		mustEqual(t, "ConversationRef(channel)", got, err, channel)
		wantCode(t, "ConversationRef(never seen)", second(tx.ConversationRef("teams:29:bob")), domain.ENOTFOUND)
		return nil
	})
	err := s.Update(func(tx domain.Tx) error {
		if err := tx.PutConversationRef("teams:29:bob", &domain.ConversationRef{Name: "Bob"}); err == nil {
			t.Errorf("PutConversationRef with no service URL: no error")
		}
		if err := tx.PutConversationRef("", clone(alice)); err == nil {
			t.Errorf("PutConversationRef with no ID: no error")
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	view(t, s, "nothing kept for bob", func(tx domain.Tx) error {
		wantCode(t, "ConversationRef(bob)", second(tx.ConversationRef("teams:29:bob")), domain.ENOTFOUND)
		return nil
	})
}
