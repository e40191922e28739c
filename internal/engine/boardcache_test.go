package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/internal/store"
	"github.com/safeload/safeload/prompts"
)

// boardFrom is the board of channel ch as as sees it, from eng.
func boardFrom(t *testing.T, eng *engine.Engine, ch domain.ChannelID, as string) string {
	t.Helper()
	resp := eng.Handle(context.Background(), engine.Request{Platform: "test", Channel: ch, Caller: domain.PersonID("test:" + as), Command: "caseload", Text: "board"})
	if resp.Code != "" || len(resp.Messages) != 1 {
		t.Fatalf("board of %s: %s %s", ch, resp.Code, texts(resp))
	}
	return string(resp.Messages[0].RAG) + "\n" + Flatten(resp.Messages[0])
}

// wantBoardsExact compares the boards the engine shows, twice (the second
// from its cache), with the boards of a new engine that has no cache and
// reads the store from scratch.
func wantBoardsExact(t *testing.T, st domain.Store, eng *engine.Engine, step string) {
	t.Helper()
	pol := domain.DefaultPolicy()
	fresh := engine.New(st, &pol, prompts.MustLoad(), eng.Location(), []domain.PersonID{"test:admin"})
	for _, ch := range []domain.ChannelID{north, "test:C-SOUTH"} {
		want := boardFrom(t, fresh, ch, "admin")
		for i := 0; i < 2; i++ {
			if got := boardFrom(t, eng, ch, "admin"); got != want {
				t.Fatalf("after %s, the board of %s (read %d) is\n%s\nfrom a store read from scratch it is\n%s", step, ch, i+1, got, want)
			}
		}
	}
}

func TestBoardCacheIsExactAfterEveryCommit(t *testing.T) {
	f := matrixFixture(t)
	wantBoardsExact(t, f.st, f.eng, "the fixture")
	steps := []struct{ as, command, text string }{
		{"meg", "caseload", "add <@dee|Dee> practitioner"},
		{"meg", "caseload", "case add C-9 cp"},
		{"meg", "allocate", "C-9 <@dee>"},
		{"dee", "allocate", "accept C-9"},
		{"meg", "caseload", "case update C-9 court"},
		{"meg", "caseload", "reduction <@alice> 20% until=2027-03-31 practice educator"},
		{"meg", "caseload", "leave <@bo>"},
		{"meg", "caseload", "back <@bo>"},
		{"meg", "caseload", "posts 6.5"},
		{"meg", "caseload", "add <@alice|Alice A> practitioner fte=0.8"},
		{"alice", "capacity", "hours 2"},
		{"meg", "caseload", "case close C-9"},
		{"meg", "caseload", "case move C-2 south turned 18"},
		{"olly", "allocate", "C-2 <@pat>"},
		{"pat", "allocate", "accept C-2"},
		{"meg", "caseload", "remove <@dee>"},
	}
	for _, s := range steps {
		ch := north
		if s.as == "olly" || s.as == "pat" {
			ch = "test:C-SOUTH"
		}
		resp := f.eng.Handle(context.Background(), engine.Request{Platform: "test", Channel: ch, Caller: domain.PersonID("test:" + s.as), Command: s.command, Text: s.text})
		if resp.Code != "" {
			t.Fatalf("/%s %s as %s: %s: %s", s.command, s.text, s.as, resp.Code, texts(resp))
		}
		wantBoardsExact(t, f.st, f.eng, "/"+s.command+" "+s.text)
	}
	// A refused command changes nothing, and the board stays right.
	if resp := f.do(t, "alice", "caseload", "case add C-10 cp"); resp.Code == "" {
		t.Fatal("a practitioner added a case")
	}
	wantBoardsExact(t, f.st, f.eng, "a refusal")
	// A new day: a reduction or leave may start or end with it.
	f.clock.Advance(24 * time.Hour)
	wantBoardsExact(t, f.st, f.eng, "a day")

	// A backup now, then more changes, then a restart on the backup (a
	// restore): the new engine's cache is right from the first read.
	backup := filepath.Join(t.TempDir(), "backup.db")
	out, err := os.Create(backup)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.WriteTo(out); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	f.must(t, "meg", "caseload", "case add C-11 cin")
	f.must(t, "meg", "allocate", "C-11 <@alice>")
	f.must(t, "alice", "allocate", "accept C-11")
	wantBoardsExact(t, f.st, f.eng, "changes after the backup")
	before := boardFrom(t, f.eng, north, "admin")
	if err := f.st.Close(); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{f.st.Path(), backup} {
		st, err := store.Open(path, store.Options{Clock: f.clock})
		if err != nil {
			t.Fatal(err)
		}
		pol := domain.DefaultPolicy()
		eng := engine.New(st, &pol, prompts.MustLoad(), f.eng.Location(), []domain.PersonID{"test:admin"})
		wantBoardsExact(t, st, eng, "a restart on "+filepath.Base(path))
		if got := boardFrom(t, eng, north, "admin"); (path == backup) == (got == before) {
			t.Errorf("the board after a restart on %s:\n%s\nbefore it:\n%s", filepath.Base(path), got, before)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
