package importer_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/importer"
)

// knownTeam has one of each kind of member the export must get right. The
// expected figures below are worked out by hand from the workload rules for
// 2026-05-11.
func knownTeam() []byte {
	var b strings.Builder
	b.WriteString(`teams:
  - id: zeta
    name: Zeta Team
    members:
      - {id: slack:UG, name: Gus Gray, role: manager}
      - {id: slack:UH, name: Hal Hunt, role: student}
      - {id: slack:UA, name: Ann Ash, role: practitioner, fte: 1}
      - {id: slack:UB, name: Bea Best, role: asye, fte: 1}
      - {id: slack:UC, name: Cy Cole, role: practitioner, fte: 0.6, reductions: [
          {reason: practice educator, percent: 10, until: 2026-05-11},
          {reason: phased return, percent: 50, until: 2026-05-10}]}
      - {id: slack:UD, name: Dee Dale, role: practitioner, reductions: [{reason: sick leave, percent: 100}]}
      - {id: slack:UE, name: Eve Eng, role: practitioner, fte: 0.75}
      - {id: slack:UF, name: "=Fin Ford", role: practitioner, fte: 0.5}
    cases:
`)
	n := 0
	add := func(count int, holder, what string) {
		for range count {
			n++
			fmt.Fprintf(&b, "      - {ref: Z-%d, %s", n, what)
			if holder != "" {
				fmt.Fprintf(&b, ", allocated_to: %s", holder)
			}
			b.WriteString("}\n")
		}
	}
	add(9, "slack:UA", "type: proceedings")                                      // 9 × 10
	add(11, "slack:UB", "type: care_leaver")                                     // 11 × 4
	add(1, "slack:UC", "type: cp")                                               // 8
	add(1, "slack:UC", "type: cin, factors: [rural]")                            // 5 + 1
	add(1, "slack:UD", "type: cin")                                              // 5
	add(5, "slack:UE", "type: proceedings, factors: [court, high_risk]")         // 5 × 14
	add(8, "slack:UF", "type: review")                                           // 8 × 3
	add(2, "", "type: cp, factors: [court, rural, noncooperation], children: 5") // queued
	b.WriteString(`  - id: alpha
    name: Alpha Team
    members:
      - {id: slack:UZ, name: Zoe Zane, role: manager, fte: 0.8}
`)
	return []byte(b.String())
}

func TestExportCSV(t *testing.T) {
	st, _ := openStore(t)
	mustImport(t, st, knownTeam())
	var got bytes.Buffer
	if err := importer.Export(st, &got, "csv", nil, "2026-05-11"); err != nil {
		t.Fatal(err)
	}
	// Ann:  85 capacity; 90 points → 105.88 → 105.9 % amber; 9 ≤ 12 cases green → amber.
	// Cy:   85 × 0.6 × (1 − 10/100) = 45.9 (the practice educator reduction
	//       counts on its last day; the phased return ended the day before);
	//       8 + 6 = 14 points → 30.5 % green.
	// Dee:  100 % reduction → capacity 0, load 5 → no load %, red.
	// Eve:  85 × 0.75 = 63.75 → 63.8; 70 points → 109.80 → 109.8 % amber.
	// Fin:  42.5 capacity; 24 points → 56.5 % green; 8 cases > 12 × 0.5 and
	//       > 15 × 0.5 = 7.5 → red. The name starts with = so it is quoted
	//       (and sorts first: = comes before letters).
	// Bea:  ASYE 85 × 0.8 = 68; 44 points → 64.7 % green; 11 cases > 12 × 0.9
	//       = 10.8 and ≤ 13.5 → amber.
	// Gus, Hal, Zoe: no capacity, no RAG; fte as given, 1 when left out.
	want := `team,member,name,role,fte,capacity_points,load_points,load_percent,cases,rag
alpha,slack:UZ,Zoe Zane,manager,0.8,0,0,,0,
zeta,slack:UG,Gus Gray,manager,1,0,0,,0,
zeta,slack:UF,'=Fin Ford,practitioner,0.5,42.5,24,56.5,8,red
zeta,slack:UA,Ann Ash,practitioner,1,85,90,105.9,9,amber
zeta,slack:UC,Cy Cole,practitioner,0.6,45.9,14,30.5,2,green
zeta,slack:UD,Dee Dale,practitioner,1,0,5,,1,red
zeta,slack:UE,Eve Eng,practitioner,0.75,63.8,70,109.8,5,amber
zeta,slack:UB,Bea Best,asye,1,68,44,64.7,11,amber
zeta,slack:UH,Hal Hunt,student,1,0,0,,0,
`
	if got.String() != want {
		t.Errorf("export csv:\ngot\n%s\nwant\n%s", got.String(), want)
	}
}

func TestExportJSON(t *testing.T) {
	st, _ := openStore(t)
	mustImport(t, st, knownTeam())
	var b bytes.Buffer
	if err := importer.Export(st, &b, "json", nil, "2026-05-11"); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Day    domain.Date        `json:"day"`
		Teams  []importer.TeamOut `json:"teams"`
		Totals importer.Totals    `json:"totals"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("the JSON export does not parse: %v\n%s", err, b.String())
	}
	if len(got.Teams) != 2 || got.Teams[0].ID != "alpha" || got.Teams[1].ID != "zeta" {
		t.Fatalf("teams = %+v, want alpha then zeta", got.Teams)
	}
	zeta := got.Teams[1]
	// 6 practitioners (ASYE included) hold 36 cases: 6 each; 247 points
	// over 6 practitioners is 41.2; capacity 85 + 68 + 45.9 + 0 + 63.75 +
	// 42.5 = 305.15 → 305.2, and 247 ÷ 305.15 → 80.9 %.
	pct := 80.9
	wantSum := importer.TeamFigures{Practitioners: 6, OpenCases: 36, AverageCases: 6, AveragePoints: 41.2,
		LoadPoints: 247, CapacityPoints: 305.2, LoadPercent: &pct, Green: 1, Amber: 3, Red: 2, Queued: 2}
	if gs := zeta.Summary; gs.LoadPercent == nil || *gs.LoadPercent != pct {
		t.Errorf("summary load %% = %v, want %v", gs.LoadPercent, pct)
	} else {
		gs.LoadPercent = &pct
		if gs != wantSum {
			t.Errorf("summary = %+v\nwant      %+v", gs, wantSum)
		}
	}
	if len(zeta.Queue) != 2 || zeta.Queue[0].Points != 8+2+1+1+3 {
		t.Errorf("queue = %+v, want two cases of 15 points", zeta.Queue)
	}
	if got, want := len(zeta.Members), 8; got != want {
		t.Errorf("%d members, want %d", got, want)
	}
	cy := zeta.Members[3]
	if cy.Name != "Cy Cole" || cy.ReductionPercent != 10 || len(cy.Reductions) != 2 || !cy.Reductions[0].Active || cy.Reductions[1].Active {
		t.Errorf("Cy = %+v, want 10 %% reduced, the first reduction active and the second not", cy)
	}
	if dee := zeta.Members[4]; dee.LoadPercent != nil || dee.RAG != domain.Red {
		t.Errorf("Dee = %+v, want no load %% and red", dee)
	}
	if got, want := got.Totals, (importer.Totals{Teams: 2, Practitioners: 6, OpenCases: 36, AverageCases: 6, Green: 1, Amber: 3, Red: 2, Queued: 2}); got != want {
		t.Errorf("totals = %+v, want %+v", got, want)
	}
}

func TestExportUnknownFormat(t *testing.T) {
	st, _ := openStore(t)
	err := importer.Export(st, &bytes.Buffer{}, "xlsx", nil, "2026-05-11")
	if got, want := domain.ErrorMessage(err), `"xlsx" is not an export format: use csv or json.`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
