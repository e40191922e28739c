package schedule_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/schedule"
)

// escalations returns the escalation items taken from the outbox.
func (f *fixture) escalations() []*domain.OutboxItem {
	f.t.Helper()
	return f.take(schedule.KindEscalation)
}

// expectPing checks that exactly n escalation messages went out, each to who.
func (f *fixture) expectPing(when string, n int, who domain.PersonID) []*domain.OutboxItem {
	f.t.Helper()
	got := f.escalations()
	if len(got) != n {
		var dests []string
		for _, it := range got {
			dests = append(dests, it.Dest+": "+it.Message.Title)
		}
		f.t.Fatalf("%s: %d escalations, want %d: %v", when, len(got), n, dests)
	}
	for _, it := range got {
		if it.Dest != string(who) || it.Message.Audience != domain.ToPerson || it.Message.To != string(who) {
			f.t.Fatalf("%s: escalation to %s (audience %s), want privately to %s", when, it.Dest, it.Message.Audience, who)
		}
	}
	return got
}

func TestConcernEscalatesOnTimeAcrossRestarts(t *testing.T) {
	start := at(2026, 11, 23, 10, 0) // Monday
	f := newFixture(t, start)
	f.team(false)
	f.do("alice", "capacity", "concern Too many court reports this month")
	f.take() // the managers' notes and the channel posts

	deadline := at(2026, 11, 25, 10, 0) // two working days later
	if n := f.runAt(deadline.Add(-time.Second)); n != 0 {
		t.Fatalf("one second before the deadline: %d fired", n)
	}
	f.expectPing("one second before", 0, "")

	if n := f.runAt(deadline); n != 1 {
		t.Fatalf("at the deadline: %d fired, want 1", n)
	}
	got := f.expectPing("at the deadline", 1, person("sam"))
	m := got[0].Message
	text := flatten(m)
	for _, want := range []string{"#1", "Alice", "North", "Mon 23 Nov 10:00", "Wed 25 Nov 10:00", "Too many court reports", "/capacity ack 1", "Thu 26 Nov 10:00"} {
		if !strings.Contains(text, want) {
			t.Errorf("escalation lacks %q:\n%s", want, text)
		}
	}
	if len(m.Buttons) != 1 || m.Buttons[0].ActionID != "ack:1" || m.Buttons[0].Label != "Acknowledge" {
		t.Errorf("escalation buttons = %+v, want one Acknowledge ack:1", m.Buttons)
	}
	if f.run() != 0 {
		t.Fatal("a second pass at the same time fired again")
	}

	// A restart between the two pings neither repeats nor loses one.
	f.reopen()
	if n := f.runAt(deadline.Add(time.Hour)); n != 0 {
		t.Fatalf("after a restart: %d fired, want 0", n)
	}
	next := at(2026, 11, 26, 10, 0) // one working day after the first ping
	if n := f.runAt(next.Add(-time.Second)); n != 0 {
		t.Fatalf("one second before the second ping: %d fired", n)
	}
	f.reopen()
	if n := f.runAt(next); n != 1 {
		t.Fatalf("at the second ping: %d fired, want 1", n)
	}
	got = f.expectPing("second ping", 1, person("sam"))
	if !strings.Contains(got[0].Message.Text, "reminder 2") {
		t.Errorf("second ping does not say it is reminder 2:\n%s", got[0].Message.Text)
	}
	if c := f.concern(1); c.Escalations != 2 {
		t.Fatalf("Escalations = %d, want 2", c.Escalations)
	}
	for n, want := range []bool{1: true, 2: true, 3: false} {
		k := domain.ClockKey{Kind: domain.ClockConcern, Concern: 1, N: n}
		if n > 0 && f.fired(k) != want {
			t.Fatalf("escalation %d of concern 1 recorded: %v, want %v", n, !want, want)
		}
	}

	// The service manager acknowledges and a plan is recorded: no more
	// pings, ever.
	f.press("sam", "ack:1")
	f.do("meg", "capacity", "plan 1 two court reports move to Cy")
	f.take()
	for _, when := range []time.Time{at(2026, 11, 27, 10, 0), at(2026, 11, 30, 10, 0), at(2026, 12, 14, 10, 0)} {
		f.runAt(when)
		f.expectPing("after the acknowledgement "+when.String(), 0, "")
	}
	f.reopen()
	f.runAt(at(2027, 1, 4, 10, 0))
	f.expectPing("after acknowledgement and restart", 0, "")
}

func TestConcernEscalatesWithDurations(t *testing.T) {
	start := at(2026, 11, 28, 12, 0) // a Saturday: durations ignore working days
	f := newFixture(t, start, func(f *fixture) { f.ackWithin, f.escalate = 90*time.Second, time.Hour })
	f.team(false)
	f.do("alice", "capacity", "concern Weekend duty on top of everything")
	f.take()
	if f.runAt(start.Add(89*time.Second)) != 0 {
		t.Fatal("fired before SAFELOAD_ACK_WITHIN")
	}
	if f.runAt(start.Add(90*time.Second)) != 1 {
		t.Fatal("did not fire at SAFELOAD_ACK_WITHIN")
	}
	f.expectPing("first", 1, person("sam"))
	f.reopen()
	if f.runAt(start.Add(90*time.Second+time.Hour-time.Second)) != 0 {
		t.Fatal("fired before SAFELOAD_ESCALATE_EVERY")
	}
	if f.runAt(start.Add(90*time.Second+time.Hour)) != 1 {
		t.Fatal("did not fire after SAFELOAD_ESCALATE_EVERY")
	}
	// Down for a day: one catch-up ping, not twenty-four.
	if n := f.runAt(start.Add(26 * time.Hour)); n != 1 {
		t.Fatalf("after a day down: %d fired, want 1", n)
	}
	f.expectPing("catch-up", 2, person("sam"))
	f.press("meg", "ack:1")
	if f.runAt(start.Add(72*time.Hour)) != 0 {
		t.Fatal("fired after the acknowledgement")
	}
}

func TestClockChangeWeeks(t *testing.T) {
	for _, tc := range []struct {
		name            string
		raised          time.Time // Friday before 10:00 local
		due, next       time.Time // in UTC
		monday, digestU time.Time // the digest's Monday 09:00 local, and in UTC
	}{
		{"spring forward 2026-03-29", at(2026, 3, 27, 9, 30),
			time.Date(2026, 3, 31, 8, 30, 0, 0, time.UTC), time.Date(2026, 4, 1, 8, 30, 0, 0, time.UTC),
			at(2026, 3, 30, 9, 0), time.Date(2026, 3, 30, 8, 0, 0, 0, time.UTC)},
		{"fall back 2026-10-25", at(2026, 10, 23, 9, 30),
			time.Date(2026, 10, 27, 9, 30, 0, 0, time.UTC), time.Date(2026, 10, 28, 9, 30, 0, 0, time.UTC),
			at(2026, 10, 26, 9, 0), time.Date(2026, 10, 26, 9, 0, 0, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.monday.Equal(tc.digestU) {
				t.Fatalf("test data: %s is not %s", tc.monday, tc.digestU)
			}
			f := newFixture(t, tc.raised)
			f.team(false)
			f.do("alice", "capacity", "concern The clocks change and so does my caseload")
			f.take()
			// Tuesday 09:30 local, whatever UTC says.
			if f.runAt(tc.due.Add(-time.Second)) != 0 {
				t.Fatal("escalated a second early")
			}
			f.expectPing("before", 0, "")
			f.runAt(tc.due)
			f.expectPing("at Tuesday 09:30 local", 1, person("sam"))
			if got := tc.due.In(london); got.Weekday() != time.Tuesday || got.Hour() != 9 || got.Minute() != 30 {
				t.Fatalf("test data: due %s is not Tuesday 09:30 in London", got)
			}
			if f.runAt(tc.next.Add(-time.Second)) != 0 {
				t.Fatal("second ping early")
			}
			f.runAt(tc.next)
			f.expectPing("Wednesday 09:30 local", 1, person("sam"))

			// The Monday digest: both the channel and the service manager.
			f2 := newFixture(t, tc.monday.Add(-72*time.Hour), func(f *fixture) { f.cron = "0 9 * * MON" })
			f2.team(false)
			f2.run() // Friday: takes the week's snapshot, no digest
			f2.take()
			if n := f2.runAt(tc.digestU.Add(-time.Second)); n != 0 {
				t.Fatalf("digest one second early: %d fired", n)
			}
			if n := f2.runAt(tc.digestU); n != 2 {
				t.Fatalf("at Monday 09:00 local (%s UTC): %d fired, want the team's and the service manager's", tc.digestU.UTC().Format("15:04"), n)
			}
			got := f2.take(schedule.KindDigest)
			if len(got) != 2 || got[0].Dest != string(channel) || got[1].Dest != string(person("sam")) {
				t.Fatalf("digest went to %v", dests(got))
			}
			if strings.Contains(got[0].Message.Footer, "not running") {
				t.Fatalf("an on-time digest says it is late: %s", got[0].Message.Footer)
			}
			if f2.runAt(tc.digestU.Add(time.Hour)) != 0 {
				t.Fatal("digest posted twice")
			}
		})
	}
}

func dests(items []*domain.OutboxItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Kind+"→"+it.Dest)
	}
	return out
}

func TestBankHolidaysAreSkipped(t *testing.T) {
	f := newFixture(t, at(2026, 12, 24, 10, 0), func(f *fixture) {
		f.pol.BankHolidays = []domain.Date{"2026-12-25", "2026-12-28", "2027-01-01"}
	})
	f.team(false)
	f.do("alice", "capacity", "concern Christmas cover")
	f.take()
	// Thu 24: + Fri 25 (holiday), weekend, Mon 28 (holiday), Tue 29 (1), Wed 30 (2).
	for _, quiet := range []time.Time{at(2026, 12, 28, 10, 0), at(2026, 12, 29, 10, 0), at(2026, 12, 30, 9, 59)} {
		if f.runAt(quiet) != 0 {
			t.Fatalf("escalated on %s", quiet)
		}
	}
	f.runAt(at(2026, 12, 30, 10, 0))
	f.expectPing("Wed 30 Dec", 1, person("sam"))
	// Then Thu 31, and (Fri 1 Jan a holiday) Mon 4 Jan.
	f.runAt(at(2026, 12, 31, 10, 0))
	f.expectPing("Thu 31 Dec", 1, person("sam"))
	f.runAt(at(2027, 1, 3, 23, 0))
	f.expectPing("over New Year", 0, "")
	f.runAt(at(2027, 1, 4, 10, 0))
	f.expectPing("Mon 4 Jan", 1, person("sam"))
}

func TestNoServiceManagerTellsAdminsAndChannelOnce(t *testing.T) {
	start := at(2026, 11, 23, 10, 0)
	f := newFixture(t, start, func(f *fixture) { f.admins = []domain.PersonID{"test:admin", "test:ada"} })
	f.team(true)
	f.do("alice", "capacity", "concern Nobody is listening")
	f.take()
	f.runAt(at(2026, 11, 25, 10, 0))
	got := f.escalations()
	var toAdmins, toChannel int
	for _, it := range got {
		switch {
		case it.Dest == string(channel):
			toChannel++
			if it.Message.Audience != domain.ToChannel || !strings.Contains(it.Message.Text, "no service manager") ||
				strings.Contains(it.Message.Text, "Alice") || strings.Contains(it.Message.Text, "listening") {
				t.Errorf("channel notice: %+v", it.Message)
			}
		case it.Dest == "test:admin" || it.Dest == "test:ada":
			toAdmins++
			if len(it.Message.Buttons) != 1 || it.Message.Buttons[0].ActionID != "ack:1" {
				t.Errorf("admin ping without the Acknowledge button: %+v", it.Message.Buttons)
			}
		default:
			t.Errorf("escalation to %s", it.Dest)
		}
	}
	if toAdmins != 2 || toChannel != 1 {
		t.Fatalf("first ping: %d to admins, %d to channel; want 2 and 1", toAdmins, toChannel)
	}
	f.runAt(at(2026, 11, 26, 10, 0))
	got = f.escalations()
	if len(got) != 2 || dests(got)[0] == "escalation→"+string(channel) || dests(got)[1] == "escalation→"+string(channel) {
		t.Fatalf("second ping: %v, want the two admins only", dests(got))
	}
	// An admin acknowledges with the button.
	f.press("ada", "ack:1")
	f.take()
	f.runAt(at(2026, 11, 27, 10, 0))
	f.expectPing("after ack", 0, "")
}

func TestHighRiskCaseWaitingTooLong(t *testing.T) {
	start := at(2026, 11, 23, 10, 0)
	f := newFixture(t, start)
	f.team(false)
	f.do("meg", "caseload", "case add C-77 proceedings court")
	f.do("meg", "caseload", "case add C-78 cin") // not high risk: no clock
	f.take()
	if f.runAt(at(2026, 11, 25, 9, 59)) != 0 {
		t.Fatal("fired early")
	}
	f.runAt(at(2026, 11, 25, 10, 0))
	got := f.expectPing("high risk", 1, person("sam"))
	if text := flatten(got[0].Message); !strings.Contains(text, "C-77") || !strings.Contains(text, "2 working days") || strings.Contains(text, "C-78") {
		t.Fatalf("high-risk message:\n%s", text)
	}
	if f.run() != 0 {
		t.Fatal("a second pass at the same time fired again")
	}
	// Proposed and declined: back in the queue with its waiting time, so
	// the same clock runs on, and repeats each working day.
	f.do("meg", "allocate", "C-77 "+mention("alice"))
	f.do("alice", "allocate", "decline C-77 I am in court all week")
	f.take()
	f.reopen()
	if f.runAt(at(2026, 11, 26, 9, 59)) != 0 {
		t.Fatal("repeated early")
	}
	f.runAt(at(2026, 11, 26, 10, 0))
	f.expectPing("the next working day", 1, person("sam"))
	f.runAt(at(2026, 11, 27, 10, 0))
	f.expectPing("on Friday", 1, person("sam"))
	f.runAt(at(2026, 11, 28, 10, 0)) // Saturday
	f.expectPing("on Saturday", 0, "")
	f.runAt(at(2026, 11, 30, 10, 0)) // Monday
	f.expectPing("on Monday", 1, person("sam"))
	// Allocated: no more.
	f.do("meg", "allocate", "C-77 "+mention("cy"))
	f.do("cy", "allocate", "accept C-77")
	f.take()
	f.runAt(at(2026, 12, 7, 10, 0))
	f.expectPing("after allocation", 0, "")
}

func TestProposalReminderOnce(t *testing.T) {
	start := at(2026, 11, 27, 15, 0) // Friday
	f := newFixture(t, start)
	f.team(false)
	f.do("meg", "caseload", "case add C-5 cin")
	f.do("meg", "allocate", "C-5 "+mention("alice"))
	f.take()
	if f.runAt(at(2026, 11, 30, 14, 59)) != 0 { // Monday: one working day is at 15:00
		t.Fatal("reminded early")
	}
	f.runAt(at(2026, 11, 30, 15, 0))
	got := f.take(schedule.KindReminder)
	if len(got) != 1 || got[0].Dest != string(person("alice")) {
		t.Fatalf("reminders: %v", dests(got))
	}
	m := got[0].Message
	if !strings.Contains(flatten(m), "C-5") || len(m.Buttons) != 2 || m.Buttons[0].For != person("alice") ||
		!strings.HasPrefix(m.Buttons[0].ActionID, "accept:") || !strings.HasPrefix(m.Buttons[1].ActionID, "decline:") {
		t.Fatalf("reminder: %+v", m)
	}
	f.reopen()
	f.runAt(at(2026, 12, 4, 15, 0))
	if got := f.take(schedule.KindReminder); len(got) != 0 {
		t.Fatalf("reminded again: %v", dests(got))
	}
	// The reminder's button works.
	f.press("alice", m.Buttons[0].ActionID)
}

func TestOverrideDueForReview(t *testing.T) {
	start := at(2026, 11, 23, 10, 0)
	f := newFixture(t, start)
	f.team(false)
	f.addCases("north", person("alice"), "A", 10, "cp") // 80 of 85 points
	f.do("meg", "caseload", "case add C-9 cin")
	f.do("meg", "allocate", "C-9 "+mention("alice")+" override review=2w she knows the family")
	f.do("alice", "allocate", "accept C-9")
	f.take()
	// Review on Mon 7 Dec.
	if f.runAt(at(2026, 12, 6, 23, 59)) != 0 {
		t.Fatal("told before the review date")
	}
	f.runAt(at(2026, 12, 7, 0, 0))
	got := f.take(schedule.KindReminder)
	if len(got) != 1 || got[0].Dest != string(person("meg")) {
		t.Fatalf("override review told %v, want meg", dests(got))
	}
	if text := flatten(got[0].Message); !strings.Contains(text, "C-9") || !strings.Contains(text, "she knows the family") || !strings.Contains(text, "Alice") {
		t.Fatalf("override message:\n%s", text)
	}
	if f.run() != 0 {
		t.Fatal("a second pass at the same time told again")
	}
	// Not reviewed: reminded again the next working day.
	f.reopen()
	f.runAt(at(2026, 12, 8, 0, 0))
	if got := f.take(schedule.KindReminder); len(got) != 1 {
		t.Fatalf("reminders the next working day: %v, want one", dests(got))
	}
	// Reviewed, continuing for 4 weeks: quiet until the new date.
	f.do("meg", "allocate", "review C-9 continue review=4w the hearing moved; C-3 moves to Cy next week")
	f.take()
	f.runAt(at(2026, 12, 21, 10, 0))
	if got := f.take(schedule.KindReminder); len(got) != 0 {
		t.Fatalf("told after the review: %v", dests(got))
	}
	// Tue 8 Dec + 4 weeks is Tue 5 Jan 2027.
	f.runAt(at(2027, 1, 5, 0, 0))
	if got := f.take(schedule.KindReminder); len(got) != 1 {
		t.Fatalf("at the new review date: %v, want one", dests(got))
	}
	// Ended: no more reminders.
	f.do("meg", "allocate", "review C-9 end")
	f.take()
	f.runAt(at(2027, 1, 12, 10, 0))
	if got := f.take(schedule.KindReminder); len(got) != 0 {
		t.Fatalf("told after the override ended: %v", dests(got))
	}
}

func TestLongOverCapacityOncePerRun(t *testing.T) {
	monday := at(2026, 9, 7, 8, 0)
	f := newFixture(t, monday)
	f.team(false)
	f.addCases("north", person("alice"), "A", 11, "cp") // 88 of 85 points: 103.5 %
	week := func(i int) time.Time { return monday.AddDate(0, 0, 7*i) }
	for i := 0; i < 11; i++ {
		f.runAt(week(i))
		if got := f.escalations(); len(got) != 0 {
			t.Fatalf("week %d: told early: %v", i+1, dests(got))
		}
	}
	f.runAt(week(11)) // the twelfth weekly snapshot
	got := f.expectPing("week 12", 1, person("sam"))
	if text := flatten(got[0].Message); !strings.Contains(text, "Alice") || !strings.Contains(text, "12 weeks") {
		t.Fatalf("long-over message:\n%s", text)
	}
	f.reopen()
	f.runAt(week(12))
	f.expectPing("week 13", 0, "")

	// Down below 100 % for a week breaks the run; a new run of 12 tells again.
	_ = f.st.Update(func(tx domain.Tx) error {
		c, _ := tx.Case("north", "A-1")
		c.Status = domain.CaseClosed
		return tx.PutCase(c)
	})
	f.runAt(week(13))
	f.addCases("north", person("alice"), "B", 1, "cp")
	for i := 14; i < 25; i++ {
		f.runAt(week(i))
		f.expectPing("new run", 0, "")
	}
	f.runAt(week(25))
	f.expectPing("new run of 12", 1, person("sam"))
}

func TestRunTicksOnTheInjectedClock(t *testing.T) {
	start := at(2026, 11, 23, 10, 0)
	f := newFixture(t, start)
	f.team(false)
	f.do("alice", "capacity", "concern Run loop")
	f.take()
	woke := make(chan struct{}, 1)
	f.sched.Interval = 5 * time.Millisecond
	f.sched.Wake = func() {
		select {
		case woke <- struct{}{}:
		default:
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.sched.Run(ctx) }()
	// Days pass on the fake clock, none in real time.
	f.clock.Set(at(2026, 11, 25, 10, 0))
	select {
	case <-woke:
	case <-time.After(5 * time.Second):
		t.Fatal("the loop did not fire at the fake clock's deadline")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	f.expectPing("from Run", 1, person("sam"))
}
