package slack

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	slackgo "github.com/slack-go/slack"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/prompts"
)

// ackMessage must stay slackgo.WebhookMessage's mirror: same fields, same
// JSON tags, same order, same types but for the blocks.
func TestAckMessageMirrorsWebhookMessage(t *testing.T) {
	want, got := reflect.TypeFor[slackgo.WebhookMessage](), reflect.TypeFor[ackMessage]()
	if want.NumField() != got.NumField() {
		t.Fatalf("WebhookMessage has %d fields, ackMessage %d", want.NumField(), got.NumField())
	}
	for i := range want.NumField() {
		w, g := want.Field(i), got.Field(i)
		if w.Name != g.Name || w.Tag.Get("json") != g.Tag.Get("json") {
			t.Errorf("field %d: WebhookMessage %s %q, ackMessage %s %q", i, w.Name, w.Tag.Get("json"), g.Name, g.Tag.Get("json"))
		}
		if w.Name == "Blocks" {
			if g.Type != reflect.TypeFor[*[]slackgo.Block]() {
				t.Errorf("ackMessage.Blocks is %s", g.Type)
			}
			continue
		}
		if w.Type != g.Type {
			t.Errorf("field %s: WebhookMessage %s, ackMessage %s", w.Name, w.Type, g.Type)
		}
	}
}

// marshalWebhook writes exactly what json.Marshal writes, for every shape
// of message the renderer makes and for the edge cases of the blocks.
func TestMarshalWebhookIsJSONMarshal(t *testing.T) {
	r := renderer{p: prompts.MustLoad()}
	msgs := []domain.Message{
		{Audience: domain.ToChannel, Title: "North: board", Text: "🟢 Team load 80.0 % <@slack:U01> & <@teams:x.y> <b>\u2028"},
		{Text: "plain", Footer: "a footer > here", RAG: domain.Red},
		{Title: "Fields", Fields: []domain.Field{{Name: "Load", Value: "12 / 20"}, {Name: " ", Value: "<@slack:U02>"}}},
		{Title: "Sections", Sections: []domain.Section{{Title: "Queue", Lines: []domain.Line{{Text: "A & B", RAG: domain.Amber}, {Text: "C"}}}}},
		{Text: "buttons", Buttons: []domain.Button{{Label: "Accept", ActionID: "accept:1", Style: domain.ButtonPrimary}, {Label: "Decline", ActionID: "decline:1", Style: domain.ButtonDanger}}},
		{Text: "replaced", Replace: true},
	}
	var hooks []*slackgo.WebhookMessage
	for _, m := range msgs {
		for _, o := range r.render(m) {
			hooks = append(hooks, o.webhook())
		}
	}
	yes := true
	hooks = append(hooks,
		&slackgo.WebhookMessage{Text: "no blocks"},
		&slackgo.WebhookMessage{Text: "empty blocks", Blocks: &slackgo.Blocks{}},
		&slackgo.WebhookMessage{Text: "zero blocks", Blocks: &slackgo.Blocks{BlockSet: []slackgo.Block{}}},
		&slackgo.WebhookMessage{Username: "u", IconEmoji: ":x:", IconURL: "https://x/<y>", Channel: "C1", ThreadTimestamp: "1.2",
			Attachments: []slackgo.Attachment{{Text: "att"}}, Parse: "full", DeleteOriginal: true, ReplyBroadcast: true,
			UnfurlLinks: &yes, UnfurlMedia: &yes},
	)
	for i, w := range hooks {
		want, werr := json.Marshal(w)
		got, gerr := marshalWebhook(w)
		if werr != nil || gerr != nil || !bytes.Equal(got, want) {
			t.Errorf("message %d: marshalWebhook\n%s (%v)\njson.Marshal\n%s (%v)", i, got, gerr, want, werr)
		}
	}
}
