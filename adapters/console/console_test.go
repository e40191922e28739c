package console_test

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/adapters/adaptertest"
	"github.com/safeload/safeload/adapters/console"
	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/internal/store"
	"github.com/safeload/safeload/prompts"
)

// driver plays the contract suite by typing into the terminal adapter and
// reading back what it printed, exactly as a person at the console would.
type driver struct {
	con   *console.Console
	out   *bytes.Buffer
	sent  *bytes.Buffer
	loop  *delivery.Loop
	clock *clock.Fake
}

func newDriver(t *testing.T) *driver {
	fc := clock.NewFake(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	st, err := store.Open(filepath.Join(t.TempDir(), "c.db"), store.Options{Clock: fc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	loc, _ := time.LoadLocation("Europe/London")
	pol := domain.DefaultPolicy()
	p := prompts.MustLoad()
	eng := engine.New(st, &pol, p, loc, []domain.PersonID{"console:admin"})
	d := &driver{out: &bytes.Buffer{}, sent: &bytes.Buffer{}, clock: fc}
	d.con = &console.Console{Handler: eng, Prompts: p, Out: d.out, Channel: "console:#north"}
	// One console types and receives, so button numbers are shared as at a real terminal.
	d.loop = &delivery.Loop{Store: st, Clock: fc, Senders: map[string]delivery.Sender{console.Platform: d.con}}
	return d
}

func (d *driver) Platform() string                   { return console.Platform }
func (d *driver) Person(name string) domain.PersonID { return domain.PersonID("console:" + name) }
func (d *driver) Channel() domain.ChannelID          { return "console:#north" }
func (d *driver) Mention(p domain.PersonID) string {
	id := strings.TrimPrefix(string(p), "console:")
	return "<@" + string(p) + "|" + strings.ToUpper(id[:1]) + id[1:] + ">"
}

func (d *driver) typeLine(as domain.PersonID, line string) []adaptertest.Shown {
	d.out.Reset()
	d.con.As = as
	d.con.Line(context.Background(), line)
	return parse(d.out.String())
}

func (d *driver) Command(t *testing.T, as domain.PersonID, command, text string) []adaptertest.Shown {
	return d.typeLine(as, strings.TrimSpace("/"+command+" "+text))
}

func (d *driver) Press(t *testing.T, as domain.PersonID, _ adaptertest.Shown, b adaptertest.Button) []adaptertest.Shown {
	return d.typeLine(as, b.ActionID) // the console's buttons are pressed by number
}

func (d *driver) Deliver(t *testing.T) []adaptertest.Shown {
	d.sent.Reset()
	d.con.Out = d.sent
	defer func() { d.con.Out = d.out }()
	if _, err := d.loop.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	return parse(d.sent.String())
}

func (d *driver) Advance(t *testing.T, hours int) { d.clock.Advance(time.Duration(hours) * time.Hour) }

var (
	headerRE = regexp.MustCompile(`^── (.*?) ─+$`)
	buttonRE = regexp.MustCompile(`\[(\d+)\] (.+?)(?:   |$)`)
)

// parse splits the printed text back into messages by their headers.
func parse(out string) []adaptertest.Shown {
	var msgs []adaptertest.Shown
	for _, line := range strings.Split(out, "\n") {
		if m := headerRE.FindStringSubmatch(line); m != nil {
			s := adaptertest.Shown{}
			switch h := m[1]; {
			case h == "only you can see this":
				s.Private = true
			case h == "the message is updated":
				s.Replaced = true
			case strings.HasPrefix(h, "private message to @"):
				s.Private, s.To = true, "console:"+strings.TrimPrefix(h, "private message to @")
			case strings.HasPrefix(h, "posted in "):
				s.To = strings.TrimPrefix(h, "posted in ")
			}
			msgs = append(msgs, s)
			continue
		}
		if len(msgs) == 0 {
			continue
		}
		last := &msgs[len(msgs)-1]
		if strings.HasPrefix(strings.TrimSpace(line), "[") {
			for _, b := range buttonRE.FindAllStringSubmatch(line, -1) {
				last.Buttons = append(last.Buttons, adaptertest.Button{Label: strings.TrimSpace(b[2]), ActionID: b[1]})
			}
			continue
		}
		last.Text += line + "\n"
	}
	return msgs
}

func TestContractThroughTheConsole(t *testing.T) {
	adaptertest.Run(t, newDriver(t))
}

// A command the bot suggests typing shows a person as @id, which works when
// typed back; elsewhere the person's name is shown.
func TestCommandHintsCanBeTypedBack(t *testing.T) {
	d := newDriver(t)
	d.con.Names = func(p domain.PersonID) string {
		if p == "console:alice" {
			return "Alice Adams"
		}
		return ""
	}
	// Alice is an ASYE, so a plain proposal of proceedings is refused with
	// the override form to type.
	for _, line := range []string{"/caseload setup North", "/caseload add @alice asye", "/caseload case add C-1 proceedings"} {
		d.typeLine("console:admin", line)
	}
	d.out.Reset()
	d.con.As = "console:admin"
	d.con.Line(context.Background(), "/allocate C-1 @alice")
	out := d.out.String()
	hint := regexp.MustCompile(`(?m)^/allocate C-1 (\S+) override review=4w <reason>$`).FindStringSubmatch(out)
	if hint == nil || hint[1] != "@alice" {
		t.Fatalf("the hint must be typeable:\n%s", out)
	}
	if !strings.Contains(out, "is an ASYE") {
		t.Fatalf("the refusal must say why:\n%s", out)
	}
}
