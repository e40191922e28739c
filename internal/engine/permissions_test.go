package engine_test

import (
	"context"
	"crypto/sha256"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
)

// fileHash is the store file's digest: a refused command must not change a byte.
func fileHash(t testing.TB, f *fixture) [32]byte {
	t.Helper()
	b, err := os.ReadFile(f.st.Path())
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

const north = domain.ChannelID("test:C-NORTH")

func (f *fixture) do(t testing.TB, as, command, text string) engine.Response {
	t.Helper()
	return f.eng.Handle(context.Background(), engine.Request{Platform: "test", Channel: north, Caller: domain.PersonID("test:" + as), Command: command, Text: text})
}

func (f *fixture) press(t testing.TB, as, action string) engine.Response {
	t.Helper()
	return f.eng.Handle(context.Background(), engine.Request{Platform: "test", Channel: north, Caller: domain.PersonID("test:" + as), Action: action})
}

func (f *fixture) must(t testing.TB, as, command, text string) engine.Response {
	t.Helper()
	resp := f.do(t, as, command, text)
	if resp.Code != "" {
		t.Fatalf("/%s %s as %s: %s: %s", command, text, as, resp.Code, texts(resp))
	}
	return resp
}

func texts(r engine.Response) string {
	var b []string
	for _, m := range r.Messages {
		b = append(b, Flatten(m))
	}
	return strings.Join(b, "\n")
}

// matrixFixture: North with every role, South with its own manager, and a
// stranger in no team. C-1 queued, C-2 held by Alice, C-3 proposed to Alice
// (proposal 1), concern #1 raised by Alice.
func matrixFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	buildMatrix(t, f)
	return f
}

// buildMatrix sets up the matrix fixture's teams through f's engine.
func buildMatrix(t *testing.T, f *fixture) {
	t.Helper()
	f.must(t, "admin", "caseload", "setup North")
	for _, s := range []string{"<@meg|Meg> manager", "<@alice|Alice> practitioner", "<@bo|Bo> asye", "<@stu|Stu> student"} {
		f.must(t, "admin", "caseload", "add "+s)
	}
	f.must(t, "admin", "caseload", "service-manager <@sm|Sue>")
	south := engine.Request{Platform: "test", Channel: "test:C-SOUTH", Caller: "test:admin", Command: "caseload"}
	for _, text := range []string{"setup South", "add <@olly|Olly> manager", "add <@pat|Pat> practitioner"} {
		req := south
		req.Text = text
		if resp := f.eng.Handle(context.Background(), req); resp.Code != "" {
			t.Fatal(texts(resp))
		}
	}
	f.must(t, "meg", "caseload", "case add C-1 cin")
	f.must(t, "meg", "caseload", "case add C-2 cp")
	f.must(t, "meg", "caseload", "case add C-3 lac")
	f.must(t, "meg", "allocate", "C-2 <@alice>")
	f.must(t, "alice", "allocate", "accept C-2")
	f.must(t, "meg", "allocate", "C-3 <@alice>") // proposal 2
	f.must(t, "alice", "capacity", "concern too much")
	f.must(t, "meg", "capacity", "plan 1 fewer cases")
	f.must(t, "meg", "caseload", "case add C-4 cin")
	f.must(t, "meg", "allocate", "C-4 <@alice>")
	f.must(t, "alice", "allocate", "decline C-4 "+secretReason)
}

// secretReason is a decline's reason in the matrix fixture: it may be about
// someone's health, so no channel message may ever carry it.
const secretReason = "my chemotherapy starts on Monday"

// noSecretInChannel fails when a channel message, answered or queued,
// carries the decline's reason.
func noSecretInChannel(t *testing.T, f *fixture, resp engine.Response) {
	t.Helper()
	for _, m := range resp.Messages {
		if m.Audience == domain.ToChannel && strings.Contains(Flatten(m), secretReason) {
			t.Fatalf("a decline's reason reached the channel:\n%s", Flatten(m))
		}
	}
	for _, it := range f.outbox(t) {
		if it.Message.Audience == domain.ToChannel && strings.Contains(Flatten(it.Message), secretReason) {
			t.Fatalf("a decline's reason is queued for the channel:\n%s", Flatten(it.Message))
		}
	}
}

func TestPermissionMatrix(t *testing.T) {
	roles := []string{"admin", "sm", "meg", "alice", "bo", "stu", "olly", "zed"}
	managers := "admin sm meg"
	members := "meg alice bo stu"
	seers := "admin sm meg alice bo stu"
	for _, tc := range []struct {
		command, text, action string
		allowed               string
	}{
		{"caseload", "setup Another", "", "admin"},
		{"caseload", "add <@new|New> practitioner", "", managers},
		{"caseload", "add <@new|New> service_manager", "", "admin"},
		{"caseload", "service-manager <@new|New>", "", "admin"},
		{"caseload", "case add C-9 cin", "", managers},
		{"caseload", "case close C-1", "", managers},
		{"caseload", "case update C-2 court", "", managers},
		{"caseload", "case involve C-2 <@stu>", "", managers},
		{"caseload", "case show C-2", "", seers},
		{"caseload", "board", "", seers},
		{"caseload", "digest", "", managers},
		{"allocate", "", "", managers},
		{"allocate", "C-1 <@bo>", "", managers},
		{"allocate", "accept C-3", "", "alice"},
		{"allocate", "decline C-3 no room", "", "alice"},
		{"allocate", "done", "", managers},
		{"allocate", "transfer C-2 <@bo> long-term cover", "", managers},
		{"allocate", "withdraw C-3", "", managers},
		{"capacity", "", "", members},
		{"capacity", "<@alice>", "", managers + " alice"},
		{"capacity", "concern overloaded", "", "alice bo meg"},
		{"capacity", "agree 1", "", "alice"},
		{"capacity", "disagree 1 not enough", "", "alice"},
		{"allocate", "review C-2 end", "", managers},
		{"capacity", "hours 2 visits", "", "alice bo"},
		{"capacity", "ack 1", "", managers},
		{"capacity", "plan 1 fewer cases", "", managers},
		{"capacity", "resolve 1", "", managers},
		{"caseload", "reduction <@alice> 20 practice educator", "", managers},
		{"caseload", "reduction <@alice> end 1", "", managers},
		{"caseload", "leave <@bo> until=2026-12-31 surgery", "", managers},
		{"caseload", "back <@bo>", "", managers},
		{"caseload", "remove <@bo>", "", managers},
		{"caseload", "posts 5", "", managers},
		{"caseload", "policy", "", seers},
		{"caseload", "policy default", "", "admin"},
		{"caseload", "review <@alice> keep", "", managers},
		{"caseload", "case move C-1 south needs the South team", "", managers},
		{"capacity", "hours 2 date=2026-11-20 late visit", "", "alice bo"},
		{"", "", "accept:2", "alice"},
		{"", "", "decline:2", "alice"},
		{"", "", "ack:1", managers},
	} {
		name := strings.TrimSpace(tc.command + " " + tc.text + tc.action)
		allowed := map[string]bool{}
		for _, r := range strings.Fields(tc.allowed) {
			allowed[r] = true
		}
		shared := matrixFixture(t)
		for _, role := range roles {
			t.Run(name+"/"+role, func(t *testing.T) {
				f := shared
				if allowed[role] {
					f = matrixFixture(t) // allowed commands change things: use a fresh store
				}
				before := fileHash(t, f)
				var resp engine.Response
				if tc.action != "" {
					resp = f.press(t, role, tc.action)
				} else {
					resp = f.do(t, role, tc.command, tc.text)
				}
				noSecretInChannel(t, f, resp)
				if allowed[role] {
					if resp.Code == domain.EFORBIDDEN {
						t.Fatalf("%s should be allowed, got a refusal: %s", role, texts(resp))
					}
					return
				}
				if resp.Code != domain.EFORBIDDEN {
					t.Fatalf("%s should be refused, got code %q: %s", role, resp.Code, texts(resp))
				}
				for _, m := range resp.Messages {
					if m.Audience != domain.ToCaller {
						t.Fatalf("a refusal must be private, got %s", m.Audience)
					}
				}
				if got := fileHash(t, f); got != before {
					t.Fatal("a refused command changed the store")
				}
			})
		}
	}
}

func TestRefusalSaysWhatRoleIsNeeded(t *testing.T) {
	f := matrixFixture(t)
	for _, tc := range []struct{ as, command, text, want string }{
		{"alice", "allocate", "C-1 <@bo>", "Only a manager of North can propose allocations."},
		{"stu", "capacity", "concern x", "Only practitioners and ASYEs of North can raise capacity concerns"},
		{"meg", "caseload", "setup X", "Only an admin can set up a team."},
		{"bo", "allocate", "accept C-3", "This is for Alice to answer"},
		{"olly", "caseload", "board", "You are not a member of North"},
	} {
		resp := f.do(t, tc.as, tc.command, tc.text)
		if got := texts(resp); !strings.Contains(got, tc.want) {
			t.Errorf("%s /%s %s: got %q, want it to contain %q", tc.as, tc.command, tc.text, got, tc.want)
		}
	}
}

// Every prompt the engine can say renders without a template error in the
// flows above; this catches a typo in prompts/ before a practitioner does.
func TestNoPromptRendersAnError(t *testing.T) {
	f := matrixFixture(t)
	var seen []string
	for _, tc := range [][2]string{{"caseload", "case show C-2"}, {"allocate", ""}, {"capacity", ""}, {"caseload", "board"}, {"allocate", "done"}} {
		seen = append(seen, texts(f.do(t, "meg", tc[0], tc[1])))
		seen = append(seen, texts(f.do(t, "alice", tc[0], tc[1])))
	}
	sort.Strings(seen)
	for _, s := range seen {
		if strings.Contains(s, "template:") || strings.Contains(s, "map has no entry") {
			t.Fatalf("a prompt failed:\n%s", s)
		}
	}
}
