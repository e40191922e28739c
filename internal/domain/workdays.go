package domain

import "time"

// IsWorkingDay reports whether t's calendar day (in t's location) is Monday
// to Friday and not one of the policy's bank holidays.
func (p *Policy) IsWorkingDay(t time.Time) bool {
	switch t.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	day := DateOf(t)
	for _, h := range p.BankHolidays {
		if h == day {
			return false
		}
	}
	return true
}

// AddWorkingDays moves t forward by n working days in loc, keeping the local
// clock time, so a concern raised on Friday at 10:00 with 2 working days is
// due on Tuesday at 10:00 whatever the clocks did in between.
func (p *Policy) AddWorkingDays(t time.Time, n int, loc *time.Location) time.Time {
	t = t.In(loc)
	y, m, d := t.Date()
	h, mi, s := t.Clock()
	for i := 0; n > 0 && i < 3660; i++ {
		d++
		next := time.Date(y, m, d, h, mi, s, t.Nanosecond(), loc)
		if p.IsWorkingDay(next) {
			n--
		}
		if n == 0 {
			return next
		}
	}
	return t
}

// WorkingDaysBetween counts the working days after from's day up to and
// including to's day, in loc.
func (p *Policy) WorkingDaysBetween(from, to time.Time, loc *time.Location) int {
	from, to = from.In(loc), to.In(loc)
	y, m, d := from.Date()
	n := 0
	for i := 1; i < 3660; i++ {
		day := time.Date(y, m, d+i, 12, 0, 0, 0, loc)
		if DateOf(day) > DateOf(to) {
			break
		}
		if p.IsWorkingDay(day) {
			n++
		}
	}
	return n
}
