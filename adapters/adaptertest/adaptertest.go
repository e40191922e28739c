// Package adaptertest is the contract every chat adapter must meet: the same
// allocation meeting and concern flow, driven through the adapter's real
// entry points (signed HTTP for Slack and Discord, stdin for the console),
// must show the same things to the same people. Each adapter's tests
// implement Driver and call Run.
package adaptertest

import (
	"strings"
	"testing"

	"github.com/safeload/safeload/internal/domain"
)

// Button is a button as an adapter showed it.
type Button struct {
	Label    string
	ActionID string
}

// Shown is one message as a person would see it, flattened to text.
type Shown struct {
	// Text is everything readable: title, text, fields, sections, footer.
	Text string
	// Private is true for an ephemeral reply or a DM.
	Private bool
	// To is where a delivered message went (a person or channel ID), "" for
	// an answer to the request itself.
	To string
	// Replaced is true when the message updated the one whose button was pressed.
	Replaced bool
	Buttons  []Button
	// Ref is adapter-specific data needed to press a button on this
	// message (e.g. Slack's response_url or Discord's message ID).
	Ref any
}

// Has reports whether the text contains every one of the parts.
func (s Shown) Has(parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s.Text, p) {
			return false
		}
	}
	return true
}

// Button finds a button by label.
func (s Shown) Button(label string) (Button, bool) {
	for _, b := range s.Buttons {
		if b.Label == label {
			return b, true
		}
	}
	return Button{}, false
}

// Driver drives one adapter.
type Driver interface {
	// Platform is "slack", "discord" or "console".
	Platform() string
	// Person is the platform ID of a named test user ("admin", "meg",
	// "alice", "bo", "sam", "stu", "eve"). "admin" must be a bootstrap admin.
	Person(name string) domain.PersonID
	// Channel is the test team's channel on this platform.
	Channel() domain.ChannelID
	// Mention is how a person is typed in a command's text. The engine must
	// learn the person's display name from it or from the platform's
	// request (Admin, Meg, Alice, Bo, Sam, Stu, Eve, capitalised).
	Mention(p domain.PersonID) string
	// Command sends a slash command ("allocate", "capacity", "caseload")
	// with its text, as the person, through the adapter's real entry point,
	// and returns what the person saw in answer.
	Command(t *testing.T, as domain.PersonID, command, text string) []Shown
	// Press presses a button on a message as the person.
	Press(t *testing.T, as domain.PersonID, msg Shown, b Button) []Shown
	// Deliver runs the outbox through the adapter's sender to its fake
	// platform and returns what was delivered since the last call.
	Deliver(t *testing.T) []Shown
	// Advance moves the fake clock the engine runs on.
	Advance(t *testing.T, hours int)
}
