package store

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// Concurrent grouped actions behave as if run one by one: refusals leave no
// trace, every success is kept, and a refusal sees the writes queued before it.
func TestGroupCommitKeepsEachActionWhole(t *testing.T) {
	db := openTemp(t, Options{})
	if err := db.Update(func(tx domain.Tx) error { return tx.PutTeam(&domain.Team{ID: "t"}) }); err != nil {
		t.Fatal(err)
	}
	refused := errors.New("refused")
	var wg sync.WaitGroup
	errs := make([]error, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.Group(func(tx domain.Tx) error {
				ref := fmt.Sprintf("C-%d", i)
				if err := tx.PutCase(&domain.Case{Ref: ref, Team: "t", Type: "cin", Status: domain.CaseQueued}); err != nil {
					return err
				}
				if i%3 == 0 {
					return refused // after a write: the write must vanish
				}
				return tx.Audit(&domain.AuditEntry{Team: "t", Action: "case.add", Subject: ref})
			})
		}()
	}
	wg.Wait()
	var cases []*domain.Case
	var log []*domain.AuditEntry
	if err := db.View(func(tx domain.Tx) (err error) {
		if cases, err = tx.Cases("t"); err != nil {
			return err
		}
		log, err = tx.AuditLog("t", time.Time{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	kept := map[string]bool{}
	for _, c := range cases {
		kept[c.Ref] = true
	}
	for i, err := range errs {
		ref := fmt.Sprintf("C-%d", i)
		if i%3 == 0 {
			if !errors.Is(err, refused) || kept[ref] {
				t.Fatalf("%s: err %v, kept %v; a refused action must leave nothing", ref, err, kept[ref])
			}
		} else if err != nil || !kept[ref] {
			t.Fatalf("%s: err %v, kept %v", ref, err, kept[ref])
		}
	}
	if got, want := len(log), len(cases); got != want {
		t.Fatalf("%d audit entries for %d cases", got, want)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Group(func(domain.Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("Group after Close: %v", err)
	}
}
