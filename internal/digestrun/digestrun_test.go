package digestrun_test

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/digestrun"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/store"
	"github.com/safeload/safeload/prompts"
)

// t0 is a Monday morning in London.
var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

type fixture struct {
	st    *store.DB
	clock *clock.Fake
	run   *digestrun.Runner
	wakes int
}

// newFixture has North (a channel, service manager test:sam, two
// practitioners with cases) and South (no channel, no service manager).
func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{clock: clock.NewFake(t0)}
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{Clock: f.clock, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	f.st = st
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	pol := domain.DefaultPolicy()
	f.run = &digestrun.Runner{Store: st, Policy: &pol, Prompts: prompts.MustLoad(), Loc: loc, Wake: func() { f.wakes++ }}
	err = st.Update(func(tx domain.Tx) error {
		now := tx.Now()
		for _, team := range []*domain.Team{
			{ID: "north", Name: "North", Channel: "test:CNORTH", ServiceManager: "test:sam", CreatedAt: now},
			{ID: "south", Name: "South", CreatedAt: now},
		} {
			if err := tx.PutTeam(team); err != nil {
				return err
			}
		}
		for i, name := range []string{"Alice Adams", "Bob Brown"} {
			p := domain.PersonID("test:p" + string(rune('1'+i)))
			if err := tx.PutMember(&domain.Member{Team: "north", Person: p, Name: name, Role: domain.RolePractitioner, FTE: 1, JoinedAt: now}); err != nil {
				return err
			}
			c := &domain.Case{Ref: "N-" + string(rune('1'+i)), Team: "north", Type: "cin", Status: domain.CaseAllocated, Holder: p, AllocatedAt: now, CreatedAt: now}
			if err := tx.PutCase(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
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

func TestEnqueueEveryTeamAndServiceManager(t *testing.T) {
	f := newFixture(t)
	ids, teams, err := f.run.Enqueue("", "from the command line")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := teams, 2; got != want {
		t.Errorf("teams = %d, want %d", got, want)
	}
	items := f.outbox(t)
	if len(ids) != len(items) || len(items) != 2 {
		t.Fatalf("ids %v, outbox %d items: want the channel's and the service manager's", ids, len(items))
	}
	for i, want := range []struct{ dest, to string }{{"test:CNORTH", "test:CNORTH"}, {"test:sam", "test:sam"}} {
		it := items[i]
		if it.ID != ids[i] || it.Dest != want.dest || it.Kind != "digest" || it.Message.To != want.to {
			t.Errorf("item %d: id %d dest %q kind %q to %q; want id %d dest %q", i, it.ID, it.Dest, it.Kind, it.Message.To, ids[i], want.dest)
		}
	}
	if !strings.Contains(digestText(items[0].Message), "North: weekly digest") {
		t.Errorf("the channel's digest: %q", digestText(items[0].Message))
	}
	if f.wakes != 1 {
		t.Errorf("the outbox was woken %d times, want once", f.wakes)
	}
	err = f.st.View(func(tx domain.Tx) error {
		for _, team := range []string{"north", "south"} {
			log, err := tx.AuditLog(team, time.Time{})
			if err != nil {
				return err
			}
			if len(log) != 1 || log[0].Action != "digest.post" || log[0].Detail != "from the command line" || log[0].Actor != "safeload:scheduler" {
				t.Errorf("%s's audit log: %+v", team, log)
			}
			weeks, err := tx.SnapshotWeeks(team)
			if err != nil {
				return err
			}
			if len(weeks) != 1 {
				t.Errorf("%s's snapshots: %v, want this week's", team, weeks)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestEnqueueOneTeam(t *testing.T) {
	f := newFixture(t)
	ids, teams, err := f.run.Enqueue("north", "on request")
	if err != nil {
		t.Fatal(err)
	}
	if teams != 1 || len(ids) != 1 {
		t.Fatalf("teams %d, ids %v: want North's channel only, no service manager's digest", teams, ids)
	}
	// A team with nowhere to post builds its digest and posts nothing.
	ids, teams, err = f.run.Enqueue("south", "on request")
	if err != nil {
		t.Fatal(err)
	}
	if teams != 1 || len(ids) != 0 || f.wakes != 1 {
		t.Errorf("south: teams %d, ids %v, wakes %d", teams, ids, f.wakes)
	}
	_, _, err = f.run.Enqueue("west", "on request")
	if domain.ErrorCode(err) != domain.ENOTFOUND || !strings.Contains(domain.ErrorMessage(err), `"west" (teams: north, south)`) {
		t.Errorf("unknown team: %v", err)
	}
	if n := len(f.outbox(t)); n != 1 {
		t.Errorf("outbox has %d items, want 1", n)
	}
}

func digestText(m domain.Message) string {
	var b strings.Builder
	_ = digestrun.WriteText(&b, []digestrun.Draft{{To: "x", Message: m}})
	return b.String()
}

// sender answers every message with err, noting where it went.
type sender struct {
	mu   sync.Mutex
	err  error
	sent []string
}

func (s *sender) Send(_ context.Context, dest string, _ domain.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, dest)
	return s.err
}

func TestDeliver(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want digestrun.Result
	}{
		{"delivered", nil, digestrun.Result{Sent: 2}},
		{"failed for good", delivery.Permanent(errors.New("channel_not_found")), digestrun.Result{Failed: 2}},
		// The retry is due after the wait Deliver may spend: it returns at once.
		{"asked to retry", errors.New("503"), digestrun.Result{Waiting: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			ids, _, err := f.run.Enqueue("", "test")
			if err != nil {
				t.Fatal(err)
			}
			s := &sender{err: tc.err}
			loop := &delivery.Loop{Store: f.st, Clock: f.clock, Senders: map[string]delivery.Sender{"test": s}}
			got, err := digestrun.Deliver(context.Background(), loop, ids, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if len(s.sent) != 2 {
				t.Errorf("sent to %v, want both", s.sent)
			}
		})
	}
}

// A message no sender here takes waits for serve, without a wait here.
func TestDeliverLeavesOtherPlatforms(t *testing.T) {
	f := newFixture(t)
	ids, _, err := f.run.Enqueue("", "test")
	if err != nil {
		t.Fatal(err)
	}
	loop := &delivery.Loop{Store: f.st, Clock: f.clock, Senders: map[string]delivery.Sender{"slack": &sender{}}}
	got, err := digestrun.Deliver(context.Background(), loop, ids, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if want := (digestrun.Result{Waiting: 2}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestPreviewChangesNothing(t *testing.T) {
	f := newFixture(t)
	drafts, err := f.run.Preview("", t0)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := digestrun.WriteText(&out, drafts); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"──── to test:CNORTH ────\n", "North: weekly digest", "Alice Adams",
		"──── to (no channel set: it would not be posted) ────\n", "South: weekly digest",
		"──── to test:sam (privately) ────\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the dry run does not say %q:\n%s", want, text)
		}
	}
	if i, j := strings.Index(text, "to test:CNORTH"), strings.Index(text, "to test:sam"); i > j {
		t.Error("the service manager's digest comes before the teams'")
	}
	if n := len(f.outbox(t)); n != 0 {
		t.Errorf("a dry run enqueued %d messages", n)
	}
	if err := f.st.View(func(tx domain.Tx) error {
		weeks, err := tx.SnapshotWeeks("north")
		if len(weeks) != 0 {
			t.Errorf("a dry run wrote snapshots: %v", weeks)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}

	one, err := f.run.Preview("north", t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range one {
		if d.To != "test:CNORTH" || d.Private {
			t.Errorf("--team north previews a message to %q (private %v)", d.To, d.Private)
		}
	}
	if _, err := f.run.Preview("west", t0); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("unknown team: %v", err)
	}
}

func TestWriteCharts(t *testing.T) {
	f := newFixture(t)
	drafts, err := f.run.Preview("", t0)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "charts") // made on demand
	charts, err := digestrun.WriteCharts(dir, drafts)
	if err != nil {
		t.Fatal(err)
	}
	if len(charts) == 0 {
		t.Fatal("no charts written")
	}
	for _, c := range charts {
		if filepath.Dir(c.Path) != dir {
			t.Errorf("%s is not in %s", c.Path, dir)
		}
		data, err := os.ReadFile(c.Path)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) != c.Size {
			t.Errorf("%s: %d bytes, reported %d", c.Path, len(data), c.Size)
		}
		if _, err := png.Decode(bytes.NewReader(data)); err != nil {
			t.Errorf("%s is not a PNG: %v", c.Path, err)
		}
	}

	none, err := digestrun.WriteCharts(dir, []digestrun.Draft{{To: "x", Message: domain.Message{Text: "no picture"}}})
	if err != nil || len(none) != 0 {
		t.Errorf("a draft without a picture: %v, %v", none, err)
	}
	blocked := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocked, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := digestrun.WriteCharts(blocked, drafts); err == nil || !strings.HasPrefix(err.Error(), "--charts "+blocked) {
		t.Errorf("charts into a file: %v", err)
	}
}
