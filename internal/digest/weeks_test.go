package digest_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/digest"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/store"
)

// Weeks reads a team's snapshots oldest first, decodes each once, finds the
// latest before a week and the recent ones as the digest and its chart
// need, and after a snapshot is stored in the same transaction lists it
// too, keeping those it decoded.
func TestWeeksReadsEachSnapshotOnce(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{Clock: clock.NewFake(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	weeks := []domain.Date{"2026-08-03", "2026-11-09", "2026-11-16", "2026-11-23"}
	err = st.Update(func(tx domain.Tx) error {
		if err := tx.PutTeam(&domain.Team{ID: "north", Name: "North"}); err != nil {
			return err
		}
		for i, w := range weeks[:3] {
			if err := tx.PutWeekSnapshot("north", w, &digest.Snapshot{Team: "north", Week: w, Queued: i}); err != nil {
				return err
			}
		}
		ws, err := digest.ReadWeeks(tx, "north")
		if err != nil {
			return err
		}
		if ws.Len() != 3 {
			t.Fatalf("%d weeks, want 3", ws.Len())
		}
		prev, err := ws.Previous("2026-11-16")
		if err != nil || prev == nil || prev.Week != "2026-11-09" || prev.Queued != 1 {
			t.Fatalf("the latest before 16 Nov: %+v, %v", prev, err)
		}
		recent, err := ws.Recent("2026-11-16", 12) // back to 31 Aug: not the August one
		if err != nil || len(recent) != 2 || recent[0].Week != "2026-11-09" || recent[1].Week != "2026-11-16" {
			t.Fatalf("the last 12 weeks to 16 Nov: %+v, %v", recent, err)
		}
		if recent[0] != prev {
			t.Fatal("the snapshot of 9 Nov was decoded twice")
		}
		if err := tx.PutWeekSnapshot("north", weeks[3], &digest.Snapshot{Team: "north", Week: weeks[3], Queued: 3}); err != nil {
			return err
		}
		if err := ws.Reread(); err != nil {
			return err
		}
		if ws.Len() != 4 {
			t.Fatalf("%d weeks after storing one more, want 4", ws.Len())
		}
		for i, w := range weeks {
			s, err := ws.At(i)
			if err != nil || s == nil || s.Week != w || s.Queued != i {
				t.Fatalf("week %d: %+v, %v", i, s, err)
			}
		}
		if s, _ := ws.At(1); s != prev {
			t.Fatal("the snapshot of 9 Nov was decoded again after Reread")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
