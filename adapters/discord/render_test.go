package discord_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/safeload/safeload/adapters/discord"
	"github.com/safeload/safeload/adapters/discord/discordtest"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
)

// within checks one Discord message against every limit of Discord,
// counting both code points and UTF-16 units.
func within(t *testing.T, where string, p discordtest.Payload) {
	t.Helper()
	over := func(what, s string, max int, mustHave bool) {
		t.Helper()
		if n := max2(utf8.RuneCountInString(s), discord.Size(s)); n > max {
			t.Errorf("%s: %s of %d characters, limit %d", where, what, n, max)
		}
		if mustHave && strings.TrimSpace(s) == "" {
			t.Errorf("%s: empty %s", where, what)
		}
	}
	over("content", p.Content, discord.MaxContent, false)
	if len(p.Embeds) > discord.MaxEmbeds {
		t.Errorf("%s: %d embeds", where, len(p.Embeds))
	}
	total := 0
	for i, e := range p.Embeds {
		w := fmt.Sprintf("embed %d", i)
		over(w+" title", e.Title, discord.MaxTitle, false)
		over(w+" description", e.Description, discord.MaxDescription, false)
		total += discord.Size(e.Title) + discord.Size(e.Description)
		if len(e.Fields) > discord.MaxFields {
			t.Errorf("%s: %s has %d fields", where, w, len(e.Fields))
		}
		for _, f := range e.Fields {
			over(w+" field name", f.Name, discord.MaxFieldName, true)
			over(w+" field value", f.Value, discord.MaxFieldValue, true)
			total += discord.Size(f.Name) + discord.Size(f.Value)
		}
		if e.Footer != nil {
			over(w+" footer", e.Footer.Text, discord.MaxFooter, false)
			total += discord.Size(e.Footer.Text)
		}
		if e.Title == "" && e.Description == "" && len(e.Fields) == 0 {
			t.Errorf("%s: %s is empty", where, w)
		}
	}
	if total > discord.MaxEmbedTotal {
		t.Errorf("%s: %d characters across embeds", where, total)
	}
	if len(p.Components) > discord.MaxRows {
		t.Errorf("%s: %d action rows", where, len(p.Components))
	}
	for _, r := range p.Components {
		if len(r.Components) > discord.MaxButtonsPerRow || len(r.Components) == 0 {
			t.Errorf("%s: a row of %d buttons", where, len(r.Components))
		}
		for _, b := range r.Components {
			over("custom_id", b.CustomID, discord.MaxCustomID, true)
			over("label", b.Label, discord.MaxLabel, true)
		}
	}
	if p.Content == "" && len(p.Embeds) == 0 && len(p.Components) == 0 {
		t.Errorf("%s: an empty message", where)
	}
}

func max2(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// recording keeps the engine's last answer, to compare with what Discord got.
type recording struct {
	engine.Handler
	mu   sync.Mutex
	last engine.Response
}

func (r *recording) Handle(ctx context.Context, req engine.Request) engine.Response {
	resp := r.Handler.Handle(ctx, req)
	r.mu.Lock()
	r.last = resp
	r.mu.Unlock()
	return resp
}

// bigTeam fills the store: 45 people (with long names), 400 cases, half
// of them waiting, so the meeting view and the board are as big as a
// large team makes them.
func bigTeam(t *testing.T, f *fixture) {
	t.Helper()
	types := []string{"proceedings", "cp", "assessment", "lac", "cin", "care_leaver"}
	factors := [][]string{nil, {"court"}, {"court", "rural"}, {"high_risk", "noncooperation"}, {"rural"}}
	err := f.st.Update(func(tx domain.Tx) error {
		team := &domain.Team{ID: "north-cin", Name: "North Child in Need and Family Support", Channel: domain.ChannelID("discord:" + channelID), CreatedAt: start}
		if err := tx.PutTeam(team); err != nil {
			return err
		}
		if err := tx.PutMember(&domain.Member{Team: team.ID, Person: domain.PersonID("discord:" + people["meg"].ID), Name: "Meg", Role: domain.RoleManager, FTE: 1, JoinedAt: start}); err != nil {
			return err
		}
		var carriers []domain.PersonID
		for i := 1; i <= 45; i++ {
			role, fte := domain.RolePractitioner, 1.0
			switch {
			case i%9 == 0:
				role = domain.RoleASYE
			case i%11 == 0:
				role = domain.RoleStudent
			case i%4 == 0:
				fte = 0.6
			}
			id := domain.PersonID(fmt.Sprintf("discord:1100000000000000%02d", i))
			name := fmt.Sprintf("Practitioner %02d Alexandra-Catherine Montgomery-Smythe", i)
			if err := tx.PutMember(&domain.Member{Team: team.ID, Person: id, Name: name, Role: role, FTE: fte, JoinedAt: start}); err != nil {
				return err
			}
			if role.CarriesCases() {
				carriers = append(carriers, id)
			}
		}
		for i := 1; i <= 400; i++ {
			c := &domain.Case{Ref: fmt.Sprintf("C-%04d", i), Team: team.ID, Type: types[i%len(types)], Factors: factors[i%len(factors)],
				Children: i % 5, CreatedAt: start.AddDate(0, 0, -i%30), QueuedSince: start.AddDate(0, 0, -i%30)}
			if i%2 == 0 {
				c.Status, c.Holder, c.AllocatedAt = domain.CaseAllocated, carriers[i%len(carriers)], start
			} else {
				c.Status = domain.CaseQueued
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

// every is each piece of text of a message, as Discord writes mentions.
func every(m domain.Message) []string {
	out := []string{m.Title, m.Text}
	for _, f := range m.Fields {
		out = append(out, f.Name, f.Value)
	}
	for _, s := range m.Sections {
		out = append(out, s.Title)
		for _, l := range s.Lines {
			out = append(out, l.Text)
		}
	}
	return append(out, m.Footer)
}

var engineMention = strings.NewReplacer("<@discord:", "<@")

func TestBigTeamWithinEveryLimitNothingCut(t *testing.T) {
	rec := &recording{}
	f := newFixture(t, func(c *discord.Config) { rec.Handler = c.Handler; c.Handler = rec })
	bigTeam(t, f)
	meg := people["meg"]
	for _, cmd := range []struct{ command, sub string }{{"allocate", "queue"}, {"caseload", "board"}, {"caseload", "digest"}} {
		t.Run(cmd.command+" "+cmd.sub, func(t *testing.T) {
			id, token := f.next()
			resp, later := f.interact(discordtest.SlashCommand(id, appID, token, guild, meg, cmd.command, cmd.sub, nil), token)
			all := []discordtest.Payload{*resp.Data}
			for _, p := range later {
				if p.Kind != "followup" {
					t.Fatalf("unexpected %s", p.Kind)
				}
				all = append(all, p.Payload)
			}
			var text strings.Builder
			for i, p := range all {
				within(t, fmt.Sprintf("message %d", i), p)
				text.WriteString(p.Text())
			}
			rec.mu.Lock()
			msgs := rec.last.Messages
			rec.mu.Unlock()
			if rec.last.Code != "" {
				t.Fatalf("engine refused: %+v", msgs)
			}
			lines := 0
			for _, m := range msgs {
				for _, piece := range every(m) {
					if piece == "" {
						continue
					}
					lines++
					if !strings.Contains(text.String(), engineMention.Replace(piece)) {
						t.Fatalf("cut: %q is not in what Discord got", piece)
					}
				}
			}
			if cmd.sub == "queue" && (lines < 245 || len(all) < 2) {
				t.Fatalf("expected 200 waiting cases and 45 people over several messages; got %d pieces in %d messages", lines, len(all))
			}
			t.Logf("%d pieces of text in %d Discord messages", lines, len(all))
		})
	}
}

// TestRenderHugeMessage pushes every part of a message past its limit at
// once: a long title, text of 20,000 characters with a 5,000-character
// word, 60 fields with long names and values, sections of 500 lines, a
// long footer and 60 buttons.
func TestRenderHugeMessage(t *testing.T) {
	var sb strings.Builder
	for i := 0; sb.Len() < 20000; i++ {
		fmt.Fprintf(&sb, "Line %d of the text, with 🟢 green and <@discord:%d> in it.\n", i, 100000000000000000+i)
	}
	sb.WriteString(strings.Repeat("x", 5000))
	m := domain.Message{
		Audience: domain.ToChannel, RAG: domain.Red,
		Title:  strings.Repeat("Title ", 60),
		Text:   sb.String(),
		Footer: strings.Repeat("footer ", 400),
	}
	for i := 0; i < 60; i++ {
		m.Fields = append(m.Fields, domain.Field{Name: fmt.Sprintf("Field %d %s", i, strings.Repeat("n", 10*i)), Value: strings.Repeat(fmt.Sprintf("value %d ", i), 40*(i%5))})
	}
	for s := 0; s < 3; s++ {
		sec := domain.Section{Title: fmt.Sprintf("Section %d", s)}
		for i := 0; i < 500; i++ {
			sec.Lines = append(sec.Lines, domain.Line{Text: fmt.Sprintf("🔴 Person %d of section %d: 112.0 %%, 95 of 85 points, 17 cases, red", i, s), RAG: domain.Red})
		}
		m.Sections = append(m.Sections, sec)
	}
	for i := 0; i < 60; i++ {
		m.Buttons = append(m.Buttons, domain.Button{Label: fmt.Sprintf("Choice %d %s", i, strings.Repeat("l", i*2)), ActionID: fmt.Sprintf("accept:%d", i)})
	}

	h := handlerFunc(func(context.Context, engine.Request) engine.Response {
		return engine.Response{Messages: []domain.Message{m}}
	})
	f := newFixture(t, func(c *discord.Config) { c.Handler = h })
	id, token := f.next()
	resp, later := f.interact(discordtest.SlashCommand(id, appID, token, guild, people["meg"], "caseload", "board", nil), token)
	all := []discordtest.Payload{*resp.Data}
	for _, p := range later {
		all = append(all, p.Payload)
	}
	t.Logf("%d messages; requests %d", len(all), len(f.discord.Requests()))
	var got strings.Builder
	var buttons []string
	for i, p := range all {
		within(t, fmt.Sprintf("message %d", i), p)
		got.WriteString(withoutContinued(p))
		for _, b := range p.Buttons() {
			buttons = append(buttons, b.CustomID)
		}
		for _, e := range p.Embeds {
			if e.Color != discord.ColourRed {
				t.Fatalf("message %d: embed colour %#x, want red", i, e.Color)
			}
		}
	}
	// Nothing is lost: with all white space taken out, every piece of the
	// message is in what was sent, in order.
	squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
	sent := squash(got.String())
	pos := 0
	for _, piece := range every(m) {
		p := squash(engineMention.Replace(strings.ReplaceAll(piece, "**", "")))
		i := strings.Index(sent[pos:], p)
		if i < 0 {
			k := 0
			for k < len(p) && strings.Contains(sent[pos:], p[:k+1]) {
				k++
			}
			j := strings.Index(sent[pos:], p[:k])
			t.Fatalf("cut or out of order: %.80q…\nmatched up to %q\nsent there: %.200q", p, p[max2(0, k-80):k], sent[pos+j+k-80:])
		}
		pos += i + len(p)
	}
	if len(buttons) != 60 {
		t.Fatalf("%d buttons sent, want 60", len(buttons))
	}
	for i, b := range buttons {
		if b != fmt.Sprintf("accept:%d", i) {
			t.Fatalf("button %d is %s", i, b)
		}
	}
	t.Logf("sent as %d Discord messages", len(all))
}

// withoutContinued is a message's text without the "(continued)" titles
// and field names that splitting adds.
func withoutContinued(p discordtest.Payload) string {
	cont := func(s string) bool { return strings.HasSuffix(s, "(continued)") }
	var b strings.Builder
	for _, e := range p.Embeds {
		if !cont(e.Title) {
			b.WriteString(e.Title + "\n")
		}
		b.WriteString(e.Description + "\n")
		for _, f := range e.Fields {
			if !cont(f.Name) && f.Name != "\u200b" {
				b.WriteString(f.Name + "\n")
			}
			b.WriteString(strings.Trim(f.Value, "\u200b") + "\n")
		}
		if e.Footer != nil {
			b.WriteString(e.Footer.Text + "\n")
		}
	}
	return b.String()
}

func TestRAGColours(t *testing.T) {
	for rag, want := range map[domain.RAG]int{domain.Green: 0x2EB67D, domain.Amber: 0xECB22E, domain.Red: 0xE01E5A, "": 0} {
		if got := discord.Colour(rag); got != want {
			t.Errorf("Colour(%q) = %#x, want %#x", rag, got, want)
		}
	}
}

func TestLongButtonIDIsRefused(t *testing.T) {
	h := handlerFunc(func(context.Context, engine.Request) engine.Response {
		return engine.Response{Messages: []domain.Message{{Audience: domain.ToChannel, Text: "x",
			Buttons: []domain.Button{{Label: "Go", ActionID: strings.Repeat("a", 101)}}}}}
	})
	f := newFixture(t, func(c *discord.Config) { c.Handler = h })
	id, token := f.next()
	resp, _ := f.interact(discordtest.SlashCommand(id, appID, token, guild, people["meg"], "caseload", "board", nil), token)
	if resp.Data.Flags != discordtest.Ephemeral || len(resp.Data.Components) != 0 {
		t.Fatalf("a button Discord would refuse must not be sent: %+v", resp.Data)
	}
}

func TestSectionsOnlyMessageHasNoEmptyEmbed(t *testing.T) {
	h := handlerFunc(func(context.Context, engine.Request) engine.Response {
		return engine.Response{Messages: []domain.Message{{Audience: domain.ToChannel,
			Sections: []domain.Section{{Title: "Queue", Lines: []domain.Line{{Text: "🔴 C-1 waiting", RAG: domain.Red}}}}}}}
	})
	f := newFixture(t, func(c *discord.Config) { c.Handler = h })
	id, token := f.next()
	resp, _ := f.interact(discordtest.SlashCommand(id, appID, token, guild, people["meg"], "caseload", "board", nil), token)
	within(t, "sections only", *resp.Data)
	if len(resp.Data.Embeds) != 1 || resp.Data.Embeds[0].Color != discord.ColourRed {
		t.Fatalf("want one red embed (the worst line), got %+v", resp.Data.Embeds)
	}
}
