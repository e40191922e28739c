package teams

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/adapters/teams/faketeams"
	"github.com/safeload/safeload/internal/chart"
	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/prompts"
)

// chartDigest is a team digest with a real chart.
func chartDigest(t *testing.T) domain.Message {
	t.Helper()
	img, _, err := chart.TeamChart{Title: "North: team load 104.0 %", Bands: chart.Bands{Room: 95, Amber: 100, Red: 110},
		Bars: []chart.Bar{{Name: "Alice Adams", Percent: 104, RAG: domain.Amber}}}.PNG()
	if err != nil {
		t.Fatal(err)
	}
	return domain.Message{Audience: domain.ToChannel, Title: "North: weekly digest", Text: "🟠 Team load 104.0 %",
		Image: &domain.Image{Name: "north-load-2026-11-23.png", Type: img.ContentType, Alt: img.Alt, Data: img.Data}}
}

// restart is a new adapter over the same store and the same Teams, as
// after the process restarts; it is closed when the test ends.
func (h *harness) restart(t *testing.T) *Adapter {
	t.Helper()
	ad, err := New(Config{AppID: testAppID, AppPassword: testPassword, TenantID: testTenant, OpenIDURL: h.fake.OpenIDURL(),
		TokenURL: h.fake.TokenURL(), Handler: h.rec, Store: h.st, Prompts: prompts.MustLoad(), Log: h.logger, Clock: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ad.Close)
	return ad
}

func (h *harness) enqueue(t *testing.T, dest string, m domain.Message) uint64 {
	t.Helper()
	it := &domain.OutboxItem{Dest: dest, Kind: "digest", Message: m}
	if err := h.st.Update(func(tx domain.Tx) error { return tx.Enqueue(it) }); err != nil {
		t.Fatal(err)
	}
	return it.ID
}

func (h *harness) outboxItem(t *testing.T, id uint64) *domain.OutboxItem {
	t.Helper()
	var it *domain.OutboxItem
	if err := h.st.View(func(tx domain.Tx) error {
		var err error
		it, err = tx.OutboxItem(id)
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			it, err = nil, nil
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return it
}

// TestDigestChartAfterTheCard: through the outbox, a digest's chart
// follows its card in an activity of its own, inline as a data: URI with
// its alt text. A failed picture, then a restart (a new adapter over the
// same store), posts the card once and the picture once.
func TestDigestChartAfterTheCard(t *testing.T) {
	h := newHarness(t)
	h.seen(t, "meg")
	from := len(h.fake.Calls())
	m := chartDigest(t)
	dest := "teams:" + testChannel
	id := h.enqueue(t, dest, m)
	h.fake.Fail("picture", faketeams.Reply{Status: http.StatusBadGateway})
	if n, err := h.loop().RunOnce(context.Background()); err != nil || n != 0 {
		t.Fatalf("sent %d (%v) through a 502", n, err)
	}
	if it := h.outboxItem(t, id); it == nil || it.PartsSent != 1 {
		t.Fatalf("after the card went and the picture failed, the item must record 1 part sent: %+v", it)
	}
	ad := h.restart(t)
	h.clock.Advance(time.Minute)
	loop := &delivery.Loop{Store: h.st, Senders: map[string]delivery.Sender{"teams": ad}, Clock: h.clock, Log: h.logger}
	if n, err := loop.RunOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("after the restart sent %d (%v)", n, err)
	}
	calls := h.fake.Calls()[from:]
	if len(calls) != 2 || calls[0].Picture != nil || calls[1].Picture == nil {
		t.Fatalf("want the card once, then the picture once; got %d calls", len(calls))
	}
	for _, c := range calls {
		checkActivity(t, c.Activity)
		if c.Conversation != testChannel {
			t.Fatalf("posted in %q, want the channel", c.Conversation)
		}
	}
	if text, _, _, _ := faketeams.Flatten(calls[0].Activity); !strings.Contains(text, "North: weekly digest") || !strings.Contains(text, "104.0 %") {
		t.Fatalf("card: %q", text)
	}
	p := calls[1].Picture
	if p.Name != m.Image.Name || p.Type != "image/png" || !bytes.Equal(p.Data, m.Image.Data) || p.Text != m.Image.Alt ||
		!strings.Contains(p.Text, "Alice Adams 104.0 % amber") {
		t.Fatalf("picture %s %s %d bytes, text %q; want the chart with its alt text", p.Name, p.Type, len(p.Data), p.Text)
	}
	if h.outboxItem(t, id) != nil {
		t.Fatal("a delivered item leaves the outbox")
	}
}

// TestDigestChartTooLarge: a picture larger than Teams shows is not sent,
// and the card says so rather than leaving it out without a word.
func TestDigestChartTooLarge(t *testing.T) {
	h := newHarness(t)
	h.seen(t, "meg")
	from := len(h.fake.Calls())
	m := chartDigest(t)
	m.Image.Data = append(bytes.Repeat([]byte{0x89}, maxPictureBytes), m.Image.Data...)
	h.enqueue(t, "teams:"+testChannel, m)
	if n, err := h.loop().RunOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("sent %d (%v)", n, err)
	}
	calls := h.fake.Calls()[from:]
	if len(calls) != 1 || calls[0].Picture != nil {
		t.Fatalf("want the card alone; got %d calls", len(calls))
	}
	checkActivity(t, calls[0].Activity)
	text, _, _, _ := faketeams.Flatten(calls[0].Activity)
	if !strings.Contains(text, "The chart north-load-2026-11-23.png") || !strings.Contains(text, "larger than Teams shows (1024 KB)") {
		t.Fatalf("the card must say the chart is not attached and why: %q", text)
	}
}
