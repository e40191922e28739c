package schedule_test

import (
	"context"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/internal/schedule"
	"github.com/safeload/safeload/internal/store"
	"github.com/safeload/safeload/prompts"
)

var london = mustLoc("Europe/London")

// quiet keeps the scheduler's log out of the test output.
var quiet = func() *logrus.Logger { l := logrus.New(); l.SetOutput(io.Discard); return l }()

func mustLoc(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at is a local London time.
func at(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, london)
}

// fixture is the real engine and scheduler over a real bbolt file, on a
// fake clock; reopen closes the store and opens it again, as a restart.
type fixture struct {
	t       *testing.T
	path    string
	clock   *clock.Fake
	pol     domain.Policy
	prompts *prompts.Set
	st      *store.DB
	eng     *engine.Engine
	// scheduler settings
	cron                string
	ackWithin, escalate time.Duration
	admins              []domain.PersonID
	sched               *schedule.Scheduler
}

func newFixture(t *testing.T, start time.Time, setup ...func(*fixture)) *fixture {
	t.Helper()
	f := &fixture{t: t, path: filepath.Join(t.TempDir(), "safeload.db"), clock: clock.NewFake(start),
		pol: domain.DefaultPolicy(), prompts: prompts.MustLoad(), admins: []domain.PersonID{"test:admin"}}
	for _, s := range setup {
		s(f)
	}
	f.open()
	t.Cleanup(func() { _ = f.st.Close() })
	return f
}

func (f *fixture) open() {
	f.t.Helper()
	st, err := store.Open(f.path, store.Options{Clock: f.clock})
	if err != nil {
		f.t.Fatal(err)
	}
	f.st = st
	f.eng = engine.New(st, &f.pol, f.prompts, london, f.admins)
	f.eng.AckWithin = f.ackWithin
	f.sched = &schedule.Scheduler{Store: st, Policy: &f.pol, Prompts: f.prompts, Loc: london, Clock: f.clock,
		Cron: f.cron, AckWithin: f.ackWithin, EscalateEvery: f.escalate, Admins: f.eng.Admins, Log: quiet}
}

// reopen is a restart: a new store handle, engine and scheduler on the same file.
func (f *fixture) reopen() {
	f.t.Helper()
	if err := f.st.Close(); err != nil {
		f.t.Fatal(err)
	}
	f.open()
}

func person(name string) domain.PersonID { return domain.PersonID("test:" + name) }

func mention(name string) string {
	return "<@" + name + "|" + strings.ToUpper(name[:1]) + name[1:] + ">"
}

const channel = domain.ChannelID("test:C-NORTH")

// do runs a command as a person in the team channel and fails the test on a refusal.
func (f *fixture) do(as, command, text string) engine.Response {
	f.t.Helper()
	resp := f.eng.Handle(context.Background(), engine.Request{Platform: "test", Channel: channel, Caller: person(as), Command: command, Text: text})
	if resp.Code != "" {
		var b strings.Builder
		for _, m := range resp.Messages {
			b.WriteString(m.Text)
		}
		f.t.Fatalf("/%s %s as %s: %s: %s", command, text, as, resp.Code, b.String())
	}
	return resp
}

func (f *fixture) press(as, action string) {
	f.t.Helper()
	resp := f.eng.Handle(context.Background(), engine.Request{Platform: "test", Channel: channel, Caller: person(as), Action: action})
	if resp.Code != "" {
		f.t.Fatalf("press %s as %s: %s %v", action, as, resp.Code, resp.Messages)
	}
}

// team sets up "North" with a manager (meg), practitioners (alice, cy), and
// the service manager (sam) unless noSM.
func (f *fixture) team(noSM bool) {
	f.t.Helper()
	f.do("admin", "caseload", "setup North")
	f.do("admin", "caseload", "add "+mention("meg")+" manager")
	f.do("admin", "caseload", "add "+mention("alice")+" practitioner")
	f.do("admin", "caseload", "add "+mention("cy")+" practitioner fte=0.6")
	if !noSM {
		f.do("admin", "caseload", "service-manager "+mention("sam"))
	}
}

// run is one scheduler pass at the clock's time.
func (f *fixture) run() int {
	f.t.Helper()
	n, err := f.sched.RunOnce(f.clock.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

// runAt sets the clock and makes a pass.
func (f *fixture) runAt(t time.Time) int {
	f.t.Helper()
	f.clock.Set(t)
	return f.run()
}

// take removes and returns the outbox items of the given kinds (all when
// none given), oldest first, as delivery would.
func (f *fixture) take(kinds ...string) []*domain.OutboxItem {
	f.t.Helper()
	var out []*domain.OutboxItem
	err := f.st.Update(func(tx domain.Tx) error {
		items, err := tx.Outbox(0)
		if err != nil {
			return err
		}
		for _, it := range items {
			if len(kinds) > 0 && !contains(kinds, it.Kind) {
				continue
			}
			out = append(out, it)
			if err := tx.DeleteOutboxItem(it.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (f *fixture) concern(id uint64) *domain.Concern {
	f.t.Helper()
	var c *domain.Concern
	if err := f.st.View(func(tx domain.Tx) error {
		var err error
		c, err = tx.Concern(id)
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	return c
}

// fired reports whether the store holds a firing of clock k.
func (f *fixture) fired(k domain.ClockKey) bool {
	f.t.Helper()
	var ok bool
	if err := f.st.View(func(tx domain.Tx) error {
		var err error
		_, ok, err = tx.Fired(k)
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	return ok
}

// posted reports whether the store records the digest of s as posted.
func (f *fixture) posted(s domain.DigestSlot) bool {
	f.t.Helper()
	var ok bool
	if err := f.st.View(func(tx domain.Tx) error {
		var err error
		_, ok, err = tx.DigestPosted(s)
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	return ok
}

// flatten is a message's readable text.
func flatten(m domain.Message) string {
	var b strings.Builder
	for _, s := range []string{m.Title, m.Text} {
		b.WriteString(s + "\n")
	}
	for _, fl := range m.Fields {
		b.WriteString(fl.Name + ": " + fl.Value + "\n")
	}
	for _, s := range m.Sections {
		b.WriteString(s.Title + "\n")
		for _, l := range s.Lines {
			b.WriteString(l.Text + "\n")
		}
	}
	b.WriteString(m.Footer)
	return b.String()
}

// addCases puts allocated cases straight into the store (faster than a
// meeting for each), holding n cases of the given type for p.
func (f *fixture) addCases(team string, holder domain.PersonID, prefix string, n int, typ string, factors ...string) {
	f.t.Helper()
	err := f.st.Update(func(tx domain.Tx) error {
		for i := 1; i <= n; i++ {
			c := &domain.Case{Ref: prefix + "-" + strconv.Itoa(i), Team: team, Type: typ, Factors: factors, Status: domain.CaseAllocated,
				Holder: holder, CreatedAt: tx.Now(), AllocatedAt: tx.Now()}
			if holder == "" {
				c.Status, c.QueuedSince = domain.CaseQueued, tx.Now()
			}
			if err := tx.PutCase(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
}
