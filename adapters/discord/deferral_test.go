package discord_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/adapters/discord"
	"github.com/safeload/safeload/adapters/discord/discordtest"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
)

// slow is an engine that answers only when released.
type slow struct {
	release chan struct{}
	msgs    []domain.Message
}

func (s *slow) Handle(context.Context, engine.Request) engine.Response {
	<-s.release
	return engine.Response{Messages: s.msgs}
}

func slowFixture(t *testing.T, msgs ...domain.Message) (*fixture, *slow) {
	h := &slow{release: make(chan struct{}), msgs: msgs}
	f := newFixture(t, func(c *discord.Config) { c.Handler = h; c.Deadline = 20 * time.Millisecond })
	// A test that fails before it lets the engine answer must not hang.
	t.Cleanup(func() {
		select {
		case <-h.release:
		default:
			close(h.release)
		}
	})
	return f, h
}

// deferred sends an interaction whose answer is late: the first response
// must come at once; what follows comes once the engine answers.
func deferred(t *testing.T, f *fixture, h *slow, body []byte, token string) (discordtest.Response, []discordtest.Posted) {
	t.Helper()
	began := time.Now()
	status, b := f.post(body)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, b)
	}
	if d := time.Since(began); d > 2*time.Second {
		t.Fatalf("first response took %s", d)
	}
	var resp discordtest.Response
	if err := json.Unmarshal(b, &resp); err != nil {
		t.Fatal(err)
	}
	for _, p := range f.discord.Posted() {
		if p.Token == token {
			t.Fatalf("something followed before the engine answered: %+v", p)
		}
	}
	close(h.release)
	f.adapter.Wait()
	var later []discordtest.Posted
	for _, p := range f.discord.Posted() {
		if p.Token == token {
			later = append(later, p)
		}
	}
	return resp, later
}

func TestSlowCommandIsDeferredPrivately(t *testing.T) {
	f, h := slowFixture(t,
		domain.Message{Audience: domain.ToCaller, Text: "Only you see this."},
		domain.Message{Audience: domain.ToChannel, Title: "Allocation meeting", Text: "Everyone sees this.", RAG: domain.Amber})
	id, token := f.next()
	resp, later := deferred(t, f, h, discordtest.SlashCommand(id, appID, token, guild, people["meg"], "allocate", "queue", nil), token)
	if resp.Type != 5 || resp.Data == nil || resp.Data.Flags != discordtest.Ephemeral {
		t.Fatalf("first response %+v, want type 5 with flag 64", resp)
	}
	if len(later) != 2 || later[0].Kind != "edit" || later[0].MessageID != "@original" || later[0].Payload.Content != "Only you see this." {
		t.Fatalf("the private answer must replace the deferred message: %+v", later)
	}
	if later[1].Kind != "followup" || later[1].Payload.Flags != 0 || later[1].Payload.Embeds[0].Color != discord.ColourAmber {
		t.Fatalf("the public answer must follow in the channel: %+v", later[1])
	}
}

func TestSlowPublicAnswerSaysWhereItWent(t *testing.T) {
	f, h := slowFixture(t, domain.Message{Audience: domain.ToChannel, Text: "Minutes of the meeting."})
	id, token := f.next()
	_, later := deferred(t, f, h, discordtest.SlashCommand(id, appID, token, guild, people["meg"], "allocate", "done", nil), token)
	if len(later) != 2 || later[0].Kind != "edit" || !strings.Contains(later[0].Payload.Content, "posted in the channel") ||
		later[1].Kind != "followup" || later[1].Payload.Content != "Minutes of the meeting." || later[1].Payload.Flags != 0 {
		t.Fatalf("got %+v", later)
	}
}

func pressOn(f *fixture, by discordtest.User, token string) []byte {
	id, _ := f.next()
	msg := discordtest.Message{ID: "600000000000000001", ChannelID: channelID,
		Payload: discordtest.Payload{Content: "proposal", Components: []discordtest.Row{{Type: 1, Components: []discordtest.Button{{Type: 2, Label: "Accept", Style: 1, CustomID: "accept:1"}}}}}}
	return discordtest.Press(id, appID, token, guild, by, msg, "accept:1")
}

func TestSlowPressUpdatesTheMessageLater(t *testing.T) {
	f, h := slowFixture(t, domain.Message{Audience: domain.ToChannel, Replace: true, Title: "Accepted", Text: "Alice accepted C-1.", RAG: domain.Green})
	_, token := f.next()
	resp, later := deferred(t, f, h, pressOn(f, people["alice"], token), token)
	if resp.Type != 6 {
		t.Fatalf("first response type %d, want 6 (deferred update)", resp.Type)
	}
	if len(later) != 1 || later[0].Kind != "edit" || later[0].MessageID != "@original" {
		t.Fatalf("got %+v", later)
	}
	if !strings.Contains(string(later[0].Raw), `"components":[]`) {
		t.Fatalf("the updated message must lose its buttons: %s", later[0].Raw)
	}
}

func TestSlowRefusedPressIsPrivate(t *testing.T) {
	f, h := slowFixture(t, domain.Message{Audience: domain.ToCaller, Text: "Only Alice can answer this."})
	_, token := f.next()
	resp, later := deferred(t, f, h, pressOn(f, people["bo"], token), token)
	if resp.Type != 6 || len(later) != 1 || later[0].Kind != "followup" || later[0].Payload.Flags != discordtest.Ephemeral {
		t.Fatalf("got %+v then %+v", resp, later)
	}
}

func TestPressUpdateDropsButtons(t *testing.T) {
	h := handlerFunc(func(context.Context, engine.Request) engine.Response {
		return engine.Response{Messages: []domain.Message{{Audience: domain.ToChannel, Replace: true, Text: "Alice accepted C-1."}}}
	})
	f := newFixture(t, func(c *discord.Config) { c.Handler = h })
	_, token := f.next()
	status, b := f.post(pressOn(f, people["alice"], token))
	if status != 200 || !strings.Contains(string(b), `"type":7`) || !strings.Contains(string(b), `"components":[]`) || !strings.Contains(string(b), `"embeds":[]`) {
		t.Fatalf("got %d %s", status, b)
	}
}
