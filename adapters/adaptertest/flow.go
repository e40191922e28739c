package adaptertest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/safeload/safeload/internal/domain"
)

func join(ms []Shown) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "[private=%v to=%q replaced=%v buttons=%v]\n%s\n", m.Private, m.To, m.Replaced, m.Buttons, m.Text)
	}
	return b.String()
}

// expect asserts that one of the messages has every part, and returns it.
func expect(t *testing.T, what string, ms []Shown, parts ...string) Shown {
	t.Helper()
	for _, m := range ms {
		if m.Has(parts...) {
			return m
		}
	}
	t.Fatalf("%s: no message has %q; got:\n%s", what, parts, join(ms))
	return Shown{}
}

// expectPrivate asserts exactly one private message with every part.
func expectPrivate(t *testing.T, what string, ms []Shown, parts ...string) Shown {
	t.Helper()
	m := expect(t, what, ms, parts...)
	if !m.Private {
		t.Fatalf("%s: expected a private message, got a public one:\n%s", what, join([]Shown{m}))
	}
	return m
}

func noBrokenPrompts(t *testing.T, what string, ms []Shown) {
	t.Helper()
	for _, m := range ms {
		if strings.Contains(m.Text, "[") && strings.Contains(m.Text, "template:") {
			t.Fatalf("%s: a prompt failed to render:\n%s", what, m.Text)
		}
	}
}

// Run plays a whole allocation meeting and concern lifecycle through d.
func Run(t *testing.T, d Driver) {
	admin, meg, alice, bo, sam, stu := d.Person("admin"), d.Person("meg"), d.Person("alice"), d.Person("bo"), d.Person("sam"), d.Person("stu")
	eve := d.Person("eve")
	m := d.Mention
	cmd := func(as domain.PersonID, command, text string) []Shown {
		t.Helper()
		out := d.Command(t, as, command, text)
		noBrokenPrompts(t, "/"+command+" "+text, out)
		return out
	}

	// Setting up: only an admin may bind the channel.
	expectPrivate(t, "setup by non-admin", cmd(eve, "caseload", "setup North CIN"), "Only an admin")
	expect(t, "setup", cmd(admin, "caseload", "setup North CIN"), "North CIN")
	expect(t, "add manager", cmd(admin, "caseload", "add "+m(meg)+" manager"), "manager")
	expect(t, "add alice", cmd(meg, "caseload", "add "+m(alice)+" practitioner"), "practitioner", "85 points")
	expect(t, "add bo", cmd(meg, "caseload", "add "+m(bo)+" asye"), "ASYE", "68 points")
	expect(t, "add sam", cmd(meg, "caseload", "add "+m(sam)+" practitioner fte=0.5"), "42.5 points")
	expect(t, "add stu", cmd(meg, "caseload", "add "+m(stu)+" student"), "student")
	expectPrivate(t, "practitioner cannot add", cmd(alice, "caseload", "add "+m(eve)+" practitioner"), "Only a manager of North CIN")
	expectPrivate(t, "bad role", cmd(meg, "caseload", "add "+m(eve)+" wizard"), "/caseload add")

	// Cases: Alice already carries a heavy load.
	for i, spec := range []string{"C-101 proceedings court high_risk", "C-102 cp court", "C-103 cp", "C-104 cp", "C-105 cp", "C-106 lac", "C-107 lac", "C-108 cin", "C-109 cin", "C-110 cin"} {
		expect(t, "case add "+spec, cmd(meg, "caseload", "case add "+spec), strings.Fields(spec)[0])
		if i < 9 {
			ref := strings.Fields(spec)[0]
			expect(t, "propose "+ref, cmd(meg, "allocate", ref+" "+m(alice)), ref)
			expect(t, "accept "+ref, cmd(alice, "allocate", "accept "+ref), ref, "accepted")
		}
	}
	expectPrivate(t, "name-like ref refused", cmd(meg, "caseload", "case add JohnSmith cin"), "looks like a name")
	expectPrivate(t, "unknown type", cmd(meg, "caseload", "case add C-200 wizardry"), "not a case type")

	// The meeting view: queue with a suggestion and the board.
	q := expect(t, "queue", cmd(meg, "allocate", ""), "C-110", "Suggest")
	if q.Private {
		t.Fatalf("the meeting view is for the whole channel:\n%s", q.Text)
	}
	expectPrivate(t, "practitioner cannot run the meeting", cmd(alice, "allocate", ""), "Only a manager of North CIN")

	// Alice holds 70 points of 85 (82.4 %); a proceedings case with court
	// (10 + 2) takes her to 82/85 = 96.5 %, and a second to 94/85 = 110.6 %.
	expect(t, "add heavy case", cmd(meg, "caseload", "case add C-111 proceedings court"), "C-111", "12 points")
	expect(t, "add another", cmd(meg, "caseload", "case add C-112 proceedings court"), "C-112")
	cmd(meg, "allocate", "C-111 "+m(alice))
	expect(t, "accept C-111", cmd(alice, "allocate", "accept C-111"), "accepted", "96.5 %")
	over := cmd(meg, "allocate", "C-112 "+m(alice))
	expectPrivate(t, "override needed", over, "110.6 %", "override")

	// Refusals change nothing.
	expectPrivate(t, "ASYE protected from proceedings", cmd(meg, "allocate", "C-112 "+m(bo)), "is an ASYE", "override review=4w <reason>")
	expectPrivate(t, "student refused", cmd(meg, "allocate", "C-110 "+m(stu)), "student")
	expectPrivate(t, "manager refused", cmd(meg, "allocate", "C-110 "+m(meg)), "no caseload")
	expectPrivate(t, "unknown case", cmd(meg, "allocate", "C-999 "+m(sam)), "no case C-999")
	expectPrivate(t, "held case", cmd(meg, "allocate", "C-101 "+m(sam)), "already held")

	// An override proposal: Accept/Decline only for Alice.
	prop := expect(t, "override proposal", cmd(meg, "allocate", "C-112 "+m(alice)+" override review=2w court date next week, she knows the family"), "110.6 %", "Override")
	acc, ok := prop.Button("Accept")
	if !ok {
		t.Fatalf("proposal has no Accept button:\n%s", join([]Shown{prop}))
	}
	dec, _ := prop.Button("Decline")
	expectPrivate(t, "wrong person presses", d.Press(t, bo, prop, acc), "Alice")
	expectPrivate(t, "decline button asks why", d.Press(t, alice, prop, dec), "/allocate decline C-112")
	d.Deliver(t) // flush earlier messages
	declined := cmd(alice, "allocate", "decline C-112 I am in court all week")
	expect(t, "decline with reason", declined, "declined", "back in the queue")
	// A decline's reason may be about someone's health: the channel hears
	// that the case was declined, the managers hear why, privately.
	for _, msg := range declined {
		if !msg.Private && strings.Contains(msg.Text, "in court all week") {
			t.Fatalf("a decline's reason reached the channel:\n%s", join([]Shown{msg}))
		}
	}
	why := expect(t, "the manager hears the reason", d.Deliver(t), "I am in court all week")
	if why.To != string(meg) || !why.Private {
		t.Fatalf("the reason must go privately to the manager %s, got to=%q private=%v", meg, why.To, why.Private)
	}
	expectPrivate(t, "second press changes nothing", d.Press(t, alice, prop, acc), "already declined")

	// A proposal accepted by button replaces the message and loses its buttons.
	prop2 := expect(t, "propose to Sam", cmd(meg, "allocate", "C-110 "+m(sam)), "C-110", "Sam")
	acc2, _ := prop2.Button("Accept")
	accepted := expect(t, "accept by button", d.Press(t, sam, prop2, acc2), "accepted")
	if len(accepted.Buttons) != 0 {
		t.Fatalf("after a valid press the message must lose its buttons:\n%s", join([]Shown{accepted}))
	}
	expectPrivate(t, "second press", d.Press(t, sam, prop2, acc2), "already accepted")

	// Minutes of the meeting.
	minutes := expect(t, "minutes", cmd(meg, "allocate", "done"), "Minutes", "C-112", "gave a reason", "C-110")
	if minutes.Private {
		t.Fatal("minutes are for the channel")
	}
	if strings.Contains(minutes.Text, "in court all week") {
		t.Fatalf("the minutes must not carry a decline's reason:\n%s", minutes.Text)
	}

	// A capacity concern: managers are told privately with an Acknowledge button.
	d.Deliver(t) // flush earlier messages
	expectPrivate(t, "concern raised", cmd(alice, "capacity", "concern I cannot do the court work on C-101 and C-111 this month"), "Concern #1", "96.5 %")
	delivered := d.Deliver(t)
	note := expect(t, "manager told", delivered, "Capacity concern #1")
	if note.To != string(meg) || !note.Private {
		t.Fatalf("the concern must go privately to the manager %s, got to=%q private=%v", meg, note.To, note.Private)
	}
	ack, ok := note.Button("Acknowledge")
	if !ok {
		t.Fatalf("the manager's message has no Acknowledge button:\n%s", join([]Shown{note}))
	}
	expectPrivate(t, "practitioner cannot ack", cmd(alice, "capacity", "ack 1"), "Only a manager of North CIN")
	expect(t, "ack by button", d.Press(t, meg, note, ack), "acknowledged")
	expect(t, "raiser told of ack", d.Deliver(t), "acknowledged your concern #1")
	expectPrivate(t, "ack twice", cmd(meg, "capacity", "ack 1"), "already acknowledged")
	expectPrivate(t, "resolve needs a plan", cmd(meg, "capacity", "resolve 1"), "no plan yet")
	expectPrivate(t, "plan", cmd(meg, "capacity", "plan 1 C-111 moves to Sam after the hearing; no new cases for 4 weeks"), "plan")
	expectPrivate(t, "resolve", cmd(meg, "capacity", "resolve 1"), "resolved")

	// Own workload, hours, and the board.
	expectPrivate(t, "my capacity", cmd(alice, "capacity", ""), "Your workload", "96.5 %", "C-111")
	expectPrivate(t, "hours", cmd(alice, "capacity", "hours 2.5 court prep"), "2.5")
	expectPrivate(t, "hours out of range", cmd(alice, "capacity", "hours 30"), "at most 24")
	expectPrivate(t, "member view", cmd(meg, "capacity", m(alice)), "Alice")
	expectPrivate(t, "board", cmd(alice, "caseload", "board"), "capacity board", "Alice", "Sam")
	expectPrivate(t, "outsider", cmd(eve, "caseload", "board"), "not a member")
}
