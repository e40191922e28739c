package discord_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/safeload/safeload/adapters/discord"
	"github.com/safeload/safeload/adapters/discord/discordtest"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/prompts"
)

// registered is a command as Discord receives it.
type registered struct {
	Name        string       `json:"name"`
	Type        int          `json:"type"`
	Description string       `json:"description"`
	Options     []registered `json:"options"`
	Required    bool         `json:"required"`
	Choices     []struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	} `json:"choices"`
}

var discordName = regexp.MustCompile(`^[-_\p{L}\p{N}]{1,32}$`)

func checkDiscordRules(t *testing.T, where string, c registered, top bool) {
	t.Helper()
	if !discordName.MatchString(c.Name) || strings.ToLower(c.Name) != c.Name {
		t.Errorf("%s: name %q breaks ^[-_\\p{L}\\p{N}]{1,32}$ in lower case", where, c.Name)
	}
	if n := utf8.RuneCountInString(c.Description); n < 1 || n > 100 {
		t.Errorf("%s: description of %d characters: %q", where, n, c.Description)
	}
	if len(c.Options) > 25 {
		t.Errorf("%s: %d options", where, len(c.Options))
	}
	if len(c.Choices) > 25 {
		t.Errorf("%s: %d choices", where, len(c.Choices))
	}
	optional := false
	for _, o := range c.Options {
		w := where + " " + o.Name
		if o.Type == 1 || o.Type == 2 {
			checkDiscordRules(t, w, o, false)
			continue
		}
		checkDiscordRules(t, w, o, false)
		if o.Required && optional {
			t.Errorf("%s: required after an optional option", w)
		}
		optional = optional || !o.Required
	}
	_ = top
}

func registeredCommands(t *testing.T) []registered {
	t.Helper()
	cmds, err := discord.Commands(prompts.MustLoad())
	if err != nil {
		t.Fatal(err)
	}
	var out []registered
	if err := json.Unmarshal(jsonBody(t, cmds), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCommandsFollowDiscordRules(t *testing.T) {
	for _, c := range registeredCommands(t) {
		checkDiscordRules(t, "/"+c.Name, c, true)
		if c.Type != 1 {
			t.Errorf("/%s: type %d, want 1 (chat input)", c.Name, c.Type)
		}
	}
}

// TestCommandsAreDesignForms pins the sub-commands and their typed options
// to the command grammar: a person is a User option (6); references and text String
// (3); hours, FTE and concern numbers Number (10); override Boolean (5).
func TestCommandsAreDesignForms(t *testing.T) {
	want := map[string]string{
		"allocate queue":           "",
		"allocate propose":         "ref:3! user:6! override:5 review:3 reason:3",
		"allocate accept":          "ref:3!",
		"allocate decline":         "ref:3! reason:3!",
		"allocate done":            "",
		"allocate transfer":        "ref:3! user:6! reason:3! override:5 review:3",
		"allocate withdraw":        "ref:3!",
		"allocate review":          "ref:3! decision:3! review:3 reason:3",
		"capacity show":            "user:6",
		"capacity concern":         "text:3!",
		"capacity hours":           "hours:10! date:3 note:3",
		"capacity ack":             "id:10!",
		"capacity plan":            "id:10! text:3!",
		"capacity resolve":         "id:10!",
		"capacity agree":           "id:10!",
		"capacity disagree":        "id:10! why:3!",
		"caseload setup":           "name:3!",
		"caseload add":             "user:6! role:3! fte:10 started:3",
		"caseload service-manager": "user:6!",
		"caseload case-add":        "ref:3! type:3! factors:3",
		"caseload case-close":      "ref:3!",
		"caseload case-update":     "ref:3! changes:3!",
		"caseload case-involve":    "ref:3! student:6!",
		"caseload case-show":       "ref:3!",
		"caseload board":           "",
		"caseload digest":          "",
		"caseload case-move":       "ref:3! team:3! reason:3!",
		"caseload reduction":       "user:6! percent:10! reason:3! until:3",
		"caseload reduction-end":   "user:6! number:10!",
		"caseload leave":           "user:6! until:3 note:3",
		"caseload back":            "user:6! phased:10 until:3",
		"caseload remove":          "user:6!",
		"caseload posts":           "fte:10!",
		"caseload policy":          "name:3",
		"caseload review":          "user:6! outcome:3! note:3",
	}
	got := map[string]string{}
	for _, c := range registeredCommands(t) {
		for _, s := range c.Options {
			if s.Type != 1 {
				t.Errorf("/%s %s: type %d, want a sub-command", c.Name, s.Name, s.Type)
			}
			var opts []string
			for _, o := range s.Options {
				req := ""
				if o.Required {
					req = "!"
				}
				opts = append(opts, o.Name+":"+strconv.Itoa(o.Type)+req)
			}
			got[c.Name+" "+s.Name] = strings.Join(opts, " ")
		}
	}
	for k, w := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("missing /%s", k)
		} else if g != w {
			t.Errorf("/%s: options %q, want %q", k, g, w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected /%s", k)
		}
	}
}

func TestRoleChoicesAreTheEngineRoles(t *testing.T) {
	for _, c := range registeredCommands(t) {
		for _, s := range c.Options {
			for _, o := range s.Options {
				if o.Name != "role" {
					continue
				}
				var values []string
				for _, ch := range o.Choices {
					values = append(values, ch.Value.(string))
					if _, ok := domain.ParseRole(ch.Value.(string)); !ok {
						t.Errorf("role choice %v is not a role", ch.Value)
					}
				}
				if len(values) != len(domain.Roles) {
					t.Errorf("role choices %v, want every role", values)
				}
			}
		}
	}
}

func TestBrokenDescriptionIsCaughtBeforeUpload(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("x", 101)
	if err := os.WriteFile(filepath.Join(dir, "discord.tmpl"), []byte(`{{define "discord.cmd.allocate"}}`+long+`{{end}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := prompts.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := discord.Commands(p); err == nil {
		t.Fatal("an override without most descriptions, and one of 101 characters, must be refused")
	}
}

func TestRegisterOverwritesCommands(t *testing.T) {
	fake := discordtest.NewServer(t, botToken, appID)
	s, err := discord.NewSession(botToken, fake.APIURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cmds, err := discord.Commands(prompts.MustLoad())
	if err != nil {
		t.Fatal(err)
	}
	fake.Fail(discordtest.Failure{Method: "PUT", Prefix: "applications/", Status: 429, Body: `{"message":"You are being rate limited.","retry_after":0.05,"global":false}`})
	created, err := discord.Register(context.Background(), s, appID, guildID, cmds)
	if err != nil {
		t.Fatal(err)
	}
	if len(created) != 3 || created[0].ID == "" {
		t.Fatalf("created %+v", created)
	}
	if fake.Commands(guildID) == nil || fake.Commands("global") != nil {
		t.Fatalf("commands should go to the guild only; requests %v", fake.Requests())
	}
	var names []string
	var got []registered
	if err := json.Unmarshal(fake.Commands(guildID), &got); err != nil {
		t.Fatal(err)
	}
	for _, c := range got {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"allocate", "capacity", "caseload"}) {
		t.Fatalf("registered %v", names)
	}
	if _, err := discord.Register(context.Background(), s, appID, "", cmds); err != nil || fake.Commands("global") == nil {
		t.Fatalf("global registration: %v", err)
	}
}

// TestTranslation pins each sub-command with its options to the engine's
// text grammar.
func TestTranslation(t *testing.T) {
	alice := people["alice"]
	admin := people["admin"] // no global_name: the username names them
	spaced := discordtest.User{ID: "100000000000000042", Username: "cy.cole", GlobalName: "Cy Cole"}
	noName := discordtest.User{ID: "100000000000000043"}
	s := func(name, v string) discordtest.Option { return discordtest.Option{Name: name, Type: 3, Value: v} }
	n := func(name string, v float64) discordtest.Option {
		return discordtest.Option{Name: name, Type: 10, Value: v}
	}
	u := func(name string, who discordtest.User) discordtest.Option {
		return discordtest.Option{Name: name, Type: 6, Value: who.ID}
	}
	b := func(name string, v bool) discordtest.Option { return discordtest.Option{Name: name, Type: 5, Value: v} }
	am := "<@" + alice.ID + "|Alice>"
	for _, tc := range []struct {
		command, sub string
		opts         []discordtest.Option
		users        []discordtest.User
		want         string
	}{
		{"allocate", "queue", nil, nil, "queue"},
		{"allocate", "propose", []discordtest.Option{s("ref", "C-1042"), u("user", alice)}, []discordtest.User{alice}, "propose C-1042 " + am},
		{"allocate", "propose", []discordtest.Option{s("ref", "C-112"), u("user", alice), b("override", true), s("review", "2w"), s("reason", "court date next week")}, []discordtest.User{alice}, "propose C-112 " + am + " override review=2w court date next week"},
		{"allocate", "propose", []discordtest.Option{s("ref", "C-112"), u("user", alice), s("reason", "she knows the family")}, []discordtest.User{alice}, "propose C-112 " + am + " override she knows the family"},
		{"allocate", "propose", []discordtest.Option{s("ref", "C-112"), u("user", alice), b("override", false)}, []discordtest.User{alice}, "propose C-112 " + am},
		{"allocate", "accept", []discordtest.Option{s("ref", "C-1")}, nil, "accept C-1"},
		{"allocate", "decline", []discordtest.Option{s("ref", "C-1"), s("reason", "  in court\nall week ")}, nil, "decline C-1 in court all week"},
		{"allocate", "done", nil, nil, "done"},
		{"allocate", "transfer", []discordtest.Option{s("ref", "C-1"), u("user", alice), s("reason", "moving team")}, []discordtest.User{alice}, "transfer C-1 " + am + " moving team"},
		{"allocate", "transfer", []discordtest.Option{s("ref", "C-1"), u("user", alice), s("reason", "moving team"), b("override", true), s("review", "4w")}, []discordtest.User{alice}, "transfer C-1 " + am + " override review=4w moving team"},
		{"allocate", "withdraw", []discordtest.Option{s("ref", "C-1")}, nil, "withdraw C-1"},
		{"capacity", "show", nil, nil, "show"},
		{"capacity", "show", []discordtest.Option{u("user", alice)}, []discordtest.User{alice}, "show " + am},
		{"capacity", "concern", []discordtest.Option{s("text", "too much court work")}, nil, "concern too much court work"},
		{"capacity", "hours", []discordtest.Option{n("hours", 2.5), s("note", "court prep")}, nil, "hours 2.5 court prep"},
		{"capacity", "hours", []discordtest.Option{n("hours", 3)}, nil, "hours 3"},
		{"capacity", "ack", []discordtest.Option{n("id", 12)}, nil, "ack 12"},
		{"capacity", "ack", []discordtest.Option{s("id", "#12")}, nil, "ack #12"},
		{"capacity", "plan", []discordtest.Option{n("id", 12), s("text", "no new cases")}, nil, "plan 12 no new cases"},
		{"capacity", "resolve", []discordtest.Option{{Name: "id", Type: 4, Value: 12}}, nil, "resolve 12"},
		{"capacity", "agree", []discordtest.Option{n("id", 12)}, nil, "agree 12"},
		{"capacity", "disagree", []discordtest.Option{n("id", 12), s("why", "the court work stays")}, nil, "disagree 12 the court work stays"},
		{"allocate", "review", []discordtest.Option{s("ref", "C-9"), s("decision", "continue"), s("review", "4 w"), s("reason", "hearing moved")}, nil, "review C-9 continue review=4w hearing moved"},
		{"allocate", "review", []discordtest.Option{s("ref", "C-9"), s("decision", "end")}, nil, "review C-9 end"},
		{"caseload", "setup", []discordtest.Option{s("name", "North CIN")}, nil, "setup North CIN"},
		{"caseload", "add", []discordtest.Option{u("user", alice), s("role", "practitioner"), n("fte", 0.8)}, []discordtest.User{alice}, "add " + am + " practitioner fte=0.8"},
		{"caseload", "add", []discordtest.Option{u("user", admin), s("role", "manager")}, []discordtest.User{admin}, "add <@" + admin.ID + "|Admin> manager"},
		{"caseload", "add", []discordtest.Option{u("user", spaced), s("role", "asye")}, []discordtest.User{spaced}, "add <@" + spaced.ID + "|Cy Cole> asye"},
		{"caseload", "add", []discordtest.Option{u("user", noName), s("role", "asye")}, nil, "add <@" + noName.ID + "> asye"},
		{"caseload", "service-manager", []discordtest.Option{u("user", alice)}, []discordtest.User{alice}, "service-manager " + am},
		{"caseload", "case-add", []discordtest.Option{s("ref", "C-7"), s("type", "cp"), s("factors", "court rural children=3")}, nil, "case add C-7 cp court rural children=3"},
		{"caseload", "case-add", []discordtest.Option{s("ref", "C-8"), s("type", "cin")}, nil, "case add C-8 cin"},
		{"caseload", "case-close", []discordtest.Option{s("ref", "C-7")}, nil, "case close C-7"},
		{"caseload", "case-update", []discordtest.Option{s("ref", "C-7"), s("changes", "proceedings court -rural")}, nil, "case update C-7 proceedings court -rural"},
		{"caseload", "case-involve", []discordtest.Option{s("ref", "C-7"), u("student", alice)}, []discordtest.User{alice}, "case involve C-7 " + am},
		{"caseload", "case-show", []discordtest.Option{s("ref", "C-7")}, nil, "case show C-7"},
		{"caseload", "board", nil, nil, "board"},
		{"caseload", "digest", nil, nil, "digest"},
		{"capacity", "hours", []discordtest.Option{n("hours", 2), s("date", "2026-11-27"), s("note", "late visit")}, nil, "hours 2 date=2026-11-27 late visit"},
		{"caseload", "add", []discordtest.Option{u("user", alice), s("role", "asye"), s("started", "2026-09-01")}, []discordtest.User{alice}, "add " + am + " asye started=2026-09-01"},
		{"caseload", "case-move", []discordtest.Option{s("ref", "C-7"), s("team", "adults-east"), s("reason", "turned 18")}, nil, "case move C-7 adults-east turned 18"},
		{"caseload", "reduction", []discordtest.Option{u("user", alice), n("percent", 20), s("reason", "practice educator"), s("until", "2027-03-31")}, []discordtest.User{alice}, "reduction " + am + " 20 until=2027-03-31 practice educator"},
		{"caseload", "reduction", []discordtest.Option{u("user", alice), n("percent", 10), s("reason", "union duties")}, []discordtest.User{alice}, "reduction " + am + " 10 union duties"},
		{"caseload", "reduction-end", []discordtest.Option{u("user", alice), n("number", 2)}, []discordtest.User{alice}, "reduction " + am + " end 2"},
		{"caseload", "leave", []discordtest.Option{u("user", alice), s("until", "2027-01-04"), s("note", "surgery")}, []discordtest.User{alice}, "leave " + am + " until=2027-01-04 surgery"},
		{"caseload", "back", []discordtest.Option{u("user", alice), n("phased", 50), s("until", "2027-02-01")}, []discordtest.User{alice}, "back " + am + " phased=50 until=2027-02-01"},
		{"caseload", "remove", []discordtest.Option{u("user", alice)}, []discordtest.User{alice}, "remove " + am},
		{"caseload", "posts", []discordtest.Option{n("fte", 6.5)}, nil, "posts 6.5"},
		{"caseload", "policy", nil, nil, "policy"},
		{"caseload", "policy", []discordtest.Option{s("name", "adults")}, nil, "policy adults"},
		{"caseload", "review", []discordtest.Option{u("user", alice), s("outcome", "reduce"), s("note", "court heavy")}, []discordtest.User{alice}, "review " + am + " reduce court heavy"},
	} {
		t.Run(tc.command+" "+tc.sub, func(t *testing.T) {
			var got engine.Request
			h := handlerFunc(func(_ context.Context, r engine.Request) engine.Response { got = r; return engine.Response{} })
			f := newFixture(t, func(c *discord.Config) { c.Handler = h })
			id, token := f.next()
			f.interact(discordtest.SlashCommand(id, appID, token, guild, people["meg"], tc.command, tc.sub, tc.opts, tc.users...), token)
			if got.Command != tc.command || got.Text != tc.want {
				t.Fatalf("engine got %q %q, want %q %q", got.Command, got.Text, tc.command, tc.want)
			}
		})
	}
}

func TestUnknownCommandIsExplainedPrivately(t *testing.T) {
	h := &counting{}
	f := newFixture(t, func(c *discord.Config) { c.Handler = h })
	id, token := f.next()
	resp, _ := f.interact(discordtest.SlashCommand(id, appID, token, guild, people["meg"], "allocate", "frobnicate", nil), token)
	if resp.Type != 4 || resp.Data.Flags != discordtest.Ephemeral || !strings.Contains(resp.Data.Content, "safeload discord register") {
		t.Fatalf("got %+v", resp)
	}
	if h.n.Load() != 0 {
		t.Fatal("an unknown sub-command reached the engine")
	}
}
