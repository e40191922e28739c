package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
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
