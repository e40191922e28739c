package discord_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/safeload/safeload/adapters/adaptertest"
	"github.com/safeload/safeload/adapters/discord"
	"github.com/safeload/safeload/adapters/discord/discordtest"
	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/internal/enginetest"
	"github.com/safeload/safeload/internal/store"
)

// start is Monday 23 November 2026, 10:00 in London.
var start = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

const (
	botToken  = "test-bot-token"
	appID     = "500000000000000001"
	guildID   = "300000000000000001"
	channelID = "200000000000000001"
)

// people are the contract suite's test users. Admin and Stu have no
// display name, so their username stands in.
var people = map[string]discordtest.User{
	"admin": {ID: "100000000000000001", Username: "Admin"},
	"meg":   {ID: "100000000000000002", Username: "meg.moss", GlobalName: "Meg"},
	"alice": {ID: "100000000000000003", Username: "alice.adams", GlobalName: "Alice"},
	"bo":    {ID: "100000000000000004", Username: "bo.brown", GlobalName: "Bo"},
	"sam":   {ID: "100000000000000005", Username: "sam.smith", GlobalName: "Sam"},
	"stu":   {ID: "100000000000000006", Username: "Stu"},
	"eve":   {ID: "100000000000000007", Username: "eve.evans", GlobalName: "Eve"},
}

func userByID(id string) (discordtest.User, bool) {
	for _, u := range people {
		if u.ID == id {
			return u, true
		}
	}
	return discordtest.User{}, false
}

// fixture is the adapter over a real engine and bbolt store, served over
// real HTTP, talking to a fake Discord.
type fixture struct {
	t       testing.TB
	clock   *clock.Fake
	st      *store.DB
	eng     *engine.Engine
	discord *discordtest.Server
	adapter *discord.Adapter
	http    *httptest.Server
	key     ed25519.PrivateKey
	seq     atomic.Int64
	seen    int // Discord messages already returned by Deliver
}

func newKey(tb testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) {
	tb.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return pub, priv
}

func quietLog() *logrus.Logger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}

type fixtureOpt func(*discord.Config)

func newFixture(tb testing.TB, opts ...fixtureOpt) *fixture {
	tb.Helper()
	env := enginetest.New(tb, start, domain.PersonID("discord:"+people["admin"].ID))
	fc, st, p, eng := env.Clock, env.Store, env.Prompts, env.Engine
	fake := discordtest.NewServer(tb, botToken, appID)
	fake.OnlyChannels(channelID)
	pub, priv := newKey(tb)
	// A loaded test machine must not turn answers into deferrals: the
	// deferral tests set their own deadline.
	cfg := discord.Config{Handler: eng, PublicKey: pub, Token: botToken, AppID: appID, APIURL: fake.APIURL(),
		Clock: fc, Log: quietLog(), Prompts: p, Deadline: 10 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	a, err := discord.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(a)
	tb.Cleanup(srv.Close)
	tb.Cleanup(a.Wait)
	return &fixture{t: tb, clock: fc, st: st, eng: eng, discord: fake, adapter: a, http: srv, key: priv}
}

// post sends a signed interaction and returns the HTTP status and body.
func (f *fixture) post(body []byte) (int, []byte) {
	f.t.Helper()
	ts := strconv.FormatInt(f.clock.Now().Unix(), 10)
	return f.do(discordtest.SignedRequest(f.http.URL, f.key, ts, body))
}

func (f *fixture) do(req *http.Request) (int, []byte) {
	f.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// interact sends an interaction and returns the response and what
// followed it through the webhook (after every follow-up was sent).
func (f *fixture) interact(body []byte, token string) (discordtest.Response, []discordtest.Posted) {
	f.t.Helper()
	status, b := f.post(body)
	if status != http.StatusOK {
		f.t.Fatalf("interaction answered %d: %s", status, b)
	}
	var resp discordtest.Response
	if err := json.Unmarshal(b, &resp); err != nil {
		f.t.Fatalf("interaction response %s: %v", b, err)
	}
	f.adapter.Wait()
	var later []discordtest.Posted
	for _, p := range f.discord.Posted() {
		if p.Token == token && p.Kind != "callback" {
			later = append(later, p)
		}
	}
	return resp, later
}

func (f *fixture) next() (id, token string) {
	n := f.seq.Add(1)
	return strconv.FormatInt(700000000000000000+n, 10), "token-" + strconv.FormatInt(n, 10)
}

var guild = discordtest.Place{GuildID: guildID, ChannelID: channelID}

// ---- the contract suite's driver ----

type driver struct{ f *fixture }

func (d driver) Platform() string { return "discord" }
func (d driver) Person(name string) domain.PersonID {
	u, ok := people[name]
	if !ok {
		d.f.t.Fatalf("no test user %q", name)
	}
	return domain.PersonID("discord:" + u.ID)
}
func (d driver) Channel() domain.ChannelID { return "discord:" + channelID }
func (d driver) Mention(p domain.PersonID) string {
	return "<@" + strings.TrimPrefix(string(p), "discord:") + ">"
}
func (d driver) Advance(t *testing.T, hours int) { d.f.clock.Advance(time.Duration(hours) * time.Hour) }

func (d driver) user(t *testing.T, p domain.PersonID) discordtest.User {
	u, ok := userByID(strings.TrimPrefix(string(p), "discord:"))
	if !ok {
		t.Fatalf("no test user %s", p)
	}
	return u
}

func (d driver) Command(t *testing.T, as domain.PersonID, command, text string) []adaptertest.Shown {
	t.Helper()
	sub, opts, users := slashForm(t, command, text)
	id, token := d.f.next()
	body := discordtest.SlashCommand(id, appID, token, guild, d.user(t, as), command, sub, opts, users...)
	resp, later := d.f.interact(body, token)
	if resp.Type != 4 {
		t.Fatalf("/%s %s: answered with type %d, want 4", command, sub, resp.Type)
	}
	out := []adaptertest.Shown{d.shown(*resp.Data, channelID, false)}
	for _, p := range later {
		out = append(out, d.shown(p.Payload, channelID, false))
	}
	return out
}

func (d driver) Press(t *testing.T, as domain.PersonID, msg adaptertest.Shown, b adaptertest.Button) []adaptertest.Shown {
	t.Helper()
	m, ok := msg.Ref.(discordtest.Message)
	if !ok {
		t.Fatalf("message has no Discord reference: %+v", msg)
	}
	where := guild
	dm := d.f.discord.DMUser(m.ChannelID) != ""
	if dm {
		where = discordtest.Place{ChannelID: m.ChannelID}
	}
	id, token := d.f.next()
	resp, later := d.f.interact(discordtest.Press(id, appID, token, where, d.user(t, as), m, b.ActionID), token)
	var out []adaptertest.Shown
	switch resp.Type {
	case 7:
		s := d.shown(*resp.Data, m.ChannelID, dm)
		s.Replaced, s.Private = true, m.Flags&discordtest.Ephemeral != 0 || dm
		out = append(out, s)
	case 4:
		out = append(out, d.shown(*resp.Data, m.ChannelID, dm))
	default:
		t.Fatalf("press answered with type %d", resp.Type)
	}
	for _, p := range later {
		out = append(out, d.shown(p.Payload, m.ChannelID, dm))
	}
	return out
}

func (d driver) Deliver(t *testing.T) []adaptertest.Shown {
	t.Helper()
	loop := &delivery.Loop{Store: d.f.st, Senders: map[string]delivery.Sender{"discord": d.f.adapter}, Clock: d.f.clock, Log: quietLog()}
	if _, err := loop.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	posted := d.f.discord.Posted()
	var out []adaptertest.Shown
	for _, p := range posted[d.f.seen:] {
		if p.Kind != "message" {
			continue
		}
		user := d.f.discord.DMUser(p.ChannelID)
		s := d.shown(p.Payload, p.ChannelID, user != "")
		s.Ref = discordtest.Message{ID: p.MessageID, ChannelID: p.ChannelID, Payload: p.Payload}
		if user != "" {
			s.To = "discord:" + user
		} else {
			s.To = "discord:" + p.ChannelID
		}
		out = append(out, s)
	}
	d.f.seen = len(posted)
	return out
}

var discordMention = regexp.MustCompile(`<@!?(\d+)>`)

// display is the text as a Discord client shows it: a mention reads as
// the person's display name.
func display(s string) string {
	return discordMention.ReplaceAllStringFunc(s, func(m string) string {
		id := discordMention.FindStringSubmatch(m)[1]
		if u, ok := userByID(id); ok {
			if u.GlobalName != "" {
				return "@" + u.GlobalName
			}
			return "@" + u.Username
		}
		return m
	})
}

func (d driver) shown(p discordtest.Payload, channel string, dm bool) adaptertest.Shown {
	s := adaptertest.Shown{Text: display(p.Text()), Private: p.Flags&discordtest.Ephemeral != 0 || dm}
	for _, b := range p.Buttons() {
		s.Buttons = append(s.Buttons, adaptertest.Button{Label: b.Label, ActionID: b.CustomID})
	}
	id, _ := d.f.next()
	s.Ref = discordtest.Message{ID: id, ChannelID: channel, Flags: p.Flags, Payload: p}
	return s
}

// slashForm is what a person picks in Discord's command picker for the
// suite's text: the sub-command and its typed options.
func slashForm(t *testing.T, command, text string) (string, []discordtest.Option, []discordtest.User) {
	t.Helper()
	w := strings.Fields(text)
	var opts []discordtest.Option
	var users []discordtest.User
	rest := func(i int) string {
		if i >= len(w) {
			return ""
		}
		return strings.Join(w[i:], " ")
	}
	s := func(name, v string) {
		if v != "" {
			opts = append(opts, discordtest.Option{Name: name, Type: 3, Value: v})
		}
	}
	n := func(name, v string) {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("%q is not a number", v)
		}
		opts = append(opts, discordtest.Option{Name: name, Type: 10, Value: x})
	}
	u := func(name, v string) {
		m := discordMention.FindStringSubmatch(v)
		if m == nil {
			t.Fatalf("%q is not a mention", v)
		}
		opts = append(opts, discordtest.Option{Name: name, Type: 6, Value: m[1]})
		if usr, ok := userByID(m[1]); ok {
			users = append(users, usr)
		}
	}
	at := func(i int) string {
		if i < len(w) {
			return w[i]
		}
		return ""
	}
	kw := strings.ToLower(at(0))
	switch command {
	case "allocate":
		switch kw {
		case "", "queue":
			return "queue", nil, nil
		case "done":
			return "done", nil, nil
		case "accept", "withdraw":
			s("ref", at(1))
			return kw, opts, users
		case "decline":
			s("ref", at(1))
			s("reason", rest(2))
			return kw, opts, users
		}
		// propose: REF @user [override [review=X] reason…]
		s("ref", at(0))
		u("user", at(1))
		i := 2
		if strings.EqualFold(at(i), "override") {
			opts = append(opts, discordtest.Option{Name: "override", Type: 5, Value: true})
			i++
			if r, ok := strings.CutPrefix(at(i), "review="); ok {
				s("review", r)
				i++
			}
		}
		s("reason", rest(i))
		return "propose", opts, users
	case "capacity":
		switch kw {
		case "":
			return "show", nil, nil
		case "concern":
			s("text", rest(1))
			return kw, opts, users
		case "hours":
			n("hours", at(1))
			s("note", rest(2))
			return kw, opts, users
		case "ack", "resolve":
			n("id", at(1))
			return kw, opts, users
		case "plan":
			n("id", at(1))
			s("text", rest(2))
			return kw, opts, users
		}
		u("user", at(0))
		return "show", opts, users
	case "caseload":
		switch kw {
		case "setup":
			s("name", rest(1))
			return kw, opts, users
		case "add":
			u("user", at(1))
			s("role", at(2))
			if f, ok := strings.CutPrefix(at(3), "fte="); ok {
				n("fte", f)
			}
			return kw, opts, users
		case "service-manager":
			u("user", at(1))
			return kw, opts, users
		case "board", "digest":
			return kw, nil, nil
		case "case":
			sub := strings.ToLower(at(1))
			s("ref", at(2))
			switch sub {
			case "add":
				s("type", at(3))
				s("factors", rest(4))
			case "update":
				s("changes", rest(3))
			case "involve":
				u("student", at(3))
			}
			return "case-" + sub, opts, users
		}
	}
	t.Fatalf("the driver cannot put /%s %s as a Discord sub-command", command, text)
	return "", nil, nil
}

func TestContract(t *testing.T) {
	adaptertest.Run(t, driver{newFixture(t)})
}

// ---- a few direct checks of the same path ----

func TestMentionsTeachTheEngineNames(t *testing.T) {
	f := newFixture(t)
	d := driver{f}
	d.Command(t, d.Person("admin"), "caseload", "setup North CIN")
	out := d.Command(t, d.Person("admin"), "caseload", "add "+d.Mention(d.Person("alice"))+" practitioner")
	// The engine's answer mentions Alice: <@id> on Discord.
	if raw := out[0].Ref.(discordtest.Message).Payload.Text(); !strings.Contains(raw, "<@"+people["alice"].ID+">") {
		t.Fatalf("the answer should mention Alice as <@id>:\n%s", raw)
	}
	var name string
	_ = f.st.View(func(tx domain.Tx) error {
		m, err := tx.Member("north-cin", d.Person("alice"))
		if err == nil {
			name = m.Name
		}
		return nil
	})
	if got, want := name, "Alice"; got != want {
		t.Fatalf("the engine learnt the name %q, want %q", got, want)
	}
}

func TestInteractionJSONIsWhatDiscordSends(t *testing.T) {
	// A real interaction from Discord's documentation shape, with fields
	// the adapter does not use, still reaches the engine.
	var got []engine.Request
	h := handlerFunc(func(_ context.Context, r engine.Request) engine.Response {
		got = append(got, r)
		return engine.Response{Messages: []domain.Message{{Audience: domain.ToCaller, Text: "ok"}}}
	})
	f := newFixture(t, func(c *discord.Config) { c.Handler = h })
	id, token := f.next()
	body := discordtest.SlashCommand(id, appID, token, guild, people["meg"], "allocate", "propose",
		[]discordtest.Option{{Name: "ref", Type: 3, Value: "C-112"}, {Name: "user", Type: 6, Value: people["alice"].ID},
			{Name: "override", Type: 5, Value: true}, {Name: "review", Type: 3, Value: "2w"}, {Name: "reason", Type: 3, Value: "court date next week"}},
		people["alice"])
	resp, _ := f.interact(body, token)
	if resp.Type != 4 || resp.Data.Flags != discordtest.Ephemeral || resp.Data.Content != "ok" {
		t.Fatalf("got %+v", resp)
	}
	want := engine.Request{Platform: "discord", Channel: "discord:" + channelID, Caller: domain.PersonID("discord:" + people["meg"].ID), CallerName: "Meg",
		Command: "allocate", Text: "propose C-112 <@" + people["alice"].ID + "|Alice> override review=2w court date next week", InteractionID: id}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("engine got %+v\nwant %+v", got, want)
	}
}

func TestEnginePanicIsAnInternalError(t *testing.T) {
	f := newFixture(t)
	f.eng.Digest = func(domain.Tx, *domain.Team, time.Time) ([]domain.Message, error) { panic("boom") }
	id, token := f.next()
	resp, _ := f.interact(discordtest.SlashCommand(id, appID, token, guild, people["admin"], "caseload", "setup",
		[]discordtest.Option{{Name: "name", Type: 3, Value: "North"}}), token)
	if resp.Type != 4 {
		t.Fatalf("setup: %+v", resp)
	}
	id, token = f.next()
	resp, _ = f.interact(discordtest.SlashCommand(id, appID, token, guild, people["admin"], "caseload", "digest", nil), token)
	if resp.Type != 4 || resp.Data.Flags != discordtest.Ephemeral || !strings.Contains(resp.Data.Content, "went wrong") {
		t.Fatalf("got %+v", resp)
	}
}

type handlerFunc func(context.Context, engine.Request) engine.Response

func (h handlerFunc) Handle(ctx context.Context, r engine.Request) engine.Response { return h(ctx, r) }

func jsonBody(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
