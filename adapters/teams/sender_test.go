package teams

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/adapters/teams/faketeams"
	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/prompts"
)

// seen makes the harness's adapter meet a person in the team channel, as
// Teams would show them to it.
func (h *harness) seen(t *testing.T, who string) domain.PersonID {
	t.Helper()
	p := h.Person(who)
	if code := h.send(t, h.activity(p, "capacity", false), ""); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	return p
}

// TestSendRetries: through the outbox, a 429 waits as long as Retry-After
// asks, a 500 is retried, and the message then arrives once in the
// person's 1:1 chat, which is created once and remembered.
func TestSendRetries(t *testing.T) {
	h := newHarness(t)
	alice := h.seen(t, "alice")
	from := len(h.fake.Calls())
	msg := domain.Message{Audience: domain.ToPerson, To: string(alice), Title: "Concern escalated", Text: "Please acknowledge"}
	if err := h.st.Update(func(tx domain.Tx) error {
		return tx.Enqueue(&domain.OutboxItem{Dest: string(alice), Kind: "escalation", Message: msg})
	}); err != nil {
		t.Fatal(err)
	}
	h.fake.Fail("post", faketeams.Reply{Status: http.StatusTooManyRequests, RetryAfter: "7"}, faketeams.Reply{Status: http.StatusBadGateway})
	loop := h.loop()
	ctx := context.Background()

	if n, _ := loop.RunOnce(ctx); n != 0 {
		t.Fatalf("delivered %d on a 429", n)
	}
	var it *domain.OutboxItem
	_ = h.st.View(func(tx domain.Tx) error {
		items, err := tx.Outbox(0)
		if len(items) == 1 {
			it = items[0]
		}
		return err
	})
	if it == nil || it.Attempts != 1 || !it.NextTry.Equal(h.clock.Now().Add(7*time.Second)) {
		t.Fatalf("after a 429 with Retry-After 7: %+v", it)
	}
	h.clock.Advance(7 * time.Second)
	if n, _ := loop.RunOnce(ctx); n != 0 {
		t.Fatalf("delivered %d on a 502", n)
	}
	h.clock.Advance(time.Minute)
	if n, err := loop.RunOnce(ctx); n != 1 || err != nil {
		t.Fatalf("delivered %d, %v", n, err)
	}
	out := h.shownSince(t, from)
	if len(out) != 1 || !out[0].Private || out[0].To != string(alice) || !out[0].Has("Concern escalated", "Please acknowledge") {
		t.Fatalf("delivered: %+v", out)
	}
	creates := 0
	for _, c := range h.fake.Calls() {
		if c.Kind == "create" {
			creates++
			if c.Member != userID(alice) || c.Tenant != testTenant {
				t.Fatalf("1:1 chat created with %q in %q", c.Member, c.Tenant)
			}
		}
	}
	if creates != 1 {
		t.Fatalf("%d 1:1 chats created, want 1", creates)
	}
	// The next message uses the remembered chat, also after a restart
	// (a new adapter over the same store).
	h2 := h.restart(t)
	if err := h2.Send(ctx, string(alice), msg); err != nil {
		t.Fatal(err)
	}
	calls := h.fake.Calls()
	if last := calls[len(calls)-1]; last.Kind != "post" || last.Conversation != h.fake.Chat(userID(alice)) {
		t.Fatalf("after a restart: %+v", last)
	}
}

// TestSendErrors: what retrying cannot mend is permanent; the rest is not.
func TestSendErrors(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	msg := domain.Message{Audience: domain.ToPerson, Text: "hello"}
	// Never seen, and nobody else either: nowhere to send.
	if err := h.ad.Send(ctx, "teams:29:1nobody", msg); !delivery.IsPermanent(err) || !strings.Contains(err.Error(), "message the bot once") {
		t.Fatalf("never seen: %v", err)
	}
	if err := h.ad.Send(ctx, "slack:U1", msg); !delivery.IsPermanent(err) {
		t.Fatalf("another platform: %v", err)
	}
	h.seen(t, "alice")
	// Someone never seen, once the bot knows its service: a 1:1 chat is
	// opened through the service of the latest activity.
	if err := h.ad.Send(ctx, "teams:29:1bo", msg); err != nil {
		t.Fatalf("a person not yet seen: %v", err)
	}
	for _, tt := range []struct {
		status    int
		permanent bool
	}{{http.StatusForbidden, true}, {http.StatusBadRequest, true}, {http.StatusInternalServerError, false}, {http.StatusServiceUnavailable, false}} {
		h.fake.Fail("post", faketeams.Reply{Status: tt.status})
		err := h.ad.Send(ctx, "teams:29:1alice", msg)
		if err == nil || delivery.IsPermanent(err) != tt.permanent {
			t.Fatalf("status %d: %v, want permanent=%v", tt.status, err, tt.permanent)
		}
	}
	h.fake.Fail("post", faketeams.Reply{Status: http.StatusTooManyRequests, RetryAfter: "Wed, 21 Oct 2099 07:28:00 GMT"})
	if wait, ok := delivery.RetryAfter(h.ad.Send(ctx, "teams:29:1alice", msg)); !ok || wait < time.Hour {
		t.Fatalf("Retry-After as a date: %v %v", wait, ok)
	}
	// A 1:1 chat that is gone (404) is opened again.
	h.fake.Fail("post", faketeams.Reply{Status: http.StatusNotFound})
	if err := h.ad.Send(ctx, "teams:29:1alice", msg); err != nil {
		t.Fatalf("after a 404: %v", err)
	}
}

// TestTokenRefused: wrong credentials are permanent and say which settings
// to check; the password never reaches the error or the log.
func TestTokenRefused(t *testing.T) {
	h := newHarness(t)
	h.seen(t, "alice")
	ad, err := New(Config{AppID: testAppID, AppPassword: "hunter2-not-it", TenantID: testTenant, OpenIDURL: h.fake.OpenIDURL(),
		TokenURL: h.fake.TokenURL(), Handler: h.rec, Store: h.st, Prompts: prompts.MustLoad(), Log: h.logger, Clock: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	defer ad.Close()
	err = ad.Send(context.Background(), string(h.Person("alice")), domain.Message{Audience: domain.ToPerson, Text: "x"})
	if !delivery.IsPermanent(err) || !strings.Contains(err.Error(), "TEAMS_APP_PASSWORD") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("refused token: %v", err)
	}
	if strings.Contains(h.logText(), "hunter2") {
		t.Fatal("the password reached the log")
	}
}

// TestReplyFallsBackToOutbox: a reply Teams will not take now is kept in
// the outbox, addressed as privately as it was meant.
func TestReplyFallsBackToOutbox(t *testing.T) {
	h := newHarness(t)
	h.seen(t, "eve")
	h.fake.Fail("post", faketeams.Reply{Status: 503}, faketeams.Reply{Status: 503}, faketeams.Reply{Status: 503})
	h.Command(t, h.Person("eve"), "caseload", "setup Nope")
	var items []*domain.OutboxItem
	_ = h.st.View(func(tx domain.Tx) error { var err error; items, err = tx.Outbox(0); return err })
	if len(items) != 1 || items[0].Dest != string(h.Person("eve")) || items[0].Message.Audience != domain.ToPerson || items[0].Kind != "reply" {
		t.Fatalf("outbox: %+v", items)
	}
	if out := h.Deliver(t); len(out) != 1 || !out[0].Private || !out[0].Has("Only an admin") {
		t.Fatalf("delivered: %+v", out)
	}
}

// TestSendParts: a long message sent by parts carries on after the parts
// already sent, and stops when their count cannot be kept.
func TestSendParts(t *testing.T) {
	h := newHarness(t)
	h.seen(t, "alice")
	var lines []domain.Line
	for i := range 400 {
		lines = append(lines, domain.Line{Text: strings.Repeat("x", 60) + fmt.Sprint(i)})
	}
	msg := domain.Message{Audience: domain.ToChannel, Title: "Digest", Sections: []domain.Section{{Lines: lines}}}
	parts := len(h.ad.render.render(msg))
	if parts < 2 {
		t.Fatalf("%d parts", parts)
	}
	from := len(h.fake.Calls())
	var counts []int
	err := h.ad.SendParts(context.Background(), "teams:"+testChannel, msg, 1, func(n int) error { counts = append(counts, n); return nil })
	if err != nil || len(counts) != parts-1 || counts[0] != 2 || len(h.fake.Calls())-from != parts-1 {
		t.Fatalf("err %v, counts %v, %d calls for %d parts", err, counts, len(h.fake.Calls())-from, parts)
	}
	stop := errors.New("store down")
	if err := h.ad.SendParts(context.Background(), "teams:"+testChannel, msg, 0, func(int) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("got %v", err)
	}
}
