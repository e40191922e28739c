package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/adapters/teams"
	"github.com/safeload/safeload/adapters/teams/faketeams"
)

const (
	teamsTestApp    = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"
	teamsTestTenant = "6f1c2b1e-1111-4222-8333-944455556666"
)

func TestTeamsBadConfigExits2(t *testing.T) {
	base := map[string]string{"SAFELOAD_DB": filepath.Join(t.TempDir(), "x.db"), "SAFELOAD_ADDR": "127.0.0.1:0"}
	good := map[string]string{"TEAMS_APP_ID": teamsTestApp, "TEAMS_APP_PASSWORD": "s3cret", "TEAMS_TENANT_ID": teamsTestTenant}
	tests := []struct {
		name    string
		env     map[string]string
		setting string
	}{
		{"password without an app ID", map[string]string{"TEAMS_APP_PASSWORD": "x"}, "TEAMS_APP_ID"},
		{"app ID not a GUID", map[string]string{"TEAMS_APP_ID": "safeload-bot"}, "TEAMS_APP_ID"},
		{"no password", map[string]string{"TEAMS_APP_PASSWORD": ""}, "TEAMS_APP_PASSWORD"},
		{"no tenant", map[string]string{"TEAMS_TENANT_ID": ""}, "TEAMS_TENANT_ID"},
		{"tenant not a GUID", map[string]string{"TEAMS_TENANT_ID": "northcouncil.onmicrosoft.com"}, "TEAMS_TENANT_ID"},
		{"OpenID URL", map[string]string{"TEAMS_OPENID_URL": "login.botframework.com/v1"}, "TEAMS_OPENID_URL"},
		{"token URL", map[string]string{"TEAMS_TOKEN_URL": "ftp://x/token"}, "TEAMS_TOKEN_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			if tt.setting != "TEAMS_APP_ID" || tt.name != "password without an app ID" {
				for k, v := range good {
					env[k] = v
				}
			}
			for k, v := range tt.env {
				env[k] = v
			}
			c, _, errs := discordCLI(context.Background(), env)
			if code := c.run([]string{"serve"}); code != exitUsage {
				t.Fatalf("exit %d, want 2:\n%s", code, errs.String())
			}
			if !strings.Contains(errs.String(), tt.setting) {
				t.Fatalf("the message must name %s:\n%s", tt.setting, errs.String())
			}
			if strings.Contains(errs.String(), "s3cret") {
				t.Fatal("the password was printed")
			}
		})
	}
}

func TestTeamsManifestCommand(t *testing.T) {
	c, out, errs := discordCLI(context.Background(), map[string]string{"TEAMS_APP_ID": teamsTestApp})
	if code := c.run([]string{"teams", "manifest", "--url", "https://safeload.example.org"}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	b := []byte(out.String())
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range z.File {
		names = append(names, f.Name)
	}
	if strings.Join(names, ",") != "manifest.json,color.png,outline.png" {
		t.Fatalf("files: %v", names)
	}
	c, _, errs = discordCLI(context.Background(), map[string]string{})
	if code := c.run([]string{"teams", "manifest", "--url", "https://safeload.example.org"}); code != exitUsage || !strings.Contains(errs.String(), "TEAMS_APP_ID") {
		t.Fatalf("without TEAMS_APP_ID: exit %d: %s", code, errs.String())
	}
	c, _, errs = discordCLI(context.Background(), map[string]string{"TEAMS_APP_ID": teamsTestApp})
	if code := c.run([]string{"teams", "manifest", "--url", "http://insecure.example.org"}); code != exitUsage || !strings.Contains(errs.String(), "https") {
		t.Fatalf("http URL: exit %d: %s", code, errs.String())
	}
}

// TestTeamsServe runs the real `safeload serve` in-process with Teams
// configured against a fake Teams, and talks to it as the Bot Framework
// does: a refused request, a channel set-up, a concern whose note reaches
// the manager's 1:1 chat through the outbox; /healthz and /metrics show
// Teams.
func TestTeamsServe(t *testing.T) {
	fake := faketeams.New(teamsTestApp, "s3cret")
	t.Cleanup(fake.Close)
	env := map[string]string{
		"SAFELOAD_DB": filepath.Join(t.TempDir(), "safeload.db"), "SAFELOAD_ADDR": "127.0.0.1:0",
		"SAFELOAD_ADMINS": "teams:29:1admin", "SAFELOAD_LOG_LEVEL": "warn",
		"TEAMS_APP_ID": teamsTestApp, "TEAMS_APP_PASSWORD": "s3cret", "TEAMS_TENANT_ID": teamsTestTenant,
		"TEAMS_OPENID_URL": fake.OpenIDURL(), "TEAMS_TOKEN_URL": fake.TokenURL(),
	}
	srv := startServe(t, env)
	n := 0
	say := func(from, text string, token string) int {
		t.Helper()
		n++
		act := teams.Activity{Type: "message", ID: fmt.Sprint(n), ServiceURL: fake.ServiceURL(), ChannelID: "msteams",
			From: &teams.Account{ID: from, Name: strings.ToUpper(from[4:5]) + from[5:]}, Recipient: &teams.Account{ID: "28:" + teamsTestApp},
			Conversation: &teams.Conversation{ID: fmt.Sprintf("19:e2e@thread.tacv2;messageid=%d", n), ConversationType: "channel", TenantID: teamsTestTenant},
			ChannelData:  &teams.ChannelData{Tenant: &teams.IDRef{ID: teamsTestTenant}, Channel: &teams.IDRef{ID: "19:e2e@thread.tacv2"}},
			Text:         "<at>safeload</at> " + text,
			Entities:     []teams.Entity{{Type: "mention", Text: "<at>safeload</at>", Mentioned: &teams.Account{ID: "28:" + teamsTestApp}}}}
		for _, who := range []string{"Meg", "Alice"} {
			if strings.Contains(text, "<at>"+who+"</at>") {
				act.Entities = append(act.Entities, teams.Entity{Type: "mention", Text: "<at>" + who + "</at>",
					Mentioned: &teams.Account{ID: "29:1" + strings.ToLower(who), Name: who}})
			}
		}
		body, _ := json.Marshal(act)
		req, _ := http.NewRequest(http.MethodPost, srv.url+"/teams/messages", bytes.NewReader(body))
		if token == "" {
			token = fake.Token(time.Now(), faketeams.Claims{})
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := say("29:1admin", "caseload setup North", fake.Token(time.Now(), faketeams.Claims{Audience: "someone-else"})); code != http.StatusUnauthorized {
		t.Fatalf("wrong audience: %d", code)
	}
	for _, cmd := range []string{"caseload setup North", "caseload add <at>Meg</at> manager", "caseload add <at>Alice</at> practitioner"} {
		if code := say("29:1admin", cmd, ""); code != http.StatusOK {
			t.Fatalf("%s: %d", cmd, code)
		}
	}
	if code := say("29:1alice", "capacity concern too many court reports this month", ""); code != http.StatusOK {
		t.Fatalf("concern: %d", code)
	}
	// The manager's note goes through the outbox to her 1:1 chat.
	waitFor(t, func() bool {
		for _, c := range fake.Calls() {
			if c.Kind == "post" && c.Conversation == fake.Chat("29:1meg") && strings.Contains(string(c.Activity), "too many court reports") {
				return true
			}
		}
		return false
	})
	for _, c := range fake.Calls() {
		if c.Kind == "post" && strings.HasPrefix(c.Conversation, "19:") && strings.Contains(string(c.Activity), "too many court reports") {
			t.Fatal("the concern's text was posted in the channel")
		}
	}
	get := func(path string) string {
		resp, err := http.Get(srv.url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if h := get("/healthz"); !strings.Contains(h, `"teams":true`) {
		t.Fatalf("healthz: %s", h)
	}
	// The fake sees the post before the delivery loop counts it: wait for
	// the count.
	var m string
	waitFor(t, func() bool {
		m = get("/metrics")
		return strings.Contains(m, `safeload_deliveries_total{outcome="sent",platform="teams"}`)
	})
	for _, want := range []string{`safeload_teams_refused_total{reason="token"} 1`, `safeload_request_duration_seconds_count{platform="teams"} 4`, `safeload_deliveries_total{outcome="sent",platform="teams"}`} {
		if !strings.Contains(m, want) {
			t.Fatalf("metrics lack %s", want)
		}
	}

	// After a restart, `safeload digest` reaches the channel through the
	// conversation reference serve kept.
	if code := srv.stop(t); code != exitOK {
		t.Fatalf("serve exited %d", code)
	}
	before := len(fake.Calls())
	c, out, errs := discordCLI(context.Background(), env)
	if code := c.run([]string{"digest"}); code != exitOK {
		t.Fatalf("digest: exit %d\n%s\n%s", code, out.String(), errs.String())
	}
	posted := false
	for _, call := range fake.Calls()[before:] {
		posted = posted || (call.Kind == "post" && call.Conversation == "19:e2e@thread.tacv2")
	}
	if !posted {
		t.Fatalf("the digest did not reach the channel: %s", out.String())
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
	}
}
