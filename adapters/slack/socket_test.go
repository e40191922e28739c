package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack/slacktest"

	"github.com/safeload/safeload/adapters/slack/fakeslack"
)

// socketAck is what the bot sends back for an envelope.
type socketAck struct {
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload"`
}

// fakeSocketMode adds Slack's Socket Mode to the fake: apps.connections.open
// hands out a WebSocket URL; the first connection drops right after hello,
// the second carries the envelopes and reports the acknowledgements.
type fakeSocketMode struct {
	opens, conns atomic.Int32
	envelopes    []map[string]any
	acks         chan socketAck
}

func (f *fakeSocketMode) bind(c slacktest.Customize) {
	c.Handle("/apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
		f.opens.Add(1)
		if r.Header.Get("Authorization") != "Bearer xapp-1-test" {
			_, _ = w.Write([]byte(`{"ok":false,"error":"invalid_auth"}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "url": "ws://" + r.Host + "/link"})
	})
	c.Handle("/link", func(w http.ResponseWriter, r *http.Request) {
		up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		n := f.conns.Add(1)
		if conn.WriteJSON(map[string]any{"type": "hello", "num_connections": n, "connection_info": map[string]any{"app_id": "A0SAFE"}}) != nil {
			return
		}
		if n == 1 {
			return // the connection drops: the bot must come back by itself
		}
		for _, env := range f.envelopes {
			if conn.WriteJSON(env) != nil {
				return
			}
			var ack socketAck
			if conn.ReadJSON(&ack) != nil {
				return
			}
			f.acks <- ack
		}
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	})
}

func TestSocketModeRoundTripAndReconnect(t *testing.T) {
	sm := &fakeSocketMode{acks: make(chan socketAck, 4)}
	fake := fakeslack.New(sm.bind)
	hook, pressHook := fake.ResponseURL(), fake.ResponseURL()
	sm.envelopes = []map[string]any{
		{"envelope_id": "env-1", "type": "slash_commands", "accepts_response_payload": true, "payload": map[string]any{
			"token": "x", "team_id": testTeam, "team_domain": "northcouncil", "channel_id": testChannel, "channel_name": "north-cin",
			"user_id": "UADMIN", "user_name": "Admin", "command": "/caseload", "text": "setup North CIN",
			"response_url": hook, "trigger_id": "1.2.3", "api_app_id": "A0SAFE", "is_enterprise_install": "false"}},
		{"envelope_id": "env-2", "type": "interactive", "accepts_response_payload": false, "payload": map[string]any{
			"type": "block_actions", "user": map[string]any{"id": "UALICE", "name": "Alice"}, "team": map[string]any{"id": testTeam},
			"channel": map[string]any{"id": testChannel}, "container": map[string]any{"type": "message", "channel_id": testChannel, "message_ts": "1.1"},
			"response_url": pressHook, "trigger_id": "4.5.6",
			"actions": []map[string]any{{"action_id": "accept:99", "value": "accept:99", "type": "button", "block_id": "b"}}}},
	}
	h := newHarnessOn(t, fake, func(c *Config) { c.AppToken = "xapp-1-test"; c.SigningSecret = "" })

	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- h.ad.Run(ctx) }()
	defer func() {
		cancel()
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			t.Error("Run did not stop when its context ended")
		}
	}()

	wait := func(what string) socketAck {
		t.Helper()
		select {
		case a := <-sm.acks:
			return a
		case <-time.After(10 * time.Second):
			t.Fatalf("no acknowledgement of %s (connections opened: %d)", what, sm.opens.Load())
		}
		return socketAck{}
	}
	ack := wait("the slash command")
	var m struct {
		ResponseType string          `json:"response_type"`
		Blocks       json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(ack.Payload, &m); err != nil || ack.EnvelopeID != "env-1" || m.ResponseType != "in_channel" {
		t.Fatalf("ack %s %s: %v", ack.EnvelopeID, ack.Payload, err)
	}
	if text, _, _ := fakeslack.Flatten(m.Blocks); !strings.Contains(text, "North CIN is set up") {
		t.Fatalf("the acknowledgement must carry the engine's answer; got %q", text)
	}
	if n := sm.opens.Load(); n < 2 {
		t.Fatalf("after the drop the bot must reconnect; apps.connections.open called %d times", n)
	}
	if !h.ad.Connected() {
		t.Fatal("connected after the reconnect")
	}

	ack = wait("the button press")
	if ack.EnvelopeID != "env-2" || len(ack.Payload) != 0 {
		t.Fatalf("a press is acknowledged empty; got %s %s", ack.EnvelopeID, ack.Payload)
	}
	h.ad.Wait()
	var answered bool
	for _, c := range fake.Calls() {
		if c.URL == pressHook && c.ResponseType == "ephemeral" && !c.Replace {
			answered = true
		}
	}
	if !answered {
		t.Fatalf("the press is answered privately through response_url; calls: %+v", fake.Calls())
	}
}
