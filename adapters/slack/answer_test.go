package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/safeload/safeload/adapters/adaptertest"
	"github.com/safeload/safeload/adapters/slack/fakeslack"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
)

// handlerFunc is a stand-in engine.
type handlerFunc func(context.Context, engine.Request) engine.Response

func (f handlerFunc) Handle(ctx context.Context, r engine.Request) engine.Response { return f(ctx, r) }

func withHandler(h engine.Handler) harnessOption { return func(c *Config) { c.Handler = h } }

// counting wraps the harness's real engine (once it exists) and counts
// what reaches it.
func counting(h **harness, n *atomic.Int32) harnessOption {
	return withHandler(handlerFunc(func(ctx context.Context, r engine.Request) engine.Response {
		n.Add(1)
		return (*h).eng.Handle(ctx, r)
	}))
}

func TestBadSignaturesGet401AndChangeNothing(t *testing.T) {
	var reached atomic.Int32
	var h *harness
	h = newHarness(t, counting(&h, &reached))
	body := h.commandForm("slack:UADMIN", "caseload", "setup North CIN", h.fake.ResponseURL())
	press := h.pressForm("slack:UADMIN", pressRef{channel: testChannel}, adaptertest.Button{Label: "Accept", ActionID: "accept:1"}, h.fake.ResponseURL())
	now := h.clock.Now().Unix()
	signed := func(ts int64, b []byte) map[string]string {
		s := strconv.FormatInt(ts, 10)
		return map[string]string{HeaderTimestamp: s, HeaderSignature: Sign(testSecret, s, b)}
	}
	for _, path := range []string{"/slack/commands", "/slack/interactions"} {
		b := body
		if path == "/slack/interactions" {
			b = press
		}
		for name, headers := range map[string]map[string]string{
			"missing":        {},
			"no timestamp":   {HeaderSignature: signed(now, b)[HeaderSignature]},
			"wrong":          {HeaderTimestamp: strconv.FormatInt(now, 10), HeaderSignature: Sign("not the secret", strconv.FormatInt(now, 10), b)},
			"stale":          signed(now-6*60, b),
			"other body":     signed(now, append([]byte("x"), b...)),
			"replayed later": signed(now-5*60-1, b),
		} {
			if code, got := h.postWith(t, path, b, headers); code != http.StatusUnauthorized {
				t.Errorf("%s %s: status %d (%s), want 401", path, name, code, got)
			}
		}
	}
	big := append(bytes.Repeat([]byte("a"), maxBody), body...)
	if code, _ := h.post(t, "/slack/commands", big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over 1 MiB: status %d, want 413", code)
	}
	h.ad.Wait()
	if n := reached.Load(); n != 0 {
		t.Fatalf("%d refused requests reached the engine", n)
	}
	if calls := h.fake.Calls(); len(calls) != 0 {
		t.Fatalf("refused requests made Slack calls: %+v", calls)
	}
	err := h.st.View(func(tx domain.Tx) error { _, err := tx.TeamByChannel("slack:" + testChannel); return err })
	if domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("the channel was set up by a refused request: %v", err)
	}
	// And the same request, signed, goes through.
	if code, got := h.post(t, "/slack/commands", body); code != http.StatusOK || !strings.Contains(string(got), "North CIN") {
		t.Fatalf("signed: %d %s", code, got)
	}
}

// TestSlowEngineIsAcknowledgedThenAnswered: the engine loses the race with
// the timer, so Slack gets "working on it" at once and the answer later.
func TestSlowEngineIsAcknowledgedThenAnswered(t *testing.T) {
	release := make(chan struct{})
	slow := handlerFunc(func(_ context.Context, r engine.Request) engine.Response {
		<-release
		return engine.Response{Name: "caseload.board", Messages: []domain.Message{
			{Audience: domain.ToChannel, Title: "North CIN: capacity board", Text: "🔴 <@slack:UALICE>: 110.6 %, red"},
		}}
	})
	h := newHarness(t, withHandler(slow), func(c *Config) { c.AnswerWithin = 50 * time.Millisecond })

	hook := h.fake.ResponseURL()
	began := time.Now()
	code, body := h.post(t, "/slack/commands", h.commandForm("slack:UALICE", "caseload", "board", hook))
	if took := time.Since(began); code != http.StatusOK || took > time.Second {
		t.Fatalf("status %d after %s; want 200 at once", code, took)
	}
	var ack struct {
		ResponseType string `json:"response_type"`
		Text         string `json:"text"`
	}
	if err := json.Unmarshal(body, &ack); err != nil || ack.ResponseType != "ephemeral" || !strings.Contains(ack.Text, "Working on it") {
		t.Fatalf("immediate answer %s (%v); want an ephemeral 'working on it'", body, err)
	}
	if n := len(h.fake.Calls()); n != 0 {
		t.Fatalf("nothing may be posted before the engine answers; got %d calls", n)
	}
	close(release)
	h.ad.Wait()
	calls := h.fake.Calls()
	if len(calls) != 1 || calls[0].URL != hook || calls[0].ResponseType != "in_channel" || calls[0].Replace {
		t.Fatalf("want the board posted in the channel through response_url; got %+v", calls)
	}
	if text, _, _ := fakeslack.Flatten(calls[0].Blocks); !strings.Contains(text, "<@UALICE>: 110.6 %") {
		t.Fatalf("answer: %q", text)
	}

	// A slow button press: an empty 200 at once, the answer through response_url.
	release = make(chan struct{})
	hook = h.fake.ResponseURL()
	code, body = h.post(t, "/slack/interactions", h.pressForm("slack:UALICE", pressRef{channel: testChannel, ts: "1.2"},
		adaptertest.Button{Label: "Accept", ActionID: "accept:1"}, hook))
	if code != http.StatusOK || len(body) != 0 {
		t.Fatalf("press: %d %q", code, body)
	}
	close(release)
	h.ad.Wait()
	if calls := h.fake.Calls(); len(calls) != 2 || calls[1].URL != hook {
		t.Fatalf("press answer: %+v", calls)
	}
	if !strings.Contains(h.logText(), "deferred=true") {
		t.Fatalf("a deferred answer is logged as such:\n%s", h.logText())
	}
}

// TestPressesPayloads checks the exact payloads: a refusal is ephemeral and
// leaves the original alone; a valid press replaces it, without buttons.
func TestPressesPayloads(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct {
		as   domain.PersonID
		cmd  string
		text string
	}{
		{"slack:UADMIN", "caseload", "setup North CIN"},
		{"slack:UADMIN", "caseload", "add <@UMEG|Meg> manager"},
		{"slack:UMEG", "caseload", "add <@UALICE|Alice> practitioner"},
		{"slack:UMEG", "caseload", "case add C-1 cp"},
	} {
		h.Command(t, c.as, c.cmd, c.text)
	}
	prop := h.Command(t, "slack:UMEG", "allocate", "C-1 <@UALICE|Alice>")
	if len(prop) != 1 || prop[0].Private || len(prop[0].Buttons) != 2 {
		t.Fatalf("proposal: %+v", prop)
	}
	accept, _ := prop[0].Button("Accept")
	before := len(h.fake.Calls())

	h.Press(t, "slack:UMEG", prop[0], accept)
	calls := h.fake.Calls()[before:]
	if len(calls) != 1 || calls[0].Method != fakeslack.ResponseURLMethod || calls[0].Replace || calls[0].ResponseType != "ephemeral" {
		t.Fatalf("a wrong press must be answered privately and leave the original alone; got %+v", calls)
	}
	if text, _, _ := fakeslack.Flatten(calls[0].Blocks); !strings.Contains(text, "only they can accept or decline C-1") {
		t.Fatalf("refusal: %q", text)
	}

	h.Press(t, "slack:UALICE", prop[0], accept)
	calls = h.fake.Calls()[before+1:]
	if len(calls) != 1 || !calls[0].Replace || calls[0].ResponseType != "" {
		t.Fatalf("a valid press replaces the original; got %+v", calls)
	}
	text, buttons, _ := fakeslack.Flatten(calls[0].Blocks)
	if len(buttons) != 0 || !strings.Contains(text, "<@UALICE> accepted C-1") {
		t.Fatalf("the replaced message shows the outcome without buttons: %q %v", text, buttons)
	}
}

// TestManyMessagesOverflowToTheWebAPI: the first answer goes in the HTTP
// response, the next five through response_url (Slack's limit), the rest
// (and any response_url refused) through chat.postMessage /
// chat.postEphemeral.
func TestManyMessagesOverflowToTheWebAPI(t *testing.T) {
	var msgs []domain.Message
	for i := range 8 {
		a := domain.ToChannel
		if i == 7 {
			a = domain.ToCaller
		}
		msgs = append(msgs, domain.Message{Audience: a, Text: fmt.Sprintf("message %d", i)})
	}
	h := newHarness(t, withHandler(handlerFunc(func(context.Context, engine.Request) engine.Response {
		return engine.Response{Messages: msgs}
	})))
	// The second post fails: that message takes the Web API instead.
	h.fake.Fail(fakeslack.ResponseURLMethod, fakeslack.Reply{}, fakeslack.Reply{Status: http.StatusNotFound})
	hook := h.fake.ResponseURL()
	_, body := h.post(t, "/slack/commands", h.commandForm("slack:UMEG", "caseload", "digest", hook))
	h.ad.Wait()
	if !strings.Contains(string(body), "message 0") {
		t.Fatalf("first answer: %s", body)
	}
	var got []string
	for _, c := range h.fake.Calls() {
		text, _, _ := fakeslack.Flatten(c.Blocks)
		got = append(got, c.Method+" "+c.Channel+" "+c.User+" "+text)
	}
	want := []string{
		"response_url   message 1", "chat.postMessage CNORTH  message 2", "response_url   message 3",
		"response_url   message 4", "response_url   message 5",
		"chat.postMessage CNORTH  message 6", "chat.postEphemeral CNORTH UMEG message 7",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestPressWithoutResponseURLUpdatesByTimestamp: with no response_url to
// use, the outcome updates the pressed message with chat.update.
func TestPressWithoutResponseURLUpdatesByTimestamp(t *testing.T) {
	h := newHarness(t, withHandler(handlerFunc(func(context.Context, engine.Request) engine.Response {
		return engine.Response{Messages: []domain.Message{{Audience: domain.ToChannel, Replace: true, Title: "C-1: accepted by Alice"}}}
	})))
	code, _ := h.post(t, "/slack/interactions", h.pressForm("slack:UALICE", pressRef{channel: testChannel, ts: "1790000000.000042"},
		adaptertest.Button{Label: "Accept", ActionID: "accept:1"}, ""))
	h.ad.Wait()
	calls := h.fake.Calls()
	if code != http.StatusOK || len(calls) != 1 || calls[0].Method != "chat.update" || calls[0].Channel != testChannel || calls[0].TS != "1790000000.000042" {
		t.Fatalf("status %d, calls %+v", code, calls)
	}
}

func TestOtherInteractionsAreAcknowledgedAndIgnored(t *testing.T) {
	var reached atomic.Int32
	var h *harness
	h = newHarness(t, counting(&h, &reached))
	for _, p := range []string{`{"type":"shortcut","user":{"id":"U1"}}`, `{"type":"block_actions","user":{"id":"U1"},"actions":[]}`} {
		code, body := h.post(t, "/slack/interactions", []byte(url.Values{"payload": {p}}.Encode()))
		if code != http.StatusOK || len(body) != 0 {
			t.Fatalf("%s: %d %q", p, code, body)
		}
	}
	if code, _ := h.post(t, "/slack/interactions", []byte("payload=%7Bnot+json")); code != http.StatusBadRequest {
		t.Fatalf("a garbled payload: %d, want 400", code)
	}
	if code, _ := h.post(t, "/slack/commands", []byte("text=hello")); code != http.StatusBadRequest {
		t.Fatalf("a command without user or channel: %d, want 400", code)
	}
	if reached.Load() != 0 {
		t.Fatal("none of these is for the engine")
	}
}

func TestNoTeamYetAnswersHowToSetOneUp(t *testing.T) {
	h := newHarness(t)
	out := h.Command(t, "slack:UALICE", "caseload", "board")
	if len(out) != 1 || !out[0].Private || !out[0].Has("/caseload setup") {
		t.Fatalf("got %+v", out)
	}
}

// TestImmediateAnswerIsSentAsMeasured: the immediate answer is marshalled
// once: the bytes measured against Slack's limit are the bytes sent, and
// an answer too large for it is not one.
func TestImmediateAnswerIsSentAsMeasured(t *testing.T) {
	msg := domain.Message{Audience: domain.ToChannel, Title: "North: board", Text: "🟢 Team load 80.0 %"}
	h := newHarness(t, withHandler(handlerFunc(func(context.Context, engine.Request) engine.Response {
		return engine.Response{Messages: []domain.Message{msg}}
	})))
	want, err := json.Marshal(h.ad.render.render(msg)[0].webhook())
	if err != nil {
		t.Fatal(err)
	}
	code, body := h.post(t, "/slack/commands", h.commandForm("slack:UALICE", "caseload", "board", h.fake.ResponseURL()))
	if code != http.StatusOK || !bytes.Equal(body, want) {
		t.Fatalf("status %d, answer:\n%s\nwant exactly:\n%s", code, body, want)
	}
	if ackJSON(h.ad.render.render(msg)[0].webhook()) == nil {
		t.Fatal("a small answer must fit")
	}
	if ackJSON(&slackgo.WebhookMessage{Text: strings.Repeat("x", maxAckBytes)}) != nil {
		t.Fatalf("an answer of %d+ bytes is not an immediate one", maxAckBytes)
	}
}
