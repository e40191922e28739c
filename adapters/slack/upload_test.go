package slack

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/adapters/slack/fakeslack"
	"github.com/safeload/safeload/internal/chart"
	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/prompts"
)

// chartMessage is a digest with a real chart.
func chartMessage(t *testing.T, to string) domain.Message {
	t.Helper()
	img, _, err := chart.TeamChart{Title: "North: team load 104.0 %", Bands: chart.Bands{Room: 95, Amber: 100, Red: 110},
		Bars: []chart.Bar{{Name: "Alice Adams", Percent: 104, RAG: domain.Amber}}}.PNG()
	if err != nil {
		t.Fatal(err)
	}
	return domain.Message{Audience: domain.ToChannel, To: to, Title: "North: weekly digest", Text: "🟠 Team load 104.0 %",
		Image: &domain.Image{Name: "north-load-2026-11-23.png", Type: img.ContentType, Alt: img.Alt, Data: img.Data}}
}

func methods(h *harness) []string {
	var out []string
	for _, c := range h.fake.Calls() {
		out = append(out, c.Method)
	}
	return out
}

// TestChartGoesThroughTheUploadFlowOnce: the digest's text is posted, then
// its chart uploaded and shared; a 429 on the last step of the upload
// waits Retry-After and retries the upload alone.
func TestChartGoesThroughTheUploadFlowOnce(t *testing.T) {
	h := newHarness(t)
	m := chartMessage(t, "slack:"+testChannel)
	id := enqueue(t, h, "slack:"+testChannel, m)
	h.fake.Fail("files.completeUploadExternal", fakeslack.Reply{Status: http.StatusTooManyRequests, RetryAfter: "2"})
	loop := h.loop()
	if n, err := loop.RunOnce(context.Background()); err != nil || n != 0 {
		t.Fatalf("first pass sent %d (%v); the 429 must hold the item", n, err)
	}
	if it := outboxItem(t, h, id); it == nil || !it.NextTry.Equal(h.clock.Now().Add(2*time.Second)) {
		t.Fatalf("after a 429 the item waits Retry-After: %+v", it)
	}
	h.clock.Advance(2 * time.Second)
	if n, err := loop.RunOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("second pass sent %d (%v)", n, err)
	}
	got := strings.Join(methods(h), " ")
	want := "chat.postMessage files.getUploadURLExternal upload files.getUploadURLExternal upload files.completeUploadExternal"
	if got != want {
		t.Fatalf("calls:\n%s\nwant\n%s", got, want)
	}
	shared := posts(h, "files.completeUploadExternal")
	f := shared[0].File
	if shared[0].Channel != testChannel || shared[0].Token != testToken || f.Name != m.Image.Name ||
		!bytes.Equal(f.Data, m.Image.Data) || f.Alt != m.Image.Alt || f.Title != m.Title {
		t.Fatalf("shared %+v in %s; want the chart in %s with its alt text", f, shared[0].Channel, testChannel)
	}
	if !strings.Contains(f.Alt, "Alice Adams 104.0 % amber") {
		t.Errorf("alt text: %q", f.Alt)
	}
	if outboxItem(t, h, id) != nil {
		t.Fatal("a delivered item leaves the outbox")
	}
}

// TestChartSurvivesARestart: an upload that fails and a process that
// stops before the retry lose nothing: the next process's sender shares
// the chart, once.
func TestChartSurvivesARestart(t *testing.T) {
	h := newHarness(t)
	id := enqueue(t, h, "slack:UMEG", chartMessage(t, "slack:UMEG"))
	h.fake.Fail(fakeslack.UploadMethod, fakeslack.Reply{Status: http.StatusBadGateway})
	if n, err := h.loop().RunOnce(context.Background()); err != nil || n != 0 {
		t.Fatalf("sent %d (%v) through a 502", n, err)
	}
	// A new process: a new adapter (no memory of the first) on the same
	// store and the same Slack.
	ad, err := New(Config{BotToken: testToken, SigningSecret: testSecret, APIURL: h.fake.APIURL(), Handler: h.eng,
		Prompts: prompts.MustLoad(), Log: h.logger, Clock: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Minute)
	loop := &delivery.Loop{Store: h.st, Senders: map[string]delivery.Sender{"slack": ad.Sender()}, Clock: h.clock, Log: h.logger}
	if n, err := loop.RunOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("after the restart sent %d (%v)", n, err)
	}
	shared := posts(h, "files.completeUploadExternal")
	if len(shared) != 1 || shared[0].Channel != fakeslack.DMChannel("UMEG") {
		t.Fatalf("want the chart shared once in the DM; got %+v", shared)
	}
	if text := posts(h, "chat.postMessage"); len(text) != 1 || text[0].Channel != fakeslack.DMChannel("UMEG") {
		t.Fatalf("want the digest's text posted once in the DM, before and after the restart; got %d posts", len(text))
	}
	if outboxItem(t, h, id) != nil {
		t.Fatal("the item is still in the outbox")
	}
}
