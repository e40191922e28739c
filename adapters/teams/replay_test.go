package teams

import (
	"net/http"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// An activity sent again (a replay while its token is still valid, or a
// redelivery) runs once.
func TestReplayedActivityRunsOnce(t *testing.T) {
	h := newHarness(t)
	admin, alice := h.Person("admin"), h.Person("alice")
	h.Command(t, admin, "caseload", "setup North CIN")
	h.Command(t, admin, "caseload", "add "+h.Mention(alice)+" practitioner")
	act := h.activity(alice, "capacity hours 2 late visit", true)
	for i := 0; i < 3; i++ {
		if code := h.send(t, act, ""); code != http.StatusOK {
			t.Fatalf("send %d: %d", i, code)
		}
	}
	var n int
	if err := h.st.View(func(tx domain.Tx) error {
		hs, err := tx.Hours("north-cin", time.Time{})
		n = len(hs)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d hours entries after one activity sent three times", n)
	}
}
