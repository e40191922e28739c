package report_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/chart"
	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/digest"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/report"
	"github.com/safeload/safeload/internal/store"
	"github.com/safeload/safeload/prompts"
)

// TestDocsPictures draws the README's pictures from a quarter of two
// teams built on a fake clock: a team digest's chart and the top of the
// report in a real browser. It runs when SAFELOAD_DOCS names the folder to
// write them to (go test ./internal/report -run DocsPictures with
// SAFELOAD_DOCS=$PWD/docs).
func TestDocsPictures(t *testing.T) {
	dir := os.Getenv("SAFELOAD_DOCS")
	if dir == "" {
		t.Skip("SAFELOAD_DOCS is not set: the README's pictures are not redrawn")
	}
	path := browser(t)
	fc := clock.NewFake(at("2026-07-06", 9))
	st, err := store.Open(filepath.Join(t.TempDir(), "docs.db"), store.Options{Clock: fc})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pol := domain.DefaultPolicy()
	type person struct {
		id, name string
		role     domain.Role
		fte      float64
		// start and drift give the load % each week: start + drift·week,
		// with a wobble.
		start, drift float64
	}
	teams := []struct {
		id, name string
		people   []person
	}{
		{"north-cin", "North Child in Need", []person{
			{"alice", "Alice Adams", domain.RolePractitioner, 1, 96, 1.2},
			{"cy", "Cy Cole", domain.RolePractitioner, 0.6, 88, 1.5},
			{"bo", "Bo Brown", domain.RoleASYE, 1, 84, 1.4},
			{"dee", "Dee Dunn", domain.RolePractitioner, 0.8, 78, 0.9},
			{"fin", "Fin Ford", domain.RolePractitioner, 1, 70, 0.6},
			{"gus", "Gus Gray", domain.RolePractitioner, 1, 61, 0.8},
		}},
		{"south-cp", "South Child Protection", []person{
			{"hal", "Hal Hill", domain.RolePractitioner, 1, 104, -0.9},
			{"ivy", "Ivy Iles", domain.RolePractitioner, 1, 99, -0.6},
			{"jo", "Jo Jones", domain.RoleASYE, 1, 92, -0.4},
			{"kit", "Kit King", domain.RolePractitioner, 0.5, 83, -0.2},
		}},
	}
	if err := st.Update(func(tx domain.Tx) error {
		for _, tm := range teams {
			if err := tx.PutTeam(&domain.Team{ID: tm.id, Name: tm.name, ServiceManager: "test:sara"}); err != nil {
				return err
			}
			for _, p := range tm.people {
				if err := tx.PutMember(&domain.Member{Team: tm.id, Person: domain.PersonID("test:" + p.id), Name: p.name, Role: p.role, FTE: p.fte}); err != nil {
					return err
				}
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for w := range 13 {
		if err := st.Update(func(tx domain.Tx) error {
			for _, tm := range teams {
				for _, p := range tm.people {
					capacity := 85 * p.fte
					if p.role == domain.RoleASYE {
						capacity *= 0.8
					}
					pct := p.start + p.drift*float64(w) + 4*math.Sin(float64(w)+float64(len(p.name)))
					points := int(math.Round(pct / 100 * capacity))
					// As many cp cases (8 points) as fit, the rest in care
					// leavers (4): the load lands within 4 points of the aim.
					cp, cl := points/8, (points%8+2)/4
					for i := range 20 {
						c := &domain.Case{Ref: fmt.Sprintf("%s-%02d", p.id, i), Team: tm.id, Type: "cp", Status: domain.CaseClosed}
						switch {
						case i < cp:
							c.Status, c.Holder = domain.CaseAllocated, domain.PersonID("test:"+p.id)
						case i < cp+cl:
							c.Type, c.Status, c.Holder = "care_leaver", domain.CaseAllocated, domain.PersonID("test:"+p.id)
						}
						if err := tx.PutCase(c); err != nil {
							return err
						}
					}
				}
				team, err := tx.Team(tm.id)
				if err != nil {
					return err
				}
				if _, _, err := digest.EnsureSnapshot(tx, &pol, london, team, tx.Now()); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if w < 12 {
			fc.Advance(7 * 24 * time.Hour)
		}
	}
	var r *report.Report
	var msgs []domain.Message
	if err := st.View(func(tx domain.Tx) error {
		team, err := tx.Team("north-cin")
		if err != nil {
			return err
		}
		if msgs, err = digest.Build(tx, &pol, prompts.MustLoad(), london, team, tx.Now()); err != nil {
			return err
		}
		r, err = report.Build(tx, report.Options{From: "2026-07-01", To: "2026-09-30", Policy: &pol, Loc: london, Now: at("2026-10-05", 9)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := chart.Draw(msgs[0].Image); err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(msgs[0].Image.Data)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "digest-chart.png"), msgs[0].Image.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := report.Render(&page, r); err != nil {
		t.Fatal(err)
	}
	AssertSelfContained(t, page.String())
	html := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(html, page.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := (&report.Browser{Path: path}).Visit(context.Background(), html, report.VisitOptions{Width: 1000, Height: 1500, Screenshot: true, PDF: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Requests) > 0 || v.Charts != 6 {
		t.Fatalf("requests %q, %d charts drawn", v.Requests, v.Charts)
	}
	if err := os.WriteFile(filepath.Join(dir, "report-page.png"), v.Screenshot, 0o644); err != nil {
		t.Fatal(err)
	}
	if keep := os.Getenv("SAFELOAD_REPORT_KEEP"); keep != "" {
		_ = os.WriteFile(filepath.Join(keep, "docs-report.pdf"), v.PDF, 0o644)
		_ = os.WriteFile(filepath.Join(keep, "docs-report.html"), page.Bytes(), 0o644)
	}
}
