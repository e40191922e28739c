package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeload/safeload/adapters/slack/fakeslack"
	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/internal/store"
	"github.com/safeload/safeload/prompts"
)

// escCLI runs a sub-command in-process with the given environment.
func escCLI(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	c := &cli{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return env[k] }}
	code = c.run(args)
	return out.String(), errb.String(), code
}

// escSetUp makes a team in a store file through the real engine: north
// (channel slack:CNORTH), Meg the manager, Alice and Bo, Sam the service
// manager, two cases (one allocated to Alice), and lets fn do more.
func escSetUp(t *testing.T, path string, fn func(do func(as, command, text string))) {
	t.Helper()
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pol := domain.DefaultPolicy()
	p := prompts.MustLoad()
	loc, _ := time.LoadLocation("Europe/London")
	eng := engine.New(st, &pol, p, loc, []domain.PersonID{"slack:UADMIN"})
	do := func(as, command, text string) {
		t.Helper()
		resp := eng.Handle(context.Background(), engine.Request{Platform: "slack", Channel: "slack:CNORTH", Caller: domain.PersonID("slack:" + as), Command: command, Text: text})
		if resp.Code != "" {
			t.Fatalf("/%s %s: %s %+v", command, text, resp.Code, resp.Messages)
		}
	}
	do("UADMIN", "caseload", "setup North")
	do("UADMIN", "caseload", "add <@UMEG|Meg Moss> manager")
	do("UADMIN", "caseload", "add <@UALICE|Alice Adams> practitioner")
	do("UADMIN", "caseload", "add <@UBO|Bo Brown> asye")
	do("UADMIN", "caseload", "service-manager <@USAM|Sam Shah>")
	do("UMEG", "caseload", "case add C-1 cp court")
	do("UMEG", "caseload", "case add C-2 proceedings")
	do("UMEG", "allocate", "C-1 <@UALICE>")
	do("UALICE", "allocate", "accept C-1")
	if fn != nil {
		fn(do)
	}
	// Deliver nothing: empty the outbox, as if serve had sent it all.
	if err := st.Update(func(tx domain.Tx) error {
		items, err := tx.Outbox(0)
		for _, it := range items {
			if err := tx.DeleteOutboxItem(it.ID); err != nil {
				return err
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func escFileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// smDigestTitle is the title of the service manager's digest for North: the
// CLI runs on the real clock, so the week is whichever one it is.
var smDigestTitle = regexp.MustCompile(`Service manager's digest, week of Mon \d{1,2} [A-Z][a-z]{2} \d{4}: North`)

func TestDigestDryRunPrintsAndChangesNothing(t *testing.T) {
	db := filepath.Join(t.TempDir(), "safeload.db")
	escSetUp(t, db, func(do func(as, command, text string)) {
		do("UALICE", "capacity", "hours 2.5 court statement")
	})
	env := map[string]string{"SAFELOAD_DB": db}
	before := escFileSum(t, db)

	out, errOut, code := escCLI(t, env, "digest", "--dry-run")
	if code != exitOK {
		t.Fatalf("digest --dry-run exited %d: %s", code, errOut)
	}
	for _, want := range []string{
		"to slack:CNORTH", "North: weekly digest, week of",
		"Alice Adams: ", "Bo Brown (ASYE): ", "C-2: proceedings", "high risk",
		"Alice Adams (North): 2.5 hours", // by name to the service manager only
		"to slack:USAM (privately)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	if !smDigestTitle.MatchString(out) {
		t.Errorf("dry run lacks the service manager's digest for North:\n%s", out)
	}
	if escFileSum(t, db) != before {
		t.Fatal("--dry-run changed the store file")
	}

	out, _, code = escCLI(t, env, "digest", "--dry-run", "--team", "north")
	if code != exitOK || strings.Contains(out, "USAM") || !strings.Contains(out, "North: weekly digest") {
		t.Errorf("--team north exited %d:\n%s", code, out)
	}
	_, errOut, code = escCLI(t, env, "digest", "--dry-run", "--team", "south")
	if code != exitFailed || !strings.Contains(errOut, `no team with ID "south"`) || !strings.Contains(errOut, "north") {
		t.Errorf("unknown team exited %d: %s", code, errOut)
	}
	if escFileSum(t, db) != before {
		t.Fatal("a dry run changed the store file")
	}
	if _, errOut, code := escCLI(t, env, "digest", "extra"); code != exitUsage {
		t.Errorf("digest extra exited %d: %s", code, errOut)
	}
	if _, errOut, code := escCLI(t, map[string]string{"SAFELOAD_DB": filepath.Join(t.TempDir(), "none.db")}, "digest", "--dry-run"); code != exitFailed || !strings.Contains(errOut, "no store") {
		t.Errorf("dry run without a store exited %d: %s", code, errOut)
	}
}

func TestDigestWithoutPlatformsWaitsInTheOutbox(t *testing.T) {
	db := filepath.Join(t.TempDir(), "safeload.db")
	escSetUp(t, db, nil)
	env := map[string]string{"SAFELOAD_DB": db}
	out, errOut, code := escCLI(t, env, "digest")
	if code != exitOK || !strings.Contains(out, "wait in the outbox") || !strings.Contains(out, "safeload serve") {
		t.Fatalf("digest exited %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var items []*domain.OutboxItem
	var snaps []domain.Date
	_ = st.View(func(tx domain.Tx) error {
		items, _ = tx.Outbox(0)
		snaps, _ = tx.SnapshotWeeks("north")
		return nil
	})
	if len(items) != 2 || items[0].Dest != "slack:CNORTH" || items[0].Kind != "digest" || items[1].Dest != "slack:USAM" ||
		items[0].Message.Audience != domain.ToChannel || items[1].Message.Audience != domain.ToPerson {
		var got []string
		for _, it := range items {
			got = append(got, it.Kind+"→"+it.Dest)
		}
		t.Fatalf("outbox after digest: %v", got)
	}
	if len(snaps) != 1 {
		t.Errorf("the week's snapshot was not kept: %v", snaps)
	}
}

// escCapture is a Sender that records what it is given, with the time.
type escCapture struct {
	mu   sync.Mutex
	got  []escCaptured
	note chan struct{}
}

type escCaptured struct {
	at   time.Time
	dest string
	msg  domain.Message
}

func (c *escCapture) Send(_ context.Context, dest string, m domain.Message) error {
	c.mu.Lock()
	c.got = append(c.got, escCaptured{time.Now(), dest, m})
	c.mu.Unlock()
	select {
	case c.note <- struct{}{}:
	default:
	}
	return nil
}

// pings are the escalations of concern #1 sent so far.
func (c *escCapture) pings() []escCaptured {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []escCaptured
	for _, g := range c.got {
		for _, b := range g.msg.Buttons {
			if b.ActionID == "ack:1" && strings.Contains(g.msg.Title, "not acknowledged") {
				out = append(out, g)
			}
		}
	}
	return out
}

// TestEscalationEndToEnd runs the wiring serve uses (the configuration,
// the scheduler and the outbox loop) on an injected clock with
// SAFELOAD_ACK_WITHIN=2s and SAFELOAD_ESCALATE_EVERY=2s, with a capturing
// sender for the outbox: the service manager is pinged exactly at the
// deadline, again exactly an interval later, and never after Acknowledge;
// each ping is counted in safeload_escalations_total.
func TestEscalationEndToEnd(t *testing.T) {
	db := filepath.Join(t.TempDir(), "safeload.db")
	escSetUp(t, db, nil)
	env := map[string]string{"SAFELOAD_DB": db, "SAFELOAD_ACK_WITHIN": "2s", "SAFELOAD_ESCALATE_EVERY": "2s",
		"SAFELOAD_ADMINS": "slack:UADMIN", "SAFELOAD_LOG_LEVEL": "warn"}
	var errb bytes.Buffer
	fc := clock.NewFake(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	a := testApp(t, env, fc, &errb)
	sink := &escCapture{note: make(chan struct{}, 1)}
	loop := &delivery.Loop{Store: a.store, Clock: fc, Log: a.log, Fallback: sink}
	sched := newScheduler(a, loop.Wake)
	ctx := context.Background()
	// tick advances the clock and runs one pass of each, as serve's loops do.
	tick := func(d time.Duration) int {
		t.Helper()
		fc.Advance(d)
		if _, err := sched.RunOnce(fc.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := loop.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		return len(sink.pings())
	}

	resp := a.engine.Handle(ctx, engine.Request{Platform: "slack", Channel: "slack:CNORTH", Caller: "slack:UALICE", Command: "capacity", Text: "concern I cannot take the court work on"})
	if resp.Code != "" {
		t.Fatalf("concern: %s %+v", resp.Code, resp.Messages)
	}
	if n := tick(1999 * time.Millisecond); n != 0 {
		t.Fatalf("%d pings before SAFELOAD_ACK_WITHIN", n)
	}
	if n := tick(time.Millisecond); n != 1 {
		t.Fatalf("%d pings at SAFELOAD_ACK_WITHIN, want 1", n)
	}
	got := sink.pings()
	if got[0].dest != "slack:USAM" || got[0].msg.Audience != domain.ToPerson {
		t.Fatalf("first ping went to %s (%s), want the service manager privately", got[0].dest, got[0].msg.Audience)
	}
	if n := tick(1999 * time.Millisecond); n != 1 {
		t.Fatalf("%d pings before SAFELOAD_ESCALATE_EVERY", n)
	}
	if n := tick(time.Millisecond); n != 2 {
		t.Fatalf("%d pings an interval after the first, want 2", n)
	}
	if got := counterValue(t, a, "safeload_escalations_total"); got < 2 {
		t.Fatalf("safeload_escalations_total = %g after two pings", got)
	}

	// The service manager presses Acknowledge on the ping.
	got = sink.pings()
	resp = a.engine.Handle(ctx, engine.Request{Platform: "slack", Channel: "slack:DUSAM", Caller: "slack:USAM", Direct: true, Action: got[1].msg.Buttons[0].ActionID})
	if resp.Code != "" {
		t.Fatalf("acknowledge: %s %+v", resp.Code, resp.Messages)
	}
	for range 5 {
		if n := tick(time.Second); n != 2 {
			t.Fatalf("pinged after the acknowledgement: %d pings", n)
		}
	}
	if strings.Contains(errb.String(), "level=error") {
		t.Errorf("errors logged:\n%s", errb.String())
	}
}

// testApp wires the app serve uses, from env, on the clock given, logging
// to logs; it is closed when the test ends.
func testApp(t *testing.T, env map[string]string, clk clock.Clock, logs io.Writer) *app {
	t.Helper()
	c := &cli{ctx: context.Background(), stdin: strings.NewReader(""), stdout: io.Discard, stderr: logs,
		getenv: func(k string) string { return env[k] }}
	cfg, err := c.loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.openApp(cfg, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// counterValue sums a counter of the app's registry.
func counterValue(t *testing.T, a *app, name string) float64 {
	t.Helper()
	fams, err := a.metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, f := range fams {
		if f.GetName() == name {
			for _, m := range f.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// TestSlackEscalationEndToEnd is the same through `safeload serve` and a
// fake Slack: the service manager is pinged by DM within a few seconds,
// again after the interval, and never after pressing Acknowledge.
func TestSlackEscalationEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about 10 s of real time")
	}
	t.Parallel()
	fake := fakeslack.New()
	t.Cleanup(fake.Close)
	s := startSlackServe(t, map[string]string{
		"SAFELOAD_DB":             filepath.Join(t.TempDir(), "safeload.db"),
		"SAFELOAD_ADDR":           "127.0.0.1:0",
		"SAFELOAD_ADMINS":         "slack:UADMIN",
		"SAFELOAD_ACK_WITHIN":     "2s",
		"SAFELOAD_ESCALATE_EVERY": "2s",
		"SLACK_BOT_TOKEN":         "xoxb-escalation",
		"SLACK_SIGNING_SECRET":    "escalation-secret",
		"SLACK_API_URL":           fake.APIURL(),
	})
	s.fake = fake
	for _, cmd := range [][3]string{
		{"UADMIN", "caseload", "setup North CIN"},
		{"UADMIN", "caseload", "add <@UMEG|meg> manager"},
		{"UADMIN", "caseload", "add <@UALICE|alice> practitioner"},
		{"UADMIN", "caseload", "service-manager <@USAM|sam>"},
	} {
		s.command(t, cmd[0], cmd[1], cmd[2])
	}
	if a := s.command(t, "UALICE", "capacity", "concern Three court reports at once"); !strings.Contains(a.Text, "Concern #1") {
		t.Fatalf("concern: %s", a.Text)
	}
	raised := time.Now()

	// pings are the DMs to the service manager about concern #1, with when
	// the test first saw each.
	type ping struct {
		seen    time.Time
		buttons []fakeslack.Button
	}
	var pings []ping
	poll := func() {
		n := 0
		for _, c := range fake.Calls() {
			if c.Method != "chat.postMessage" || c.Channel != fakeslack.DMChannel("USAM") {
				continue
			}
			text, buttons, err := fakeslack.Flatten(c.Blocks)
			if err != nil || !strings.Contains(text, "#1 not acknowledged") {
				continue
			}
			if n++; n > len(pings) {
				pings = append(pings, ping{time.Now(), buttons})
			}
		}
	}
	waitPings := func(n int) {
		t.Helper()
		slackWaitFor(t, fmt.Sprintf("escalation %d", n), func() bool { poll(); return len(pings) >= n })
	}
	waitPings(1)
	if d := pings[0].seen.Sub(raised); d < 2*time.Second || d > 6*time.Second {
		t.Fatalf("first ping %s after the concern, want from 2 s (SAFELOAD_ACK_WITHIN) to a few seconds", d)
	}
	waitPings(2)
	if d := pings[1].seen.Sub(pings[0].seen); d < 1900*time.Millisecond {
		t.Fatalf("second ping %s after the first, want SAFELOAD_ESCALATE_EVERY (2 s)", d)
	}
	var ack fakeslack.Button
	for _, b := range pings[1].buttons {
		if b.Label == "Acknowledge" {
			ack = b
		}
	}
	if ack.ActionID == "" {
		t.Fatalf("the ping has no Acknowledge button: %+v", pings[1].buttons)
	}
	if a := s.press(t, "USAM", ack); !strings.Contains(a.Text, "You acknowledged concern #1") {
		t.Fatalf("acknowledge: %+v", a)
	}
	n := len(pings)
	quiet := time.Now().Add(4500 * time.Millisecond) // more than two intervals
	for time.Now().Before(quiet) {
		poll()
		if len(pings) > n {
			t.Fatalf("pinged after the acknowledgement (%d pings)", len(pings))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestDigestDeliversThroughSlack(t *testing.T) {
	fake := fakeslack.New()
	t.Cleanup(fake.Close)
	db := filepath.Join(t.TempDir(), "safeload.db")
	escSetUp(t, db, nil)
	env := map[string]string{"SAFELOAD_DB": db, "SLACK_BOT_TOKEN": "xoxb-digest", "SLACK_SIGNING_SECRET": "digest-secret",
		"SLACK_API_URL": fake.APIURL(), "SAFELOAD_LOG_LEVEL": "warn"}
	out, errOut, code := escCLI(t, env, "digest")
	if code != exitOK || !strings.Contains(out, "delivered 2 of 2 messages") {
		t.Fatalf("digest exited %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	var toChannel, toSM bool
	for _, c := range fake.Calls() {
		text, _, _ := fakeslack.Flatten(c.Blocks)
		if c.Method != "chat.postMessage" {
			continue
		}
		toChannel = toChannel || c.Channel == "CNORTH" && strings.Contains(text, "North: weekly digest") && strings.Contains(text, "Alice Adams")
		toSM = toSM || c.Channel == fakeslack.DMChannel("USAM") && smDigestTitle.MatchString(text)
	}
	if !toChannel || !toSM {
		t.Fatalf("posted to the channel: %v, to the service manager: %v; calls: %+v", toChannel, toSM, fake.Calls())
	}
}
