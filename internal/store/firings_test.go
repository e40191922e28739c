package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// oldRecord is one record of the old layout: its key, its JSON, how the
// typed methods read it and what they must read.
type oldRecord struct {
	key  string
	json string
	read func(tx domain.Tx) (domain.ClockFiring, bool, error)
	want domain.ClockFiring
}

// oldLayout is what the scheduler and /healthz wrote into the state bucket
// before the store kept their records: each clock and key, and the raw
// JSON it was given. The keys are spelt out as the old code built them, so
// a change of layout here fails the test rather than firing a clock twice
// after an upgrade.
func oldLayout() (queued, made time.Time, recs []oldRecord) {
	queued = time.Date(2026, 5, 4, 9, 30, 0, 123, time.UTC)
	made = time.Date(2026, 5, 1, 16, 0, 0, 0, time.UTC)
	at := time.Date(2026, 5, 11, 10, 0, 0, 0, time.UTC)
	due := time.Date(2026, 5, 11, 9, 0, 0, 0, time.UTC)
	full := fmt.Sprintf(`{"at":%q,"due":%q,"to":["slack:USM"]}`, at.Format(time.RFC3339Nano), due.Format(time.RFC3339Nano))
	fullWant := domain.ClockFiring{At: at, Due: due, To: []domain.PersonID{"slack:USM"}}
	bare := fmt.Sprintf(`{"at":%q}`, at.Format(time.RFC3339Nano))
	bareWant := domain.ClockFiring{At: at}
	posted := fmt.Sprintf(`{"at":%q,"msgs":2}`, at.Format(time.RFC3339Nano))
	postedWant := domain.ClockFiring{At: at, Msgs: 2}
	fired := func(k domain.ClockKey) func(tx domain.Tx) (domain.ClockFiring, bool, error) {
		return func(tx domain.Tx) (domain.ClockFiring, bool, error) { return tx.Fired(k) }
	}
	digest := func(s domain.DigestSlot) func(tx domain.Tx) (domain.ClockFiring, bool, error) {
		return func(tx domain.Tx) (domain.ClockFiring, bool, error) { return tx.DigestPosted(s) }
	}
	slot := time.Date(2026, 5, 11, 9, 0, 0, 0, time.UTC)
	recs = []oldRecord{
		{"esc:concern:7:1", full, fired(domain.ClockKey{Kind: domain.ClockConcern, Concern: 7, N: 1}), fullWant},
		{"esc:concern:7:2", full, fired(domain.ClockKey{Kind: domain.ClockConcern, Concern: 7, N: 2}), fullWant},
		{fmt.Sprintf("esc:highrisk:north:C-1:%d", queued.UnixNano()), full,
			fired(domain.ClockKey{Kind: domain.ClockHighRisk, Team: "north", Ref: "C-1", Since: queued}), fullWant},
		{fmt.Sprintf("esc:highrisk:north:C-1:%d:2", queued.UnixNano()), full,
			fired(domain.ClockKey{Kind: domain.ClockHighRisk, Team: "north", Ref: "C-1", Since: queued, N: 2}), fullWant},
		{fmt.Sprintf("esc:highrisk:north:C-1:%d:3", queued.UnixNano()), full,
			fired(domain.ClockKey{Kind: domain.ClockHighRisk, Team: "north", Ref: "C-1", Since: queued, N: 3}), fullWant},
		{fmt.Sprintf("esc:override:north:C-2:%d", made.UnixNano()), full,
			fired(domain.ClockKey{Kind: domain.ClockOverride, Team: "north", Ref: "C-2", Since: made}), fullWant},
		{fmt.Sprintf("esc:override:north:C-2:%d:r2026-06-01", made.UnixNano()), full,
			fired(domain.ClockKey{Kind: domain.ClockOverride, Team: "north", Ref: "C-2", Since: made, Review: "2026-06-01"}), fullWant},
		{fmt.Sprintf("esc:override:north:C-2:%d:r2026-06-01:2", made.UnixNano()), full,
			fired(domain.ClockKey{Kind: domain.ClockOverride, Team: "north", Ref: "C-2", Since: made, Review: "2026-06-01", N: 2}), fullWant},
		{"esc:noplan:7", full, fired(domain.ClockKey{Kind: domain.ClockNoPlan, Concern: 7}), fullWant},
		{"esc:noplan:7:2", full, fired(domain.ClockKey{Kind: domain.ClockNoPlan, Concern: 7, N: 2}), fullWant},
		{"esc:teamover:north", full, fired(domain.ClockKey{Kind: domain.ClockTeamOver, Team: "north"}), fullWant},
		{"esc:longover:north:slack:U01:2026-04-20", full,
			fired(domain.ClockKey{Kind: domain.ClockLongOver, Team: "north", Person: "slack:U01", Week: "2026-04-20"}), fullWant},
		{"esc:nosm:concern:7", bare, fired(domain.ClockKey{Kind: domain.ClockNoSM, About: domain.ClockConcern, Subject: "7"}), bareWant},
		{"esc:nosm:longover:slack:U01:2026-04-20", bare,
			fired(domain.ClockKey{Kind: domain.ClockNoSM, About: domain.ClockLongOver, Subject: "slack:U01:2026-04-20"}), bareWant},
		{"digest:north:2026-05-11T09:00:00Z", posted, digest(domain.DigestSlot{Team: "north", Slot: slot}), postedWant},
		{"digest-sm:slack:USM:2026-05-11T09:00:00Z", posted, digest(domain.DigestSlot{Manager: "slack:USM", Slot: slot}), postedWant},
	}
	return queued, made, recs
}

// A store written before the scheduler's records moved into the store
// reads through the typed methods: nothing fires again after an upgrade.
func TestOldSchedulerRecordsReadThroughTheTypedMethods(t *testing.T) {
	db := openTemp(t, Options{})
	_, _, recs := oldLayout()
	at := time.Date(2026, 5, 11, 10, 0, 0, 0, time.UTC)
	if err := db.Update(func(tx domain.Tx) error {
		st := tx.(*Tx).KV().Bucket(bucketState)
		for _, r := range recs {
			if err := st.Put([]byte(r.key), []byte(r.json)); err != nil {
				return err
			}
		}
		if err := st.Put([]byte("digest-since"), fmt.Appendf(nil, `{"at":%q}`, at.Format(time.RFC3339Nano))); err != nil {
			return err
		}
		return st.Put([]byte("healthz:last-digest"), fmt.Appendf(nil, "%q", at.Format(time.RFC3339Nano)))
	}); err != nil {
		t.Fatal(err)
	}
	db = reopen(t, db, Options{})
	if err := db.View(func(tx domain.Tx) error {
		for _, r := range recs {
			got, ok, err := r.read(tx)
			if err != nil || !ok {
				t.Errorf("%s: read = %v, %v through the typed method", r.key, ok, err)
				continue
			}
			mustMatch(t, r.key, got, r.want)
		}
		since, err := tx.DigestsSince()
		if err != nil || !since.Equal(at) {
			t.Errorf("DigestsSince = %v, %v; want %v", since, err, at)
		}
		last, err := tx.LastDigest()
		if err != nil || !last.Equal(at) {
			t.Errorf("LastDigest = %v, %v; want %v", last, err, at)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// The typed methods write the keys the old code wrote, and nothing else.
func TestTypedMethodsWriteTheOldKeys(t *testing.T) {
	db := openTemp(t, Options{})
	queued, made, recs := oldLayout()
	keys := []domain.ClockKey{
		{Kind: domain.ClockConcern, Concern: 7, N: 1},
		{Kind: domain.ClockConcern, Concern: 7, N: 2},
		{Kind: domain.ClockHighRisk, Team: "north", Ref: "C-1", Since: queued},
		{Kind: domain.ClockHighRisk, Team: "north", Ref: "C-1", Since: queued, N: 2},
		{Kind: domain.ClockHighRisk, Team: "north", Ref: "C-1", Since: queued, N: 3},
		{Kind: domain.ClockOverride, Team: "north", Ref: "C-2", Since: made},
		{Kind: domain.ClockOverride, Team: "north", Ref: "C-2", Since: made, Review: "2026-06-01"},
		{Kind: domain.ClockOverride, Team: "north", Ref: "C-2", Since: made, Review: "2026-06-01", N: 2},
		{Kind: domain.ClockNoPlan, Concern: 7},
		{Kind: domain.ClockNoPlan, Concern: 7, N: 2},
		{Kind: domain.ClockTeamOver, Team: "north"},
		{Kind: domain.ClockLongOver, Team: "north", Person: "slack:U01", Week: "2026-04-20"},
		{Kind: domain.ClockNoSM, About: domain.ClockConcern, Subject: "7"},
		{Kind: domain.ClockNoSM, About: domain.ClockLongOver, Subject: "slack:U01:2026-04-20"},
	}
	slot := time.Date(2026, 5, 11, 10, 0, 0, 0, time.FixedZone("CEST", 3600))
	if err := db.Update(func(tx domain.Tx) error {
		for _, k := range keys {
			if err := tx.MarkFired(k, domain.ClockFiring{At: tx.Now()}); err != nil {
				return err
			}
		}
		if err := tx.MarkDigestPosted(domain.DigestSlot{Team: "north", Slot: slot}, domain.ClockFiring{At: tx.Now()}); err != nil {
			return err
		}
		if err := tx.MarkDigestPosted(domain.DigestSlot{Manager: "slack:USM", Slot: slot}, domain.ClockFiring{At: tx.Now()}); err != nil {
			return err
		}
		if err := tx.PutDigestsSince(tx.Now()); err != nil {
			return err
		}
		return tx.PutLastDigest(tx.Now())
	}); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"digest-since": true, "healthz:last-digest": true}
	for _, r := range recs {
		want[r.key] = true
	}
	if err := db.View(func(tx domain.Tx) error {
		got, err := tx.(*Tx).StateKeys("")
		if err != nil {
			return err
		}
		for _, k := range got {
			if !want[k] {
				t.Errorf("written under %q, which the old code never wrote", k)
			}
			delete(want, k)
		}
		for k := range want {
			t.Errorf("nothing written under %q", k)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func mustMatch(tb testing.TB, what string, got, want domain.ClockFiring) {
	tb.Helper()
	if !got.At.Equal(want.At) || !got.Due.Equal(want.Due) || got.Msgs != want.Msgs || fmt.Sprint(got.To) != fmt.Sprint(want.To) {
		tb.Errorf("%s: got %+v, want %+v", what, got, want)
	}
}
