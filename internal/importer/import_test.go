package importer_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/importer"
	"github.com/safeload/safeload/internal/store"
)

// baseFile is a good file; the rejection tests change one line of it, so
// the line numbers in their expectations are those of these lines.
var baseFile = []string{
	/* 1 */ "teams:",
	/* 2 */ "  - id: north",
	/* 3 */ "    name: North Team",
	/* 4 */ "    channel: slack:C1",
	/* 5 */ "    service_manager: slack:USM",
	/* 6 */ "    members:",
	/* 7 */ "      - {id: slack:UA, name: Ann Ash, role: practitioner, fte: 1}",
	/* 8 */ "      - {id: slack:UB, name: Bea Best, role: asye}",
	/* 9 */ "      - {id: slack:UC, name: Cy Cole, role: practitioner, fte: 0.6, reductions: [{reason: practice educator, percent: 10, until: 2027-03-31}]}",
	/* 10 */ "      - {id: slack:UM, name: Meg Moss, role: manager}",
	/* 11 */ "      - {id: slack:US, name: Sam Stone, role: student}",
	/* 12 */ "    cases:",
	/* 13 */ "      - {ref: C-1001, type: cp, factors: [court, rural], children: 3, allocated_to: slack:UA}",
	/* 14 */ "      - {ref: C-1002, type: cin}",
	/* 15 */ "      - {ref: C-1003, type: lac, allocated_to: slack:UC}",
	/* 16 */ "  - id: south",
	/* 17 */ "    name: South Team",
	/* 18 */ "    members:",
	/* 19 */ "      - {id: slack:UD, name: Dee Dale, role: practitioner}",
	/* 20 */ "    cases:",
	/* 21 */ "      - {ref: C-2001, type: s42, allocated_to: slack:UD}",
}

// edited is baseFile with line n (from 1) replaced by each text in turn.
func edited(edits map[int]string) []byte {
	lines := append([]string(nil), baseFile...)
	for n, text := range edits {
		lines[n-1] = text
	}
	return []byte(strings.Join(lines, "\n") + "\n")
}

var day0 = time.Date(2026, 5, 11, 9, 0, 0, 0, time.UTC)

// openStore opens a new store in a temporary directory on a fake clock.
func openStore(tb testing.TB) (*store.DB, *clock.Fake) {
	tb.Helper()
	clk := clock.NewFake(day0)
	st, err := store.Open(filepath.Join(tb.TempDir(), "safeload.db"), store.Options{Clock: clk, NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st, clk
}

func mustImport(tb testing.TB, st domain.Store, data []byte) importer.Summary {
	tb.Helper()
	sum, err := importer.Import(st, data, "t.yaml", nil)
	if err != nil {
		tb.Fatalf("Import: %v", err)
	}
	return sum
}

// snapshot is the store's file, byte for byte, and a readable dump of it
// (the JSON export and every team's audit log) to show what differs.
type snapshot struct {
	hash [32]byte
	dump string
}

func snap(tb testing.TB, st *store.DB) snapshot {
	tb.Helper()
	data, err := os.ReadFile(st.Path())
	if err != nil {
		tb.Fatal(err)
	}
	var b bytes.Buffer
	if err := importer.Export(st, &b, "json", nil, "2026-05-11"); err != nil {
		tb.Fatal(err)
	}
	err = st.View(func(tx domain.Tx) error {
		teams, err := tx.Teams()
		if err != nil {
			return err
		}
		ids := []string{""}
		for _, t := range teams {
			ids = append(ids, t.ID)
		}
		for _, id := range ids {
			log, err := tx.AuditLog(id, time.Time{})
			if err != nil {
				return err
			}
			for _, e := range log {
				fmt.Fprintf(&b, "\naudit %s %d %s %s %s → %s", id, e.Seq, e.Action, e.Subject, e.Before, e.After)
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return snapshot{sha256.Sum256(data), b.String()}
}

func (s snapshot) same(tb testing.TB, after snapshot) {
	tb.Helper()
	if s.dump != after.dump {
		tb.Errorf("the store changed:\nbefore %s\nafter  %s", s.dump, after.dump)
	} else if s.hash != after.hash {
		tb.Errorf("the store file changed, though its records read the same")
	}
}

func TestImportRejects(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string // one line of the error
	}{
		{"unknown role", edited(map[int]string{11: "      - {id: slack:US, name: Sam Stone, role: wizard}"}),
			`t.yaml:11: teams[0].members[4].role: "wizard" is not a role (admin, service_manager, manager, practitioner, asye, student)`},
		{"missing role", edited(map[int]string{11: "      - {id: slack:US, name: Sam Stone}"}),
			`t.yaml:11: teams[0].members[4].role: is missing; give one of admin, service_manager, manager, practitioner, asye, student`},
		{"unknown case type", edited(map[int]string{14: "      - {ref: C-1002, type: cpp}"}),
			`t.yaml:14: teams[0].cases[1].type: "cpp" is not a case type in this policy (adult_assessment, assessment, care_leaver, cin, cop, cp, lac, proceedings, review, s42)`},
		{"unknown factor", edited(map[int]string{14: "      - {ref: C-1002, type: cin, factors: [court, drugs]}"}),
			`t.yaml:14: teams[0].cases[1].factors[1]: "drugs" is not a factor in this policy (court, high_risk, noncooperation, rural)`},
		{"children as a factor", edited(map[int]string{14: "      - {ref: C-1002, type: cin, factors: [children=3]}"}),
			`t.yaml:14: teams[0].cases[1].factors[0]: write the number of children as its own field, like children: 3`},
		{"negative children", edited(map[int]string{14: "      - {ref: C-1002, type: cin, children: -1}"}),
			`t.yaml:14: teams[0].cases[1].children: -1 is not a number of children: give 0 or more`},
		{"zero FTE", edited(map[int]string{7: "      - {id: slack:UA, name: Ann Ash, role: practitioner, fte: 0}"}),
			`t.yaml:7: teams[0].members[0].fte: 0 is not a working week: FTE must be more than 0`},
		{"negative FTE", edited(map[int]string{7: "      - {id: slack:UA, name: Ann Ash, role: practitioner, fte: -0.5}"}),
			`t.yaml:7: teams[0].members[0].fte: -0.5 is not a working week: FTE must be more than 0`},
		{"FTE over 1", edited(map[int]string{7: "      - {id: slack:UA, name: Ann Ash, role: practitioner, fte: 1.2}"}),
			`t.yaml:7: teams[0].members[0].fte: 1.2 is more than full time: FTE is at most 1`},
		{"FTE not a number", edited(map[int]string{7: "      - {id: slack:UA, name: Ann Ash, role: practitioner, fte: full}"}),
			`t.yaml:7: teams[0].members[0].fte: "full" is not a number: FTE is the share of a full-time week, like 1 or 0.6`},
		{"FTE too precise", edited(map[int]string{7: "      - {id: slack:UA, name: Ann Ash, role: practitioner, fte: 0.333}"}),
			`t.yaml:7: teams[0].members[0].fte: 0.333 has more than two decimal places; round it, like 0.33`},
		{"zero FTE manager", edited(map[int]string{10: "      - {id: slack:UM, name: Meg Moss, role: manager, fte: 0}"}),
			`t.yaml:10: teams[0].members[3].fte: 0 is not a working week: a manager carries no caseload anyway, so leave fte out`},
		{"reduction over 100", edited(map[int]string{9: "      - {id: slack:UC, name: Cy Cole, role: practitioner, reductions: [{reason: leave, percent: 120}]}"}),
			`t.yaml:9: teams[0].members[2].reductions[0].percent: 120 is not a percent from more than 0 up to 100`},
		{"reduction date", edited(map[int]string{9: "      - {id: slack:UC, name: Cy Cole, role: practitioner, reductions: [{reason: leave, percent: 20, until: 31/03/2027}]}"}),
			`t.yaml:9: teams[0].members[2].reductions[0].until: "31/03/2027" is not a date; write it as YYYY-MM-DD, e.g. 2027-03-31.`},
		{"reduction without reason", edited(map[int]string{9: "      - {id: slack:UC, name: Cy Cole, role: practitioner, reductions: [{percent: 20}]}"}),
			`t.yaml:9: teams[0].members[2].reductions[0].reason: is missing; say why capacity is reduced`},
		{"duplicate reference in a team", edited(map[int]string{15: "      - {ref: C-1001, type: lac, allocated_to: slack:UC}"}),
			`t.yaml:15: teams[0].cases[2].ref: the case C-1001 is already listed as teams[0].cases[0] (line 13); list each case once`},
		{"duplicate reference across teams", edited(map[int]string{21: "      - {ref: C-1002, type: s42, allocated_to: slack:UD}"}),
			`t.yaml:21: teams[1].cases[0].ref: the case C-1002 is already listed as teams[0].cases[1] (line 14); list each case once`},
		{"allocated to a student", edited(map[int]string{14: "      - {ref: C-1002, type: cin, allocated_to: slack:US}"}),
			`t.yaml:14: teams[0].cases[1].allocated_to: slack:US is a student: a student is never allocated a case directly; allocate it to the supervising practitioner`},
		{"allocated to a manager", edited(map[int]string{14: "      - {ref: C-1002, type: cin, allocated_to: slack:UM}"}),
			`t.yaml:14: teams[0].cases[1].allocated_to: slack:UM is a manager, and only practitioners and ASYEs carry cases; allocate it to a practitioner`},
		{"allocated to someone outside the team", edited(map[int]string{14: "      - {ref: C-1002, type: cin, allocated_to: slack:UD}"}),
			`t.yaml:14: teams[0].cases[1].allocated_to: slack:UD is not a member of this team; add them under members first`},
		{"name-like reference", edited(map[int]string{14: "      - {ref: JohnSmith, type: cin}"}),
			`t.yaml:14: teams[0].cases[1].ref: "JohnSmith" looks like a name. safeload never stores the names or details of people who use services`},
		{"name-like reference with digits", edited(map[int]string{14: "      - {ref: Smith-1, type: cin}"}),
			`t.yaml:14: teams[0].cases[1].ref: "Smith-1" looks like a name.`},
		{"reference with a space", edited(map[int]string{14: "      - {ref: C 1002, type: cin}"}),
			`t.yaml:14: teams[0].cases[1].ref: The case reference "C 1002" has a character that is not allowed`},
		{"malformed YAML", edited(map[int]string{8: "      - {id: slack:UB, name: Bea Best, role: asye"}),
			`t.yaml:8: this is not valid YAML (did not find expected ',' or '}'); check the indentation, the colons and the brackets`},
		{"tab indentation", edited(map[int]string{17: "\tname: South Team"}),
			`t.yaml:17: a tab is used to indent this line; YAML indents with spaces only`},
		{"unknown field", edited(map[int]string{7: "      - {id: slack:UA, name: Ann Ash, role: practitioner, hours: 37}"}),
			`t.yaml:7: teams[0].members[0].hours: is not a field safeload knows; a member has id, name, role, fte, reductions and asye_started`},
		{"field twice", edited(map[int]string{17: "    name: South Team\n    name: South"}),
			`t.yaml:18: teams[1].name: is given twice (also on line 17); keep one`},
		{"team id not a slug", edited(map[int]string{16: "  - id: South Team"}),
			`t.yaml:16: teams[1].id: "South Team" is not a team id: use a short slug of lower-case letters, digits and hyphens (at most 40), like north-cin`},
		{"duplicate team id", edited(map[int]string{16: "  - id: north"}),
			`t.yaml:16: teams[1].id: the team id north is already used by teams[0] (line 2); team ids must be unique`},
		{"bad channel", edited(map[int]string{4: "    channel: '#north'"}),
			`t.yaml:4: teams[0].channel: "#north" is not a channel: write slack:, discord: or teams: and the channel's ID`},
		{"bad service manager", edited(map[int]string{5: "    service_manager: Sue"}),
			`t.yaml:5: teams[0].service_manager: "Sue" is not a person: write the platform, a colon and their user ID`},
		{"bad member id", edited(map[int]string{19: "      - {id: UD, name: Dee Dale, role: practitioner}"}),
			`t.yaml:19: teams[1].members[0].id: "UD" is not a person`},
		{"person twice in a team", edited(map[int]string{11: "      - {id: slack:UA, name: Ann Ash, role: student}"}),
			`t.yaml:11: teams[0].members[4].id: slack:UA is already listed in this team as teams[0].members[0]; list each person once`},
		{"person with two names", edited(map[int]string{19: "      - {id: slack:UA, name: Ann Smith, role: practitioner}"}),
			`t.yaml:19: teams[1].members[0].name: slack:UA is called "Ann Smith" here but "Ann Ash" in teams[0].members[0] (line 7); use one name`},
		{"missing name", edited(map[int]string{17: "    members:", 18: "    # no name"}),
			`t.yaml:16: teams[1].name: is missing; every team needs a name`},
		{"members not a list", edited(map[int]string{18: "    members: slack:UD", 19: ""}),
			`t.yaml:18: teams[1].members: must be a list`},
		{"anchors", edited(map[int]string{3: "    name: &n North Team"}),
			`t.yaml:3: anchors and aliases (& and *) are not supported; write each value out`},
		{"two documents", edited(map[int]string{21: baseFile[20] + "\n---\nteams: []"}),
			`t.yaml:22: the file holds more than one YAML document (a line "---")`},
		{"empty file", []byte("# nothing here\n"),
			`t.yaml: the file is empty; it should start with "teams:" and list each team under it`},
		{"no teams", []byte("teams: []\n"),
			`t.yaml:1: teams: lists no teams; see deploy/examples/team.yaml`},
		{"not teams", []byte("- id: north\n"),
			`t.yaml:1: the file must be a set of fields like "teams: …"`},
		{"JSON with a bad role", []byte("{\"teams\": [{\"id\": \"north\", \"name\": \"North\",\n \"members\": [{\"id\": \"slack:UA\", \"name\": \"Ann\", \"role\": \"boss\"}]}]}"),
			`t.yaml:2: teams[0].members[0].role: "boss" is not a role`},
		// Against what the store holds (the base file is imported first).
		{"case of another team", edited(map[int]string{21: "      - {ref: C-1003, type: s42, allocated_to: slack:UD}", 15: ""}),
			`t.yaml:21: teams[1].cases[0].ref: the case C-1003 already belongs to team north in safeload; import does not move cases between teams`},
		{"channel of another team", edited(map[int]string{17: "    name: South Team\n    channel: slack:C1", 4: ""}),
			`t.yaml:18: teams[1].channel: slack:C1 is already the channel of team north in safeload; a channel belongs to one team`},
		{"holder becomes a student", edited(map[int]string{7: "      - {id: slack:UA, name: Ann Ash, role: student}", 13: "      - {ref: C-1001, type: cp, factors: [court, rural], children: 3}"}),
			`t.yaml:7: teams[0].members[0].role: slack:UA holds or has been offered 1 open case(s) in team north (C-1001), but a student carries no caseload`},
		{"stored member is a manager", edited(map[int]string{10: "", 14: "      - {ref: C-1002, type: cin, allocated_to: slack:UM}"}),
			`t.yaml:14: teams[0].cases[1].allocated_to: slack:UM is a manager`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _ := openStore(t)
			mustImport(t, st, edited(nil))
			before := snap(t, st)
			_, err := importer.Import(st, tt.data, "t.yaml", nil)
			var bad *importer.Error
			if !errors.As(err, &bad) {
				t.Fatalf("Import(%s) = %v, want an *importer.Error", tt.name, err)
			}
			got := err.Error()
			found := false
			for _, line := range strings.Split(got, "\n") {
				if strings.HasPrefix(line, tt.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("got  %s\nwant a line starting %s", got, tt.want)
			}
			before.same(t, snap(t, st))
		})
	}
}

// A file with several mistakes lists them all, in file order.
func TestImportListsEveryProblem(t *testing.T) {
	st, _ := openStore(t)
	_, err := importer.Import(st, edited(map[int]string{
		8:  "      - {id: slack:UB, name: Bea Best, role: wizard}",
		14: "      - {ref: JohnSmith, type: cin}",
		21: "      - {ref: C-2001, type: s42, allocated_to: slack:UX}",
	}), "t.yaml", nil)
	if err == nil {
		t.Fatal("Import accepted a bad file")
	}
	if got, want := domain.ErrorCode(err), domain.EINVALID; got != want {
		t.Errorf("domain.ErrorCode = %q, want %q", got, want)
	}
	var lines []string
	for _, l := range strings.Split(err.Error(), "\n") {
		lines = append(lines, strings.SplitN(l, ":", 3)[1])
	}
	if got, want := lines, []string{"8", "14", "21"}; !reflect.DeepEqual(got, want) {
		t.Errorf("lines of the problems = %v, want %v\n%v", got, want, err)
	}
}

func TestImportTwiceChangesNothing(t *testing.T) {
	st, clk := openStore(t)
	first := mustImport(t, st, edited(nil))
	want := importer.Summary{File: "t.yaml", Changed: true,
		Teams: importer.Counts{Created: 2}, Members: importer.Counts{Created: 6}, Cases: importer.Counts{Created: 4}}
	if !reflect.DeepEqual(first, want) {
		t.Errorf("first import = %+v, want %+v", first, want)
	}
	before := snap(t, st)
	clk.Advance(72 * time.Hour)
	second := mustImport(t, st, edited(nil))
	want = importer.Summary{File: "t.yaml",
		Teams: importer.Counts{Unchanged: 2}, Members: importer.Counts{Unchanged: 6}, Cases: importer.Counts{Unchanged: 4}}
	if !reflect.DeepEqual(second, want) {
		t.Errorf("second import = %+v, want %+v", second, want)
	}
	if got, want := second.String(), "Imported t.yaml: 2 teams (2 unchanged), 6 members (6 unchanged), 4 cases (4 unchanged). Nothing changed."; got != want {
		t.Errorf("summary line:\ngot  %s\nwant %s", got, want)
	}
	before.same(t, snap(t, st))
}

// The same file as JSON imports to the same store contents.
func TestImportJSON(t *testing.T) {
	st, _ := openStore(t)
	mustImport(t, st, edited(nil))
	before := snap(t, st)
	data := `{"teams": [
	  {"id": "north", "name": "North Team", "channel": "slack:C1", "service_manager": "slack:USM",
	   "members": [{"id": "slack:UA", "name": "Ann Ash", "role": "practitioner", "fte": 1},
	               {"id": "slack:UB", "name": "Bea Best", "role": "asye"},
	               {"id": "slack:UC", "name": "Cy Cole", "role": "practitioner", "fte": 0.6,
	                "reductions": [{"reason": "practice educator", "percent": 10, "until": "2027-03-31"}]},
	               {"id": "slack:UM", "name": "Meg Moss", "role": "manager"},
	               {"id": "slack:US", "name": "Sam Stone", "role": "student"}],
	   "cases": [{"ref": "C-1001", "type": "cp", "factors": ["rural", "court"], "children": 3, "allocated_to": "slack:UA"},
	             {"ref": "C-1002", "type": "cin"},
	             {"ref": "C-1003", "type": "lac", "allocated_to": "slack:UC"}]},
	  {"id": "south", "name": "South Team",
	   "members": [{"id": "slack:UD", "name": "Dee Dale", "role": "practitioner"}],
	   "cases": [{"ref": "C-2001", "type": "s42", "allocated_to": "slack:UD"}]}]}`
	if sum := mustImport(t, st, []byte(data)); sum.Changed {
		t.Errorf("the JSON file changed the store: %v", sum)
	}
	before.same(t, snap(t, st))
}

// What the file states wins; what it leaves out is left as the meeting made it.
func TestImportUpdates(t *testing.T) {
	st, clk := openStore(t)
	mustImport(t, st, edited(nil))
	created := clk.Now()
	clk.Advance(24 * time.Hour)

	// Since the first import: C-1002 was offered to Bea (pending), C-1003
	// was closed, and Ann was made an admin.
	err := st.Update(func(tx domain.Tx) error {
		c, err := tx.Case("north", "C-1002")
		if err != nil {
			return err
		}
		prop := &domain.Proposal{Team: "north", Ref: "C-1002", Kind: domain.ProposeAllocate, To: "slack:UB", By: "slack:UM", At: tx.Now(), Status: domain.ProposalPending}
		if err := tx.PutProposal(prop); err != nil {
			return err
		}
		c.Status, c.Proposal = domain.CaseProposed, prop.ID
		if err := tx.PutCase(c); err != nil {
			return err
		}
		c3, err := tx.Case("north", "C-1003")
		if err != nil {
			return err
		}
		c3.Status, c3.ClosedAt = domain.CaseClosed, tx.Now()
		if err := tx.PutCase(c3); err != nil {
			return err
		}
		return tx.PutPerson(&domain.Person{ID: "slack:UA", Name: "Ann Ash", Admin: true})
	})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(24 * time.Hour)

	// The same file again: the proposal and the closure stand.
	sum := mustImport(t, st, edited(nil))
	if sum.Changed || sum.ClosedKept != 1 {
		t.Errorf("re-import after the meeting = %+v, want no change and 1 closed case kept", sum)
	}

	// A new file: C-1001 moves from Ann to Cy and is re-weighed, C-1002 is
	// allocated to Bea outright, Ann is renamed.
	sum = mustImport(t, st, edited(map[int]string{
		7:  "      - {id: slack:UA, name: Ann Ashe, role: practitioner, fte: 1}",
		13: "      - {ref: C-1001, type: cp, factors: [rural], children: 3, allocated_to: slack:UC}",
		14: "      - {ref: C-1002, type: cin, allocated_to: slack:UB}",
	}))
	want := importer.Summary{File: "t.yaml", Changed: true, ClosedKept: 1,
		Teams: importer.Counts{Unchanged: 2}, Members: importer.Counts{Updated: 1, Unchanged: 5}, Cases: importer.Counts{Updated: 2, Unchanged: 1}}
	if !reflect.DeepEqual(sum, want) {
		t.Errorf("import = %+v\nwant     %+v", sum, want)
	}
	err = st.View(func(tx domain.Tx) error {
		c1, _ := tx.Case("north", "C-1001")
		if c1.Holder != "slack:UC" || !reflect.DeepEqual(c1.PrevHolders, []domain.PersonID{"slack:UA"}) ||
			!reflect.DeepEqual(c1.Factors, []string{"rural"}) || !c1.CreatedAt.Equal(created) {
			t.Errorf("C-1001 = %+v, want held by slack:UC after slack:UA, factors [rural], created %v", c1, created)
		}
		c2, _ := tx.Case("north", "C-1002")
		if c2.Status != domain.CaseAllocated || c2.Holder != "slack:UB" || c2.Proposal != 0 || !c2.QueuedSince.Equal(created) {
			t.Errorf("C-1002 = %+v, want allocated to slack:UB, no proposal, queued since %v", c2, created)
		}
		prop, _ := tx.Proposal(1)
		if prop.Status != domain.ProposalWithdrawn || prop.AnsweredBy != importer.Actor {
			t.Errorf("the proposal = %+v, want withdrawn by import", prop)
		}
		if pending, _ := tx.PendingProposals(); len(pending) != 0 {
			t.Errorf("pending proposals = %v, want none", pending)
		}
		c3, _ := tx.Case("north", "C-1003")
		if c3.Status != domain.CaseClosed {
			t.Errorf("C-1003 = %+v, want still closed", c3)
		}
		ann, _ := tx.Person("slack:UA")
		if got, want := *ann, (domain.Person{ID: "slack:UA", Name: "Ann Ashe", Admin: true}); got != want {
			t.Errorf("Ann = %+v, want %+v", got, want)
		}
		var actions []string
		for _, team := range []string{"", "north"} {
			log, _ := tx.AuditLog(team, clk.Now())
			for _, e := range log {
				if e.Actor != importer.Actor {
					t.Errorf("audit entry %+v: actor %q, want import", e, e.Actor)
				}
				actions = append(actions, e.Action+" "+e.Subject)
			}
		}
		want := []string{"import.person.rename slack:UA", "import.member.update slack:UA", "import.case.update C-1001", "import.case.update C-1002"}
		if !reflect.DeepEqual(actions, want) {
			t.Errorf("audit = %q\nwant    %q", actions, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestImportExampleFile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "examples", "team.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	st, _ := openStore(t)
	sum, err := importer.Import(st, data, "team.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Teams.Created != 2 || sum.Members.Created < 10 || sum.Cases.Created < 20 {
		t.Errorf("deploy/examples/team.yaml imported %v; want two teams, a dozen people, some 25 cases", sum)
	}
	before := snap(t, st)
	if sum := mustImport(t, st, data); sum.Changed {
		t.Errorf("importing the example twice changed the store: %v", sum)
	}
	before.same(t, snap(t, st))
}
