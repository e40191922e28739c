package engine_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/internal/store"
)

// A manager cannot demote an admin or the team's service manager: changing
// someone who holds a role only an admin grants is for admins.
func TestManagerCannotChangeAnAdminOrServiceManager(t *testing.T) {
	f := matrixFixture(t)
	f.must(t, "admin", "caseload", "add <@ada|Ada> admin")
	for _, who := range []string{"<@ada>", "<@sm>"} {
		before := fileHash(t, f)
		resp := f.do(t, "meg", "caseload", "add "+who+" practitioner")
		if resp.Code != domain.EFORBIDDEN {
			t.Fatalf("manager changed %s: %s %s", who, resp.Code, texts(resp))
		}
		if fileHash(t, f) != before {
			t.Fatalf("refused change of %s changed the store", who)
		}
	}
	if !f.eng.IsBootstrapAdmin("test:admin") {
		t.Fatal("fixture: admin is not a bootstrap admin")
	}
	f.must(t, "admin", "caseload", "add <@ada> practitioner")
	f.must(t, "meg", "caseload", "add <@alice> practitioner fte=0.8") // plain members stay the manager's
}

// Outside the team's channel nothing about the team is posted: a DM stands
// for the caller's team for private answers only, and any other channel
// is refused privately, saying where to go.
func TestTeamDataStaysInTheTeamChannel(t *testing.T) {
	f := matrixFixture(t)
	do := func(channel domain.ChannelID, direct bool, as, command, text string) engine.Response {
		return f.eng.Handle(context.Background(), engine.Request{Platform: "test", Channel: channel, Direct: direct,
			Caller: domain.PersonID("test:" + as), Command: command, Text: text})
	}
	for _, tc := range []struct{ command, text string }{
		{"allocate", ""}, {"allocate", "C-1 <@alice>"}, {"caseload", "case add C-9 cin"}, {"allocate", "done"},
	} {
		before := fileHash(t, f)
		for _, direct := range []bool{false, true} {
			resp := do("test:C-GENERAL", direct, "meg", tc.command, tc.text)
			if resp.Code == "" {
				t.Fatalf("/%s %s in #general (direct %v) was run: %s", tc.command, tc.text, direct, texts(resp))
			}
			for _, m := range resp.Messages {
				if m.Audience != domain.ToCaller {
					t.Fatalf("/%s %s outside the team channel posted %v", tc.command, tc.text, m.Audience)
				}
			}
		}
		if fileHash(t, f) != before {
			t.Fatalf("/%s %s outside the team channel changed the store", tc.command, tc.text)
		}
	}
	if resp := do("test:D-MEG", true, "meg", "caseload", "board"); resp.Code != "" || resp.Messages[0].Audience != domain.ToCaller {
		t.Fatalf("board in a DM: %s %v", resp.Code, resp.Messages)
	}
	resp := do("test:C-GENERAL", false, "alice", "capacity", "")
	if resp.Code == "" || !strings.Contains(texts(resp), "North") {
		t.Fatalf("/capacity in #general: %s %s", resp.Code, texts(resp))
	}
	resp = do("test:D-ALICE", true, "alice", "capacity", "")
	if resp.Code != "" || len(resp.Messages) == 0 || resp.Messages[0].Audience != domain.ToCaller {
		t.Fatalf("/capacity in a DM: %s %s", resp.Code, texts(resp))
	}
	if resp := do("test:D-ALICE", true, "alice", "capacity", "hours 2 late visit"); resp.Code != "" {
		t.Fatalf("/capacity hours in a DM: %s %s", resp.Code, texts(resp))
	}
}

// groupCounter is the store as the engine sees it, counting the actions
// that join a shared commit.
type groupCounter struct {
	*store.DB
	n atomic.Int32
}

func (g *groupCounter) Group(fn func(domain.Tx) error) error {
	g.n.Add(1)
	return g.DB.Group(fn)
}

// Speculate counts the actions whose writes went on to the shared commit.
func (g *groupCounter) Speculate(fn func(domain.Tx) error, refused func(error) bool) error {
	before := g.DB.SpecStats()
	err := g.DB.Speculate(fn, refused)
	after := g.DB.SpecStats()
	if after.Applied+after.Stale+after.Bailed > before.Applied+before.Stale+before.Bailed {
		g.n.Add(1)
	}
	return err
}

// A refused write is decided on a read: it never joins (and so never rolls
// back) the commit other people's actions share.
func TestRefusalsDoNotJoinTheGroupCommit(t *testing.T) {
	f := matrixFixture(t)
	g := &groupCounter{DB: f.st}
	pol := domain.DefaultPolicy()
	eng := engine.New(g, &pol, f.eng.Prompts(), f.eng.Location(), []domain.PersonID{"test:admin"})
	do := func(as, command, text string) engine.Response {
		return eng.Handle(context.Background(), engine.Request{Platform: "test", Channel: north, Caller: domain.PersonID("test:" + as), Command: command, Text: text})
	}
	for _, tc := range []struct{ as, command, text string }{
		{"stranger", "capacity", "hours 2"},
		{"meg", "capacity", "hours 2"}, // managers carry no caseload
		{"alice", "allocate", "C-1 <@bo>"},
		{"meg", "caseload", "case close C-404"},
		{"meg", "allocate", "C-1 <@nobody>"},
	} {
		if resp := do(tc.as, tc.command, tc.text); resp.Code == "" {
			t.Fatalf("/%s %s as %s was not refused", tc.command, tc.text, tc.as)
		}
	}
	if n := g.n.Load(); n != 0 {
		t.Fatalf("%d refused actions joined the group commit", n)
	}
	if resp := do("alice", "capacity", "hours 2 visit"); resp.Code != "" {
		t.Fatal(texts(resp))
	}
	if n := g.n.Load(); n != 1 {
		t.Fatalf("an accepted write joined the group commit %d times", n)
	}
}

// Bad input is refused with a clear reason and changes nothing: overlong
// texts, names with control characters, numbers that are not numbers or
// are too small to mean anything, people of another platform.
func TestBadInputRefusedWithReason(t *testing.T) {
	f := matrixFixture(t)
	for _, tc := range []struct{ as, command, text, want string }{
		{"alice", "capacity", "concern " + strings.Repeat("too much ", 300), "2,000"},
		{"alice", "allocate", "decline C-3 " + strings.Repeat("x", 2001), "2,000"},
		{"alice", "capacity", "concern bell\x07", "control characters"},
		{"meg", "caseload", "add <@ann|Ann\x1b[31mLee> practitioner", "control characters"},
		{"meg", "caseload", "add <@ann|" + strings.Repeat("A", 5000) + "> practitioner", "too long"},
		{"meg", "caseload", "add <@ann|Ann> practitioner fte=nan", "FTE"},
		{"meg", "caseload", "add <@ann|Ann> practitioner fte=1e-300", "FTE"},
		{"alice", "capacity", "hours 1e-320", "0.1"},
		{"alice", "capacity", "hours nan", ""},
		{"meg", "allocate", "C-1 <@x:1>", "another chat platform"},
		{"meg", "caseload", "case add SMITH1 cin", "looks like a name"},
		{"meg", "caseload", "case add JS-1990-01-02 cin", "date"},
		{"meg", "caseload", "case add NHS-4857773456 cin", "NHS number"},
		{"admin", "caseload", "setup Evil\x00Team", "control characters"},
	} {
		before := fileHash(t, f)
		resp := f.do(t, tc.as, tc.command, tc.text)
		if resp.Code != domain.EINVALID {
			t.Errorf("/%s %.60q: code %q, want EINVALID: %s", tc.command, tc.text, resp.Code, texts(resp))
			continue
		}
		if !strings.Contains(texts(resp), tc.want) {
			t.Errorf("/%s %.60q: reason %q does not say %q", tc.command, tc.text, texts(resp), tc.want)
		}
		if fileHash(t, f) != before {
			t.Errorf("/%s %.60q changed the store", tc.command, tc.text)
		}
	}
	// A display name no import would take is not stored either.
	resp := f.eng.Handle(context.Background(), engine.Request{Platform: "test", Channel: north, Caller: "test:newbie",
		CallerName: "New\x00bie", Command: "capacity"})
	if strings.Contains(texts(resp), "\x00") {
		t.Fatalf("the caller's name came back with a NUL: %q", texts(resp))
	}
}

// panicky is a store whose reads panic, as a bug deep in a command would.
type panicky struct{ *store.DB }

func (p panicky) View(fn func(domain.Tx) error) error {
	return p.DB.View(func(domain.Tx) error { panic("boom") })
}

// A panic while handling a request is caught at the engine's entry: the
// caller gets a private internal-error answer, and the panic is marked so
// the log has its stack and /metrics counts it.
func TestPanicIsAnsweredNotFatal(t *testing.T) {
	f := matrixFixture(t)
	pol := domain.DefaultPolicy()
	eng := engine.New(panicky{f.st}, &pol, f.eng.Prompts(), f.eng.Location(), nil)
	resp := eng.Handle(context.Background(), engine.Request{Platform: "test", Channel: north, Caller: "test:meg", Command: "caseload", Text: "board"})
	if resp.Code != domain.EINTERNAL || !resp.Panicked || resp.Err == nil || !strings.Contains(resp.Err.Error(), "boom") {
		t.Fatalf("got %+v", resp)
	}
	if len(resp.Messages) != 1 || resp.Messages[0].Audience != domain.ToCaller || strings.Contains(texts(resp), "boom") {
		t.Fatalf("answer %+v", resp.Messages)
	}
}
