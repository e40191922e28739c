package policyfile_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/policyfile"
)

func TestDefaultsRoundTrip(t *testing.T) {
	want := domain.DefaultPolicy()
	data, err := yaml.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := policyfile.Parse(data, "defaults.yaml")
	if err != nil {
		t.Fatalf("Parse(marshalled defaults): %v\n%s", err, data)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\ngot  %+v\nwant %+v", got, want)
	}
}

func TestEmptyFileIsDefaults(t *testing.T) {
	for _, data := range []string{"", "# only a comment\n", "~\n"} {
		got, err := policyfile.Parse([]byte(data), "empty.yaml")
		if err != nil {
			t.Fatalf("Parse(%q): %v", data, err)
		}
		if want := domain.DefaultPolicy(); !reflect.DeepEqual(got, want) {
			t.Errorf("Parse(%q) = %+v, want the defaults", data, got)
		}
	}
}

// The example shipped in deploy/ must be the built-in policy exactly, so the
// two cannot drift apart.
func TestExamplePolicyIsTheDefault(t *testing.T) {
	got, err := policyfile.Load(filepath.Join("..", "..", "deploy", "examples", "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := domain.DefaultPolicy(); !reflect.DeepEqual(got, want) {
		t.Errorf("deploy/examples/policy.yaml:\ngot  %+v\nwant %+v", got, want)
	}
}

func TestOverrides(t *testing.T) {
	got, err := policyfile.Parse([]byte(`
benchmark_points: 110
load_bands: {amber_from: 105}
factors: {court: 3, interpreter: 1}
high_risk_factors: []
asye_protected_factors: []
bank_holidays: [2026-12-25, "2026-12-28"]
asye_high_risk: true
max_review_weeks: 8
`), "team.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := domain.DefaultPolicy()
	want.BenchmarkPoints = 110
	want.LoadBands.AmberFrom = 105 // the other bands keep their defaults
	want.Factors = map[string]float64{"court": 3, "interpreter": 1}
	want.HighRiskFactors = nil
	want.ASYEProtectedFactors = nil
	want.MaxReviewWeeks = 8
	want.BankHolidays = []domain.Date{"2026-12-25", "2026-12-28"}
	want.ASYEHighRisk = true
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestBadFieldsAreNamed(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       string // the whole message
	}{
		{"unknown setting", "benchmark_points: 100\nbenchmark_pionts: 90\n",
			"p.yaml:2: benchmark_pionts: is not a setting safeload knows; a policy file has: "},
		{"unknown nested setting", "load_bands:\n  amber: 100\n",
			"p.yaml:2: load_bands.amber: is not a setting safeload knows; load_bands has: amber_from, green_room_below, red_from"},
		{"unknown case type field", "case_types:\n  cp: {points: 8, weight: 2}\n",
			"p.yaml:2: case_types.cp.weight: is not a setting safeload knows; case_types.cp has: group, points"},
		{"not a number", "stable_points: lots\n",
			`p.yaml:1: stable_points: "lots" is not a number`},
		{"not a whole number", "review_weeks: 2.5\n",
			`p.yaml:1: review_weeks: "2.5" is not a whole number`},
		{"not a bool", "asye_high_risk: perhaps\n",
			`p.yaml:1: asye_high_risk: "perhaps" is not true or false`},
		{"no value", "ack_working_days:\n",
			"p.yaml:1: ack_working_days: needs a value"},
		{"list for a number", "override_at: [1, 2]\n",
			"p.yaml:1: override_at: must be a single value, not a list or a group"},
		{"twice", "child_points: 1\nchild_points: 2\n",
			"p.yaml:2: child_points: is given twice (also on line 1); keep one"},
		{"validate on its line", "\n\nstable_points: 100\n",
			"p.yaml:3: stable_points: must be at least 0 and less than benchmark_points"},
		{"validate nested", "case_types:\n  cp: {points: 0}\n",
			"p.yaml:2: case_types.cp.points: must be more than 0"},
		{"validate list entry", "bank_holidays: [2026-12-25, christmas]\n",
			`p.yaml:1: bank_holidays[1]: "christmas" is not a date (YYYY-MM-DD)`},
		{"default clashes with the file", "case_types: {cin: {points: 5}}\n",
			`p.yaml: high_risk_types[0]: "proceedings" is not one of case_types (this is the built-in value; the file changes something it depends on)`},
		{"review longer than the longest", "review_weeks: 13\n",
			"p.yaml:1: review_weeks: must be at most max_review_weeks (12)"},
		{"protected type unknown", "asye_protected_types: [court_work]\n",
			`p.yaml:1: asye_protected_types[0]: "court_work" is not one of case_types`},
		{"team over percent", "team_over_percent: 0\n",
			"p.yaml:1: team_over_percent: must be more than 0"},
		{"malformed", "benchmark_points: 100\n  stable_points: 15\n",
			"p.yaml:2: this is not valid YAML (mapping values are not allowed in this context); check the indentation, the colons and the brackets"},
		{"tab", "load_bands:\n  amber_from: 100\n\tred_from: 110\n",
			"p.yaml:3: a tab is used to indent this line; YAML indents with spaces only"},
		{"not a mapping", "- 1\n- 2\n",
			`p.yaml:1: a policy file is a list of settings, one a line, like "benchmark_points: 100"`},
		{"alias", "x: &a 1\n", "p.yaml:1: x: is not a setting"},
		{"alias use", "child_points: &one 1\nmax_child_points: *one\n",
			"p.yaml:2: max_child_points: anchors and aliases (& and *) are not supported; write the value out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := policyfile.Parse([]byte(tt.yaml), "p.yaml")
			if err == nil {
				t.Fatalf("Parse accepted:\n%s", tt.yaml)
			}
			got := err.Error()
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestUnreadableFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, path, want string }{
		{"missing", filepath.Join(dir, "nope.yaml"), "cannot read the policy file: no such file or directory"},
		{"a directory", dir, "cannot read the policy file: is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := policyfile.Load(tt.path)
			if err == nil {
				t.Fatal("Load accepted it")
			}
			if got, want := err.Error(), tt.path+": "+tt.want; got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
	t.Run("no permission", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root reads any file")
		}
		p := filepath.Join(dir, "secret.yaml")
		if err := os.WriteFile(p, []byte("benchmark_points: 100\n"), 0o000); err != nil {
			t.Fatal(err)
		}
		_, err := policyfile.Load(p)
		if got, want := err.Error(), p+": cannot read the policy file: permission denied"; got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
}

// Every setting, given a value of the wrong shape, is named with its line.
func TestEverySettingIsNamed(t *testing.T) {
	typ := reflect.TypeOf(domain.Policy{})
	for i := 0; i < typ.NumField(); i++ {
		key, _, _ := strings.Cut(typ.Field(i).Tag.Get("yaml"), ",")
		if key == "-" {
			continue // not read from a file
		}
		t.Run(key, func(t *testing.T) {
			bad, want := "[oops]", "must be a single value, not a list or a group"
			switch typ.Field(i).Type.Kind() {
			case reflect.Map:
				bad, want = "oops", "must be a table of names and values"
			case reflect.Slice:
				bad, want = "oops", "must be a list"
			case reflect.Struct:
				bad, want = "oops", "must be a group of settings"
			}
			_, err := policyfile.Parse([]byte("# a comment\n"+key+": "+bad+"\n"), "p.yaml")
			if err == nil {
				t.Fatalf("Parse accepted %s: %s", key, bad)
			}
			if got, want := err.Error(), "p.yaml:2: "+key+": "+want; !strings.HasPrefix(got, want) {
				t.Errorf("got  %s\nwant %s…", got, want)
			}
		})
	}
}
