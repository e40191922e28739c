package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
)

// TestDigestOnRequestGoesThroughTheOutbox: /caseload digest puts the
// digest, chart and all, in the outbox for the team's channel, answers the
// manager privately, and wakes the outbox; a refusal puts nothing there.
func TestDigestOnRequestGoesThroughTheOutbox(t *testing.T) {
	f := team(t)
	woken := 0
	f.eng.Wake = func() { woken++ }
	img := &domain.Image{Name: "north-load.png", Type: "image/png", Alt: "North's load", Data: []byte("\x89PNG")}
	f.eng.Digest = func(_ domain.Tx, tm *domain.Team, _ time.Time) ([]domain.Message, error) {
		return []domain.Message{{Title: tm.Name + ": weekly digest", Text: "Team load 80 %", Image: img}}, nil
	}
	before := len(f.outbox(t))
	if resp := f.do(t, "alice", "caseload", "digest"); resp.Code != domain.EFORBIDDEN || len(f.outbox(t)) != before {
		t.Fatalf("a practitioner's digest: %s, outbox %d → %d", resp.Code, before, len(f.outbox(t)))
	}
	// Typed in the team's own channel, or in a direct message.
	for _, ch := range []domain.ChannelID{north, "test:D-MEG"} {
		woken = 0
		resp := f.eng.Handle(context.Background(), engine.Request{Platform: "test", Channel: ch, Caller: "test:meg",
			Command: "caseload", Text: "digest", Direct: ch != north})
		if resp.Code != "" {
			t.Fatalf("in %s: %s: %s", ch, resp.Code, texts(resp))
		}
		want := "this channel"
		if ch != north {
			want = "the team's channel"
		}
		if len(resp.Messages) != 1 || resp.Messages[0].Audience != domain.ToCaller {
			t.Fatalf("in %s the manager is answered privately, once: %+v", ch, resp.Messages)
		}
		contains(t, texts(resp), "North's digest is on its way to "+want+", with its chart")
		items := f.outbox(t)
		it := items[len(items)-1]
		if len(items) != before+1 || it.Dest != string(north) || it.Kind != engine.KindDigest ||
			it.Message.Audience != domain.ToChannel || it.Message.To != string(north) || it.Message.Image == nil ||
			it.Message.Image.Name != img.Name || woken != 1 {
			t.Fatalf("in %s: outbox %d → %d, last %+v, woken %d", ch, before, len(items), it, woken)
		}
		before = len(items)
	}
}
