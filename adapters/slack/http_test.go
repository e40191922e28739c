package slack

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/safeload/safeload/adapters/slack/fakeslack"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
)

// The immediate answer goes with its length (so it is sent whole at once),
// and its body is exactly what was measured.
func TestImmediateAnswerHasItsLength(t *testing.T) {
	msg := domain.Message{Audience: domain.ToChannel, Title: "North: board", Text: "🟢 Team load 80.0 %"}
	h := newHarness(t, withHandler(handlerFunc(func(context.Context, engine.Request) engine.Response {
		return engine.Response{Messages: []domain.Message{msg}}
	})))
	body := h.commandForm("slack:UALICE", "caseload", "board", h.fake.ResponseURL())
	resp := h.send(t, body, "application/x-www-form-urlencoded; charset=utf-8")
	got, _ := io.ReadAll(resp.Body)
	want := ackJSON(h.ad.render.render(msg)[0].webhook())
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, want) || resp.ContentLength != int64(len(want)) || len(resp.TransferEncoding) != 0 {
		t.Fatalf("status %d, length %d, transfer encoding %v, body\n%s\nwant %d bytes:\n%s",
			resp.StatusCode, resp.ContentLength, resp.TransferEncoding, got, len(want), want)
	}
}

// A signed body that is not sent as a form is not read as a slash command,
// as net/http's form parser would not read it.
func TestCommandMustBeAForm(t *testing.T) {
	h := newHarness(t, withHandler(handlerFunc(func(context.Context, engine.Request) engine.Response {
		t.Error("the engine must not be asked")
		return engine.Response{}
	})))
	for _, ct := range []string{"", "text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded; ="} {
		resp := h.send(t, h.commandForm("slack:UALICE", "caseload", "board", h.fake.ResponseURL()), ct)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("Content-Type %q: status %d %s, want 400", ct, resp.StatusCode, b)
		}
	}
}

// send posts a signed slash command with this Content-Type.
func (h *harness) send(t *testing.T, body []byte, contentType string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+"/slack/commands", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range fakeslack.SignedHeaders(testSecret, h.clock.Now(), body) {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestDebugOn(t *testing.T) {
	l := logrus.New()
	l.SetLevel(logrus.InfoLevel)
	if debugOn(l) || debugOn(l.WithField("k", "v")) {
		t.Error("an Info logger and its entries do not write debug entries")
	}
	l.SetLevel(logrus.DebugLevel)
	if !debugOn(l) || !debugOn(l.WithField("k", "v")) {
		t.Error("a Debug logger and its entries write debug entries")
	}
	if !debugOn(otherLogger{l}) {
		t.Error("a logger that cannot tell is assumed to write them")
	}
}

type otherLogger struct{ logrus.FieldLogger }

// With debug on, each answer is still logged.
func TestAnsweredIsLoggedAtDebug(t *testing.T) {
	h := newHarness(t, withHandler(handlerFunc(func(context.Context, engine.Request) engine.Response {
		return engine.Response{Name: "caseload board", Messages: []domain.Message{{Text: "x"}}}
	})))
	if code, _ := h.post(t, "/slack/commands", h.commandForm("slack:UALICE", "caseload", "board", h.fake.ResponseURL())); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if log := h.logText(); !strings.Contains(log, "slack: answered") || !strings.Contains(log, "caseload board") {
		t.Fatalf("no debug entry for the answer:\n%s", log)
	}
}

// A body sent without its length (chunked) is read as one sent with it,
// up to the same limit.
func TestBodyOfUnknownLength(t *testing.T) {
	msg := domain.Message{Text: "pong"}
	h := newHarness(t, withHandler(handlerFunc(func(context.Context, engine.Request) engine.Response {
		return engine.Response{Messages: []domain.Message{msg}}
	})))
	post := func(body []byte) (int, []byte) {
		req, err := http.NewRequest(http.MethodPost, h.srv.URL+"/slack/commands", io.MultiReader(bytes.NewReader(body)))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range fakeslack.SignedHeaders(testSecret, h.clock.Now(), body) {
			req.Header.Set(k, v)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.ContentLength, req.TransferEncoding = -1, []string{"chunked"}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	body := h.commandForm("slack:UALICE", "caseload", "board", h.fake.ResponseURL())
	if code, got := post(body); code != http.StatusOK || !bytes.Equal(got, ackJSON(h.ad.render.render(msg)[0].webhook())) {
		t.Fatalf("chunked: status %d, %s", code, got)
	}
	if code, _ := post(append(bytes.Repeat([]byte("a"), maxBody), body...)); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked over 1 MiB: status %d, want 413", code)
	}
}
