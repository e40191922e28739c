package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/adapters/slack/fakeslack"
)

// slackServer is `safeload serve` (ops_test.go's startServe) running
// against a fake Slack.
type slackServer struct {
	*server
	secret string
	fake   *fakeslack.Server
	seq    int
}

// startSlackServe starts serve with env; the test sets fake to the fake
// Slack that env's SLACK_API_URL names.
func startSlackServe(t *testing.T, env map[string]string) *slackServer {
	t.Helper()
	return &slackServer{server: startServe(t, env), secret: env["SLACK_SIGNING_SECRET"]}
}

func (s *slackServer) post(t *testing.T, path string, body []byte, sign bool) (int, []byte) {
	t.Helper()
	var headers map[string]string
	if sign {
		headers = fakeslack.SignedHeaders(s.secret, time.Now(), body)
	}
	code, b, err := fakeslack.Post(s.url+path, body, headers)
	if err != nil {
		t.Fatal(err)
	}
	return code, b
}

// slackAnswer is an answer as Slack receives it, flattened.
type slackAnswer struct {
	ResponseType string          `json:"response_type"`
	Replace      bool            `json:"replace_original"`
	Blocks       json.RawMessage `json:"blocks"`
	Text         string
	Buttons      []fakeslack.Button
}

func flattenAnswer(t *testing.T, a *slackAnswer) {
	t.Helper()
	text, buttons, err := fakeslack.Flatten(a.Blocks)
	if err != nil {
		t.Fatalf("blocks: %v", err)
	}
	a.Text, a.Buttons = text, buttons
}

// command sends a signed slash command and returns the immediate answer.
func (s *slackServer) command(t *testing.T, user, command, text string) slackAnswer {
	t.Helper()
	s.seq++
	body := fakeslack.Form(map[string]string{
		"team_id": "T0E2E", "team_domain": "north", "channel_id": "CE2E", "channel_name": "north-cin",
		"user_id": user, "user_name": strings.ToLower(user[1:]), "command": "/" + command, "text": text,
		"response_url": s.fake.ResponseURL(), "trigger_id": fmt.Sprintf("%d.e2e", s.seq), "api_app_id": "A0E2E",
	})
	code, b := s.post(t, "/slack/commands", body, true)
	var a slackAnswer
	if code != http.StatusOK || json.Unmarshal(b, &a) != nil {
		t.Fatalf("/%s %s: %d %s", command, text, code, b)
	}
	flattenAnswer(t, &a)
	return a
}

// press presses a button as user and waits for the answer at response_url.
func (s *slackServer) press(t *testing.T, user string, b fakeslack.Button) slackAnswer {
	t.Helper()
	hook := s.fake.ResponseURL()
	s.seq++
	payload, _ := json.Marshal(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user, "name": strings.ToLower(user[1:])},
		"team": map[string]any{"id": "T0E2E"}, "channel": map[string]any{"id": "CE2E"},
		"container":    map[string]any{"type": "message", "channel_id": "CE2E", "message_ts": "1.1"},
		"response_url": hook, "trigger_id": fmt.Sprintf("%d.press", s.seq),
		"actions": []map[string]any{{"action_id": b.ActionID, "value": b.Value, "type": "button", "block_id": "b"}},
	})
	code, body := s.post(t, "/slack/interactions", []byte(url.Values{"payload": {string(payload)}}.Encode()), true)
	if code != http.StatusOK {
		t.Fatalf("press %s: %d %s", b.Label, code, body)
	}
	var got slackAnswer
	slackWaitFor(t, "the answer to "+b.Label, func() bool {
		for _, c := range s.fake.Calls() {
			if c.URL == hook {
				got = slackAnswer{ResponseType: c.ResponseType, Replace: c.Replace, Blocks: c.Blocks}
				return true
			}
		}
		return false
	})
	flattenAnswer(t, &got)
	return got
}

func slackWaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSlackServeEndToEnd(t *testing.T) {
	fake := fakeslack.New()
	t.Cleanup(fake.Close)
	const token, concern = "xoxb-e2e-secret-token", "I cannot take more court work this month"
	env := map[string]string{
		"SAFELOAD_DB":          filepath.Join(t.TempDir(), "safeload.db"),
		"SAFELOAD_ADDR":        "127.0.0.1:0",
		"SAFELOAD_ADMINS":      "slack:UADMIN",
		"SLACK_BOT_TOKEN":      token,
		"SLACK_SIGNING_SECRET": "e2e-signing-secret",
		// Without the trailing slash slack-go needs: the adapter adds it.
		"SLACK_API_URL": strings.TrimSuffix(fake.APIURL(), "/"),
	}
	s := startSlackServe(t, env)
	s.fake = fake

	setup := fakeslack.Form(map[string]string{"channel_id": "CE2E", "user_id": "UADMIN", "command": "/caseload", "text": "setup Stolen"})
	if code, _ := s.post(t, "/slack/commands", setup, false); code != http.StatusUnauthorized {
		t.Fatalf("an unsigned command: %d, want 401", code)
	}

	expect := func(a slackAnswer, public bool, parts ...string) slackAnswer {
		t.Helper()
		if (a.ResponseType == "in_channel") != public {
			t.Fatalf("want public=%v, got %q:\n%s", public, a.ResponseType, a.Text)
		}
		for _, p := range parts {
			if !strings.Contains(a.Text, p) {
				t.Fatalf("want %q in:\n%s", p, a.Text)
			}
		}
		return a
	}
	expect(s.command(t, "UADMIN", "caseload", "setup North CIN"), true, "North CIN is set up")
	expect(s.command(t, "UADMIN", "caseload", "add <@UMEG|meg> manager"), true, "<@UMEG>", "manager")
	expect(s.command(t, "UMEG", "caseload", "add <@UALICE|alice> practitioner"), true, "85 points")
	expect(s.command(t, "UALICE", "caseload", "case add C-1 cp"), false, "Only a manager of North CIN")
	expect(s.command(t, "UMEG", "caseload", "case add C-1 cp court"), true, "C-1", "10 points")
	prop := expect(s.command(t, "UMEG", "allocate", "C-1 <@UALICE|alice>"), true, "Proposal: C-1 to", "11.8 %")
	if len(prop.Buttons) != 2 {
		t.Fatalf("the proposal has Accept and Decline: %+v", prop.Buttons)
	}

	wrong := s.press(t, "UMEG", prop.Buttons[0])
	if wrong.Replace || wrong.ResponseType != "ephemeral" || !strings.Contains(wrong.Text, "only they can accept") {
		t.Fatalf("a press by the wrong person is refused privately: %+v", wrong)
	}
	done := s.press(t, "UALICE", prop.Buttons[0])
	if !done.Replace || len(done.Buttons) != 0 || !strings.Contains(done.Text, "<@UALICE> accepted C-1") {
		t.Fatalf("a valid press updates the proposal and drops its buttons: %+v", done)
	}

	expect(s.command(t, "UALICE", "capacity", "concern "+concern), false, "Concern #1")
	slackWaitFor(t, "the concern's DM to the manager", func() bool {
		for _, c := range fake.Calls() {
			text, _, _ := fakeslack.Flatten(c.Blocks)
			if c.Method == "chat.postMessage" && c.Channel == fakeslack.DMChannel("UMEG") && strings.Contains(text, "Capacity concern #1") {
				return c.Token == token
			}
		}
		return false
	})
	var opened bool
	for _, c := range fake.Calls() {
		opened = opened || (c.Method == "conversations.open" && c.User == "UMEG")
	}
	if !opened {
		t.Fatal("the DM is opened with conversations.open")
	}
	expect(s.command(t, "UMEG", "allocate", ""), true, "Allocation meeting: North CIN", "alice: 11.8 %")

	if code := s.stop(t); code != exitOK {
		t.Fatalf("serve exited %d:\n%s", code, s.stderr.String())
	}
	if log := s.stderr.String(); strings.Contains(log, token) || strings.Contains(log, concern) || !strings.Contains(log, "allocate.propose") {
		t.Fatalf("the log names requests but never tokens or what people wrote:\n%s", log)
	}
}

func TestSlackNeedsASecretOrAnAppToken(t *testing.T) {
	var stderr syncBuffer
	c := &cli{ctx: context.Background(), stdin: strings.NewReader(""), stdout: io.Discard, stderr: &stderr,
		getenv: func(k string) string {
			return map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SAFELOAD_DB": filepath.Join(t.TempDir(), "db")}[k]
		}}
	if code := c.run([]string{"serve"}); code != exitUsage || !strings.Contains(stderr.String(), "SLACK_SIGNING_SECRET") {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
}

func TestSlackManifest(t *testing.T) {
	run := func(args ...string) (int, string, string) {
		var out, errs bytes.Buffer
		c := &cli{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &out, stderr: &errs, getenv: func(string) string { return "" }}
		return c.run(append([]string{"slack", "manifest"}, args...)), out.String(), errs.String()
	}
	code, socket, _ := run("--socket")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	file, err := os.ReadFile(filepath.Join("..", "..", "deploy", "slack", "manifest.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if string(file) != socket {
		t.Fatalf("deploy/slack/manifest.yaml is not the output of `safeload slack manifest --socket`; regenerate it:\n"+
			"  go run ./cmd/safeload slack manifest --socket > deploy/slack/manifest.yaml\n\ngot:\n%s", socket)
	}
	for _, want := range []string{"command: /allocate", "command: /capacity", "command: /caseload", "should_escape: true",
		"- commands", "- chat:write", "- im:write", "socket_mode_enabled: true"} {
		if !strings.Contains(socket, want) {
			t.Errorf("manifest lacks %q", want)
		}
	}
	if strings.Contains(socket, "url:") {
		t.Error("a Socket Mode manifest needs no URL")
	}
	if strings.Contains(socket, "users:read") {
		t.Error("the manifest asks for a scope safeload does not use")
	}

	code, httpMode, _ := run("--url", "https://safeload.example.org/")
	if code != exitOK || !strings.Contains(httpMode, `url: https://safeload.example.org/slack/commands`) ||
		!strings.Contains(httpMode, `request_url: https://safeload.example.org/slack/interactions`) ||
		strings.Contains(httpMode, "socket_mode_enabled: true") {
		t.Fatalf("exit %d:\n%s", code, httpMode)
	}
	for _, args := range [][]string{{}, {"--url", "http://plain.example.org"}, {"--bogus"}, {"extra"}} {
		if code, _, _ := run(args...); code != exitUsage {
			t.Errorf("slack manifest %v: exit %d, want 2", args, code)
		}
	}
	c := &cli{ctx: context.Background(), stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	if code := c.run([]string{"slack"}); code != exitUsage {
		t.Errorf("slack with no sub-command: exit %d, want 2", code)
	}
}
