package domain_test

import (
	"testing"
	"time"
	_ "time/tzdata" // Europe/London without a system zone database

	"github.com/safeload/safeload/internal/domain"
)

func london(tb testing.TB) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		tb.Fatalf("load Europe/London: %v", err)
	}
	return loc
}

func TestAddWorkingDays(t *testing.T) {
	loc := london(t)
	at := func(y int, m time.Month, d, h, mi int) time.Time { return time.Date(y, m, d, h, mi, 0, 0, loc) }
	p := domain.DefaultPolicy()
	// England and Wales, Easter and the May bank holidays of 2026.
	p.BankHolidays = []domain.Date{"2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25"}

	tests := []struct {
		name    string
		from    time.Time
		n       int
		want    time.Time
		elapsed time.Duration // real time between from and want, when it matters
	}{
		{"zero days is now", at(2026, 5, 13, 10, 0), 0, at(2026, 5, 13, 10, 0), 0},
		{"within the week", at(2026, 5, 12, 10, 0), 2, at(2026, 5, 14, 10, 0), 48 * time.Hour},
		{"Friday over the weekend", at(2026, 5, 15, 10, 0), 2, at(2026, 5, 19, 10, 0), 96 * time.Hour},
		{"raised on a Saturday", at(2026, 5, 16, 11, 30), 1, at(2026, 5, 18, 11, 30), 48 * time.Hour},
		{"raised on a Sunday", at(2026, 5, 17, 23, 59), 2, at(2026, 5, 19, 23, 59), 48 * time.Hour},
		{"over a bank-holiday Monday", at(2026, 5, 1, 16, 0), 1, at(2026, 5, 5, 16, 0), 96 * time.Hour},
		{"over Easter", at(2026, 4, 2, 16, 0), 2, at(2026, 4, 8, 16, 0), 6 * 24 * time.Hour},
		{"spring forward, 29 March 2026", at(2026, 3, 27, 10, 0), 1, at(2026, 3, 30, 10, 0), 71 * time.Hour},
		{"fall back, 25 October 2026", at(2026, 10, 23, 10, 0), 1, at(2026, 10, 26, 10, 0), 73 * time.Hour},
		{"given in UTC, counted in London", time.Date(2026, 3, 27, 23, 30, 0, 0, time.UTC), 1, at(2026, 3, 30, 23, 30), 71 * time.Hour},
		{"given in UTC, already Saturday in London", time.Date(2026, 10, 23, 23, 30, 0, 0, time.UTC), 1, at(2026, 10, 26, 0, 30), 49 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.AddWorkingDays(tt.from, tt.n, loc)
			if want := tt.want; !got.Equal(want) {
				t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tt.from, tt.n, got, want)
			}
			if got.Location() != loc {
				t.Errorf("location = %s, want %s", got.Location(), loc)
			}
			if gh, gm, _ := got.Clock(); tt.n > 0 {
				wh, wm, _ := tt.from.In(loc).Clock()
				if gh != wh || gm != wm {
					t.Errorf("local clock = %02d:%02d, want %02d:%02d", gh, gm, wh, wm)
				}
			}
			if tt.elapsed != 0 {
				if got, want := got.Sub(tt.from), tt.elapsed; got != want {
					t.Errorf("elapsed = %s, want %s", got, want)
				}
			}
		})
	}
}

func TestIsWorkingDay(t *testing.T) {
	loc := london(t)
	p := domain.DefaultPolicy()
	p.BankHolidays = []domain.Date{"2026-12-25", "2026-12-28"}
	tests := []struct {
		day  string
		want bool
	}{
		{"2026-12-24", true},  // Thursday
		{"2026-12-25", false}, // Christmas Day, a Friday
		{"2026-12-26", false}, // Saturday
		{"2026-12-27", false}, // Sunday
		{"2026-12-28", false}, // substitute Boxing Day
		{"2026-12-29", true},
	}
	for _, tt := range tests {
		t.Run(tt.day, func(t *testing.T) {
			// 23:30 in London: in UTC it is the same day in winter, so the
			// weekday must be read in the location given.
			at := domain.Date(tt.day).Time(loc).Add(23*time.Hour + 30*time.Minute)
			if got, want := p.IsWorkingDay(at), tt.want; got != want {
				t.Errorf("IsWorkingDay(%s) = %v, want %v", at, got, want)
			}
		})
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	loc := london(t)
	p := domain.DefaultPolicy()
	p.BankHolidays = []domain.Date{"2026-05-04"}
	at := func(d, h int) time.Time { return time.Date(2026, 5, d, h, 0, 0, 0, loc) }
	tests := []struct {
		name     string
		from, to time.Time
		want     int
	}{
		{"same day", at(12, 9), at(12, 17), 0},
		{"next day", at(12, 17), at(13, 9), 1},
		{"Friday to Monday", at(8, 10), at(11, 10), 1},
		{"over a bank holiday", at(1, 10), at(5, 10), 1},
		{"two weeks", at(11, 10), at(25, 10), 10},
		{"backwards", at(13, 10), at(12, 10), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantEqual(t, "WorkingDaysBetween", p.WorkingDaysBetween(tt.from, tt.to, loc), tt.want)
		})
	}
}
