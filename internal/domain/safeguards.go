package domain

import "time"

// EnglandBankHolidays are the bank holidays of England and Wales for 2026
// to 2028, as published by GOV.UK, substitute days included: without them
// a concern raised before Christmas would fall due on Boxing Day.
func EnglandBankHolidays() []Date {
	return []Date{
		"2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-28",
		"2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30", "2027-12-27", "2027-12-28",
		"2028-01-03", "2028-04-14", "2028-04-17", "2028-05-01", "2028-05-29", "2028-08-28", "2028-12-25", "2028-12-26",
	}
}

// ASYEProtected reports whether a plain proposal of c to an ASYE is
// refused: its type or a factor is one the policy protects newly qualified
// workers from (unless the policy lets ASYEs take high-risk work).
func (p *Policy) ASYEProtected(c *Case) bool {
	if p.ASYEHighRisk {
		return false
	}
	if contains(p.ASYEProtectedTypes, c.Type) {
		return true
	}
	for _, f := range p.ASYEProtectedFactors {
		if c.HasFactor(f) {
			return true
		}
	}
	return false
}

// OnWorkingDay is d, or the first working day after it.
func (p *Policy) OnWorkingDay(d Date, loc *time.Location) Date {
	t := d.Time(loc).Add(12 * time.Hour)
	for i := 0; i < 366 && !p.IsWorkingDay(t); i++ {
		t = t.AddDate(0, 0, 1)
	}
	return DateOf(t)
}

// MaxReviewDays is the longest an override may run before its review.
func (p *Policy) MaxReviewDays() int { return 7 * p.MaxReviewWeeks }

// ByCount reports whether the colour comes from the number of cases rather
// than the points: the count rule rates worse than the load rule.
func (w Workload) ByCount() bool { return w.CountRAG.rank() > w.LoadRAG.rank() }

// Red reports whether the workload is red by either rule.
func (w Workload) Red() bool { return w.RAG == Red }

// declineSkip says whether a person declined a case recently enough that
// they are not suggested for it again.
type declineSkip func(c *Case, p PersonID) bool

// SuggestQueue suggests someone for each case of the sorted queue as if
// every earlier suggestion were accepted, so that two cases are never both
// pointed at the same last bit of room. declined reports whether a person
// declined a case in the policy's DeclineSkipDays (nil: nobody did).
func (p *Policy) SuggestQueue(queue []*Case, members []*Member, workloads map[PersonID]Workload, day Date, declined func(c *Case, p PersonID) bool) []Suggestion {
	running := make(map[PersonID]Workload, len(workloads))
	for k, v := range workloads {
		running[k] = v
	}
	out := make([]Suggestion, 0, len(queue))
	for _, c := range queue {
		s := p.suggest(c, members, running, day, declined)
		if s.Person != "" {
			running[s.Person] = s.After
		}
		out = append(out, s)
	}
	return out
}
