package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/adapters/slack/fakeslack"
	"github.com/safeload/safeload/internal/report"
)

func TestDigestChartsReportAndAuditCommands(t *testing.T) {
	dir := t.TempDir()
	env := []string{"SAFELOAD_DB=" + filepath.Join(dir, "safeload.db")}
	if _, errOut, code := safeload(t, "", env, "import", filepath.Join("..", "..", "deploy", "examples", "team.yaml")); code != exitOK {
		t.Fatalf("import: %s", errOut)
	}

	// digest --dry-run --charts DIR writes each team's chart and each
	// service manager's (the example has two, of one team each).
	charts := filepath.Join(dir, "charts")
	out, errOut, code := safeload(t, "", env, "digest", "--dry-run", "--charts", charts)
	if code != exitOK {
		t.Fatalf("digest --dry-run --charts exited %d: %s", code, errOut)
	}
	files, _ := filepath.Glob(filepath.Join(charts, "*.png"))
	if len(files) != 4 || strings.Count(out, "Chart: ") != 4 {
		t.Fatalf("charts %v; output:\n%s", files, out)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(data)); err != nil || len(data) >= 1<<20 {
			t.Errorf("%s: %d bytes, %v", f, len(data), err)
		}
	}
	if !strings.Contains(out, "Bar chart: North Child in Need: team load") || !strings.Contains(out, "Line chart: Your team: team load over 12 weeks") {
		t.Errorf("the dry run does not say what the charts show:\n%s", out)
	}
	if _, errOut, code := safeload(t, "", env, "digest", "--charts", charts); code != exitUsage || !strings.Contains(errOut, "--dry-run") {
		t.Errorf("--charts without --dry-run: %d %s", code, errOut)
	}

	// The report, as HTML, self-contained; a store with no snapshots in the
	// period says so.
	page := filepath.Join(dir, "q.html")
	out, errOut, code = safeload(t, "", env, "report", "--from", "2026-07-01", "--to", "2026-09-30", "--out", page)
	if code != exitOK || !strings.Contains(out, "Wrote the report for 2026-07-01 to 2026-09-30 (2 teams) to "+page) {
		t.Fatalf("report exited %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"The whole service", "North Child in Need", "No weekly figures have been recorded yet"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if m := regexp.MustCompile(`(?i)(src|href)\s*=|url\(|https?:|<script|<link`).Find(html); m != nil {
		t.Errorf("the report points outside itself: %q", m)
	}
	if _, errOut, code := safeload(t, "", env, "report", "--team", "north-cin", "--out", filepath.Join(dir, "n.html")); code != exitOK {
		t.Errorf("report --team: %s", errOut)
	}
	// One date alone: up to it from the start of its quarter, or from it
	// up to today.
	if out, errOut, code := safeload(t, "", env, "report", "--to", "2026-08-15", "--out", filepath.Join(dir, "t.html")); code != exitOK || !strings.Contains(out, "for 2026-07-01 to 2026-08-15") {
		t.Errorf("report --to alone: %s %s", out, errOut)
	}
	london, _ := time.LoadLocation("Europe/London")
	if out, errOut, code := safeload(t, "", env, "report", "--from", "2026-01-01", "--out", filepath.Join(dir, "f.html")); code != exitOK || !strings.Contains(out, "for 2026-01-01 to "+time.Now().In(london).Format(time.DateOnly)) {
		t.Errorf("report --from alone: %s %s", out, errOut)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"report"}, exitUsage, "--out FILE is required"},
		{[]string{"report", "--out", "q.txt"}, exitUsage, "must end in .html or .pdf"},
		{[]string{"report", "--from", "2026-13-01", "--out", "q.html"}, exitUsage, `--from "2026-13-01" is not a date`},
		{[]string{"report", "--from", "2026-09-01", "--to", "2026-08-01", "--out", "q.html"}, exitUsage, "is after --to"},
		{[]string{"report", "--team", "nope", "--out", filepath.Join(dir, "x.html")}, exitFailed, `there is no team with ID "nope"`},
		{[]string{"audit", "--format", "xml"}, exitUsage, "not csv or json"},
		{[]string{"audit", "--with-concern-text"}, exitUsage, "--as ID"},
		{[]string{"audit", "--with-concern-text", "--as", "slack:U01"}, exitFailed, "slack:U01 is not an admin"},
	} {
		_, errOut, code := safeload(t, "", env, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.html")); !os.IsNotExist(err) {
		t.Error("a refused report left a file")
	}

	// PDF: printed when Chromium is here, refused naming it when not.
	pdf := filepath.Join(dir, "q.pdf")
	_, errOut, code = safeload(t, "", append(env, "PATH="+t.TempDir()), "report", "--out", pdf)
	if code != exitFailed || !strings.Contains(errOut, "no Chromium browser found") || !strings.Contains(errOut, "chromium") {
		t.Errorf("no browser: exit %d, %s", code, errOut)
	}
	if _, err := report.FindBrowser(); err == nil {
		if _, errOut, code := safeload(t, "", env, "report", "--out", pdf); code != exitOK {
			t.Errorf("report --out .pdf: %s", errOut)
		} else if doc, _ := os.ReadFile(pdf); !bytes.HasPrefix(doc, []byte("%PDF-")) {
			t.Errorf("%s is not a PDF", pdf)
		}
	}

	// The audit log, one row per action.
	out, errOut, code = safeload(t, "", env, "audit")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != exitOK || err != nil || len(rows) < 2 || strings.Join(rows[0], ",") != "when,who,name,team,action,case,details" {
		t.Fatalf("audit exited %d (%v)\n%s\n%s", code, err, out, errOut)
	}
	out, _, code = safeload(t, "", env, "audit", "--format", "json", "--team", "north-cin")
	var js []map[string]any
	if code != exitOK || json.Unmarshal([]byte(out), &js) != nil {
		t.Fatalf("audit --format json: %d\n%s", code, out)
	}
	for _, r := range js {
		if r["team"] != "north-cin" {
			t.Errorf("--team north-cin gave a row of %v", r["team"])
		}
	}
}

func TestDemoEndsWithAReport(t *testing.T) {
	out, errOut, code := safeload(t, "", nil, "demo")
	if code != exitOK {
		t.Fatalf("demo exited %d: %s", code, errOut)
	}
	m := regexp.MustCompile(`\(safeload report\) is in (\S+safeload-demo-report-\S+\.html)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the demo does not say where its report is:\n%s", out[max(0, len(out)-600):])
	}
	defer os.Remove(m[1])
	page, err := os.ReadFile(m[1])
	if err != nil || !bytes.Contains(page, []byte("Caseloads and safe workloads")) || !bytes.Contains(page, []byte("North Child in Need")) ||
		!bytes.Contains(page, []byte(`<svg role="img"`)) {
		t.Fatalf("the demo's report at %s: %v", m[1], err)
	}
	if !strings.Contains(out, "Chart north-child-in-need-load-") {
		t.Error("the demo's digest does not say what its chart shows")
	}
}

// TestDigestChartsReachSlack: `safeload digest` posts each digest and
// uploads its chart through Slack's upload flow, to the team channel and to
// the service manager's DM.
func TestDigestChartsReachSlack(t *testing.T) {
	fake := fakeslack.New()
	t.Cleanup(fake.Close)
	db := filepath.Join(t.TempDir(), "safeload.db")
	escSetUp(t, db, nil)
	env := map[string]string{"SAFELOAD_DB": db, "SLACK_BOT_TOKEN": "xoxb-digest", "SLACK_SIGNING_SECRET": "digest-secret",
		"SLACK_API_URL": fake.APIURL(), "SAFELOAD_LOG_LEVEL": "warn"}
	fake.Fail(fakeslack.UploadMethod, fakeslack.Reply{Status: 429, RetryAfter: "1"})
	out, errOut, code := escCLI(t, env, "digest")
	if code != exitOK || !strings.Contains(out, "delivered 2 of 2 messages") {
		t.Fatalf("digest exited %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	shared := map[string]*fakeslack.File{}
	for _, c := range fake.Calls() {
		if c.Method == "files.completeUploadExternal" {
			if shared[c.Channel] != nil {
				t.Fatalf("the chart was shared twice in %s", c.Channel)
			}
			shared[c.Channel] = c.File
		}
	}
	team, sm := shared["CNORTH"], shared[fakeslack.DMChannel("USAM")]
	if team == nil || sm == nil || !strings.HasPrefix(team.Name, "north-load-") || !strings.Contains(sm.Name, "teams-load-") {
		t.Fatalf("charts shared: %+v", shared)
	}
	for _, f := range []*fakeslack.File{team, sm} {
		if _, err := png.Decode(bytes.NewReader(f.Data)); err != nil || f.Alt == "" {
			t.Errorf("%s: %v, alt %q", f.Name, err, f.Alt)
		}
	}
	if !strings.Contains(team.Alt, "Alice") {
		t.Errorf("the team chart's alt text names nobody: %s", team.Alt)
	}
}
