package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A deployment with a children's and an adults' policy: a team names its
// own in the import file, and the export works its figures from it.
func TestNamedPoliciesEndToEnd(t *testing.T) {
	dir := t.TempDir()
	policies := filepath.Join("..", "..", "deploy", "examples", "policies.yaml")
	env := []string{"SAFELOAD_DB=" + filepath.Join(dir, "safeload.db"), "SAFELOAD_POLICY=" + policies}
	file := filepath.Join(dir, "teams.yaml")
	team := `teams:
  - id: east-adults
    name: East Adults
    policy: adults
    posts: 2
    members:
      - {id: slack:UA, name: Ann Ash, role: practitioner}
    cases:
      - {ref: A-1, type: s42, allocated_to: slack:UA}
`
	if err := os.WriteFile(file, []byte(team), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := safeload(t, "", env, "import", file); code != exitOK {
		t.Fatalf("import exited %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	out, errOut, code := safeload(t, "", env, "export", "--format", "json")
	var doc struct {
		Teams []struct {
			Policy         string   `json:"policy"`
			Posts          float64  `json:"posts"`
			VacancyPercent *float64 `json:"vacancy_percent"`
		} `json:"teams"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &doc) != nil || len(doc.Teams) != 1 {
		t.Fatalf("export exited %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if got := doc.Teams[0]; got.Policy != "adults" || got.Posts != 2 || got.VacancyPercent == nil || *got.VacancyPercent != 50 {
		t.Errorf("east-adults: %+v", got)
	}
	// cp is a children's case type: not one the adults' policy knows.
	bad := strings.Replace(team, "type: s42", "type: cp", 1)
	_, errOut, code = safeload(t, bad, env, "import", "-")
	if code != exitFailed || !strings.Contains(errOut, `teams[0].cases[0].type: "cp" is not a case type in this policy`) {
		t.Errorf("a children's case in an adults' team: exit %d\n%s", code, errOut)
	}
	// A policy file naming a default it does not hold stops the program, naming the setting.
	wrong := filepath.Join(dir, "wrong.yaml")
	if err := os.WriteFile(wrong, []byte("default: elders\npolicies:\n  adults: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = safeload(t, "", []string{"SAFELOAD_DB=" + filepath.Join(dir, "x.db"), "SAFELOAD_POLICY=" + wrong}, "export")
	if code != exitUsage || !strings.Contains(errOut, "SAFELOAD_POLICY") || !strings.Contains(errOut, `default: "elders" is not one of the policies`) {
		t.Errorf("a bad default: exit %d\n%s", code, errOut)
	}
}
