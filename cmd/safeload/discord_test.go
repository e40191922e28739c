package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/adapters/discord/discordtest"
)

const (
	discordTestToken = "e2e-bot-token"
	discordTestApp   = "510000000000000001"
	discordTestAdmin = "100000000000000001"
)

// discordCLI is the command line in-process, with its outputs kept.
func discordCLI(ctx context.Context, env map[string]string) (*cli, *syncBuffer, *syncBuffer) {
	out, errs := &syncBuffer{}, &syncBuffer{}
	return &cli{ctx: ctx, stdin: strings.NewReader(""), stdout: out, stderr: errs,
		getenv: func(k string) string { return env[k] }}, out, errs
}

// TestDiscordServe runs the real `safeload serve` in-process with Discord
// configured against a fake Discord, and talks to it as Discord does.
func TestDiscordServe(t *testing.T) {
	fake := discordtest.NewServer(t, discordTestToken, discordTestApp)
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"SAFELOAD_DB":        filepath.Join(t.TempDir(), "safeload.db"),
		"SAFELOAD_ADDR":      "127.0.0.1:0",
		"SAFELOAD_ADMINS":    "discord:" + discordTestAdmin,
		"SAFELOAD_LOG_LEVEL": "warn",
		"DISCORD_PUBLIC_KEY": hex.EncodeToString(pub),
		"DISCORD_BOT_TOKEN":  discordTestToken,
		"DISCORD_APP_ID":     discordTestApp,
		"DISCORD_API_URL":    fake.APIURL(),
	}
	srv := startServe(t, env)
	url := srv.url + "/discord/interactions"
	send := func(req *http.Request) (int, string) {
		t.Helper()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	now := func() string { return strconv.FormatInt(time.Now().Unix(), 10) }

	if status, body := send(discordtest.SignedRequest(url, priv, now(), discordtest.Ping(discordTestApp))); status != 200 || strings.TrimSpace(body) != `{"type":1}` {
		t.Fatalf("PING: %d %s", status, body)
	}

	where := discordtest.Place{GuildID: "300000000000000001", ChannelID: "200000000000000001"}
	admin := discordtest.User{ID: discordTestAdmin, Username: "admin", GlobalName: "Ada"}
	setup := discordtest.SlashCommand("700000000000000001", discordTestApp, "tok-1", where, admin, "caseload", "setup",
		[]discordtest.Option{{Name: "name", Type: 3, Value: "North CIN"}})
	bad := discordtest.SignedRequest(url, priv, now(), setup)
	bad.Header.Set("X-Signature-Ed25519", strings.Repeat("ab", 64))
	if status, body := send(bad); status != http.StatusUnauthorized {
		t.Fatalf("bad signature: %d %s, want 401", status, body)
	}

	status, body := send(discordtest.SignedRequest(url, priv, now(), setup))
	var resp discordtest.Response
	if err := json.Unmarshal([]byte(body), &resp); status != 200 || err != nil || resp.Type != 4 || resp.Data == nil {
		t.Fatalf("/caseload setup: %d %s (%v)", status, body, err)
	}
	if !strings.Contains(resp.Data.Text(), "North CIN") || resp.Data.Flags&discordtest.Ephemeral != 0 {
		t.Fatalf("/caseload setup should answer the channel about North CIN: %+v", resp.Data)
	}
	// The refused request changed nothing: setting up again is refused as
	// already done only because the good one went through (once).
	again := discordtest.SlashCommand("700000000000000002", discordTestApp, "tok-2", where, admin, "caseload", "setup",
		[]discordtest.Option{{Name: "name", Type: 3, Value: "North CIN"}})
	if _, body := send(discordtest.SignedRequest(url, priv, now(), again)); !strings.Contains(body, `"flags":64`) {
		t.Fatalf("a second setup of the same channel should be refused privately: %s", body)
	}

	// The outbox reaches Discord: a concern is DMed to the team's manager.
	meg := discordtest.User{ID: "100000000000000002", Username: "meg.moss", GlobalName: "Meg"}
	alice := discordtest.User{ID: "100000000000000003", Username: "alice.adams", GlobalName: "Alice"}
	for i, cmd := range []struct {
		by   discordtest.User
		name string
		sub  string
		opts []discordtest.Option
		with []discordtest.User
	}{
		{admin, "caseload", "add", []discordtest.Option{{Name: "user", Type: 6, Value: meg.ID}, {Name: "role", Type: 3, Value: "manager"}}, []discordtest.User{meg}},
		{admin, "caseload", "add", []discordtest.Option{{Name: "user", Type: 6, Value: alice.ID}, {Name: "role", Type: 3, Value: "practitioner"}}, []discordtest.User{alice}},
		{alice, "capacity", "concern", []discordtest.Option{{Name: "text", Type: 3, Value: "too much court work"}}, nil},
	} {
		id := strconv.Itoa(700000000000000010 + i)
		body := discordtest.SlashCommand(id, discordTestApp, "tok-"+id, where, cmd.by, cmd.name, cmd.sub, cmd.opts, cmd.with...)
		if status, out := send(discordtest.SignedRequest(url, priv, now(), body)); status != 200 || !strings.Contains(out, `"type":4`) {
			t.Fatalf("/%s %s: %d %s", cmd.name, cmd.sub, status, out)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var dm *discordtest.Posted
		for _, p := range fake.Posted() {
			if p.Kind == "message" && fake.DMUser(p.ChannelID) == meg.ID {
				dm = &p
			}
		}
		if dm != nil {
			if !strings.Contains(dm.Payload.Text(), "too much court work") || len(dm.Payload.Buttons()) == 0 {
				t.Fatalf("the manager's DM: %+v", dm.Payload)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no DM to the manager; Discord saw %v", fake.Requests())
		}
		time.Sleep(20 * time.Millisecond)
	}

	if code := srv.stop(t); code != exitOK {
		t.Fatalf("serve exited %d:\n%s", code, srv.stderr.String())
	}
}

func TestDiscordServeNeedsToken(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(nil)
	c, _, stderr := discordCLI(context.Background(), map[string]string{
		"SAFELOAD_DB":        filepath.Join(t.TempDir(), "safeload.db"),
		"SAFELOAD_ADDR":      "127.0.0.1:0",
		"DISCORD_PUBLIC_KEY": hex.EncodeToString(pub),
	})
	if code := c.run([]string{"serve"}); code != exitUsage || !strings.Contains(stderr.String(), "DISCORD_BOT_TOKEN") {
		t.Fatalf("exit %d, stderr %q; want 2 naming DISCORD_BOT_TOKEN", code, stderr)
	}
}

func TestDiscordRegister(t *testing.T) {
	fake := discordtest.NewServer(t, discordTestToken, discordTestApp)
	env := map[string]string{"DISCORD_BOT_TOKEN": discordTestToken, "DISCORD_APP_ID": discordTestApp, "DISCORD_API_URL": fake.APIURL()}
	c, stdout, stderr := discordCLI(context.Background(), env)
	if code := c.run([]string{"discord", "register", "--guild", "300000000000000001"}); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if fake.Commands("300000000000000001") == nil || !strings.Contains(stdout.String(), "Registered 3 commands") {
		t.Fatalf("stdout %q; requests %v", stdout, fake.Requests())
	}
	c, _, stderr = discordCLI(context.Background(), env)
	if code := c.run([]string{"discord", "register"}); code != exitOK || fake.Commands("global") == nil {
		t.Fatalf("global: exit %d: %s", code, stderr)
	}

	for _, tc := range []struct {
		name    string
		env     map[string]string
		args    []string
		want    int
		mention string
	}{
		{"no token", map[string]string{"DISCORD_APP_ID": discordTestApp}, []string{"discord", "register"}, exitUsage, "DISCORD_BOT_TOKEN"},
		{"no app", map[string]string{"DISCORD_BOT_TOKEN": discordTestToken}, []string{"discord", "register"}, exitUsage, "DISCORD_APP_ID"},
		{"bad guild", env, []string{"discord", "register", "--guild", "north"}, exitUsage, "--guild"},
		{"no sub-command", env, []string{"discord"}, exitUsage, "register"},
		{"wrong token", map[string]string{"DISCORD_BOT_TOKEN": "nope", "DISCORD_APP_ID": discordTestApp, "DISCORD_API_URL": fake.APIURL()}, []string{"discord", "register"}, exitFailed, "DISCORD_BOT_TOKEN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, stderr := discordCLI(context.Background(), tc.env)
			if code := c.run(tc.args); code != tc.want || !strings.Contains(stderr.String(), tc.mention) {
				t.Fatalf("exit %d, stderr %q; want %d naming %s", code, stderr, tc.want, tc.mention)
			}
		})
	}

	c, stdout, _ = discordCLI(context.Background(), nil)
	if code := c.run([]string{"discord", "register", "--print"}); code != exitOK {
		t.Fatalf("--print exit %d", code)
	}
	var cmds []struct{ Name string }
	if err := json.Unmarshal([]byte(stdout.String()), &cmds); err != nil || len(cmds) != 3 {
		t.Fatalf("--print: %v %s", err, stdout)
	}
}
