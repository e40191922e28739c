package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/safeload/safeload/adapters/adaptertest"
	"github.com/safeload/safeload/adapters/slack/fakeslack"
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
	testSecret  = "8f742231b10e8888abcd99yyyzzz85a5"
	testToken   = "xoxb-test-token"
	testChannel = "CNORTH"
	testTeam    = "T0SAFE"
)

// harness is the real adapter, over a real engine and bbolt store on a fake
// clock, behind a real HTTP server, talking to a fake Slack.
type harness struct {
	fake   *fakeslack.Server
	clock  *clock.Fake
	st     *store.DB
	eng    *engine.Engine
	ad     *Adapter
	srv    *httptest.Server
	log    *bytes.Buffer
	logger *logrus.Logger
	// seen is how many of the fake's calls Deliver has looked at.
	seen    int
	trigger atomic.Int64
}

type harnessOption func(*Config)

func newHarness(t testing.TB, opts ...harnessOption) *harness {
	t.Helper()
	return newHarnessOn(t, fakeslack.New(), opts...)
}

// newHarnessOn is newHarness on a fake Slack of the test's own.
func newHarnessOn(t testing.TB, fake *fakeslack.Server, opts ...harnessOption) *harness {
	t.Helper()
	env := enginetest.New(t, start, "slack:UADMIN")
	h := &harness{fake: fake, clock: env.Clock, st: env.Store, eng: env.Engine, log: &bytes.Buffer{}}
	t.Cleanup(h.fake.Close)
	st := env.Store
	var err error
	h.logger = logrus.New()
	h.logger.SetOutput(syncWriter{h.log})
	h.logger.SetLevel(logrus.DebugLevel)
	cfg := Config{BotToken: testToken, SigningSecret: testSecret, APIURL: h.fake.APIURL(), Handler: h.eng,
		Prompts: prompts.MustLoad(), Log: h.logger, Clock: h.clock}
	for _, o := range opts {
		o(&cfg)
	}
	h.ad, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for path, handler := range h.ad.Routes() {
		mux.Handle("POST "+path, handler)
	}
	h.srv = httptest.NewServer(mux)
	// Stop the server, finish answers in flight, then close the store.
	t.Cleanup(func() { h.srv.Close(); h.ad.Wait(); _ = st.Close() })
	return h
}

// syncWriter lets the log be written from the adapter's goroutines.
type syncWriter struct{ b *bytes.Buffer }

var logMu = make(chan struct{}, 1)

func (w syncWriter) Write(p []byte) (int, error) {
	logMu <- struct{}{}
	defer func() { <-logMu }()
	return w.b.Write(p)
}

func (h *harness) logText() string {
	logMu <- struct{}{}
	defer func() { <-logMu }()
	return h.log.String()
}

// post sends a body signed now to one of the adapter's endpoints.
func (h *harness) post(t testing.TB, path string, body []byte) (int, []byte) {
	t.Helper()
	return h.postWith(t, path, body, fakeslack.SignedHeaders(testSecret, h.clock.Now(), body))
}

func (h *harness) postWith(t testing.TB, path string, body []byte, headers map[string]string) (int, []byte) {
	t.Helper()
	code, b, err := fakeslack.Post(h.srv.URL+path, body, headers)
	if err != nil {
		t.Fatal(err)
	}
	return code, b
}

func userID(p domain.PersonID) string { return strings.TrimPrefix(string(p), "slack:") }

// displayName is how the fake names a test user: UALICE is "Alice".
func displayName(p domain.PersonID) string {
	id := userID(p)[1:]
	return id[:1] + strings.ToLower(id[1:])
}

// commandForm is the form Slack posts for a slash command.
func (h *harness) commandForm(as domain.PersonID, command, text, responseURL string) []byte {
	return fakeslack.Form(map[string]string{
		"token": "legacy-verification-token", "team_id": testTeam, "team_domain": "northcouncil",
		"channel_id": testChannel, "channel_name": "north-cin", "user_id": userID(as),
		"user_name": displayName(as), "command": "/" + command, "text": text, "response_url": responseURL,
		"trigger_id": fmt.Sprintf("%d.1.abc", h.trigger.Add(1)), "api_app_id": "A0SAFE",
	})
}

// pressRef is what a shown message needs for one of its buttons to be pressed.
type pressRef struct {
	channel   string
	ts        string
	ephemeral bool
	values    map[string]string // action_id → value
}

// shown turns one Slack message into what the contract suite compares.
func shown(t testing.TB, blocks json.RawMessage, fallbackText string, private, replaced bool, ref pressRef) adaptertest.Shown {
	t.Helper()
	text, buttons, err := fakeslack.Flatten(blocks)
	if err != nil {
		t.Fatalf("blocks do not parse: %v\n%s", err, blocks)
	}
	if len(blocks) == 0 {
		text = fallbackText
	}
	checkLimits(t, blocks)
	s := adaptertest.Shown{Text: text, Private: private, Replaced: replaced}
	ref.ephemeral = private
	ref.values = map[string]string{}
	for _, b := range buttons {
		s.Buttons = append(s.Buttons, adaptertest.Button{Label: b.Label, ActionID: b.ActionID})
		ref.values[b.ActionID] = b.Value
	}
	s.Ref = ref
	return s
}

// hookShown are the posts made to one response_url.
func (h *harness) hookShown(t testing.TB, responseURL string, original pressRef) []adaptertest.Shown {
	var out []adaptertest.Shown
	for _, c := range h.fake.Calls() {
		if c.Method != fakeslack.ResponseURLMethod || c.URL != responseURL {
			continue
		}
		private := c.ResponseType != "in_channel"
		if c.Replace {
			private = original.ephemeral // an update keeps the original's audience
		}
		out = append(out, shown(t, c.Blocks, c.Text, private, c.Replace, original))
	}
	return out
}

// ---- adaptertest.Driver ----

func (h *harness) Platform() string { return "slack" }
func (h *harness) Person(name string) domain.PersonID {
	return domain.PersonID("slack:U" + strings.ToUpper(name))
}
func (h *harness) Channel() domain.ChannelID { return "slack:" + testChannel }

// Mention is what Slack sends with should_escape: <@UALICE|alice>.
func (h *harness) Mention(p domain.PersonID) string {
	return "<@" + userID(p) + "|" + displayName(p) + ">"
}

func (h *harness) Command(t *testing.T, as domain.PersonID, command, text string) []adaptertest.Shown {
	t.Helper()
	hook := h.fake.ResponseURL()
	code, body := h.post(t, "/slack/commands", h.commandForm(as, command, text, hook))
	if code != http.StatusOK {
		t.Fatalf("/%s %s: status %d: %s", command, text, code, body)
	}
	h.ad.Wait()
	ref := pressRef{channel: testChannel}
	var out []adaptertest.Shown
	if len(bytes.TrimSpace(body)) > 0 {
		var m struct {
			Text         string          `json:"text"`
			Blocks       json.RawMessage `json:"blocks"`
			ResponseType string          `json:"response_type"`
		}
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("the answer is not JSON: %v\n%s", err, body)
		}
		out = append(out, shown(t, m.Blocks, m.Text, m.ResponseType != "in_channel", false, ref))
	}
	return append(out, h.hookShown(t, hook, ref)...)
}

func (h *harness) Press(t *testing.T, as domain.PersonID, msg adaptertest.Shown, b adaptertest.Button) []adaptertest.Shown {
	t.Helper()
	ref := msg.Ref.(pressRef)
	hook := h.fake.ResponseURL()
	code, body := h.post(t, "/slack/interactions", h.pressForm(as, ref, b, hook))
	if code != http.StatusOK || len(bytes.TrimSpace(body)) != 0 {
		t.Fatalf("press %s: status %d, body %q; want 200 and an empty body", b.Label, code, body)
	}
	h.ad.Wait()
	return h.hookShown(t, hook, ref)
}

// pressForm is the block_actions payload Slack posts for a button press.
func (h *harness) pressForm(as domain.PersonID, ref pressRef, b adaptertest.Button, responseURL string) []byte {
	payload := map[string]any{
		"type":       "block_actions",
		"user":       map[string]any{"id": userID(as), "username": strings.ToLower(displayName(as)), "name": displayName(as), "team_id": testTeam},
		"api_app_id": "A0SAFE", "token": "legacy-verification-token", "trigger_id": fmt.Sprintf("%d.2.def", h.trigger.Add(1)),
		"container":    map[string]any{"type": "message", "message_ts": ref.ts, "channel_id": ref.channel, "is_ephemeral": ref.ephemeral},
		"team":         map[string]any{"id": testTeam, "domain": "northcouncil"},
		"channel":      map[string]any{"id": ref.channel, "name": "north-cin"},
		"message":      map[string]any{"type": "message", "ts": ref.ts, "text": "…"},
		"response_url": responseURL,
		"actions": []map[string]any{{
			"action_id": b.ActionID, "block_id": "b1", "type": "button", "value": ref.values[b.ActionID],
			"text": map[string]any{"type": "plain_text", "text": b.Label}, "action_ts": "1790000000.000001",
		}},
	}
	js, _ := json.Marshal(payload)
	return []byte(url.Values{"payload": {string(js)}}.Encode())
}

func (h *harness) loop() *delivery.Loop {
	return &delivery.Loop{Store: h.st, Senders: map[string]delivery.Sender{"slack": h.ad.Sender()}, Clock: h.clock,
		Log: h.logger, Backoff: func(int) time.Duration { return time.Second }}
}

func (h *harness) Deliver(t *testing.T) []adaptertest.Shown {
	t.Helper()
	if _, err := h.loop().RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	calls := h.fake.Calls()
	var out []adaptertest.Shown
	for _, c := range calls[h.seen:] {
		if c.Method != "chat.postMessage" {
			continue
		}
		to, private := "slack:"+c.Channel, false
		if strings.HasPrefix(c.Channel, "D") {
			to, private = "slack:"+strings.TrimPrefix(c.Channel, "D"), true
		}
		s := shown(t, c.Blocks, c.Text, private, false, pressRef{channel: c.Channel, ts: c.TS})
		s.To = to
		out = append(out, s)
	}
	h.seen = len(calls)
	return out
}

func (h *harness) Advance(t *testing.T, hours int) { h.clock.Advance(time.Duration(hours) * time.Hour) }

var _ adaptertest.Driver = (*harness)(nil)

func TestContract(t *testing.T) {
	h := newHarness(t)
	adaptertest.Run(t, h)
	if log := h.logText(); strings.Contains(log, testToken) || strings.Contains(log, "cannot do the court work") {
		t.Fatalf("the log must carry neither tokens nor what people wrote:\n%s", log)
	}
}
