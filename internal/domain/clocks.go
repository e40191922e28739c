package domain

import "time"

// AckDeadline is when a concern raised at raised must be acknowledged by:
// within (SAFELOAD_ACK_WITHIN) when set, else the policy's working days.
func (p *Policy) AckDeadline(raised time.Time, within time.Duration, loc *time.Location) time.Time {
	if within > 0 {
		return raised.Add(within)
	}
	return p.AddWorkingDays(raised, p.AckWorkingDays, loc)
}

// NextEscalation is when the next ping is due after one at last: every
// (SAFELOAD_ESCALATE_EVERY) when set, else the policy's working days.
func (p *Policy) NextEscalation(last time.Time, every time.Duration, loc *time.Location) time.Time {
	if every > 0 {
		return last.Add(every)
	}
	return p.AddWorkingDays(last, p.EscalateWorkingDays, loc)
}

// WeekStart is midnight on the Monday of t's week in loc.
func WeekStart(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	y, m, d := t.Date()
	offset := (int(t.Weekday()) + 6) % 7
	return time.Date(y, m, d-offset, 0, 0, 0, 0, loc)
}
