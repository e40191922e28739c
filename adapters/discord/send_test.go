package discord_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/adapters/discord/discordtest"
	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/domain"
)

func (f *fixture) enqueue(t *testing.T, items ...*domain.OutboxItem) {
	t.Helper()
	if err := f.st.Update(func(tx domain.Tx) error {
		for _, it := range items {
			if err := tx.Enqueue(it); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) loop() *delivery.Loop {
	return &delivery.Loop{Store: f.st, Senders: map[string]delivery.Sender{"discord": f.adapter}, Clock: f.clock, Log: quietLog()}
}

func (f *fixture) messages() []discordtest.Posted {
	var out []discordtest.Posted
	for _, p := range f.discord.Posted() {
		if p.Kind == "message" {
			out = append(out, p)
		}
	}
	return out
}

func (f *fixture) outbox(t *testing.T) []*domain.OutboxItem {
	t.Helper()
	var items []*domain.OutboxItem
	if err := f.st.View(func(tx domain.Tx) error {
		var err error
		items, err = tx.Outbox(0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return items
}

func channelItem(text string) *domain.OutboxItem {
	dest := "discord:" + channelID
	return &domain.OutboxItem{Dest: dest, Kind: "digest", Message: domain.Message{Audience: domain.ToChannel, To: dest, Text: text}}
}

const rateLimited = `{"message": "You are being rate limited.", "retry_after": 1.5, "global": false}`

func TestRateLimitThenSuccessPostsOnce(t *testing.T) {
	f := newFixture(t)
	f.discord.Fail(discordtest.Failure{Method: "POST", Prefix: "channels/", Status: http.StatusTooManyRequests, Body: rateLimited,
		Header: http.Header{"Retry-After": {"2"}}})
	f.enqueue(t, channelItem("The weekly digest."))
	loop := f.loop()
	ctx := context.Background()

	began := time.Now()
	if n, err := loop.RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("first pass: sent %d, %v; want 0 (rate limited)", n, err)
	}
	if time.Since(began) > time.Second {
		t.Fatal("the sender slept on the 429 instead of handing the wait to the outbox")
	}
	items := f.outbox(t)
	if len(items) != 1 || items[0].Attempts != 1 {
		t.Fatalf("outbox after a 429: %+v", items)
	}
	if got, want := items[0].NextTry.Sub(f.clock.Now()), 1500*time.Millisecond; got < want || got > want+5*time.Millisecond {
		t.Fatalf("next try in %s, want retry_after %s", got, want)
	}
	// Not due yet: nothing is sent.
	if n, _ := loop.RunOnce(ctx); n != 0 {
		t.Fatal("retried before retry_after")
	}
	f.clock.Advance(1505 * time.Millisecond)
	if n, err := loop.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("after the wait: sent %d, %v", n, err)
	}
	if n, _ := loop.RunOnce(ctx); n != 0 {
		t.Fatal("sent twice")
	}
	got := f.messages()
	if len(got) != 1 || got[0].ChannelID != channelID || got[0].Payload.Content != "The weekly digest." {
		t.Fatalf("posted %+v, want exactly one message", got)
	}
}

func TestSendErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    int
		body      string
		permanent bool
		wait      time.Duration
	}{
		{"429", 429, rateLimited, false, 1500 * time.Millisecond},
		{"global 429", 429, `{"message":"You are being rate limited.","retry_after":64.57,"global":true}`, false, 64570 * time.Millisecond},
		{"500", 500, `{"message":"500: Internal Server Error","code":0}`, false, 0},
		{"502", 502, `bad gateway`, false, 0},
		{"503", 503, `{"message":"upstream connect error"}`, false, 0},
		{"403 Missing Access", 403, `{"message":"Missing Access","code":50001}`, true, 0},
		{"404 Unknown Channel", 404, `{"message":"Unknown Channel","code":10003}`, true, 0},
		{"401", 401, `{"message":"401: Unauthorized","code":0}`, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.discord.Fail(discordtest.Failure{Method: "POST", Prefix: "channels/", Status: tc.status, Body: tc.body})
			err := f.adapter.Send(context.Background(), "discord:"+channelID, domain.Message{Audience: domain.ToChannel, Text: "hello"})
			if err == nil {
				t.Fatal("no error")
			}
			if got := delivery.IsPermanent(err); got != tc.permanent {
				t.Fatalf("permanent = %v, want %v (%v)", got, tc.permanent, err)
			}
			wait, ok := delivery.RetryAfter(err)
			if ok != (tc.wait > 0) || wait < tc.wait || wait > tc.wait+5*time.Millisecond {
				t.Fatalf("retry after %s (%v), want %s (%v)", wait, ok, tc.wait, err)
			}
			// A retryable failure goes through on the next try.
			if !tc.permanent {
				if err := f.adapter.Send(context.Background(), "discord:"+channelID, domain.Message{Audience: domain.ToChannel, Text: "hello"}); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestPermanentFailureTellsAdmins(t *testing.T) {
	f := newFixture(t)
	f.discord.Fail(discordtest.Failure{Method: "POST", Prefix: "channels/", Status: 403, Body: `{"message":"Missing Access","code":50001}`})
	f.enqueue(t, channelItem("The weekly digest."))
	admin := domain.PersonID("discord:" + people["admin"].ID)
	loop := f.loop()
	loop.Admins = func() []domain.PersonID { return []domain.PersonID{admin} }
	loop.Notice = func(it *domain.OutboxItem, err error) domain.Message {
		return domain.Message{Text: "could not deliver to " + it.Dest}
	}
	if _, err := loop.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The notice (with no audience) goes to a person: the channel post
	// finds no such channel, and a DM follows.
	if _, err := loop.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := f.messages()
	if len(got) != 1 || f.discord.DMUser(got[0].ChannelID) != people["admin"].ID || !strings.Contains(got[0].Payload.Content, "could not deliver") {
		t.Fatalf("admin notice: %+v; requests %v", got, f.discord.Requests())
	}
}

func TestDMsOpenTheChannelOnce(t *testing.T) {
	f := newFixture(t)
	alice := "discord:" + people["alice"].ID
	for i := 0; i < 3; i++ {
		f.enqueue(t, &domain.OutboxItem{Dest: alice, Kind: "dm", Message: domain.Message{Audience: domain.ToPerson, To: alice, Text: fmt.Sprintf("note %d", i)}})
	}
	if n, err := f.loop().RunOnce(context.Background()); err != nil || n != 3 {
		t.Fatalf("sent %d, %v", n, err)
	}
	opens := 0
	for _, r := range f.discord.Requests() {
		if r == "POST users/@me/channels" {
			opens++
		}
	}
	got := f.messages()
	if opens != 1 || len(got) != 3 || f.discord.DMUser(got[2].ChannelID) != people["alice"].ID || got[2].Payload.Content != "note 2" {
		t.Fatalf("opens %d, posted %+v", opens, got)
	}
}

// TestSplitMessageResumes: a message that needs several Discord messages,
// rate limited half-way, carries on after the parts already posted.
func TestSplitMessageResumes(t *testing.T) {
	var lines []string
	for i := 0; i < 120; i++ {
		lines = append(lines, fmt.Sprintf("Line %03d of a long digest, long enough to need a second and third message.", i))
	}
	text := strings.Join(lines, "\n")
	f := newFixture(t)
	f.enqueue(t, channelItem(text))
	f.discord.Fail(discordtest.Failure{Method: "POST", Prefix: "channels/", After: 1, Status: 429, Body: `{"message":"slow down","retry_after":0.2}`})
	loop := f.loop()
	if n, err := loop.RunOnce(context.Background()); err != nil || n != 0 {
		t.Fatalf("first pass: %d, %v", n, err)
	}
	if got := len(f.messages()); got != 1 {
		t.Fatalf("%d parts before the 429, want 1", got)
	}
	f.clock.Advance(time.Second)
	if n, err := loop.RunOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("second pass: %d, %v", n, err)
	}
	got := f.messages()
	if len(got) < 3 {
		t.Fatalf("expected 3+ parts, got %d", len(got))
	}
	var sent []string
	for _, p := range got {
		sent = append(sent, p.Payload.Content)
	}
	if strings.Join(sent, "\n") != text {
		t.Fatal("the parts, in order, are not the text once each")
	}
}
