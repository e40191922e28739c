// Package audit lists the audit log for people: one row per action (when,
// who, team, action, case, details) for the quarterly review and for
// complaints, as CSV or JSON. What practitioners wrote about themselves
// (concerns, the plans agreed on them, reasons for declining, leave notes,
// reasons for a reduction) is left out unless an admin asks for it.
//
// It reads through domain.Tx; it imports no chat library and no store.
package audit

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// Query chooses the rows.
type Query struct {
	From, To domain.Date // inclusive; From "" is the beginning
	Team     string      // "" for every team and the entries of no team
	Loc      *time.Location
	// WithText keeps what people wrote about themselves.
	WithText bool
}

// Row is one action.
type Row struct {
	When    time.Time `json:"when"`
	Who     string    `json:"who"`
	Name    string    `json:"name,omitempty"`
	Team    string    `json:"team,omitempty"`
	Action  string    `json:"action"`
	Case    string    `json:"case,omitempty"`
	Details string    `json:"details,omitempty"`
}

// Withheld stands in for a text left out.
const Withheld = "(text withheld: personal)"

// personal reports whether an action's free text is what a practitioner
// wrote about themselves, or written about their concern, their leave or
// the reason for a reduction of their capacity (a reasonable adjustment
// may be about their health).
func personal(action string) bool {
	return strings.HasPrefix(action, "concern.") || action == "allocate.decline" ||
		strings.HasPrefix(action, "member.reduction") || strings.Contains(action, "leave") || strings.Contains(action, "disagree")
}

// caseAction reports whether an action's subject is a case reference.
func caseAction(action string) bool {
	return strings.HasPrefix(action, "allocate.") || strings.HasPrefix(action, "case.")
}

// MustBeAdmin refuses anyone but an admin (bootstrap or granted).
func MustBeAdmin(tx domain.Tx, p domain.PersonID, bootstrap []domain.PersonID) error {
	for _, a := range bootstrap {
		if a == p {
			return nil
		}
	}
	if pr, err := tx.Person(p); err == nil && pr.Admin {
		return nil
	}
	return domain.Errorf(domain.EFORBIDDEN, "%s is not an admin: only an admin may see what people wrote about themselves (--with-concern-text)", p)
}

// Rows lists the actions of the query, oldest first.
func Rows(tx domain.Tx, q Query) ([]Row, error) {
	var teams []string
	if q.Team != "" {
		teams = []string{q.Team}
	} else {
		all, err := tx.Teams()
		if err != nil {
			return nil, err
		}
		teams = append(teams, "") // entries of no team (grants, imports)
		for _, t := range all {
			teams = append(teams, t.ID)
		}
	}
	var since, end time.Time
	if q.From != "" {
		since = q.From.Time(q.Loc)
	}
	if q.To != "" {
		end = q.To.AddDays(1).Time(q.Loc)
	}
	names := map[domain.PersonID]string{}
	name := func(p domain.PersonID) string {
		if n, ok := names[p]; ok {
			return n
		}
		n := ""
		if pr, err := tx.Person(p); err == nil {
			n = pr.Name
		}
		names[p] = n
		return n
	}
	var entries []*domain.AuditEntry
	for _, t := range teams {
		es, err := tx.AuditLog(t, since)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			if !end.IsZero() && !e.At.Before(end) {
				continue
			}
			entries = append(entries, e)
		}
	}
	sort.SliceStable(entries, func(i, j int) bool {
		if !entries[i].At.Equal(entries[j].At) {
			return entries[i].At.Before(entries[j].At)
		}
		return entries[i].Seq < entries[j].Seq
	})
	rows := make([]Row, 0, len(entries))
	for _, e := range entries {
		r := Row{When: e.At.In(q.Loc), Who: string(e.Actor), Name: name(e.Actor), Team: e.Team, Action: e.Action}
		var details []string
		if caseAction(e.Action) {
			r.Case = e.Subject
		} else if e.Subject != "" && e.Subject != e.Team {
			details = append(details, e.Subject)
		}
		switch {
		case e.Before != "" && e.After != "":
			details = append(details, e.Before+" → "+e.After)
		case e.After != "":
			details = append(details, e.After)
		case e.Before != "":
			details = append(details, "was "+e.Before)
		}
		text := e.Detail
		if e.Action == "concern.raise" && q.WithText {
			if id, err := strconv.ParseUint(e.Subject, 10, 64); err == nil {
				if c, err := tx.Concern(id); err == nil {
					text = c.Text
				}
			}
		}
		if text != "" {
			if personal(e.Action) && !q.WithText {
				text = Withheld
			}
			details = append(details, text)
		}
		r.Details = strings.Join(details, "; ")
		rows = append(rows, r)
	}
	return rows, nil
}

// Header is the CSV header.
var Header = []string{"when", "who", "name", "team", "action", "case", "details"}

// Write writes rows as csv or json.
func Write(w io.Writer, format string, rows []Row) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(Header); err != nil {
			return err
		}
		for _, r := range rows {
			if err := cw.Write([]string{r.When.Format(time.RFC3339), r.Who, r.Name, r.Team, r.Action, r.Case, r.Details}); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	}
	return fmt.Errorf("format %q is not csv or json", format)
}
