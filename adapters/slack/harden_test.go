package slack

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safeload/safeload/adapters/slack/fakeslack"
	"github.com/safeload/safeload/internal/engine"
)

type countingHandler struct{ n atomic.Int32 }

func (c *countingHandler) Handle(context.Context, engine.Request) engine.Response {
	c.n.Add(1)
	return engine.Response{}
}

// A signed command sent again within its five minutes runs once: Slack's
// trigger_id is remembered for ten.
func TestReplayedCommandRunsOnce(t *testing.T) {
	counter := &countingHandler{}
	h := newHarness(t, func(c *Config) { c.Handler = counter })
	body := h.commandForm("slack:UALICE", "capacity", "hours 2 late visit", h.fake.ResponseURL())
	headers := fakeslack.SignedHeaders(testSecret, h.clock.Now(), body)
	for i := 0; i < 5; i++ {
		if code, b := h.postWith(t, "/slack/commands", body, headers); code != http.StatusOK {
			t.Fatalf("post %d: %d %s", i, code, b)
		}
		h.clock.Advance(30 * time.Second)
	}
	h.ad.Wait()
	if n := counter.n.Load(); n != 1 {
		t.Fatalf("the command ran %d times", n)
	}
	// A new command (its own trigger_id) runs.
	if code, _ := h.post(t, "/slack/commands", h.commandForm("slack:UALICE", "capacity", "", h.fake.ResponseURL())); code != http.StatusOK {
		t.Fatal(code)
	}
	h.ad.Wait()
	if n := counter.n.Load(); n != 2 {
		t.Fatalf("a new command was dropped (%d runs)", n)
	}
	if !strings.Contains(h.logText(), "repeated request dropped") {
		t.Fatal("the replays were not logged")
	}
}

// A response_url is a credential: a failure to reach it is logged without
// it. Bad signatures, which anyone can send, are logged once a minute.
func TestLogsKeepCredentialsAndFloodsOut(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.AnswerWithin = time.Nanosecond }) // answered through response_url
	hook := "http://127.0.0.1:1/commands/T0/123/secret-hook-token"
	if code, _ := h.post(t, "/slack/commands", h.commandForm("slack:UALICE", "capacity", "", hook)); code != http.StatusOK {
		t.Fatal(code)
	}
	h.ad.Wait()
	if strings.Contains(h.logText(), "secret-hook-token") {
		t.Fatalf("the response_url reached the log:\n%s", h.logText())
	}
	body := h.commandForm("slack:UALICE", "capacity", "", "")
	for i := 0; i < 50; i++ {
		headers := fakeslack.SignedHeaders("wrong-secret", h.clock.Now(), body)
		if code, _ := h.postWith(t, "/slack/commands", body, headers); code != http.StatusUnauthorized {
			t.Fatalf("bad signature answered %d", code)
		}
	}
	if n := strings.Count(h.logText(), "badly signed request refused"); n != 1 {
		t.Fatalf("%d warnings for 50 bad signatures, want 1", n)
	}
}
