package importer_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/importer"
	"github.com/safeload/safeload/internal/policyfile"
)

const twoPolicies = `
default: children
policies:
  children: {}
  adults:
    case_types:
      s42: {points: 8, group: adults}
      review: {points: 3, group: adults}
    high_risk_types: [s42]
    asye_protected_types: [s42]
    benchmark_points: 90
`

const lifeFile = `teams:
  - id: east
    name: East Adults
    policy: adults
    posts: 3
    members:
      - {id: slack:UA, name: Ann Ash, role: practitioner}
      - {id: slack:UB, name: Bea Best, role: asye, asye_started: 2026-01-05}
    cases:
      - {ref: A-1, type: s42, allocated_to: slack:UA}
      - {ref: A-2, type: review}
  - id: west
    name: West Children
    members:
      - {id: slack:UC, name: Cy Cole, role: practitioner, reductions: [{reason: leave, percent: 100}]}
`

func lifePolicy(t *testing.T) *domain.Policy {
	t.Helper()
	pol, err := policyfile.Parse([]byte(twoPolicies), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return &pol
}

func TestImportPolicyAndPosts(t *testing.T) {
	st, _ := openStore(t)
	pol := lifePolicy(t)
	if _, err := importer.Import(st, []byte(lifeFile), "t.yaml", pol); err != nil {
		t.Fatal(err)
	}
	err := st.View(func(tx domain.Tx) error {
		east, err := tx.Team("east")
		if err != nil {
			return err
		}
		if east.Policy != "adults" || east.Posts != 3 || east.PolicySince.IsZero() {
			t.Errorf("east: %+v", east)
		}
		bea, err := tx.Member("east", "slack:UB")
		if err != nil {
			return err
		}
		if bea.ASYEStarted != "2026-01-05" {
			t.Errorf("Bea's ASYE start: %q", bea.ASYEStarted)
		}
		log, err := tx.AuditLog("east", east.CreatedAt)
		if err != nil {
			return err
		}
		if len(log) == 0 || !strings.Contains(log[0].After, "policy adults, posts 3") {
			t.Errorf("the import's audit entry does not name the policy: %+v", log[0])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum, err := importer.Import(st, []byte(lifeFile), "t.yaml", pol); err != nil || sum.Changed {
		t.Fatalf("a second import: %v, changed %v", err, sum.Changed)
	}
	// A file without the new fields leaves them as they are.
	old := strings.NewReplacer("    policy: adults\n", "", "    posts: 3\n", "").Replace(lifeFile)
	if sum, err := importer.Import(st, []byte(old), "t.yaml", pol); err != nil || sum.Changed {
		t.Fatalf("an older file: %v, changed %v", err, sum.Changed)
	}
}

func TestImportRejectsBadPolicyFields(t *testing.T) {
	pol := lifePolicy(t)
	for _, tc := range []struct{ from, to, want string }{
		{"policy: adults", "policy: elders", `t.yaml:4: teams[0].policy: "elders" is not a policy of the policy file (adults, children)`},
		{"posts: 3", "posts: lots", `t.yaml:5: teams[0].posts: "lots" is not a number`},
		{"posts: 3", "posts: -1", `t.yaml:5: teams[0].posts: -1 is not an establishment`},
		{"type: review}", "type: cin}", `t.yaml:11: teams[0].cases[1].type: "cin" is not a case type in this policy (review, s42)`},
		{"asye_started: 2026-01-05", "asye_started: soon", `t.yaml:8: teams[0].members[1].asye_started: "soon" is not a date`},
		{"role: practitioner}\n      - {id: slack:UB", "role: practitioner, asye_started: 2026-01-05}\n      - {id: slack:UB", `t.yaml:7: teams[0].members[0].asye_started: is for an ASYE only`},
	} {
		st, _ := openStore(t)
		before := snap(t, st)
		_, err := importer.Import(st, []byte(strings.Replace(lifeFile, tc.from, tc.to, 1)), "t.yaml", pol)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s → %s:\ngot  %v\nwant %s", tc.from, tc.to, err, tc.want)
		}
		if after := snap(t, st); after.hash != before.hash {
			t.Errorf("%s: a rejected file changed the store", tc.to)
		}
	}
}

func TestExportTeamLife(t *testing.T) {
	st, _ := openStore(t)
	pol := lifePolicy(t)
	if _, err := importer.Import(st, []byte(lifeFile), "t.yaml", pol); err != nil {
		t.Fatal(err)
	}
	err := st.Update(func(tx domain.Tx) error {
		c, err := tx.Member("west", "slack:UC")
		if err != nil {
			return err
		}
		c.Reductions[0].Note, c.Reductions[0].Leave = "private: surgery", true
		if err := tx.PutMember(c); err != nil {
			return err
		}
		return tx.AddReview(&domain.Review{Team: "east", Person: "slack:UA", By: "slack:UM", Day: "2026-05-04", Outcome: domain.ReviewKeep})
	})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := importer.Export(st, &b, "json", pol, "2026-05-11"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "surgery") {
		t.Fatal("a leave note reached the export")
	}
	var got struct {
		Teams []importer.TeamOut `json:"teams"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	east, west := got.Teams[0], got.Teams[1]
	// East: adults (75 points a full-time week); in post 2 of 3 posts: 33.3 % vacant.
	if east.Policy != "adults" || east.Posts != 3 || east.VacancyPercent == nil || *east.VacancyPercent != 33.3 {
		t.Errorf("east: policy %q posts %v vacancy %v", east.Policy, east.Posts, east.VacancyPercent)
	}
	if east.Summary.CapacityPoints != 75+60 || east.Members[0].LoadPercent == nil || *east.Members[0].LoadPercent != 10.7 {
		t.Errorf("east's figures are not by its own policy: %+v %+v", east.Summary, east.Members[0])
	}
	if ann := east.Members[0]; ann.LastReview == nil || *ann.LastReview != "2026-05-04" || ann.ReviewDue != "2026-07-27" {
		t.Errorf("Ann's review: %v due %q", ann.LastReview, ann.ReviewDue)
	}
	// Bea's year began on 5 January, before she joined on 11 May: in months
	// 2 to 6 she is supervised fortnightly, from the day she joined.
	if bea := east.Members[1]; bea.LastReview != nil || bea.ReviewDue != "2026-05-25" {
		t.Errorf("Bea (ASYE from 5 January, never reviewed): %v due %q", bea.LastReview, bea.ReviewDue)
	}
	if west.Policy != "children" || west.Posts != 0 || west.VacancyPercent != nil {
		t.Errorf("west: policy %q posts %v vacancy %v", west.Policy, west.Posts, west.VacancyPercent)
	}
	b.Reset()
	if err := importer.Export(st, &b, "csv", pol, "2026-05-11"); err != nil {
		t.Fatal(err)
	}
	if head, _, _ := strings.Cut(b.String(), "\n"); head != "team,member,name,role,fte,capacity_points,load_points,load_percent,cases,rag" {
		t.Fatalf("the CSV header changed: %s", head)
	}
}
