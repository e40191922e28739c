package schedule_test

import (
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/schedule"
)

func TestLastSlot(t *testing.T) {
	for _, tc := range []struct {
		spec string
		now  time.Time
		want time.Time
	}{
		{"0 9 * * MON", at(2026, 11, 25, 12, 0), at(2026, 11, 23, 9, 0)},
		{"0 9 * * MON", at(2026, 11, 23, 9, 0), at(2026, 11, 23, 9, 0)},
		{"0 9 * * MON", at(2026, 11, 23, 8, 59), at(2026, 11, 16, 9, 0)},
		{"*/5 * * * *", at(2026, 11, 23, 9, 7), at(2026, 11, 23, 9, 5)},
		{"0 8 1 * *", at(2026, 11, 23, 9, 7), at(2026, 11, 1, 8, 0)},
		{"0 8 1 1 *", at(2026, 11, 23, 9, 7), at(2026, 1, 1, 8, 0)},
	} {
		sched, err := cron.ParseStandard(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := schedule.LastSlot(sched, tc.now); !got.Equal(tc.want) {
			t.Errorf("LastSlot(%q, %s) = %s, want %s", tc.spec, tc.now, got, tc.want)
		}
	}
}

func TestMissedDigestIsPostedOnceOnly(t *testing.T) {
	f := newFixture(t, at(2026, 11, 3, 10, 0), func(f *fixture) { f.cron = "0 9 * * MON" })
	f.team(false)
	f.do("meg", "caseload", "case add C-1 cin")
	f.run() // Tuesday: the week's snapshot, no digest (the team is newer than the last slot)
	if got := f.take("digest"); len(got) != 0 {
		t.Fatalf("a team set up after the last slot got a digest: %v", dests(got))
	}
	if n := f.runAt(at(2026, 11, 9, 9, 0)); n != 2 {
		t.Fatalf("Monday 9 Nov: %d fired, want the channel's and the service manager's digest", n)
	}
	f.take()

	// Down from Monday 9 Nov until Wednesday 25 Nov: the 16th and the 23rd were missed.
	f.do("meg", "allocate", "C-1 "+mention("alice"))
	f.do("alice", "allocate", "accept C-1")
	f.take()
	f.reopen()
	if n := f.runAt(at(2026, 11, 25, 12, 0)); n != 2 {
		t.Fatalf("back after two missed Mondays: %d fired, want one catch-up each for the channel and the service manager", n)
	}
	got := f.take("digest")
	if len(got) != 2 || got[0].Dest != string(channel) || got[1].Dest != string(person("sam")) {
		t.Fatalf("catch-up went to %v", dests(got))
	}
	team := got[0].Message
	if !strings.Contains(team.Footer, "was due Mon 23 Nov 09:00") {
		t.Errorf("catch-up does not say which slot it is for: %q", team.Footer)
	}
	if text := flatten(team); !strings.Contains(text, "Alice") || !strings.Contains(text, "Since last week (figures of the week of Mon 9 Nov 2026)") {
		t.Errorf("catch-up digest:\n%s", text)
	}
	for _, slot := range []struct {
		at     time.Time
		posted bool
	}{{at(2026, 11, 9, 9, 0), true}, {at(2026, 11, 16, 9, 0), false}, {at(2026, 11, 23, 9, 0), true}} {
		if got := f.posted(domain.DigestSlot{Team: "north", Slot: slot.at}); got != slot.posted {
			t.Errorf("north's digest of %s recorded as posted: %v, want %v", slot.at, got, slot.posted)
		}
	}

	// A restart after the catch-up posts nothing; the next Monday posts again.
	f.reopen()
	if n := f.runAt(at(2026, 11, 26, 8, 0)); n != 0 {
		t.Fatalf("after a restart: %d fired", n)
	}
	if got := f.take("digest"); len(got) != 0 {
		t.Fatalf("posted again after a restart: %v", dests(got))
	}
	if n := f.runAt(at(2026, 11, 30, 9, 0)); n != 2 {
		t.Fatalf("next Monday: %d fired", n)
	}
	if got := f.take("digest"); len(got) != 2 || strings.Contains(got[0].Message.Footer, "not running") {
		t.Fatalf("next Monday's digest: %v", dests(got))
	}
}

func TestNoCronNoDigest(t *testing.T) {
	f := newFixture(t, at(2026, 11, 2, 10, 0))
	f.team(false)
	f.runAt(at(2026, 11, 30, 9, 0))
	if got := f.take("digest"); len(got) != 0 {
		t.Fatalf("digest with no schedule: %v", dests(got))
	}
}

func TestFirstStartPostsNoCatchUp(t *testing.T) {
	f := newFixture(t, at(2026, 11, 2, 10, 0), func(f *fixture) { f.cron = "0 9 * * MON" })
	f.team(false) // set up on Monday 2 Nov, served for the first time on Wednesday 11 Nov
	if n := f.runAt(at(2026, 11, 11, 10, 0)); n != 0 {
		t.Fatalf("first start: %d fired, want no catch-up: the bot was never up to miss one", n)
	}
	f.reopen()
	if n := f.runAt(at(2026, 11, 16, 9, 0)); n != 2 {
		t.Fatalf("the next Monday: %d fired, want 2", n)
	}
}
