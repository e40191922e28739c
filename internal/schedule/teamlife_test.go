package schedule_test

import (
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/digest"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/schedule"
)

// said is everything a response shows, flattened.
func said(msgs []domain.Message) string {
	var b []string
	for _, m := range msgs {
		b = append(b, flatten(m))
	}
	return strings.Join(b, "\n")
}

func (f *fixture) member(p domain.PersonID) *domain.Member {
	f.t.Helper()
	var m *domain.Member
	if err := f.st.View(func(tx domain.Tx) (err error) { m, err = tx.Member("north", p); return err }); err != nil {
		f.t.Fatal(err)
	}
	return m
}

// An ASYE's capacity rises with the months of the assessed year, and on its
// anniversary they become a practitioner, once, with the managers told.
func TestASYEStepsAcrossTheAnniversary(t *testing.T) {
	f := newFixture(t, at(2026, 11, 23, 10, 0))
	f.team(false)
	f.do("meg", "caseload", "add "+mention("bo")+" asye started=2026-05-25")
	f.addCases("north", person("bo"), "B", 2, "cp") // 16 points
	capacity := func() string { return said(f.do("meg", "capacity", mention("bo")).Messages) }
	if got := capacity(); !strings.Contains(got, "16 of 68 points") {
		t.Fatalf("month 6 (80 %%):\n%s", got)
	}
	f.clock.Set(at(2026, 11, 25, 9, 0)) // month 7: 90 %
	if got := capacity(); !strings.Contains(got, "16 of 76.5 points") {
		t.Fatalf("month 7 (90 %%):\n%s", got)
	}
	f.runAt(at(2027, 5, 24, 23, 0))
	if m := f.member(person("bo")); m.Role != domain.RoleASYE {
		t.Fatalf("a practitioner before the anniversary: %s", m.Role)
	}
	f.take()
	if n := f.runAt(at(2027, 5, 25, 0, 30)); n == 0 {
		t.Fatal("nothing fired on the anniversary")
	}
	if m := f.member(person("bo")); m.Role != domain.RolePractitioner {
		t.Fatalf("after the anniversary: %s", m.Role)
	}
	var toMeg, toBo bool
	for _, it := range f.take(schedule.KindReminder) {
		txt := flatten(it.Message)
		if !strings.Contains(txt, "completed the ASYE year") || !strings.Contains(txt, "started the assessed year on Mon 25 May 2026") {
			continue
		}
		toMeg = toMeg || it.Dest == string(person("meg"))
		toBo = toBo || it.Dest == string(person("bo"))
	}
	if !toMeg || !toBo {
		t.Fatalf("told manager %v, told Bo %v", toMeg, toBo)
	}
	if got := capacity(); !strings.Contains(got, "16 of 85 points") {
		t.Fatalf("as a practitioner:\n%s", got)
	}
	f.runAt(at(2027, 5, 26, 10, 0))
	for _, it := range f.take(schedule.KindReminder) {
		if strings.Contains(flatten(it.Message), "completed the ASYE year") {
			t.Fatal("the anniversary fired twice")
		}
	}
}

func (f *fixture) digestAt(now time.Time) string {
	f.t.Helper()
	f.clock.Set(now)
	var msgs []domain.Message
	err := f.st.View(func(tx domain.Tx) error {
		team, err := tx.Team("north")
		if err != nil {
			return err
		}
		msgs, err = digest.Build(tx, &f.pol, f.prompts, london, team, now)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return said(msgs)
}

// Caseload reviews are due every 12 weeks, an ASYE's weekly for 6 weeks and
// then fortnightly; the digest names those due within a week and overdue.
func TestReviewRemindersInTheDigest(t *testing.T) {
	f := newFixture(t, at(2026, 11, 23, 10, 0))
	f.team(false) // Alice and Cy joined on Monday 23 November
	f.do("meg", "caseload", "add "+mention("bo")+" asye started=2026-11-23")

	got := f.digestAt(at(2026, 11, 23, 11, 0))
	if !strings.Contains(got, "Bo: due by Mon 30 Nov 2026 (not reviewed yet)") || strings.Contains(got, "Alice: due") {
		t.Fatalf("first week:\n%s", got)
	}
	f.clock.Set(at(2026, 11, 30, 10, 0))
	f.do("meg", "caseload", "review "+mention("bo")+" keep")
	got = f.digestAt(at(2026, 11, 30, 11, 0))
	if !strings.Contains(got, "Bo: due by Mon 7 Dec 2026 (last Mon 30 Nov 2026, keep)") {
		t.Fatalf("weekly for an ASYE:\n%s", got)
	}
	got = f.digestAt(at(2026, 12, 9, 9, 0))
	if !strings.Contains(got, "Bo: overdue since Mon 7 Dec 2026") || !strings.Contains(got, "1 overdue") {
		t.Fatalf("overdue:\n%s", got)
	}
	f.do("meg", "caseload", "posts 5") // 2.6 FTE in post: 48 % vacant
	var across []domain.Message
	if err := f.st.View(func(tx domain.Tx) error {
		team, err := tx.Team("north")
		if err != nil {
			return err
		}
		across, err = digest.BuildAcross(tx, &f.pol, f.prompts, london, person("sam"), []*domain.Team{team}, f.clock.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got := said(across); !strings.Contains(got, "North: 2.6 of 5 FTE in post, 48.0 % vacant") || !strings.Contains(got, "North: 1 overdue") {
		t.Fatalf("the service manager's digest:\n%s", got)
	}
	f.clock.Set(at(2027, 1, 4, 10, 0)) // six weeks in: fortnightly from here
	f.do("meg", "caseload", "review "+mention("bo")+" add")
	got = f.digestAt(at(2027, 1, 11, 9, 0))
	if !strings.Contains(got, "Bo: due by Mon 18 Jan 2027") {
		t.Fatalf("fortnightly for an ASYE:\n%s", got)
	}
	got = f.digestAt(at(2027, 2, 8, 9, 0))
	if !strings.Contains(got, "Alice: due by Mon 15 Feb 2027 (not reviewed yet)") || !strings.Contains(got, "Cy: due by Mon 15 Feb 2027") {
		t.Fatalf("12 weeks for a practitioner:\n%s", got)
	}
	f.clock.Set(at(2027, 2, 15, 10, 0))
	f.do("meg", "caseload", "review "+mention("alice")+" keep")
	got = f.digestAt(at(2027, 2, 16, 9, 0))
	if strings.Contains(got, "Alice: due") || strings.Contains(got, "Alice: overdue") || !strings.Contains(got, "Cy: overdue since Mon 15 Feb 2027") {
		t.Fatalf("after Alice's review:\n%s", got)
	}
}
