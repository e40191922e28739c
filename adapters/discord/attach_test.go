package discord_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/adapters/discord"
	"github.com/safeload/safeload/adapters/discord/discordtest"
	"github.com/safeload/safeload/internal/chart"
	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/prompts"
)

func chartItem(t *testing.T) *domain.OutboxItem {
	t.Helper()
	img, _, err := chart.TeamChart{Title: "North: team load 104.0 %", Bands: chart.Bands{Room: 95, Amber: 100, Red: 110},
		Bars: []chart.Bar{{Name: "Alice Adams", Percent: 104, RAG: domain.Amber}}}.PNG()
	if err != nil {
		t.Fatal(err)
	}
	dest := "discord:" + channelID
	return &domain.OutboxItem{Dest: dest, Kind: "digest", Message: domain.Message{Audience: domain.ToChannel, To: dest,
		Title: "North: weekly digest", Text: "🟠 Team load 104.0 %",
		Image: &domain.Image{Name: "north-load-2026-11-23.png", Type: img.ContentType, Alt: img.Alt, Data: img.Data}}}
}

// TestChartIsAnAttachmentOfTheDigest: the chart goes in the same message
// as the digest, shown by its embed (attachment://…), with its alt text as
// the attachment's description; a 429 waits and the retry posts it once.
func TestChartIsAnAttachmentOfTheDigest(t *testing.T) {
	f := newFixture(t)
	it := chartItem(t)
	f.discord.Fail(discordtest.Failure{Method: "POST", Prefix: "channels/", Status: http.StatusTooManyRequests, Body: rateLimited})
	f.enqueue(t, it)
	loop := f.loop()
	if n, err := loop.RunOnce(context.Background()); err != nil || n != 0 {
		t.Fatalf("first pass sent %d (%v); want the 429 to hold it", n, err)
	}
	f.clock.Advance(2 * time.Second)
	if n, err := loop.RunOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("after the wait sent %d (%v)", n, err)
	}
	got := f.messages()
	if len(got) != 1 {
		t.Fatalf("posted %d messages, want 1", len(got))
	}
	p := got[0]
	if len(p.Files) != 1 || p.Files[0].Name != "north-load-2026-11-23.png" || p.Files[0].ContentType != "image/png" ||
		!bytes.Equal(p.Files[0].Data, it.Message.Image.Data) {
		t.Fatalf("files: %+v", p.Files)
	}
	if _, err := png.Decode(bytes.NewReader(p.Files[0].Data)); err != nil {
		t.Fatalf("the attachment is not a PNG: %v", err)
	}
	if len(p.Payload.Embeds) == 0 || p.Payload.Embeds[0].Image == nil || p.Payload.Embeds[0].Image.URL != "attachment://north-load-2026-11-23.png" {
		t.Fatalf("the embed does not show the attachment: %s", p.Raw)
	}
	if len(p.Payload.Attachments) != 1 || !strings.Contains(p.Payload.Attachments[0].Description, "Alice Adams 104.0 % amber") {
		t.Fatalf("attachment description (alt text): %+v", p.Payload.Attachments)
	}
	if !strings.Contains(p.Payload.Text(), "North: weekly digest") {
		t.Fatalf("the digest's text is not in the message: %s", p.Payload.Text())
	}
}

// TestChartSurvivesARestart: a post that fails and a process that stops
// before the retry lose nothing: the next process posts the digest and
// its chart once.
func TestChartSurvivesARestartOnDiscord(t *testing.T) {
	f := newFixture(t)
	f.discord.Fail(discordtest.Failure{Method: "POST", Prefix: "channels/", Status: http.StatusBadGateway, Body: `bad gateway`})
	f.enqueue(t, chartItem(t))
	if n, _ := f.loop().RunOnce(context.Background()); n != 0 {
		t.Fatal("sent through a 502")
	}
	a, err := discord.New(discord.Config{Token: botToken, AppID: appID, APIURL: f.discord.APIURL(), PublicKey: f.key.Public().(ed25519.PublicKey),
		Clock: f.clock, Log: quietLog(), Prompts: prompts.MustLoad(), Handler: f.eng})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	loop := &delivery.Loop{Store: f.st, Senders: map[string]delivery.Sender{"discord": a}, Clock: f.clock, Log: quietLog()}
	if n, err := loop.RunOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("after the restart sent %d (%v)", n, err)
	}
	if got := f.messages(); len(got) != 1 || len(got[0].Files) != 1 {
		t.Fatalf("want one message with its chart; got %d", len(got))
	}
	if len(f.outbox(t)) != 0 {
		t.Fatal("the item is still in the outbox")
	}
}
