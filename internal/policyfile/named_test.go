package policyfile_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/policyfile"
)

func TestNamedPolicies(t *testing.T) {
	pol, err := policyfile.Load(filepath.Join("..", "..", "deploy", "examples", "policies.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(pol.Names(), ","), "adults,children"; got != want {
		t.Fatalf("names %s, want %s", got, want)
	}
	if pol.Name != "children" {
		t.Fatalf("default %q, want children", pol.Name)
	}
	adults, ok := pol.Lookup("adults")
	if !ok || adults.Name != "adults" || !adults.IsCaseType("s42") || adults.IsCaseType("cp") || adults.CountBands.GreenMax != 20 {
		t.Fatalf("adults: %+v", adults)
	}
	children := pol.ForTeam(&domain.Team{})
	if children.Name != "children" || !children.IsCaseType("cp") || children.AckWorkingDays != 2 {
		t.Fatalf("a team naming no policy: %+v", children)
	}
	if got := pol.ForTeam(&domain.Team{Policy: "adults"}); got != adults {
		t.Fatal("a team naming adults does not get it")
	}
	if got := adults.ForTeam(&domain.Team{Policy: "children"}); got.Name != "children" {
		t.Fatal("ForTeam from a named policy does not find its sibling")
	}
	if got := pol.ForTeam(&domain.Team{Policy: "gone"}); got.Name != "children" {
		t.Fatalf("a team naming a policy the file no longer has: %q", got.Name)
	}
}

func TestNamedPoliciesWithoutDefaultUseTheShared(t *testing.T) {
	pol, err := policyfile.Parse([]byte("ack_working_days: 3\npolicies:\n  adults: {review_weeks: 6}\n"), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if pol.Name != domain.DefaultPolicyName || pol.AckWorkingDays != 3 {
		t.Fatalf("default: %q ack %d", pol.Name, pol.AckWorkingDays)
	}
	adults, ok := pol.Lookup("adults")
	if !ok || adults.AckWorkingDays != 3 || adults.ReviewWeeks != 6 {
		t.Fatalf("adults over the shared settings: %+v", adults)
	}
}

func TestNamedPolicyErrorsAreNamed(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"default: adults\npolicies:\n  children: {}\n", `p.yaml:1: default: "adults" is not one of the policies (children)`},
		{"policies:\n  adults:\n    benchmark_pints: 100\n", "p.yaml:3: policies.adults.benchmark_pints: is not a setting"},
		{"policies:\n  adults:\n    stable_points: 200\n", "p.yaml:3: policies.adults.stable_points: must be at least 0"},
		{"policies:\n  Adults Team: {}\n", "p.yaml:2: policies.Adults Team: a policy name is one word"},
		{"policies: [a, b]\n", "p.yaml:1: policies: must be a table of named policies"},
		{"asye_steps: [{from_month: 1, capacity: 0.9}]\n", "p.yaml:1: asye_steps[0].from_month: must be from 2 to asye_months"},
		{"vacancy_alert_percent: 0\n", "p.yaml:1: vacancy_alert_percent: must be more than 0"},
	} {
		_, err := policyfile.Parse([]byte(tc.file), "p.yaml")
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q:\ngot  %v\nwant %s…", tc.file, err, tc.want)
		}
	}
}
