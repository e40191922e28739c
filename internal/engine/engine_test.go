package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/adapters/adaptertest"
	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/internal/enginetest"
	"github.com/safeload/safeload/internal/store"
)

// start is Monday 23 November 2026, 10:00 in London.
var start = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// fixture is an engine over a real bbolt file with a fake clock.
type fixture struct {
	st    *store.DB
	clock *clock.Fake
	eng   *engine.Engine
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	env := enginetest.New(t, start, "test:admin")
	return &fixture{st: env.Store, clock: env.Clock, eng: env.Engine}
}

// Flatten is the text of a message as a person would read it.
func Flatten(m domain.Message) string {
	var b strings.Builder
	add := func(s string) {
		if s != "" {
			b.WriteString(s)
			b.WriteByte('\n')
		}
	}
	add(m.Title)
	add(m.Text)
	for _, f := range m.Fields {
		add(f.Name + ": " + f.Value)
	}
	for _, s := range m.Sections {
		add(s.Title)
		for _, l := range s.Lines {
			add(l.Text)
		}
	}
	add(m.Footer)
	return b.String()
}

func shown(m domain.Message) adaptertest.Shown {
	s := adaptertest.Shown{Text: Flatten(m), Private: m.Audience != domain.ToChannel, Replaced: m.Replace}
	if m.Audience != domain.ToCaller {
		s.To = m.To
	}
	for _, b := range m.Buttons {
		s.Buttons = append(s.Buttons, adaptertest.Button{Label: b.Label, ActionID: b.ActionID})
	}
	return s
}

// driver runs the contract suite straight against the engine.
type driver struct{ f *fixture }

func (d driver) Platform() string { return "test" }
func (d driver) Person(name string) domain.PersonID {
	return domain.PersonID("test:" + name)
}
func (d driver) Channel() domain.ChannelID { return "test:C-NORTH" }
func (d driver) Mention(p domain.PersonID) string {
	id := strings.TrimPrefix(string(p), "test:")
	return "<@" + id + "|" + strings.ToUpper(id[:1]) + id[1:] + ">"
}
func (d driver) Command(t *testing.T, as domain.PersonID, command, text string) []adaptertest.Shown {
	return d.handle(engine.Request{Platform: "test", Channel: d.Channel(), Caller: as, Command: command, Text: text})
}
func (d driver) Press(t *testing.T, as domain.PersonID, msg adaptertest.Shown, b adaptertest.Button) []adaptertest.Shown {
	return d.handle(engine.Request{Platform: "test", Channel: d.Channel(), Caller: as, Action: b.ActionID})
}
func (d driver) handle(req engine.Request) []adaptertest.Shown {
	resp := d.f.eng.Handle(context.Background(), req)
	var out []adaptertest.Shown
	for _, m := range resp.Messages {
		out = append(out, shown(m))
	}
	return out
}

type capture struct{ got *[]adaptertest.Shown }

func (c capture) Send(_ context.Context, dest string, m domain.Message) error {
	s := shown(m)
	s.To = dest
	*c.got = append(*c.got, s)
	return nil
}

func (d driver) Deliver(t *testing.T) []adaptertest.Shown {
	var got []adaptertest.Shown
	loop := &delivery.Loop{Store: d.f.st, Fallback: capture{&got}, Clock: d.f.clock}
	if _, err := loop.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	return got
}
func (d driver) Advance(t *testing.T, hours int) { d.f.clock.Advance(time.Duration(hours) * time.Hour) }

func TestContractAgainstEngine(t *testing.T) {
	adaptertest.Run(t, driver{newFixture(t)})
}
