package slack

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/adapters/slack/fakeslack"
	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/prompts"
)

func enqueue(t *testing.T, h *harness, dest string, m domain.Message) uint64 {
	t.Helper()
	it := &domain.OutboxItem{Dest: dest, Kind: "test", Message: m}
	if err := h.st.Update(func(tx domain.Tx) error { return tx.Enqueue(it) }); err != nil {
		t.Fatal(err)
	}
	return it.ID
}

func outboxItem(t *testing.T, h *harness, id uint64) *domain.OutboxItem {
	t.Helper()
	var it *domain.OutboxItem
	if err := h.st.View(func(tx domain.Tx) (err error) { it, err = tx.OutboxItem(id); return err }); err != nil {
		return nil
	}
	return it
}

func posts(h *harness, method string) []fakeslack.Call {
	var out []fakeslack.Call
	for _, c := range h.fake.Calls() {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// TestDeliveryThroughRateLimitsAndAnOutage: two 429s with Retry-After: 1 and
// a 500, then success: the message is posted exactly once, and no sooner
// than Slack asked.
func TestDeliveryThroughRateLimitsAndAnOutage(t *testing.T) {
	h := newHarness(t)
	id := enqueue(t, h, "slack:"+testChannel, domain.Message{Audience: domain.ToChannel, Title: "Weekly digest", Text: "🟢 all green"})
	h.fake.Fail("chat.postMessage",
		fakeslack.Reply{Status: http.StatusTooManyRequests, RetryAfter: "1"},
		fakeslack.Reply{Status: http.StatusTooManyRequests, RetryAfter: "1"},
		fakeslack.Reply{Status: http.StatusInternalServerError})
	loop := h.loop()
	ctx := context.Background()
	pass := func(wantSent int) {
		t.Helper()
		n, err := loop.RunOnce(ctx)
		if err != nil || n != wantSent {
			t.Fatalf("pass at %s: sent %d (%v), want %d", h.clock.Now().Format(time.TimeOnly), n, err, wantSent)
		}
	}

	pass(0)
	it := outboxItem(t, h, id)
	if it == nil || !it.NextTry.Equal(h.clock.Now().Add(time.Second)) || !strings.Contains(it.LastError, "rate limit") {
		t.Fatalf("after a 429 the item waits Retry-After: %+v", it)
	}
	pass(0) // not yet due: Slack is not asked again
	if n := h.fake.Attempts("chat.postMessage"); n != 1 {
		t.Fatalf("asked Slack %d times before Retry-After passed", n)
	}
	h.clock.Advance(time.Second)
	pass(0) // the second 429
	h.clock.Advance(time.Second)
	pass(0) // the 500: backoff
	if it := outboxItem(t, h, id); it == nil || it.Failed || it.Attempts != 3 {
		t.Fatalf("a 500 is retried, never dropped: %+v", it)
	}
	h.clock.Advance(time.Second)
	pass(1)
	if got := posts(h, "chat.postMessage"); len(got) != 1 || got[0].Channel != testChannel || got[0].Token != testToken {
		t.Fatalf("want exactly one post to %s with the bot token; got %+v", testChannel, got)
	}
	if n := h.fake.Attempts("chat.postMessage"); n != 4 {
		t.Fatalf("%d attempts, want 4", n)
	}
	if outboxItem(t, h, id) != nil {
		t.Fatal("a delivered item leaves the outbox")
	}
}

func TestDMsOpenAConversationOnce(t *testing.T) {
	h := newHarness(t)
	enqueue(t, h, "slack:UMEG", domain.Message{Audience: domain.ToPerson, To: "slack:UMEG", Title: "Capacity concern #1 from Alice", Text: "<@slack:UALICE> has raised a capacity concern"})
	enqueue(t, h, "slack:UMEG", domain.Message{Audience: domain.ToPerson, To: "slack:UMEG", Text: "second"})
	if n, err := h.loop().RunOnce(context.Background()); err != nil || n != 2 {
		t.Fatalf("sent %d: %v", n, err)
	}
	var got []string
	for _, c := range h.fake.Calls() {
		text, _, _ := fakeslack.Flatten(c.Blocks)
		got = append(got, c.Method+" "+c.Channel+" "+c.User+" "+strings.ReplaceAll(text, "\n", " / "))
	}
	want := []string{
		"conversations.open DUMEG UMEG ",
		"chat.postMessage DUMEG  Capacity concern #1 from Alice / <@UALICE> has raised a capacity concern",
		"chat.postMessage DUMEG  second",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSendErrorsFollowDeliveryRules(t *testing.T) {
	for _, tc := range []struct {
		reply     fakeslack.Reply
		permanent bool
		after     time.Duration
	}{
		{fakeslack.Reply{Error: "channel_not_found"}, true, 0},
		{fakeslack.Reply{Error: "not_in_channel"}, true, 0},
		{fakeslack.Reply{Error: "invalid_auth"}, true, 0},
		{fakeslack.Reply{Error: "account_inactive"}, true, 0},
		{fakeslack.Reply{Error: "is_archived"}, true, 0},
		{fakeslack.Reply{Error: "internal_error"}, false, 0},
		{fakeslack.Reply{Status: http.StatusServiceUnavailable}, false, 0},
		{fakeslack.Reply{Status: http.StatusForbidden}, true, 0},
		{fakeslack.Reply{Status: http.StatusTooManyRequests, RetryAfter: "7"}, false, 7 * time.Second},
	} {
		h := newHarness(t)
		h.fake.Fail("chat.postMessage", tc.reply)
		err := h.ad.Sender().Send(context.Background(), "slack:"+testChannel, domain.Message{Text: "hello"})
		after, limited := delivery.RetryAfter(err)
		if err == nil || delivery.IsPermanent(err) != tc.permanent || after != tc.after || limited != (tc.after > 0) {
			t.Errorf("%+v: got %v (permanent=%v, retry after %s)", tc.reply, err, delivery.IsPermanent(err), after)
		}
	}

	h := newHarness(t)
	h.fake.Fail("conversations.open", fakeslack.Reply{Error: "user_not_found"})
	if err := h.ad.Sender().Send(context.Background(), "slack:UGONE", domain.Message{Text: "hello"}); !delivery.IsPermanent(err) {
		t.Errorf("a DM to nobody is permanent: %v", err)
	}
	if err := h.ad.Sender().Send(context.Background(), "discord:42", domain.Message{Text: "hello"}); !delivery.IsPermanent(err) {
		t.Errorf("another platform's destination is permanent: %v", err)
	}

	// A network error (Slack unreachable) is retried.
	h.fake.Close()
	err := h.ad.Sender().Send(context.Background(), "slack:"+testChannel, domain.Message{Text: "hello"})
	if err == nil || delivery.IsPermanent(err) {
		t.Errorf("a network error is retried: %v", err)
	}
	if _, ok := delivery.RetryAfter(err); ok || errors.Is(err, context.Canceled) {
		t.Errorf("a network error has no Retry-After: %v", err)
	}
}

// TestSplitMessageRetryDoesNotRepeatParts: when a long digest fails half-way,
// the retry posts only the parts not yet posted.
func TestSplitMessageRetryDoesNotRepeatParts(t *testing.T) {
	h := newHarness(t)
	m := digestShaped()
	parts := renderer{p: prompts.MustLoad()}.render(m)
	if len(parts) < 3 {
		t.Fatalf("want a digest of at least 3 parts, got %d", len(parts))
	}
	h.fake.Fail("chat.postMessage", fakeslack.Reply{}, fakeslack.Reply{Status: http.StatusBadGateway})
	s := h.ad.Sender()
	if err := s.Send(context.Background(), "slack:"+testChannel, m); err == nil {
		t.Fatal("the 502 must be reported")
	}
	if err := s.Send(context.Background(), "slack:"+testChannel, m); err != nil {
		t.Fatal(err)
	}
	got := posts(h, "chat.postMessage")
	if len(got) != len(parts) {
		t.Fatalf("posted %d messages for %d parts", len(got), len(parts))
	}
	for i, c := range got {
		text, _, _ := fakeslack.Flatten(c.Blocks)
		if i > 0 && !strings.Contains(text, "part "+strconv.Itoa(i+1)+" of") {
			t.Fatalf("post %d is not part %d:\n%.200s", i, i+1, text)
		}
	}
}
