package domain

import "time"

// Date is a calendar day, "2006-01-02". Dates compare as strings, so a zero
// Date ("") means "no date".
type Date string

const dateLayout = "2006-01-02"

// ParseDate checks s is a real calendar day.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return "", Errorf(EINVALID, "%q is not a date; write it as YYYY-MM-DD, e.g. 2027-03-31.", s)
	}
	return Date(t.Format(dateLayout)), nil
}

// DateOf is the calendar day of t in t's own location.
func DateOf(t time.Time) Date { return Date(t.Format(dateLayout)) }

// Time is midnight at the start of d in loc.
func (d Date) Time(loc *time.Location) time.Time {
	t, err := time.ParseInLocation(dateLayout, string(d), loc)
	if err != nil {
		return time.Time{}
	}
	return t
}

// AddDays moves d by n calendar days.
func (d Date) AddDays(n int) Date {
	t, err := time.Parse(dateLayout, string(d))
	if err != nil {
		return d
	}
	return Date(t.AddDate(0, 0, n).Format(dateLayout))
}

func (d Date) String() string { return string(d) }
