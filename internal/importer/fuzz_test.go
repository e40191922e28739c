package importer_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/importer"
)

// FuzzImport: whatever the bytes, Import does not panic; a refused file is
// an *importer.Error in plain text and leaves the store exactly as it was;
// an accepted file imported again changes nothing.
func FuzzImport(f *testing.F) {
	example, err := os.ReadFile(filepath.Join("..", "..", "deploy", "examples", "team.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(edited(nil)),
		string(knownTeam()),
		string(example),
		"",
		"teams:\n",
		"teams: [{id: a, name: A}]\n",
		"teams: [{id: a, name: A, members: [{id: slack:U1, name: Al, role: student}], cases: [{ref: C-1, type: cin, allocated_to: slack:U1}]}]\n",
		"teams: [{id: a, name: A, cases: [{ref: JohnSmith, type: cin}]}]\n",
		"teams: [{id: a, name: A, members: [{id: slack:U1, name: Al, role: practitioner, fte: -1}]}]\n",
		`{"teams": [{"id": "b", "name": "B", "channel": "discord:1", "cases": [{"ref": "X/1", "type": "cp", "children": 2}]}]}`,
		"teams:\n  - id: a\n\tname: A\n",
		"teams: [{id: a, name: A}]\n---\nteams: []\n",
		"a: &x [*x]\n",
		"teams: [{id: a, name: A, members: [{id: slack:U1, name: Al, role: practitioner, reductions: [{reason: r, percent: 100, until: 2027-01-01}]}]}]\n",
		"\xff\xfe",
	} {
		f.Add([]byte(seed))
	}
	st, _ := openStore(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		before := snap(t, st)
		sum, err := importer.Import(st, data, "f.yaml", nil)
		if err != nil {
			var bad *importer.Error
			if !errors.As(err, &bad) {
				t.Fatalf("Import refused with %T %v, want an *importer.Error", err, err)
			}
			if !utf8.ValidString(err.Error()) {
				t.Errorf("the message is not valid UTF-8: %q", err.Error())
			}
			before.same(t, snap(t, st))
			return
		}
		if again, err := importer.Import(st, data, "f.yaml", nil); err != nil || again.Changed {
			t.Errorf("importing an accepted file again: %v, %v (first: %v)", again, err, sum)
		}
	})
}

var refChars = regexp.MustCompile(`^[A-Za-z0-9/-]+$`)

// FuzzValidateRef: domain.ValidateRef never panics, accepts only short
// opaque references, and refuses with a plain message.
func FuzzValidateRef(f *testing.F) {
	for _, seed := range []string{"C-1042", "A/2024/0101", "JohnSmith", "Smith-1", "smith1", "CIN-7", "", "C 1",
		strings.Repeat("1", 32), strings.Repeat("1", 33), "Ä-1", "c-1\n", "McDonald-2", "X1"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		err := domain.ValidateRef(ref)
		if err == nil {
			if len(ref) > domain.MaxRefLen || !refChars.MatchString(ref) {
				t.Errorf("ValidateRef accepted %q: want at most %d of letters, digits, - and /", ref, domain.MaxRefLen)
			}
			return
		}
		if domain.ErrorCode(err) != domain.EINVALID || domain.ErrorMessage(err) == "" {
			t.Errorf("ValidateRef(%q) = %v, want an EINVALID error with a message", ref, err)
		}
	})
}
