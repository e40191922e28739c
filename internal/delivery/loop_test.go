package delivery_test

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/chart"
	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/store"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// watched is the store, noting whether an Update is under way.
type watched struct {
	*store.DB
	inUpdate atomic.Bool
}

func (w *watched) Update(fn func(domain.Tx) error) error {
	return w.DB.Update(func(tx domain.Tx) error {
		w.inUpdate.Store(true)
		defer w.inUpdate.Store(false)
		return fn(tx)
	})
}

func open(t *testing.T, path string, clk clock.Clock) *watched {
	t.Helper()
	st, err := store.Open(path, store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return &watched{DB: st}
}

func enqueue(t *testing.T, st domain.Store, dest, text string) uint64 {
	t.Helper()
	it := &domain.OutboxItem{Dest: dest, Message: domain.Message{Audience: domain.ToChannel, To: dest, Text: text}}
	if err := st.Update(func(tx domain.Tx) error { return tx.Enqueue(it) }); err != nil {
		t.Fatal(err)
	}
	return it.ID
}

func item(t *testing.T, st domain.Store, id uint64) *domain.OutboxItem {
	t.Helper()
	var it *domain.OutboxItem
	if err := st.View(func(tx domain.Tx) error {
		var err error
		it, err = tx.OutboxItem(id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return it
}

// scripted answers each send from a list of errors (nil: delivered), and
// posts parts like a platform that splits messages.
type scripted struct {
	mu            sync.Mutex
	errs          []error
	sent          []string
	parts         int // parts a message needs; 0: sent as one
	failAfterPart int
}

func (s *scripted) next() error {
	if len(s.errs) == 0 {
		return nil
	}
	err := s.errs[0]
	s.errs = s.errs[1:]
	return err
}

func (s *scripted) Send(_ context.Context, dest string, m domain.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.next(); err != nil {
		return err
	}
	s.sent = append(s.sent, m.Text)
	return nil
}

func (s *scripted) SendParts(_ context.Context, dest string, m domain.Message, skip int, posted func(int) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.parts == 0 {
		if err := s.next(); err != nil {
			return err
		}
		s.sent = append(s.sent, m.Text)
		return posted(1)
	}
	for i := skip; i < s.parts; i++ {
		if s.failAfterPart > 0 && i == s.failAfterPart {
			s.failAfterPart = 0
			return errors.New("connection reset")
		}
		s.sent = append(s.sent, m.Text+" part "+string(rune('1'+i)))
		if err := posted(i + 1); err != nil {
			return err
		}
	}
	return nil
}

func (s *scripted) got() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sent...)
}

// A Retry-After of a day is capped, so one rate limit cannot hold a
// person's messages until tomorrow.
func TestRetryAfterIsCapped(t *testing.T) {
	clk := clock.NewFake(t0)
	st := open(t, filepath.Join(t.TempDir(), "s.db"), clk)
	id := enqueue(t, st, "slack:C1", "hello")
	s := &scripted{errs: []error{&delivery.RetryAfterError{After: 24 * time.Hour, Err: errors.New("429")}}}
	loop := &delivery.Loop{Store: st, Clock: clk, Senders: map[string]delivery.Sender{"slack": s}, MaxWait: 5 * time.Minute}
	if _, err := loop.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := item(t, st, id).NextTry, t0.Add(5*time.Minute); !got.Equal(want) {
		t.Fatalf("next try %s, want %s", got, want)
	}
	if loop.Failing() != 1 {
		t.Fatalf("Failing() = %d after one failure", loop.Failing())
	}
	clk.Advance(5 * time.Minute)
	if n, err := loop.RunOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("after the capped wait: %d, %v", n, err)
	}
	if loop.Failing() != 0 {
		t.Fatal("a delivery did not end the failure streak")
	}
}

// A later message for a destination never overtakes an earlier one that
// waits, also after a restart; other destinations are not held back.
func TestWaitingItemKeepsItsDestinationInOrder(t *testing.T) {
	clk := clock.NewFake(t0)
	path := filepath.Join(t.TempDir(), "s.db")
	st := open(t, path, clk)
	enqueue(t, st, "slack:C1", "first")
	s := &scripted{errs: []error{errors.New("502")}}
	loop := &delivery.Loop{Store: st, Clock: clk, Senders: map[string]delivery.Sender{"slack": s}}
	if _, err := loop.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	enqueue(t, st, "slack:C1", "second")
	enqueue(t, st, "slack:C2", "other")
	for _, l := range []*delivery.Loop{loop, {Store: st, Clock: clk, Senders: map[string]delivery.Sender{"slack": s}}} {
		if _, err := l.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.got(); len(got) != 1 || got[0] != "other" {
		t.Fatalf("sent %v while the first message for C1 waits", got)
	}
	clk.Advance(time.Hour)
	if _, err := loop.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := s.got(); len(got) != 3 || got[1] != "first" || got[2] != "second" {
		t.Fatalf("sent %v, want other, first, second", got)
	}
}

// The admins are asked for before the transaction that records a failure,
// never inside it (a read inside a write can deadlock bbolt).
func TestAdminsAreNotReadInsideTheWrite(t *testing.T) {
	clk := clock.NewFake(t0)
	st := open(t, filepath.Join(t.TempDir(), "s.db"), clk)
	enqueue(t, st, "slack:C1", "hello")
	s := &scripted{errs: []error{delivery.Permanent(errors.New("channel_not_found"))}}
	inside := false
	loop := &delivery.Loop{Store: st, Clock: clk, Senders: map[string]delivery.Sender{"slack": s},
		Admins: func() []domain.PersonID {
			inside = inside || st.inUpdate.Load()
			return []domain.PersonID{"slack:UADMIN"}
		},
		Notice: func(it *domain.OutboxItem, err error) domain.Message { return domain.Message{Text: "failed"} }}
	if _, err := loop.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if inside {
		t.Fatal("Admins was called inside the Update that records the failure")
	}
	var waiting []*domain.OutboxItem
	_ = st.View(func(tx domain.Tx) error { var err error; waiting, err = tx.Outbox(0); return err })
	if len(waiting) != 1 || waiting[0].Dest != "slack:UADMIN" {
		t.Fatalf("outbox after the failure: %+v", waiting)
	}
}

// A split message's progress is stored as each part goes, so a restart
// after a failure half-way posts only the parts not yet posted.
func TestSplitMessageProgressSurvivesARestart(t *testing.T) {
	clk := clock.NewFake(t0)
	path := filepath.Join(t.TempDir(), "s.db")
	st := open(t, path, clk)
	id := enqueue(t, st, "slack:C1", "digest")
	s := &scripted{parts: 4, failAfterPart: 2}
	loop := &delivery.Loop{Store: st, Clock: clk, Senders: map[string]delivery.Sender{"slack": s}}
	if _, err := loop.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := item(t, st, id).PartsSent; got != 2 {
		t.Fatalf("stored progress %d, want 2", got)
	}
	st.DB.Close() // the process dies
	st = open(t, path, clk)
	clk.Advance(time.Hour)
	restarted := &delivery.Loop{Store: st, Clock: clk, Senders: map[string]delivery.Sender{"slack": s}}
	if n, err := restarted.RunOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("after the restart: %d, %v", n, err)
	}
	want := []string{"digest part 1", "digest part 2", "digest part 3", "digest part 4"}
	if got := s.got(); len(got) != len(want) {
		t.Fatalf("posted %v, want %v", got, want)
	}
}

// pictures records what each sent message carried.
type pictures struct{ got []domain.Message }

func (p *pictures) Send(_ context.Context, _ string, m domain.Message) error {
	p.got = append(p.got, m)
	return nil
}

// TestChartsAreDrawnWhenSent: a digest keeps its chart as figures; the
// sender gets the picture drawn, and the stored item keeps only the figures.
func TestChartsAreDrawnWhenSent(t *testing.T) {
	tc := chart.TeamChart{Title: "North: team load 90.0 %", Bands: chart.Bands{Room: 95, Amber: 100, Red: 110},
		Bars: []chart.Bar{{Name: "Ann", Percent: 104, Load: 88.4, RAG: domain.Amber}, {Name: "Ben", Percent: 76, Load: 64.6, RAG: domain.Green}}}
	img, err := chart.TeamImage(tc, "north.png", "two bars")
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(t0)
	st := open(t, filepath.Join(t.TempDir(), "s.db"), clk)
	var ids []uint64
	for _, im := range []*domain.Image{img, {Name: "broken.png", Alt: "nothing", Kind: "pie", Spec: []byte("{}")}} {
		it := &domain.OutboxItem{Dest: "slack:C1", Message: domain.Message{Audience: domain.ToChannel, To: "slack:C1", Text: "digest", Image: im}}
		if err := st.Update(func(tx domain.Tx) error { return tx.Enqueue(it) }); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, it.ID)
	}
	stored := item(t, st, ids[0]).Message.Image
	if stored == nil || stored.Drawn() || stored.Kind != chart.KindTeam {
		t.Fatalf("the outbox should keep the figures, not the picture: %+v", stored)
	}
	p := &pictures{}
	loop := &delivery.Loop{Store: st, Clock: clk, Senders: map[string]delivery.Sender{"slack": p}}
	if _, err := loop.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(p.got) != 2 {
		t.Fatalf("sent %d messages, want 2", len(p.got))
	}
	got := p.got[0].Image
	if got == nil || !got.Drawn() || got.Type != "image/png" {
		t.Fatalf("the chart reached the sender undrawn: %+v", got)
	}
	if _, err := png.Decode(bytes.NewReader(got.Data)); err != nil {
		t.Fatalf("the drawn chart is not a PNG: %v", err)
	}
	if p.got[1].Image != nil || p.got[1].Text != "digest" {
		t.Errorf("a chart that cannot be drawn must be left out and the text sent: %+v", p.got[1])
	}
}
