package digest_test

import (
	"bytes"
	"fmt"
	"image/png"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/chart"
	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/digest"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/store"
	"github.com/safeload/safeload/prompts"
)

// TestDigestsCarryTheirCharts: a team's digest carries its bar chart (a bar
// for every practitioner, in the board's order) and the service manager's
// the teams' load over the last 12 weeks from the weekly snapshots.
func TestDigestsCarryTheirCharts(t *testing.T) {
	fc := clock.NewFake(time.Date(2026, 10, 5, 8, 0, 0, 0, time.UTC)) // Monday 09:00 in London
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{Clock: fc})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pol := domain.DefaultPolicy()
	p := prompts.MustLoad()
	update := func(fn func(tx domain.Tx) error) {
		t.Helper()
		if err := st.Update(fn); err != nil {
			t.Fatal(err)
		}
	}
	update(func(tx domain.Tx) error {
		if err := tx.PutTeam(&domain.Team{ID: "north", Name: "North", ServiceManager: "test:sam"}); err != nil {
			return err
		}
		for _, m := range []*domain.Member{
			{Team: "north", Person: "test:a", Name: "Ann", Role: domain.RolePractitioner, FTE: 1},
			{Team: "north", Person: "test:b", Name: "Ben", Role: domain.RolePractitioner, FTE: 1},
		} {
			if err := tx.PutMember(m); err != nil {
				return err
			}
		}
		return nil
	})
	// Three weeks: Ann takes one more cp case (8 points) each week.
	for w := range 3 {
		update(func(tx domain.Tx) error {
			for i := 0; i <= 9+w; i++ {
				c := &domain.Case{Ref: fmt.Sprintf("A-%d", i), Team: "north", Type: "cp", Status: domain.CaseAllocated, Holder: "test:a", CreatedAt: tx.Now()}
				if err := tx.PutCase(c); err != nil {
					return err
				}
			}
			team, _ := tx.Team("north")
			_, _, err := digest.EnsureSnapshot(tx, &pol, london, team, tx.Now())
			return err
		})
		if w < 2 {
			fc.Advance(7 * 24 * time.Hour)
		}
	}
	var team, across []domain.Message
	if err := st.View(func(tx domain.Tx) error {
		tm, _ := tx.Team("north")
		var err error
		if team, err = digest.Build(tx, &pol, p, london, tm, tx.Now()); err != nil {
			return err
		}
		across, err = digest.BuildAcross(tx, &pol, p, london, "test:sam", []*domain.Team{tm}, tx.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	img := team[0].Image
	// The digest keeps the chart's figures; it is drawn when it is sent.
	if img == nil || img.Drawn() || img.Kind != chart.KindTeam || len(img.Spec) > 4<<10 {
		t.Fatalf("team digest image, before drawing: %+v", img)
	}
	if err := chart.Draw(img); err != nil {
		t.Fatal(err)
	}
	if img.Name != "north-load-2026-10-19.png" || img.Type != "image/png" || len(img.Data) >= 1<<20 {
		t.Fatalf("team digest image: %+v", img)
	}
	if _, err := png.Decode(bytes.NewReader(img.Data)); err != nil {
		t.Fatal(err)
	}
	// Ann: 12 cp cases = 96 points of 85 = 112.9 % red; Ben has none.
	if !strings.Contains(img.Alt, "North: team load 56.5 %") || !strings.Contains(img.Alt, "Ann 112.9 % red; Ben 0.0 % green") {
		t.Errorf("alt: %s", img.Alt)
	}
	// The picture has a bar for each, Ann's first and red, where the
	// chart of the same report puts them.
	var geo chart.Geometry
	if err := st.View(func(tx domain.Tx) error {
		tm, _ := tx.Team("north")
		b := &digest.Builder{Policy: &pol, Prompts: p, Loc: london}
		r, err := b.Team(tx, tm, tx.Now())
		if err != nil {
			return err
		}
		var plain chart.Image
		plain, geo, err = b.TeamChart(r).PNG()
		// The prompts' alt text says what the chart package's does.
		if plain.Alt != img.Alt {
			t.Errorf("alt text from the prompts:\n%s\nfrom the chart:\n%s", img.Alt, plain.Alt)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	pic, _ := png.Decode(bytes.NewReader(img.Data))
	if len(geo.Bars) != 2 {
		t.Fatalf("%d bars", len(geo.Bars))
	}
	ann := geo.Bars[0]
	red, all := 0, 0
	for y := int(ann.Y0) + 2; y < int(ann.Y1)-1; y++ {
		for x := int(ann.X0) + 2; x < int(ann.X1)-1; x++ {
			all++
			if r, g, b, _ := pic.At(x, y).RGBA(); near(r>>8, chart.Red.R) && near(g>>8, chart.Red.G) && near(b>>8, chart.Red.B) {
				red++
			}
		}
	}
	if red*2 < all {
		t.Errorf("Ann's bar is %d of %d pixels red", red, all)
	}

	sm := across[0].Image
	if sm == nil || sm.Name != "test-sam-teams-load-2026-10-19.png" || sm.Kind != chart.KindTrend {
		t.Fatalf("service manager's image: %+v", sm)
	}
	if err := chart.Draw(sm); err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(sm.Data)); err != nil {
		t.Fatal(err)
	}
	// Ann's 10, 11, 12 cases: 80, 88, 96 points of 170.
	want := fmt.Sprintf("North (circles): 5 Oct %.1f %%, 12 Oct %.1f %%, 19 Oct %.1f %%; no figures for the other weeks.", 80.0/170*100, 88.0/170*100, 96.0/170*100)
	if !strings.Contains(sm.Alt, want) || !strings.Contains(sm.Alt, "from the week of 3 Aug to the week of 19 Oct") {
		t.Errorf("alt:\n%s\nwant %s", sm.Alt, want)
	}
	if txt := digest.Text(team[0]); !strings.Contains(txt, "[north-load-2026-10-19.png] Bar chart: North") {
		t.Errorf("the plain text does not say what the chart shows:\n%s", txt)
	}
}

func near(a uint32, b uint8) bool { return int(a)-int(b) < 24 && int(b)-int(a) < 24 }
