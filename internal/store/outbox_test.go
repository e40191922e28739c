package store

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/domain"
)

// Delivery reads only the items due; the depth and the oldest item come
// from the indexes and follow every change.
func TestOutboxDueAndCounts(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clk := clock.NewFake(t0)
	db, err := Open(filepath.Join(t.TempDir(), "s.db"), Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ids []uint64
	if err := db.Update(func(tx domain.Tx) error {
		for _, d := range []string{"slack:C1", "slack:C2", "slack:C3", "slack:C4"} {
			it := &domain.OutboxItem{Dest: d}
			if err := tx.Enqueue(it); err != nil {
				return err
			}
			ids = append(ids, it.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if err := db.Update(func(tx domain.Tx) error {
		first, _ := tx.OutboxItem(ids[0])
		first.Failed = true
		if err := tx.PutOutboxItem(first); err != nil {
			return err
		}
		later, _ := tx.OutboxItem(ids[1])
		later.NextTry = t0.Add(time.Hour)
		if err := tx.PutOutboxItem(later); err != nil {
			return err
		}
		return tx.DeleteOutboxItem(ids[3])
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.View(func(tx domain.Tx) error {
		due, err := tx.(*Tx).OutboxDue(tx.Now(), 0)
		if err != nil {
			return err
		}
		if len(due) != 1 || due[0].ID != ids[2] {
			t.Errorf("due now: %+v, want only item %d", due, ids[2])
		}
		due, _ = tx.(*Tx).OutboxDue(t0.Add(2*time.Hour), 0)
		if len(due) != 2 || due[0].ID != ids[1] {
			t.Errorf("due later: %d items, want 2 in order", len(due))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s, err := db.Stats()
	if err != nil || s.OutboxDepth != 2 || !s.OutboxOldest.Equal(t0) {
		t.Fatalf("Stats = %+v, %v; want depth 2, oldest %s", s, err, t0)
	}
	if errs := db.Check(); len(errs) != 0 {
		t.Fatalf("Check: %v", errs)
	}
}
