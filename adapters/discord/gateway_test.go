package discord_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/safeload/safeload/adapters/discord/discordtest"
)

// fakeGateway speaks just enough of Discord's gateway: Hello, then READY
// after Identify, then whatever interactions the test sends.
type fakeGateway struct {
	*httptest.Server
	send chan []byte
}

func newFakeGateway(t *testing.T) *fakeGateway {
	g := &fakeGateway{send: make(chan []byte, 4)}
	up := websocket.Upgrader{}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.WriteJSON(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": 45000}})
		var identify struct {
			Op int `json:"op"`
			D  struct {
				Token string `json:"token"`
			} `json:"d"`
		}
		if err := c.ReadJSON(&identify); err != nil || identify.Op != 2 || identify.D.Token != "Bot "+botToken {
			t.Errorf("expected Identify with the bot token, got %+v (%v)", identify, err)
			return
		}
		_ = c.WriteJSON(map[string]any{"op": 0, "t": "READY", "s": 1, "d": map[string]any{
			"v": 10, "session_id": "fake-session", "user": map[string]any{"id": appID, "username": "safeload", "bot": true},
			"guilds": []any{}, "resume_gateway_url": "ws://" + r.Host + "/"}})
		go func() { // heartbeats and the rest: read and ignore
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
			}
		}()
		seq := 1
		for {
			select {
			case in := <-g.send:
				seq++
				_ = c.WriteJSON(map[string]any{"op": 0, "t": "INTERACTION_CREATE", "s": seq, "d": json.RawMessage(in)})
			case <-r.Context().Done():
				return
			}
		}
	}))
	t.Cleanup(g.Close)
	return g
}

func TestGatewayInteractionAnsweredByREST(t *testing.T) {
	f := newFixture(t)
	gw := newFakeGateway(t)
	f.discord.Gateway = "ws" + strings.TrimPrefix(gw.URL, "http")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.adapter.RunGateway(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for !f.adapter.Connected() {
		if time.Now().After(deadline) {
			t.Fatal("never connected to the gateway")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The same /caseload setup as over HTTP, by a bootstrap admin.
	id, token := f.next()
	gw.send <- discordtest.SlashCommand(id, appID, token, guild, people["admin"], "caseload", "setup",
		[]discordtest.Option{{Name: "name", Type: 3, Value: "North CIN"}})
	var got *discordtest.Posted
	for got == nil && time.Now().Before(deadline) {
		for _, p := range f.discord.Posted() {
			if p.Kind == "callback" && p.Token == token {
				got = &p
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got == nil {
		t.Fatalf("no interaction callback; requests %v", f.discord.Requests())
	}
	if got.InteractionID != id || got.Response.Type != 4 || !strings.Contains(got.Payload.Text(), "North CIN") {
		t.Fatalf("callback %+v", got)
	}
}
