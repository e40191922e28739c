package domain

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Policy holds every number of the workload rules. The zero value is not usable; start
// from DefaultPolicy and let a team's policy file replace what it names.
type Policy struct {
	// BenchmarkPoints is a full-time worker's whole week; StablePoints of it
	// protect supervision, CPD, team meetings and admin.
	BenchmarkPoints float64 `yaml:"benchmark_points" json:"benchmark_points"`
	StablePoints    float64 `yaml:"stable_points" json:"stable_points"`

	CaseTypes map[string]CaseType `yaml:"case_types" json:"case_types"`
	Factors   map[string]float64  `yaml:"factors" json:"factors"`

	// A case with more than one child adds ChildPoints per child after the
	// first, at most MaxChildPoints.
	ChildPoints    float64 `yaml:"child_points" json:"child_points"`
	MaxChildPoints float64 `yaml:"max_child_points" json:"max_child_points"`

	ASYECapacity    float64 `yaml:"asye_capacity" json:"asye_capacity"`         // share of the points capacity
	ASYECountFactor float64 `yaml:"asye_count_factor" json:"asye_count_factor"` // share of the count thresholds

	LoadBands  LoadBands  `yaml:"load_bands" json:"load_bands"`
	CountBands CountBands `yaml:"count_bands" json:"count_bands"`

	// OverrideAt is the load % at or above which an allocation needs an
	// override with a reason; ReviewWeeks is its default review period.
	OverrideAt  float64 `yaml:"override_at" json:"override_at"`
	ReviewWeeks int     `yaml:"review_weeks" json:"review_weeks"`

	// LongOverWeeks consecutive weeks over LongOverPercent tells the service
	// manager ("a three-month period").
	LongOverWeeks   int     `yaml:"long_over_weeks" json:"long_over_weeks"`
	LongOverPercent float64 `yaml:"long_over_percent" json:"long_over_percent"`

	AckWorkingDays          int `yaml:"ack_working_days" json:"ack_working_days"`
	EscalateWorkingDays     int `yaml:"escalate_working_days" json:"escalate_working_days"`
	HighRiskWaitWorkingDays int `yaml:"high_risk_wait_working_days" json:"high_risk_wait_working_days"`
	ProposalWorkingDays     int `yaml:"proposal_working_days" json:"proposal_working_days"`

	// HighRiskTypes and HighRiskFactors make a case "high risk": it goes to
	// the top of the queue, starts the unallocated clock, and is not
	// suggested for an ASYE unless ASYEHighRisk.
	HighRiskTypes   []string `yaml:"high_risk_types" json:"high_risk_types"`
	HighRiskFactors []string `yaml:"high_risk_factors" json:"high_risk_factors"`
	ASYEHighRisk    bool     `yaml:"asye_high_risk" json:"asye_high_risk"`

	// ASYEProtectedTypes and ASYEProtectedFactors are the cases a newly
	// qualified worker is protected from: a plain proposal of one to an ASYE
	// is refused, and only an override with a reason allocates it.
	ASYEProtectedTypes   []string `yaml:"asye_protected_types" json:"asye_protected_types"`
	ASYEProtectedFactors []string `yaml:"asye_protected_factors" json:"asye_protected_factors"`

	// MaxReviewWeeks is the longest an override may run before its review.
	MaxReviewWeeks int `yaml:"max_review_weeks" json:"max_review_weeks"`
	// PlanWorkingDays is how long an acknowledged concern may wait for a
	// plan before the service manager is told.
	PlanWorkingDays int `yaml:"plan_working_days" json:"plan_working_days"`
	// TeamOverPercent is the team load % at which the service manager is
	// told the team is over capacity; TeamHighRiskWaiting is the number of
	// waiting high-risk cases above which the same holds.
	TeamOverPercent     float64 `yaml:"team_over_percent" json:"team_over_percent"`
	TeamHighRiskWaiting int     `yaml:"team_high_risk_waiting" json:"team_high_risk_waiting"`
	// DeclineSkipDays: someone who declined a case is not suggested for it
	// again for this many days.
	DeclineSkipDays int `yaml:"decline_skip_days" json:"decline_skip_days"`

	BankHolidays []Date `yaml:"bank_holidays" json:"bank_holidays"`

	// ASYESteps raise an ASYE's share of the points capacity by month of
	// the assessed year (months before the first step: ASYECapacity); on
	// the ASYEMonths anniversary the ASYE becomes a practitioner.
	ASYESteps  []ASYEStep `yaml:"asye_steps" json:"asye_steps"`
	ASYEMonths int        `yaml:"asye_months" json:"asye_months"`

	// CaseloadReviewWeeks is how often each practitioner's caseload is
	// reviewed in supervision. An ASYE is supervised weekly for the first
	// ASYEWeeklyWeeks of the year, then fortnightly to ASYEFortnightlyMonths.
	CaseloadReviewWeeks   int `yaml:"caseload_review_weeks" json:"caseload_review_weeks"`
	ASYEWeeklyWeeks       int `yaml:"asye_weekly_weeks" json:"asye_weekly_weeks"`
	ASYEFortnightlyMonths int `yaml:"asye_fortnightly_months" json:"asye_fortnightly_months"`

	// VacancyAlertPercent is the vacancy rate (of funded posts) at or above
	// which the service manager is told.
	VacancyAlertPercent float64 `yaml:"vacancy_alert_percent" json:"vacancy_alert_percent"`

	// Name is the policy's name in its file ("default" for a file of one
	// policy); Named holds every policy of the file by name, shared by all
	// of them, so that ForTeam finds a team's own from any of them.
	Name  string             `yaml:"-" json:"name"`
	Named map[string]*Policy `yaml:"-" json:"-"`

	// RetryAfterMaxMinutes caps the wait a chat platform may ask for before
	// a message is tried again (a 429's Retry-After); OutboxStaleMinutes is
	// the age of the oldest undelivered message at which /healthz reports
	// delivery as degraded.
	RetryAfterMaxMinutes int `yaml:"retry_after_max_minutes" json:"retry_after_max_minutes"`
	OutboxStaleMinutes   int `yaml:"outbox_stale_minutes" json:"outbox_stale_minutes"`
}

// ASYEStep is an ASYE's share of the points capacity from a month of the
// assessed year on (month 1 is the first).
type ASYEStep struct {
	FromMonth int     `yaml:"from_month" json:"from_month"`
	Capacity  float64 `yaml:"capacity" json:"capacity"`
}

// CaseType is one kind of case and its base points.
type CaseType struct {
	Points float64 `yaml:"points" json:"points"`
	Group  string  `yaml:"group" json:"group"` // children or adults
}

// LoadBands are the RAG thresholds on the rounded load %.
type LoadBands struct {
	GreenRoomBelow float64 `yaml:"green_room_below" json:"green_room_below"` // below: green with room
	AmberFrom      float64 `yaml:"amber_from" json:"amber_from"`
	RedFrom        float64 `yaml:"red_from" json:"red_from"`
}

// CountBands are the RAG thresholds on the number of open cases of a
// full-time worker.
type CountBands struct {
	GreenMax float64 `yaml:"green_max" json:"green_max"`
	AmberMax float64 `yaml:"amber_max" json:"amber_max"`
}

// DefaultPolicy is the built-in policy: the defaults of the workload rules.
func DefaultPolicy() Policy {
	return Policy{
		BenchmarkPoints: 100,
		StablePoints:    15,
		CaseTypes: map[string]CaseType{
			"proceedings":      {10, "children"},
			"cp":               {8, "children"},
			"assessment":       {6, "children"},
			"lac":              {6, "children"},
			"cin":              {5, "children"},
			"care_leaver":      {4, "children"},
			"s42":              {8, "adults"},
			"cop":              {8, "adults"},
			"adult_assessment": {6, "adults"},
			"review":           {3, "adults"},
		},
		Factors:                 map[string]float64{"court": 2, "high_risk": 2, "noncooperation": 1, "rural": 1},
		ChildPoints:             1,
		MaxChildPoints:          3,
		ASYECapacity:            0.8,
		ASYECountFactor:         0.9,
		LoadBands:               LoadBands{GreenRoomBelow: 95, AmberFrom: 100, RedFrom: 110},
		CountBands:              CountBands{GreenMax: 12, AmberMax: 15},
		OverrideAt:              100,
		ReviewWeeks:             4,
		LongOverWeeks:           12,
		LongOverPercent:         100,
		AckWorkingDays:          2,
		EscalateWorkingDays:     1,
		HighRiskWaitWorkingDays: 2,
		ProposalWorkingDays:     1,
		HighRiskTypes:           []string{"proceedings"},
		HighRiskFactors:         []string{"high_risk"},
		ASYESteps:               []ASYEStep{{FromMonth: 7, Capacity: 0.9}},
		ASYEMonths:              12,
		CaseloadReviewWeeks:     12,
		ASYEWeeklyWeeks:         6,
		ASYEFortnightlyMonths:   6,
		VacancyAlertPercent:     20,
		Name:                    DefaultPolicyName,
		ASYEProtectedTypes:      []string{"proceedings"},
		ASYEProtectedFactors:    []string{"high_risk"},
		MaxReviewWeeks:          12,
		PlanWorkingDays:         5,
		TeamOverPercent:         100,
		TeamHighRiskWaiting:     3,
		DeclineSkipDays:         14,
		BankHolidays:            EnglandBankHolidays(),
		RetryAfterMaxMinutes:    10,
		OutboxStaleMinutes:      30,
	}
}

// CasePoints is the benchmark less the stable points: what a full-time
// worker has for cases (85 by default).
func (p *Policy) CasePoints() float64 { return p.BenchmarkPoints - p.StablePoints }

// The ranges a policy's numbers must fall in: far beyond any sensible
// setting, and small enough that no figure worked out from them overflows
// or loses its meaning (a benchmark of 1e308 made every capacity +Inf).
const (
	maxPoints      = 1000.0
	maxPercent     = 1000.0
	maxCases       = 1000
	maxWeeks       = 104
	maxWorkingDays = 60
)

// in is lo ≤ x ≤ hi, false for NaN.
func in(x, lo, hi float64) bool { return x >= lo && x <= hi }

// Validate names the first field that makes no sense, as "field: why".
func (p *Policy) Validate() error {
	bad := func(field, format string, args ...any) error {
		return Errorf(EINVALID, "policy field %s: %s", field, fmt.Sprintf(format, args...))
	}
	switch {
	case !in(p.BenchmarkPoints, 0, maxPoints) || p.BenchmarkPoints == 0:
		return bad("benchmark_points", "must be more than 0 and at most %g", maxPoints)
	case !in(p.StablePoints, 0, maxPoints) || p.StablePoints >= p.BenchmarkPoints:
		return bad("stable_points", "must be at least 0 and less than benchmark_points")
	case len(p.CaseTypes) == 0:
		return bad("case_types", "must list at least one case type")
	case !in(p.ChildPoints, 0, maxPoints):
		return bad("child_points", "must be from 0 to %g", maxPoints)
	case !in(p.MaxChildPoints, 0, maxPoints):
		return bad("max_child_points", "must be from 0 to %g", maxPoints)
	case !in(p.ASYECapacity, 0, 1) || p.ASYECapacity == 0:
		return bad("asye_capacity", "must be more than 0 and at most 1")
	case !in(p.ASYECountFactor, 0, 1) || p.ASYECountFactor == 0:
		return bad("asye_count_factor", "must be more than 0 and at most 1")
	case !in(p.LoadBands.GreenRoomBelow, 0, maxPercent) || p.LoadBands.GreenRoomBelow == 0 || p.LoadBands.GreenRoomBelow > p.LoadBands.AmberFrom:
		return bad("load_bands.green_room_below", "must be more than 0 and at most amber_from")
	case p.LoadBands.AmberFrom > p.LoadBands.RedFrom:
		return bad("load_bands.amber_from", "must be at most red_from")
	case !in(p.LoadBands.RedFrom, 0, maxPercent):
		return bad("load_bands.red_from", "must be at most %g", maxPercent)
	case !in(p.CountBands.GreenMax, 0, maxCases) || p.CountBands.GreenMax == 0 || p.CountBands.GreenMax > p.CountBands.AmberMax:
		return bad("count_bands.green_max", "must be more than 0 and at most amber_max")
	case !in(p.CountBands.AmberMax, 0, maxCases):
		return bad("count_bands.amber_max", "must be at most %d", maxCases)
	case !in(p.OverrideAt, 0, maxPercent) || p.OverrideAt == 0:
		return bad("override_at", "must be more than 0 and at most %g", maxPercent)
	case p.ReviewWeeks <= 0 || p.ReviewWeeks > maxWeeks:
		return bad("review_weeks", "must be from 1 to %d", maxWeeks)
	case !in(p.LongOverPercent, 0, maxPercent) || p.LongOverPercent == 0:
		return bad("long_over_percent", "must be more than 0 and at most %g", maxPercent)
	case p.LongOverWeeks <= 0 || p.LongOverWeeks > maxWeeks:
		return bad("long_over_weeks", "must be from 1 to %d", maxWeeks)
	case p.AckWorkingDays <= 0 || p.AckWorkingDays > maxWorkingDays:
		return bad("ack_working_days", "must be from 1 to %d", maxWorkingDays)
	case p.EscalateWorkingDays <= 0 || p.EscalateWorkingDays > maxWorkingDays:
		return bad("escalate_working_days", "must be from 1 to %d", maxWorkingDays)
	case p.HighRiskWaitWorkingDays <= 0 || p.HighRiskWaitWorkingDays > maxWorkingDays:
		return bad("high_risk_wait_working_days", "must be from 1 to %d", maxWorkingDays)
	case p.ProposalWorkingDays <= 0 || p.ProposalWorkingDays > maxWorkingDays:
		return bad("proposal_working_days", "must be from 1 to %d", maxWorkingDays)
	case p.MaxReviewWeeks <= 0 || p.MaxReviewWeeks > maxWeeks:
		return bad("max_review_weeks", "must be from 1 to %d", maxWeeks)
	case p.ASYEMonths <= 0 || p.ASYEMonths > 36:
		return bad("asye_months", "must be from 1 to 36")
	case p.CaseloadReviewWeeks <= 0 || p.CaseloadReviewWeeks > maxWeeks:
		return bad("caseload_review_weeks", "must be from 1 to %d", maxWeeks)
	case p.ASYEWeeklyWeeks < 0 || p.ASYEWeeklyWeeks > maxWeeks:
		return bad("asye_weekly_weeks", "must be from 0 to %d", maxWeeks)
	case p.ASYEFortnightlyMonths < 0 || p.ASYEFortnightlyMonths > 36:
		return bad("asye_fortnightly_months", "must be from 0 to 36")
	case !in(p.VacancyAlertPercent, 0, 100) || p.VacancyAlertPercent == 0:
		return bad("vacancy_alert_percent", "must be more than 0 and at most 100")
	case p.ReviewWeeks > p.MaxReviewWeeks:
		return bad("review_weeks", "must be at most max_review_weeks (%d)", p.MaxReviewWeeks)
	case p.PlanWorkingDays <= 0 || p.PlanWorkingDays > maxWorkingDays:
		return bad("plan_working_days", "must be from 1 to %d", maxWorkingDays)
	case !in(p.TeamOverPercent, 0, maxPercent) || p.TeamOverPercent == 0:
		return bad("team_over_percent", "must be more than 0 and at most %g", maxPercent)
	case p.TeamHighRiskWaiting < 0 || p.TeamHighRiskWaiting > maxCases:
		return bad("team_high_risk_waiting", "must be from 0 to %d", maxCases)
	case p.DeclineSkipDays < 0 || p.DeclineSkipDays > 366:
		return bad("decline_skip_days", "must be from 0 to 366")
	case p.RetryAfterMaxMinutes < 1 || p.RetryAfterMaxMinutes > 24*60:
		return bad("retry_after_max_minutes", "must be from 1 to 1440 (a day)")
	case p.OutboxStaleMinutes < 1 || p.OutboxStaleMinutes > 7*24*60:
		return bad("outbox_stale_minutes", "must be from 1 to 10080 (a week)")
	}
	for i, st := range p.ASYESteps {
		switch {
		case st.FromMonth < 2 || st.FromMonth > p.ASYEMonths:
			return bad(fmt.Sprintf("asye_steps[%d].from_month", i), "must be from 2 to asye_months (%d); months before the first step use asye_capacity", p.ASYEMonths)
		case i > 0 && st.FromMonth <= p.ASYESteps[i-1].FromMonth:
			return bad(fmt.Sprintf("asye_steps[%d].from_month", i), "steps must be in order of month, each month once")
		case st.Capacity <= 0 || st.Capacity > 1:
			return bad(fmt.Sprintf("asye_steps[%d].capacity", i), "must be more than 0 and at most 1")
		}
	}
	for _, name := range sortedKeys(p.CaseTypes) {
		if !validWord(name) {
			return bad("case_types."+name, "a case type is one word of lower-case letters, digits and _")
		}
		if t := p.CaseTypes[name]; !in(t.Points, 0, maxPoints) || t.Points == 0 {
			return bad("case_types."+name+".points", "must be more than 0 and at most %g", maxPoints)
		}
	}
	for _, name := range sortedKeys(p.Factors) {
		if !validWord(name) || name == "children" {
			return bad("factors."+name, "a factor is one word of lower-case letters, digits and _ (and not \"children\")")
		}
		if !in(p.Factors[name], 0, maxPoints) {
			return bad("factors."+name, "must be from 0 to %g", maxPoints)
		}
		if _, clash := p.CaseTypes[name]; clash {
			return bad("factors."+name, "is also a case type; names must differ")
		}
	}
	for i, t := range p.HighRiskTypes {
		if _, ok := p.CaseTypes[t]; !ok {
			return bad(fmt.Sprintf("high_risk_types[%d]", i), "%q is not one of case_types", t)
		}
	}
	for i, f := range p.HighRiskFactors {
		if _, ok := p.Factors[f]; !ok {
			return bad(fmt.Sprintf("high_risk_factors[%d]", i), "%q is not one of factors", f)
		}
	}
	for i, t := range p.ASYEProtectedTypes {
		if _, ok := p.CaseTypes[t]; !ok {
			return bad(fmt.Sprintf("asye_protected_types[%d]", i), "%q is not one of case_types", t)
		}
	}
	for i, f := range p.ASYEProtectedFactors {
		if _, ok := p.Factors[f]; !ok {
			return bad(fmt.Sprintf("asye_protected_factors[%d]", i), "%q is not one of factors", f)
		}
	}
	for i, d := range p.BankHolidays {
		if _, err := ParseDate(string(d)); err != nil {
			return bad(fmt.Sprintf("bank_holidays[%d]", i), "%q is not a date (YYYY-MM-DD)", d)
		}
	}
	return nil
}

// TypeNames lists the case types, sorted.
func (p *Policy) TypeNames() []string { return sortedKeys(p.CaseTypes) }

// FactorNames lists the factors, sorted.
func (p *Policy) FactorNames() []string { return sortedKeys(p.Factors) }

// ReviewPeriod is the default time before an override is reviewed.
func (p *Policy) ReviewPeriod() time.Duration {
	return time.Duration(p.ReviewWeeks) * 7 * 24 * time.Hour
}

func validWord(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
