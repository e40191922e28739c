package teams

import (
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// TestEnginePanicIsAnInternalError: a panic while a command runs is caught
// by the engine, the one place every request passes: the caller is told
// privately that something went wrong, nothing reaches the channel, and the
// bot answers the next command.
func TestEnginePanicIsAnInternalError(t *testing.T) {
	h := newHarness(t)
	admin := h.Person("admin")
	h.Command(t, admin, "caseload", "setup North CIN")
	h.eng.Digest = func(domain.Tx, *domain.Team, time.Time) ([]domain.Message, error) { panic("boom") }
	out := h.Command(t, admin, "caseload", "digest")
	if len(out) != 1 || !out[0].Private || out[0].To != string(admin) || !out[0].Has("Something went wrong") {
		t.Fatalf("after a panic: %+v", out)
	}
	if strings.Contains(strings.Join(h.channelTexts(t), "\n"), "went wrong") {
		t.Fatal("the internal error reached the channel")
	}
	if out := h.Command(t, admin, "caseload", "board"); len(out) != 1 || !out[0].Has("North CIN") {
		t.Fatalf("the next command: %+v", out)
	}
}
