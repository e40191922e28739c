package digest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/digest"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/store"
	"github.com/safeload/safeload/prompts"
)

var london = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return loc
}()

func flatten(m domain.Message) string {
	var b strings.Builder
	b.WriteString(m.Title + "\n" + m.Text + "\n")
	for _, f := range m.Fields {
		b.WriteString(f.Name + ": " + f.Value + "\n")
	}
	for _, s := range m.Sections {
		b.WriteString(s.Title + "\n")
		for _, l := range s.Lines {
			b.WriteString(l.Text + "\n")
		}
	}
	return b.String() + m.Footer
}

// bigTeam puts a team of 45 practitioners (3 of them ASYEs), a manager and
// 400 cases (about 340 allocated, the rest waiting) straight into the store.
func bigTeam(t *testing.T, st domain.Store, id, name string) {
	t.Helper()
	err := st.Update(func(tx domain.Tx) error {
		now := tx.Now()
		if err := tx.PutTeam(&domain.Team{ID: id, Name: name, Channel: domain.ChannelID("test:C-" + id), ServiceManager: "test:sam", CreatedAt: now}); err != nil {
			return err
		}
		if err := tx.PutMember(&domain.Member{Team: id, Person: "test:meg-" + domain.PersonID(id), Name: "Meg of " + name, Role: domain.RoleManager, FTE: 1}); err != nil {
			return err
		}
		for i := 1; i <= 45; i++ {
			m := &domain.Member{Team: id, Person: domain.PersonID(fmt.Sprintf("test:%s-p%02d", id, i)), Name: fmt.Sprintf("Worker %s %02d", name, i),
				Role: domain.RolePractitioner, FTE: 1, JoinedAt: now}
			if i%15 == 0 {
				m.Role = domain.RoleASYE
			}
			if i%10 == 0 {
				m.FTE = 0.6
			}
			if err := tx.PutMember(m); err != nil {
				return err
			}
		}
		types := []string{"cp", "cin", "lac", "assessment", "care_leaver", "proceedings"}
		for i := 1; i <= 400; i++ {
			c := &domain.Case{Ref: fmt.Sprintf("%s-%03d", strings.ToUpper(id[:1]), i), Team: id, Type: types[i%len(types)], CreatedAt: now}
			if i%7 == 0 {
				c.Factors = []string{"court"}
			}
			if i <= 340 {
				c.Status, c.Holder, c.AllocatedAt = domain.CaseAllocated, domain.PersonID(fmt.Sprintf("test:%s-p%02d", id, 1+i%45)), now
			} else {
				c.Status, c.QueuedSince = domain.CaseQueued, now.Add(-time.Duration(i)*time.Hour)
			}
			if err := tx.PutCase(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDigestOfA45PersonTeam(t *testing.T) {
	lastWeek := time.Date(2026, 11, 16, 9, 0, 0, 0, london)
	fc := clock.NewFake(lastWeek)
	st, err := store.Open(filepath.Join(t.TempDir(), "safeload.db"), store.Options{Clock: fc})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pol, p := domain.DefaultPolicy(), prompts.MustLoad()
	bigTeam(t, st, "north", "North")
	bigTeam(t, st, "south", "South")

	// Last week's snapshot, then a week of change: worker 02 takes six more
	// court cases, a concern is raised, an override falls due, hours are logged.
	if err := st.Update(func(tx domain.Tx) error {
		team, _ := tx.Team("north")
		_, created, err := digest.EnsureSnapshot(tx, &pol, london, team, tx.Now())
		if !created {
			t.Error("no snapshot written")
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, london)
	fc.Set(now)
	if err := st.Update(func(tx domain.Tx) error {
		for i := 1; i <= 6; i++ {
			if err := tx.PutCase(&domain.Case{Ref: fmt.Sprintf("X-%d", i), Team: "north", Type: "cp", Factors: []string{"court"},
				Status: domain.CaseAllocated, Holder: "test:north-p02", CreatedAt: now, AllocatedAt: now}); err != nil {
				return err
			}
		}
		c, err := tx.Case("north", "N-001")
		if err != nil {
			return err
		}
		c.Override = &domain.Override{Reason: "continuity for the family", ReviewOn: "2026-11-20", By: "test:meg-north", At: now.AddDate(0, 0, -28), Percent: 104}
		if err := tx.PutCase(c); err != nil {
			return err
		}
		if err := tx.PutConcern(&domain.Concern{Team: "north", By: "test:north-p02", Text: "six new court cases", RaisedAt: now.Add(-50 * time.Hour)}); err != nil {
			return err
		}
		return tx.AddHours(&domain.HoursEntry{Team: "north", By: "test:north-p02", Hours: 4.5, At: now.Add(-24 * time.Hour)})
	}); err != nil {
		t.Fatal(err)
	}

	var msgs, across []domain.Message
	var sum domain.TeamSummary
	if err := st.View(func(tx domain.Tx) error {
		team, err := tx.Team("north")
		if err != nil {
			return err
		}
		if msgs, err = digest.Build(tx, &pol, p, london, team, now); err != nil {
			return err
		}
		ms, _ := tx.Members("north")
		cs, _ := tx.Cases("north")
		sum = pol.Summarise(ms, cs, domain.DateOf(now))
		oversee, err := digest.Oversees(tx)
		if err != nil {
			return err
		}
		across, err = digest.BuildAcross(tx, &pol, p, london, "test:sam", oversee["test:sam"], now)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(msgs) == 0 {
		t.Fatal("no digest")
	}
	var all strings.Builder
	for _, m := range msgs {
		all.WriteString(flatten(m) + "\n")
	}
	text := all.String()
	if strings.Contains(text, "[digest.") || strings.Contains(text, "[load") {
		t.Fatalf("a prompt failed to render:\n%s", text)
	}
	for i := 1; i <= 45; i++ {
		if name := fmt.Sprintf("Worker North %02d", i); !strings.Contains(text, name+":") && !strings.Contains(text, name+" (ASYE):") {
			t.Errorf("digest lacks %s", name)
		}
	}
	for _, want := range []string{
		"North: weekly digest, week of Mon 23 Nov 2026",
		fmt.Sprintf("🟢 %d green · 🟠 %d amber · 🔴 %d red", sum.Green, sum.Amber, sum.Red),
		fmt.Sprintf("%s cases", num(sum.AverageCases)),
		"60 cases", "high risk", // waiting, with high-risk count
		"Since last week (figures of the week of Mon 16 Nov 2026)",
		"Worker North 02: 🟢 green → 🔴 red",              // changed colour
		"#1, raised 2 days ago", "not yet acknowledged", // concern without a name
		"N-001, held by Worker North 02", "continuity for the family", "review was due Fri 20 Nov 2026",
		"4.5 hours by 1 person",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("digest lacks %q", want)
		}
	}
	if strings.Contains(text, "from Worker North 02") || strings.Contains(text, "six new court cases") {
		t.Error("the team channel's digest names who raised a concern, or quotes it")
	}
	if strings.Contains(text, "Worker North 02: 4.5") || strings.Contains(text, "Worker North 02 (North): 4.5") {
		t.Error("the team channel's digest names who logged extra hours")
	}
	// Each practitioner's line shows their change since last week.
	if !strings.Contains(text, "Worker North 03: ") || !strings.Contains(text, "(±0)") {
		t.Errorf("unchanged practitioners do not show a change of ±0")
	}
	// High-risk waiting cases come first.
	for _, m := range msgs {
		for _, s := range m.Sections {
			if strings.HasPrefix(s.Title, "Not yet allocated") {
				if !strings.Contains(s.Lines[0].Text, "high risk") {
					t.Errorf("first waiting case is not high risk: %s", s.Lines[0].Text)
				}
				if len(s.Lines) != 60 {
					t.Errorf("%d waiting lines, want 60", len(s.Lines))
				}
			}
			if strings.HasPrefix(s.Title, "Practitioners") && len(s.Lines) > 20 {
				t.Errorf("a section of %d practitioner lines", len(s.Lines))
			}
		}
	}
	if !strings.Contains(msgs[0].Text, "since last week") {
		t.Errorf("headline lacks the team's change: %s", msgs[0].Text)
	}

	sm := flatten(across[0])
	for _, want := range []string{"Service manager's digest, week of Mon 23 Nov 2026: your 2 teams", "North: load", "South: load", "#1 from Worker North 02", "Red practitioners", "Worker North 02 (North)",
		"Extra hours by person, last 7 days: 4.5 hours in all", "Worker North 02 (North): 4.5 hours"} {
		if !strings.Contains(sm, want) {
			t.Errorf("service manager's digest lacks %q:\n%s", want, sm)
		}
	}
	if os.Getenv("DIGEST_SHOW") != "" {
		t.Log("\n" + digest.Text(msgs[0]) + "\n" + digest.Text(across[0]))
	}
	if plain := digest.Text(msgs[0]); !strings.Contains(plain, "Worker North 45") || !strings.HasPrefix(plain, "🔴 North: weekly digest") {
		t.Errorf("plain text:\n%s", plain)
	}
}

func num(x float64) string {
	if x == float64(int(x)) {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.1f", x)
}

func TestDigestOfAnEmptyTeamAndNoSnapshot(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "safeload.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pol, p := domain.DefaultPolicy(), prompts.MustLoad()
	if err := st.Update(func(tx domain.Tx) error {
		return tx.PutTeam(&domain.Team{ID: "east", Name: "East", CreatedAt: tx.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	_ = st.View(func(tx domain.Tx) error {
		team, _ := tx.Team("east")
		msgs, err := digest.Build(tx, &pol, p, london, team, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		text := flatten(msgs[0])
		for _, want := range []string{"Nobody here carries cases yet", "no figures from an earlier week", "Not yet allocated: none", "no capacity"} {
			if !strings.Contains(text, want) {
				t.Errorf("lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "[") {
			t.Errorf("a prompt failed:\n%s", text)
		}
		return nil
	})
}

func TestOverCapacityTeamSaysSoFirst(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "safeload.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pol, p := domain.DefaultPolicy(), prompts.MustLoad()
	if err := st.Update(func(tx domain.Tx) error {
		now := tx.Now()
		if err := tx.PutTeam(&domain.Team{ID: "east", Name: "East CIN", ServiceManager: "test:sam", CreatedAt: now}); err != nil {
			return err
		}
		if err := tx.PutMember(&domain.Member{Team: "east", Person: "test:ann", Name: "Ann", Role: domain.RolePractitioner, FTE: 1}); err != nil {
			return err
		}
		for i := 1; i <= 11; i++ { // 88 of 85 points
			c := &domain.Case{Ref: fmt.Sprintf("E-%d", i), Team: "east", Type: "cp", Status: domain.CaseAllocated, Holder: "test:ann", CreatedAt: now}
			if err := tx.PutCase(c); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_ = st.View(func(tx domain.Tx) error {
		team, _ := tx.Team("east")
		msgs, err := digest.Build(tx, &pol, p, london, team, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if want := "⚠️ East CIN is at 103.5 % of capacity: 88 of 85 points."; !strings.HasPrefix(msgs[0].Text, want) {
			t.Errorf("the digest must start with the team over capacity, got:\n%s", msgs[0].Text)
		}
		across, err := digest.BuildAcross(tx, &pol, p, london, "test:sam", []*domain.Team{team}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		sm := flatten(across[0])
		if !strings.Contains(sm, "Teams at or over capacity (1)") || !strings.Contains(sm, "Service manager's digest, week of") || !strings.Contains(sm, ": East CIN") {
			t.Errorf("service manager's digest:\n%s", sm)
		}
		return nil
	})
}
