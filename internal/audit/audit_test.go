package audit_test

import (
	"bytes"
	"encoding/csv"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/audit"
	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/store"
)

func TestRowsLeaveOutWhatPeopleWroteUnlessAsked(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/London")
	fc := clock.NewFake(time.Date(2026, 8, 3, 9, 0, 0, 0, time.UTC))
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{Clock: fc})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	step := func(fn func(tx domain.Tx) error) {
		t.Helper()
		if err := st.Update(fn); err != nil {
			t.Fatal(err)
		}
		fc.Advance(24 * time.Hour)
	}
	step(func(tx domain.Tx) error {
		if err := tx.PutTeam(&domain.Team{ID: "north", Name: "North"}); err != nil {
			return err
		}
		if err := tx.PutPerson(&domain.Person{ID: "test:alice", Name: "Alice Adams"}); err != nil {
			return err
		}
		if err := tx.PutPerson(&domain.Person{ID: "test:root", Name: "Root", Admin: true}); err != nil {
			return err
		}
		return tx.Audit(&domain.AuditEntry{Actor: "test:meg", Team: "north", Action: "allocate.propose", Subject: "C-1", Before: "queued", After: "test:alice", Detail: "92.0 % → 104.0 %"})
	})
	step(func(tx domain.Tx) error {
		return tx.Audit(&domain.AuditEntry{Actor: "test:alice", Team: "north", Action: "allocate.decline", Subject: "C-1", Before: "test:alice", Detail: "my mother is ill"})
	})
	step(func(tx domain.Tx) error {
		c := &domain.Concern{Team: "north", By: "test:alice", Text: "I cannot keep up", RaisedAt: tx.Now()}
		if err := tx.PutConcern(c); err != nil {
			return err
		}
		return tx.Audit(&domain.AuditEntry{Actor: "test:alice", Team: "north", Action: "concern.raise", Subject: "1", After: "104.0 %"})
	})
	step(func(tx domain.Tx) error {
		return tx.Audit(&domain.AuditEntry{Actor: "test:meg", Team: "north", Action: "concern.plan", Subject: "1", After: "test:alice", Detail: "fewer visits while her mother is ill"})
	})
	step(func(tx domain.Tx) error {
		return tx.Audit(&domain.AuditEntry{Actor: "test:admin", Action: "grant", Subject: "test:meg", After: "manager"})
	})
	step(func(tx domain.Tx) error {
		return tx.Audit(&domain.AuditEntry{Actor: "test:meg", Team: "north", Action: "member.reduction", Subject: "test:alice", After: "20% until 2026-12-31", Detail: "reasonable adjustment: back pain"})
	})

	rows := func(q audit.Query) []audit.Row {
		t.Helper()
		var out []audit.Row
		if err := st.View(func(tx domain.Tx) (err error) { out, err = audit.Rows(tx, q); return err }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	got := rows(audit.Query{Loc: loc})
	var lines []string
	for _, r := range got {
		lines = append(lines, r.When.Format("02 15:04")+" "+r.Who+" "+r.Team+" "+r.Action+" "+r.Case+" | "+r.Details)
	}
	want := []string{
		"03 10:00 test:meg north allocate.propose C-1 | queued → test:alice; 92.0 % → 104.0 %",
		"04 10:00 test:alice north allocate.decline C-1 | was test:alice; " + audit.Withheld,
		"05 10:00 test:alice north concern.raise  | 1; 104.0 %",
		"06 10:00 test:meg north concern.plan  | 1; test:alice; " + audit.Withheld,
		"07 10:00 test:admin  grant  | test:meg; manager",
		"08 10:00 test:meg north member.reduction  | test:alice; 20% until 2026-12-31; " + audit.Withheld,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if got[1].Name != "Alice Adams" {
		t.Errorf("names: %+v", got[1])
	}

	// An admin asking for the texts gets them, the concern's own words too.
	with := rows(audit.Query{Loc: loc, WithText: true})
	if !strings.HasSuffix(with[1].Details, "my mother is ill") || !strings.HasSuffix(with[2].Details, "I cannot keep up") ||
		!strings.HasSuffix(with[3].Details, "fewer visits while her mother is ill") {
		t.Errorf("with the texts: %+v", with)
	}

	// A period and a team.
	if r := rows(audit.Query{Loc: loc, From: "2026-08-04", To: "2026-08-05", Team: "north"}); len(r) != 2 || r[0].Action != "allocate.decline" {
		t.Errorf("4–5 August of north: %+v", r)
	}

	var buf bytes.Buffer
	if err := audit.Write(&buf, "csv", got); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) != 7 || recs[1][0] != "2026-08-03T10:00:00+01:00" || recs[1][5] != "C-1" {
		t.Errorf("csv: %v %q", err, recs)
	}
	if strings.Contains(buf.String(), "mother") || strings.Contains(buf.String(), "keep up") || strings.Contains(buf.String(), "back pain") {
		t.Error("the CSV carries what people wrote about themselves")
	}

	if err := st.View(func(tx domain.Tx) error {
		if err := audit.MustBeAdmin(tx, "test:root", nil); err != nil {
			return err
		}
		if err := audit.MustBeAdmin(tx, "test:boot", []domain.PersonID{"test:boot"}); err != nil {
			return err
		}
		if err := audit.MustBeAdmin(tx, "test:alice", []domain.PersonID{"test:boot"}); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Errorf("alice is no admin: %v", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
