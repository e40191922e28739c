package domain_test

import (
	"testing"

	"github.com/safeload/safeload/internal/domain"
)

func TestASYEMonthAndShare(t *testing.T) {
	pol := domain.DefaultPolicy()
	m := &domain.Member{Role: domain.RoleASYE, FTE: 1, ASYEStarted: "2026-01-31"}
	for _, tc := range []struct {
		day   domain.Date
		month int
		cap   float64
	}{
		{"2026-01-30", 0, 68},
		{"2026-01-31", 1, 68},
		{"2026-07-30", 6, 68}, // 31 July is six months on
		{"2026-07-31", 7, 76.5},
		{"2027-01-30", 12, 76.5},
		{"2027-01-31", 13, 85}, // the anniversary: full capacity until the role changes
	} {
		if got := domain.ASYEMonth(m.ASYEStarted, tc.day); got != tc.month {
			t.Errorf("%s: month %d, want %d", tc.day, got, tc.month)
		}
		if got := pol.Capacity(m, tc.day); got != tc.cap {
			t.Errorf("%s: capacity %v, want %v", tc.day, got, tc.cap)
		}
	}
	if got := pol.ASYEAnniversary("2026-01-31"); got != "2027-01-31" {
		t.Errorf("anniversary %s", got)
	}
	unknown := &domain.Member{Role: domain.RoleASYE, FTE: 1}
	if got := pol.Capacity(unknown, "2026-07-31"); got != 68 {
		t.Errorf("an ASYE with no start date: %v, want 68 (asye_capacity)", got)
	}
}

func TestStaffing(t *testing.T) {
	pol := domain.DefaultPolicy()
	ms := []*domain.Member{
		{Role: domain.RolePractitioner, FTE: 1}, {Role: domain.RoleASYE, FTE: 0.6},
		{Role: domain.RoleManager, FTE: 1}, {Role: domain.RoleStudent, FTE: 1},
	}
	for _, tc := range []struct {
		posts, vacant, pct float64
		alert              bool
	}{
		{0, 0, 0, false},
		{2, 0.4, 20, true},
		{1.9, 0.3, 15.8, false},
		{1, 0, 0, false}, // over-established: no negative vacancy
	} {
		s := pol.Staffing(&domain.Team{Posts: tc.posts}, ms)
		if s.InPost != 1.6 || s.Vacant != tc.vacant || s.Percent != tc.pct || s.Alert != tc.alert {
			t.Errorf("posts %v: %+v", tc.posts, s)
		}
	}
}
