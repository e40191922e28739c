package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestImportExportCommands(t *testing.T) {
	dir := t.TempDir()
	env := []string{"SAFELOAD_DB=" + filepath.Join(dir, "safeload.db")}
	example := filepath.Join("..", "..", "deploy", "examples", "team.yaml")

	out, errOut, code := safeload(t, "", env, "import", example)
	if code != exitOK || !strings.HasPrefix(out, "Imported "+example+": 2 teams (2 new), 12 members (12 new), 25 cases (25 new).") {
		t.Fatalf("import exited %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	out, _, code = safeload(t, "", env, "import", example)
	if code != exitOK || !strings.HasSuffix(strings.TrimSpace(out), "Nothing changed.") {
		t.Errorf("second import exited %d: %s", code, out)
	}

	out, errOut, code = safeload(t, "", env, "export")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitOK || lines[0] != "team,member,name,role,fte,capacity_points,load_points,load_percent,cases,rag" || len(lines) != 13 {
		t.Fatalf("export exited %d with %d lines\nstdout: %s\nstderr: %s", code, len(lines), out, errOut)
	}
	if got, want := lines[2], "north-cin,slack:U01,Alice Adams,practitioner,1,85,32,37.6,3,green"; got != want {
		t.Errorf("Alice's row:\ngot  %s\nwant %s", got, want)
	}

	out, errOut, code = safeload(t, "", env, "export", "--format", "json")
	var doc struct {
		Teams []struct {
			ID string `json:"id"`
		} `json:"teams"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &doc) != nil || len(doc.Teams) != 2 {
		t.Errorf("export --format json exited %d, %d teams\nstdout: %s\nstderr: %s", code, len(doc.Teams), out, errOut)
	}

	// A bad file from standard input: refused whole, with the line and field.
	bad := "teams:\n  - id: north-cin\n    name: North\n    members:\n      - {id: slack:U77, name: Wiz Ard, role: wizard}\n"
	out, errOut, code = safeload(t, bad, env, "import", "-")
	if code != exitFailed || out != "" ||
		!strings.Contains(errOut, "stdin was not imported, and nothing was changed") ||
		!strings.Contains(errOut, `stdin:5: teams[0].members[0].role: "wizard" is not a role`) {
		t.Errorf("bad import exited %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}

func TestImportExportUsage(t *testing.T) {
	dir := t.TempDir()
	env := []string{"SAFELOAD_DB=" + filepath.Join(dir, "safeload.db")}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"import without a file", []string{"import"}, exitUsage, "import needs exactly one FILE"},
		{"import two files", []string{"import", "a.yaml", "b.yaml"}, exitUsage, "import needs exactly one FILE"},
		{"import unknown flag", []string{"import", "--dry", "a.yaml"}, exitUsage, "flag provided but not defined: -dry"},
		{"import missing file", []string{"import", filepath.Join(dir, "nope.yaml")}, exitFailed, "nope.yaml: no such file or directory"},
		{"export unknown format", []string{"export", "--format", "xlsx"}, exitUsage, `--format "xlsx" is not csv or json`},
		{"export with a file", []string{"export", "out.csv"}, exitUsage, "export takes no file"},
		{"export without a store", []string{"export"}, exitFailed, "there is no store at " + filepath.Join(dir, "safeload.db") + " (SAFELOAD_DB)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := safeload(t, "", env, tt.args...)
			if code != tt.wantCode || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("safeload %v exited %d, want %d\nstderr: %s\nwant it to say: %s\nstdout: %s", tt.args, code, tt.wantCode, errOut, tt.wantErr, out)
			}
		})
	}
}
