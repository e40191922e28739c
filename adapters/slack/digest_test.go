package slack

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/digest"
	"github.com/safeload/safeload/internal/domain"
)

// TestTypedDigestCarriesItsChart: /caseload digest typed in the channel
// answers the manager privately, and the outbox posts the digest in the
// channel with its chart uploaded, as the weekly one.
func TestTypedDigestCarriesItsChart(t *testing.T) {
	h := newHarness(t)
	h.eng.Digest = func(tx domain.Tx, team *domain.Team, now time.Time) ([]domain.Message, error) {
		return digest.Build(tx, h.eng.Policy(), h.eng.Prompts(), h.eng.Location(), team, now)
	}
	admin, meg, alice := h.Person("admin"), h.Person("meg"), h.Person("alice")
	h.in(t, testChannel, admin, "caseload", "setup North")
	h.in(t, testChannel, admin, "caseload", "add "+h.Mention(meg)+" manager")
	h.in(t, testChannel, admin, "caseload", "add "+h.Mention(alice)+" practitioner")
	h.Deliver(t)
	from := len(h.fake.Calls())

	answer := h.in(t, testChannel, meg, "caseload", "digest")
	if !strings.Contains(answer, "North's digest is on its way to this channel, with its chart") || !strings.Contains(answer, `"response_type":"ephemeral"`) {
		t.Fatalf("the answer to the manager: %q", answer)
	}
	for _, c := range h.fake.Calls()[from:] {
		if c.Method == "chat.postMessage" || c.Method == "files.completeUploadExternal" {
			t.Fatalf("posted in the channel before the outbox ran: %s", c.Method)
		}
	}
	h.Deliver(t)
	var text, files []string
	var png []byte
	for _, c := range h.fake.Calls()[from:] {
		switch c.Method {
		case "chat.postMessage":
			text = append(text, c.Channel)
		case "files.completeUploadExternal":
			files = append(files, c.Channel)
			png = c.File.Data
		}
	}
	if strings.Join(text, " ") != testChannel || strings.Join(files, " ") != testChannel {
		t.Fatalf("want the digest's text and its chart once each in %s; text in %v, charts in %v", testChannel, text, files)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("the chart shared is not a PNG (%d bytes)", len(png))
	}
}
