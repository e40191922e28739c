package domain

import (
	"math"
	"strings"
	"testing"
)

// References shaped like people or their identifiers are refused, each
// with its reason; case numbers are not.
func TestRefsLikePeopleAreRefused(t *testing.T) {
	for ref, want := range map[string]string{
		"SMITH1":         RefLikeName,
		"OConnor-1":      RefLikeName,
		"Li-1":           RefLikeName,
		"JS-1990-01-02":  RefLikeDate,
		"JS-02/01/1990":  RefLikeDate,
		"X19900102":      RefLikeDate,
		"NHS-4857773456": RefLikeNHS, // labelled, whatever its check digit
		"N-4857773457":   RefLikeNHS, // a valid check digit
		"N-485-777-3457": RefLikeNHS,
		"C-1042":         "",
		"CIN-77":         "",
		"LAC/2024/17":    "",
		"C-4857773456":   "", // ten digits failing the check digit
		"C-1990-13-45":   "", // not a date
		"AB12345":        "",
	} {
		if got := RefProblem(ref); got != want {
			t.Errorf("RefProblem(%q) = %q, want %q", ref, got, want)
		}
	}
	if err := ValidateRef("JS-1990-01-02"); err == nil || !strings.Contains(err.Error(), "date") {
		t.Errorf("ValidateRef gave %v", err)
	}
}

// One name rule for chat and the import.
func TestNameAndTextRules(t *testing.T) {
	for s, want := range map[string]string{
		"Ann Lee":                "",
		"":                       TextEmpty,
		"   ":                    TextEmpty,
		"Ann\x1b[31mLee":         TextControl,
		"Ann\x00":                TextControl,
		"Ann\x07":                TextControl,
		"Ann\nLee":               TextControl,
		strings.Repeat("a", 101): TextLong,
	} {
		if got := NameProblem(s); got != want {
			t.Errorf("NameProblem(%q) = %q, want %q", s, got, want)
		}
	}
	if TextProblem("two lines\nare fine") != "" || TextProblem(strings.Repeat("x", 2001)) != TextLong || TextProblem("bell\x07") != TextControl {
		t.Error("TextProblem")
	}
}

// Every policy number is bounded, and the field at fault is named.
func TestPolicyNumbersBounded(t *testing.T) {
	for field, set := range map[string]func(*Policy){
		"benchmark_points":        func(p *Policy) { p.BenchmarkPoints = 1e308 },
		"stable_points":           func(p *Policy) { p.StablePoints = math.NaN() },
		"child_points":            func(p *Policy) { p.ChildPoints = math.Inf(1) },
		"case_types.cp.points":    func(p *Policy) { p.CaseTypes["cp"] = CaseType{Points: 1e9, Group: "children"} },
		"factors.court":           func(p *Policy) { p.Factors["court"] = math.NaN() },
		"load_bands.red_from":     func(p *Policy) { p.LoadBands.RedFrom = 1e12 },
		"override_at":             func(p *Policy) { p.OverrideAt = math.NaN() },
		"review_weeks":            func(p *Policy) { p.ReviewWeeks = 1 << 40 },
		"ack_working_days":        func(p *Policy) { p.AckWorkingDays = 100000 },
		"retry_after_max_minutes": func(p *Policy) { p.RetryAfterMaxMinutes = 86400 },
	} {
		p := DefaultPolicy()
		p.CaseTypes = map[string]CaseType{}
		for k, v := range DefaultPolicy().CaseTypes {
			p.CaseTypes[k] = v
		}
		p.Factors = map[string]float64{}
		for k, v := range DefaultPolicy().Factors {
			p.Factors[k] = v
		}
		set(&p)
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: Validate() = %v", field, err)
		}
	}
	d := DefaultPolicy()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
}
