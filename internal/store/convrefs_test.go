package store

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

func TestConversationRefs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	want := domain.ConversationRef{ServiceURL: "https://smba.trafficmanager.net/uk/", Conversation: "a:1xyz", Tenant: "t1", Name: "Alice",
		SeenAt: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	err = db.View(func(tx domain.Tx) error {
		_, err := tx.(*Tx).ConversationRef("teams:29:1alice")
		return err
	})
	if domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("before: %v", err)
	}
	if err := db.Update(func(tx domain.Tx) error { return tx.(*Tx).PutConversationRef("teams:29:1alice", &want) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx domain.Tx) error { return tx.(*Tx).PutConversationRef("teams:x", &domain.ConversationRef{}) }); err == nil {
		t.Fatal("a reference without a service URL was stored")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got *domain.ConversationRef
	if err := db.View(func(tx domain.Tx) error {
		var err error
		got, err = tx.(*Tx).ConversationRef("teams:29:1alice")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if *got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if errs := db.Check(); len(errs) > 0 {
		t.Fatal(errs)
	}
}
