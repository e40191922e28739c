package importer_test

import (
	"strings"
	"testing"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/importer"
)

// TestImportTeamsIDs: a Teams channel (19:…@thread.tacv2) and Teams people
// (29:…) are taken as Teams sends them.
func TestImportTeamsIDs(t *testing.T) {
	st, _ := openStore(t)
	file := strings.Join([]string{
		"teams:",
		"  - id: north",
		"    name: North Team",
		"    channel: teams:19:abc-DEF_1@thread.tacv2",
		"    members:",
		"      - {id: teams:29:1GcS4EyB_oSI8A88XmWBN7NJFyMqe3QGnJdgLfFGkJnVelzRGos0bPbpsfJjcbAD22bmKc4GMbrY2g4JDrWJ9PQ, name: Ann Ash, role: practitioner}",
		"    cases:",
		"      - {ref: C-1, type: cin, allocated_to: teams:29:1GcS4EyB_oSI8A88XmWBN7NJFyMqe3QGnJdgLfFGkJnVelzRGos0bPbpsfJjcbAD22bmKc4GMbrY2g4JDrWJ9PQ}",
	}, "\n") + "\n"
	mustImport(t, st, []byte(file))
	if err := st.View(func(tx domain.Tx) error {
		tm, err := tx.TeamByChannel("teams:19:abc-DEF_1@thread.tacv2")
		if err != nil || tm.ID != "north" {
			t.Fatalf("team by channel: %v %v", tm, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(file, "teams:19:abc-DEF_1@thread.tacv2", "teams:general", 1)
	_, err := importer.Import(st, []byte(bad), "t.yaml", nil)
	if err == nil || !strings.Contains(err.Error(), "teams:19:abc@thread.tacv2") {
		t.Fatalf("a Teams channel without its thread ID: %v", err)
	}
}
