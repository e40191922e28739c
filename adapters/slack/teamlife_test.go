package slack

import (
	"net/http"
	"strings"
	"testing"

	"github.com/safeload/safeload/adapters/slack/fakeslack"
	"github.com/safeload/safeload/internal/domain"
)

// in runs a slash command typed in channel as a person, through the signed
// HTTP endpoint, and returns what Slack shows for it.
func (h *harness) in(t *testing.T, channel string, as domain.PersonID, command, text string) string {
	t.Helper()
	hook := h.fake.ResponseURL()
	form := fakeslack.Form(map[string]string{
		"team_id": testTeam, "channel_id": channel, "user_id": userID(as), "user_name": displayName(as),
		"command": "/" + command, "text": text, "response_url": hook, "api_app_id": "A0SAFE",
	})
	code, body := h.post(t, "/slack/commands", form)
	if code != http.StatusOK {
		t.Fatalf("/%s %s: status %d: %s", command, text, code, body)
	}
	h.ad.Wait()
	var b []string
	if s := strings.TrimSpace(string(body)); s != "" {
		b = append(b, s)
	}
	for _, s := range h.hookShown(t, hook, pressRef{channel: channel}) {
		b = append(b, s.Text)
	}
	return strings.Join(b, "\n")
}

// A manager moves a held case to another team through Slack: the receiving
// team's manager is told privately, finds it at the top of the queue with
// the reason, allocates it, and both teams' figures and histories follow.
func TestCaseMoveBetweenTeamsThroughSlack(t *testing.T) {
	h := newHarness(t)
	admin, meg, alice := h.Person("admin"), h.Person("meg"), h.Person("alice")
	olly, pat := h.Person("olly"), h.Person("pat")
	const south = "CSOUTH"
	steps := []struct {
		channel string
		as      domain.PersonID
		command string
		text    string
	}{
		{testChannel, admin, "caseload", "setup North"},
		{testChannel, admin, "caseload", "add " + h.Mention(meg) + " manager"},
		{testChannel, admin, "caseload", "add " + h.Mention(alice) + " practitioner"},
		{south, admin, "caseload", "setup South Adults"},
		{south, admin, "caseload", "add " + h.Mention(olly) + " manager"},
		{south, admin, "caseload", "add " + h.Mention(pat) + " practitioner"},
		{south, olly, "caseload", "case add S-1 cp high_risk"},
		{testChannel, meg, "caseload", "case add C-7 cp"},
		{testChannel, meg, "allocate", "C-7 " + h.Mention(alice)},
		{testChannel, alice, "allocate", "accept C-7"},
	}
	for _, s := range steps {
		if got := h.in(t, s.channel, s.as, s.command, s.text); strings.Contains(got, "Only a") || strings.Contains(got, "How to use") || strings.Contains(got, "not a member") {
			t.Fatalf("/%s %s: %s", s.command, s.text, got)
		}
	}
	h.Deliver(t)

	got := h.in(t, testChannel, meg, "caseload", "case move C-7 south-adults turned 18, needs the adults' team")
	if !strings.Contains(got, "C-7 is on its way from North to South Adults") {
		t.Fatalf("the move:\n%s", got)
	}
	var toOlly string
	for _, m := range h.Deliver(t) {
		if m.To == string(olly) && m.Private {
			toOlly += m.Text
		}
	}
	if !strings.Contains(toOlly, "Meg is sending C-7") || !strings.Contains(toOlly, "turned 18, needs the adults' team") {
		t.Fatalf("South's manager was told:\n%q", toOlly)
	}
	queue := h.in(t, south, olly, "allocate", "")
	c7, s1 := strings.Index(queue, "C-7"), strings.Index(queue, "S-1")
	if c7 < 0 || s1 < 0 || c7 > s1 || !strings.Contains(queue, "coming from North") || !strings.Contains(queue, "turned 18") {
		t.Fatalf("the moved case is not at the top of South's queue with its reason:\n%s", queue)
	}
	if got := h.in(t, testChannel, meg, "capacity", h.Mention(alice)); !strings.Contains(got, "C-7") {
		t.Fatalf("C-7 left Alice's caseload before South allocated it:\n%s", got)
	}
	h.in(t, south, olly, "allocate", "C-7 "+h.Mention(pat))
	h.in(t, south, pat, "allocate", "accept C-7")
	if got := h.in(t, testChannel, meg, "capacity", h.Mention(alice)); !strings.Contains(got, "No cases held") {
		t.Fatalf("North still counts C-7 for Alice:\n%s", got)
	}
	if got := h.in(t, south, olly, "capacity", h.Mention(pat)); !strings.Contains(got, "C-7") {
		t.Fatalf("Pat does not hold C-7:\n%s", got)
	}
	hist := h.in(t, south, olly, "caseload", "case show C-7")
	for _, want := range []string{"added by Meg", "accepted by Alice", "moved from north to south-adults by Meg", "left", "accepted by Pat"} {
		if !strings.Contains(hist, want) {
			t.Fatalf("C-7's history lacks %q:\n%s", want, hist)
		}
	}
}
