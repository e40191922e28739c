package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/safeload/safeload/adapters/adaptertest"
	"github.com/safeload/safeload/adapters/teams/faketeams"
	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/internal/enginetest"
	"github.com/safeload/safeload/internal/store"
	"github.com/safeload/safeload/prompts"
)

// start is Monday 23 November 2026, 10:00 in London.
var start = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

const (
	testAppID    = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"
	testPassword = "not-a-real-secret~"
	testTenant   = "6f1c2b1e-1111-4222-8333-944455556666"
	testChannel  = "19:north@thread.tacv2"
	botID        = "28:" + testAppID
)

// harness is the real adapter, over a real engine and bbolt store on a fake
// clock, behind a real HTTP server, talking to a fake Teams (metadata,
// keys, token endpoint, Bot Connector) over HTTP.
type harness struct {
	fake    *faketeams.Server
	clock   *clock.Fake
	st      *store.DB
	eng     *engine.Engine
	rec     *recorder
	ad      *Adapter
	srv     *httptest.Server
	log     *bytes.Buffer
	logger  *logrus.Logger
	seq     atomic.Int64
	logMu   sync.Mutex
	skipBot bool // send commands without the bot's @mention (the 1:1 chat)
}

// recorder is the engine, noting the text of every private answer so a test
// can check that none of it reached a channel.
type recorder struct {
	h       engine.Handler
	mu      sync.Mutex
	private []string
	// public are the messages the engine meant for the channel, and those
	// that replace a pressed card.
	public []domain.Message
}

func (r *recorder) Handle(ctx context.Context, req engine.Request) engine.Response {
	resp := r.h.Handle(ctx, req)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range resp.Messages {
		if m.Audience != domain.ToChannel {
			r.private = append(r.private, strings.TrimSpace(m.Title+"\n"+m.Text))
		}
		if m.Audience == domain.ToChannel || m.Replace {
			r.public = append(r.public, m)
		}
	}
	return resp
}

type logWriter struct{ h *harness }

func (w logWriter) Write(p []byte) (int, error) {
	w.h.logMu.Lock()
	defer w.h.logMu.Unlock()
	return w.h.log.Write(p)
}

func (h *harness) logText() string {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	return h.log.String()
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	env := enginetest.New(t, start, "teams:29:1admin")
	h := &harness{fake: faketeams.New(testAppID, testPassword), clock: env.Clock, st: env.Store, eng: env.Engine, log: &bytes.Buffer{}}
	t.Cleanup(h.fake.Close)
	st := env.Store
	var err error
	h.rec = &recorder{h: h.eng}
	h.logger = logrus.New()
	h.logger.SetOutput(logWriter{h})
	h.logger.SetLevel(logrus.DebugLevel)
	h.ad, err = New(Config{AppID: testAppID, AppPassword: testPassword, TenantID: testTenant,
		OpenIDURL: h.fake.OpenIDURL(), TokenURL: h.fake.TokenURL(), Handler: h.rec, Store: st,
		Prompts: prompts.MustLoad(), Log: h.logger, Clock: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for path, handler := range h.ad.Routes() {
		mux.Handle("POST "+path, handler)
	}
	h.srv = httptest.NewServer(mux)
	t.Cleanup(func() { h.srv.Close(); h.ad.Close(); _ = st.Close() })
	return h
}

// names of the test's people, by their display name.
var people = map[string]string{}

func init() {
	for _, n := range []string{"admin", "meg", "alice", "bo", "sam", "stu", "eve"} {
		people[display(n)] = "29:1" + n
	}
}

func display(name string) string { return strings.ToUpper(name[:1]) + name[1:] }

func userID(p domain.PersonID) string { return strings.TrimPrefix(string(p), "teams:") }

func nameOf(p domain.PersonID) string { return display(strings.TrimPrefix(userID(p), "29:1")) }

var atRE = regexp.MustCompile(`<at>([^<]*)</at>`)

// activity is what Teams posts when as types text: in the team channel with
// the bot's @mention first, or in as's 1:1 chat with the bot.
func (h *harness) activity(as domain.PersonID, text string, personal bool) *Activity {
	n := h.seq.Add(1)
	act := &Activity{Type: "message", ID: fmt.Sprintf("in-%d", n), ServiceURL: h.fake.ServiceURL(), ChannelID: "msteams",
		From:      &Account{ID: userID(as), Name: nameOf(as), AADObjectID: "aad-" + userID(as)},
		Recipient: &Account{ID: botID, Name: "safeload"}, TextFormat: "plain"}
	if personal {
		act.Text = text
		act.Conversation = &Conversation{ID: h.fake.Chat(userID(as)), ConversationType: "personal", TenantID: testTenant}
		act.ChannelData = &ChannelData{Tenant: &IDRef{ID: testTenant}}
	} else {
		act.Text = "<at>safeload</at> " + text
		act.Entities = append(act.Entities, Entity{Type: "mention", Text: "<at>safeload</at>", Mentioned: &Account{ID: botID, Name: "safeload"}})
		act.Conversation = &Conversation{ID: fmt.Sprintf("%s;messageid=%d", testChannel, 1700000000000+n), ConversationType: "channel", TenantID: testTenant, IsGroup: true}
		act.ChannelData = &ChannelData{Tenant: &IDRef{ID: testTenant}, Team: &IDRef{ID: testChannel, Name: "North"},
			Channel: &IDRef{ID: testChannel, Name: "General"}}
	}
	for _, m := range atRE.FindAllStringSubmatch(text, -1) {
		if id, ok := people[m[1]]; ok {
			act.Entities = append(act.Entities, Entity{Type: "mention", Text: m[0], Mentioned: &Account{ID: id, Name: m[1]}})
		}
	}
	return act
}

// send posts an activity with a valid token, or the given one.
func (h *harness) send(t testing.TB, act *Activity, token string) int {
	t.Helper()
	if token == "" {
		token = h.fake.Token(h.clock.Now(), faketeams.Claims{})
	}
	return h.sendRaw(t, act, "Bearer "+token)
}

// sendRaw posts an activity with the Authorization header as given ("" for none).
func (h *harness) sendRaw(t testing.TB, act *Activity, authorization string) int {
	t.Helper()
	body, err := json.Marshal(act)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/teams/messages", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h.ad.Wait()
	return resp.StatusCode
}

// pressRef is where a shown card is, to press its buttons.
type pressRef struct {
	conversation string
	activity     string
	actions      map[string]string // label → action ID
}

// shownSince turns the Bot Connector calls from index from on into what the
// contract suite compares.
func (h *harness) shownSince(t testing.TB, from int) []adaptertest.Shown {
	t.Helper()
	calls := h.fake.Calls()
	var out []adaptertest.Shown
	for _, c := range calls[from:] {
		if c.Kind == "create" {
			continue
		}
		checkActivity(t, c.Activity)
		text, buttons, _, err := faketeams.Flatten(c.Activity)
		if err != nil {
			t.Fatalf("activity does not parse: %v\n%s", err, c.Activity)
		}
		s := adaptertest.Shown{Text: text, Replaced: c.Kind == "update"}
		if m := h.fake.ChatMember(c.Conversation); m != "" {
			s.Private, s.To = true, "teams:"+m
		} else {
			ch, _, _ := strings.Cut(c.Conversation, ";")
			s.To = "teams:" + ch
		}
		ref := pressRef{conversation: c.Conversation, activity: c.ActivityID, actions: map[string]string{}}
		for _, b := range buttons {
			s.Buttons = append(s.Buttons, adaptertest.Button{Label: b.Label, ActionID: b.Action})
			ref.actions[b.Label] = b.Action
		}
		s.Ref = ref
		out = append(out, s)
	}
	return out
}

// checkActivity holds every activity to Teams' limits and to the card
// format.
func checkActivity(t testing.TB, raw json.RawMessage) {
	t.Helper()
	var a Activity
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	if len(a.Attachments) == 1 && strings.HasPrefix(a.Attachments[0].ContentType, "image/") {
		// A picture: Teams does not count its base64 in the message's size.
		if at := a.Attachments[0]; a.Type != "message" || at.Content != nil || at.Name == "" || a.Text == "" ||
			len(raw)-len(at.ContentURL) > maxMessageBytes || len(at.ContentURL)*3/4 > maxPictureBytes+3 {
			t.Fatalf("not a message with one inline picture, its name and alt text:\n%.500s", raw)
		}
		return
	}
	if len(raw) > maxMessageBytes {
		t.Fatalf("an activity of %d bytes is over Teams' %d", len(raw), maxMessageBytes)
	}
	if a.Type != "message" || len(a.Attachments) != 1 || a.Attachments[0].ContentType != CardContentType {
		t.Fatalf("not a message with one Adaptive Card:\n%s", raw)
	}
	var c Card
	b, _ := json.Marshal(a.Attachments[0].Content)
	if err := json.Unmarshal(b, &c); err != nil || c.Type != "AdaptiveCard" || c.Version != CardVersion || len(c.Body) == 0 {
		t.Fatalf("not an Adaptive Card %s with a body:\n%s", CardVersion, raw)
	}
	// Every <at>Name</at> must have its mention entity, or Teams shows the tags.
	for _, m := range atRE.FindAllString(string(b), -1) {
		found := false
		if c.MSTeams != nil {
			for _, e := range c.MSTeams.Entities {
				found = found || e.Text == m
			}
		}
		if !found {
			t.Fatalf("%s has no mention entity:\n%s", m, raw)
		}
	}
}

// ---- adaptertest.Driver ----

func (h *harness) Platform() string { return "teams" }
func (h *harness) Person(name string) domain.PersonID {
	return domain.PersonID("teams:29:1" + name)
}
func (h *harness) Channel() domain.ChannelID { return "teams:" + testChannel }

// Mention is how Teams shows an @mention in the text; the activity's
// entities say who it is.
func (h *harness) Mention(p domain.PersonID) string { return "<at>" + nameOf(p) + "</at>" }

func (h *harness) Command(t *testing.T, as domain.PersonID, command, text string) []adaptertest.Shown {
	t.Helper()
	from := len(h.fake.Calls())
	typed := strings.TrimSpace(command + " " + text)
	if code := h.send(t, h.activity(as, typed, h.skipBot), ""); code != http.StatusOK {
		t.Fatalf("%s: status %d", typed, code)
	}
	return h.shownSince(t, from)
}

func (h *harness) Press(t *testing.T, as domain.PersonID, msg adaptertest.Shown, b adaptertest.Button) []adaptertest.Shown {
	t.Helper()
	ref := msg.Ref.(pressRef)
	from := len(h.fake.Calls())
	act := h.activity(as, "", h.fake.ChatMember(ref.conversation) != "")
	act.Text, act.Entities = "", nil
	act.Conversation.ID = ref.conversation
	act.ReplyToID = ref.activity
	act.Value = json.RawMessage(fmt.Sprintf(`{"action":%q}`, ref.actions[b.Label]))
	if code := h.send(t, act, ""); code != http.StatusOK {
		t.Fatalf("press %s: status %d", b.Label, code)
	}
	return h.shownSince(t, from)
}

func (h *harness) loop() *delivery.Loop {
	return &delivery.Loop{Store: h.st, Senders: map[string]delivery.Sender{"teams": h.ad}, Clock: h.clock,
		Log: h.logger, Backoff: func(int) time.Duration { return time.Second }}
}

func (h *harness) Deliver(t *testing.T) []adaptertest.Shown {
	t.Helper()
	from := len(h.fake.Calls())
	if _, err := h.loop().RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	return h.shownSince(t, from)
}

func (h *harness) Advance(t *testing.T, hours int) { h.clock.Advance(time.Duration(hours) * time.Hour) }

var _ adaptertest.Driver = (*harness)(nil)

// channelTexts is the text of everything posted in a channel (not a 1:1 chat).
func (h *harness) channelTexts(t testing.TB) []string {
	var out []string
	for _, s := range h.shownSince(t, 0) {
		if !s.Private {
			out = append(out, s.Text)
		}
	}
	return out
}

func TestContract(t *testing.T) {
	h := newHarness(t)
	adaptertest.Run(t, h)
	if log := h.logText(); strings.Contains(log, testPassword) || strings.Contains(log, "bot-token-") || strings.Contains(log, "cannot do the court work") {
		t.Fatalf("the log must carry neither secrets nor what people wrote:\n%s", log)
	}
	// Privacy: no private answer of the whole meeting reached the channel.
	public := strings.Join(h.channelTexts(t), "\n")
	h.rec.mu.Lock()
	defer h.rec.mu.Unlock()
	if len(h.rec.private) < 20 {
		t.Fatalf("only %d private answers recorded", len(h.rec.private))
	}
	for _, p := range h.rec.private {
		first, _, _ := strings.Cut(p, "\n")
		first = atRE.ReplaceAllString(regexp.MustCompile(`<@teams:29:1(\w+)>`).ReplaceAllStringFunc(first, func(m string) string {
			return display(strings.TrimSuffix(strings.TrimPrefix(m, "<@teams:29:1"), ">"))
		}), "$1")
		if len(first) > 12 && strings.Contains(public, first) {
			t.Errorf("a private answer reached the channel: %q", first)
		}
	}
	// The privacy matrix: every card posted in the channel is one the
	// engine meant for the channel, or replaces a card pressed there.
	meant := map[string]bool{}
	for _, m := range h.rec.public {
		meant[h.ad.render.mentions(fallback(m), false)] = true
	}
	posts := 0
	for _, c := range h.fake.Calls() {
		if c.Kind == "create" || h.fake.ChatMember(c.Conversation) != "" {
			continue
		}
		posts++
		var a Activity
		if err := json.Unmarshal(c.Activity, &a); err != nil || !meant[a.Summary] {
			t.Errorf("posted in the channel, but not meant for it: %q", a.Summary)
		}
	}
	if posts < 20 {
		t.Fatalf("only %d channel posts", posts)
	}
	// The token was fetched once and reused.
	if n := h.fake.TokenRequests(); n != 1 {
		t.Errorf("the bot asked for its token %d times; it must cache it", n)
	}
}
