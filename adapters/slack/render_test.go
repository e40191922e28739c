package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	slackgo "github.com/slack-go/slack"

	"github.com/safeload/safeload/adapters/slack/fakeslack"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/prompts"
)

// checkLimits holds a message's blocks to every Block Kit limit
// (and to our own budget per message), reading the JSON as Slack would.
func checkLimits(t testing.TB, blocks json.RawMessage) {
	t.Helper()
	if len(blocks) == 0 {
		return
	}
	type text struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	var bs []struct {
		Type     string `json:"type"`
		Text     *text  `json:"text"`
		Fields   []text `json:"fields"`
		Elements []struct {
			Type     string          `json:"type"`
			Text     json.RawMessage `json:"text"`
			ActionID string          `json:"action_id"`
			Value    string          `json:"value"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(blocks, &bs); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("Block Kit limit broken: "+format+"\n%s", append(args, blocks)...)
	}
	if len(bs) > maxBlocks || len(bs) == 0 {
		fail("%d blocks", len(bs))
	}
	total := 0
	actionIDs := map[string]bool{}
	for i, b := range bs {
		switch b.Type {
		case "header":
			if b.Text == nil || b.Text.Type != "plain_text" || len(b.Text.Text) > 150 || b.Text.Text == "" {
				fail("block %d: header %+v", i, b.Text)
			}
			total += len(b.Text.Text)
		case "section":
			if b.Text == nil && len(b.Fields) == 0 {
				fail("block %d: empty section", i)
			}
			if b.Text != nil {
				if n := len(b.Text.Text); n > 3000 || n == 0 {
					fail("block %d: section text of %d", i, n)
				}
				total += len(b.Text.Text)
			}
			if len(b.Fields) > 10 {
				fail("block %d: %d fields", i, len(b.Fields))
			}
			for _, f := range b.Fields {
				if n := len(f.Text); n > 2000 || n == 0 {
					fail("block %d: field of %d", i, n)
				}
				total += len(f.Text)
			}
		case "context":
			if n := len(b.Elements); n > 10 || n == 0 {
				fail("block %d: %d context elements", i, n)
			}
			for _, e := range b.Elements {
				var s string
				if err := json.Unmarshal(e.Text, &s); err != nil || len(s) > 3000 || s == "" {
					fail("block %d: context element %s", i, e.Text)
				}
			}
		case "actions":
			if n := len(b.Elements); n > 25 || n == 0 {
				fail("block %d: %d elements", i, n)
			}
			for _, e := range b.Elements {
				var label text
				if err := json.Unmarshal(e.Text, &label); err != nil || label.Type != "plain_text" || len(label.Text) > 75 || label.Text == "" {
					fail("block %d: button text %s", i, e.Text)
				}
				if len(e.Value) > 2000 || len(e.ActionID) > 255 || e.ActionID == "" || actionIDs[e.ActionID] {
					fail("block %d: button value %d, action_id %q", i, len(e.Value), e.ActionID)
				}
				actionIDs[e.ActionID] = true
			}
		default:
			fail("block %d: unexpected type %q", i, b.Type)
		}
	}
	if total > messageBudget {
		fail("%d bytes of text in one message", total)
	}
}

// rendered renders m and checks every part, returning the parts' text.
func rendered(t *testing.T, m domain.Message) ([]outMsg, string) {
	t.Helper()
	parts := renderer{p: prompts.MustLoad()}.render(m)
	var all strings.Builder
	for _, p := range parts {
		js, err := json.Marshal(p.Blocks)
		if err != nil {
			t.Fatal(err)
		}
		checkLimits(t, js)
		text, _, err := fakeslack.Flatten(js)
		if err != nil {
			t.Fatal(err)
		}
		all.WriteString(text + "\n")
		ack, _ := json.Marshal(p.webhook())
		if len(ack) >= 20*1024 {
			t.Fatalf("a part of %d bytes would not fit a Socket Mode acknowledgement", len(ack))
		}
	}
	return parts, all.String()
}

// slackText is how a line of the engine's reads once in Slack.
func slackText(s string) string {
	return neutralMention.ReplaceAllStringFunc(s, func(m string) string {
		return "<@" + m[strings.Index(m, ":")+1:]
	})
}

// bigTeam puts a 45-practitioner team with 400 cases straight into the store.
func bigTeam(t *testing.T, h *harness) {
	t.Helper()
	types := []string{"proceedings", "cp", "assessment", "lac", "cin", "care_leaver"}
	err := h.st.Update(func(tx domain.Tx) error {
		team := &domain.Team{ID: "big", Name: "Big Safeguarding Team With A Long Name", Channel: "slack:" + testChannel}
		if err := tx.PutTeam(team); err != nil {
			return err
		}
		if err := tx.PutMember(&domain.Member{Team: "big", Person: "slack:UMEG", Name: "Meg", Role: domain.RoleManager}); err != nil {
			return err
		}
		for i := range 45 {
			role := domain.RolePractitioner
			if i%9 == 0 {
				role = domain.RoleASYE
			}
			m := &domain.Member{Team: "big", Person: domain.PersonID(fmt.Sprintf("slack:UP%03d", i)),
				Name: fmt.Sprintf("Practitioner %02d Hyphenated-Longsurname", i), Role: role, FTE: 1}
			if err := tx.PutMember(m); err != nil {
				return err
			}
		}
		for i := range 400 {
			c := &domain.Case{Ref: fmt.Sprintf("C-%04d", i), Team: "big", Type: types[i%len(types)],
				Status: domain.CaseAllocated, Holder: domain.PersonID(fmt.Sprintf("slack:UP%03d", i%45)), CreatedAt: start, AllocatedAt: start}
			if i%5 == 0 {
				c.Factors = []string{"court", "high_risk"}
			}
			if i >= 330 { // 70 waiting: the meeting's queue is long too
				c.Status, c.Holder, c.QueuedSince = domain.CaseQueued, "", start
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

// TestLongBoardsAreSplitNeverCut renders the engine's own board and meeting
// view for 45 people and 400 cases, and a digest-shaped message, within
// every limit, with every line somewhere in the parts.
func TestLongBoardsAreSplitNeverCut(t *testing.T) {
	h := newHarness(t)
	bigTeam(t, h)
	for _, tc := range []struct{ name, command, text string }{
		{"board", "caseload", "board"},
		{"meeting", "allocate", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.eng.Handle(context.Background(), engine.Request{Platform: "slack", Channel: "slack:" + testChannel,
				Caller: "slack:UMEG", Command: tc.command, Text: tc.text})
			if resp.Code != "" || len(resp.Messages) == 0 {
				t.Fatalf("engine refused: %+v", resp)
			}
			lines := 0
			for _, m := range resp.Messages {
				_, all := rendered(t, m)
				for _, s := range m.Sections {
					for _, l := range s.Lines {
						lines++
						if !strings.Contains(all, slackText(l.Text)) {
							t.Fatalf("line cut: %q", l.Text)
						}
					}
				}
			}
			if tc.name == "board" && lines < 45 {
				t.Fatalf("the board has %d lines, want every practitioner's", lines)
			}
		})
	}

	t.Run("digest", func(t *testing.T) {
		m := digestShaped()
		parts, all := rendered(t, m)
		if len(parts) < 2 {
			t.Fatalf("a digest this long must be split; got %d part", len(parts))
		}
		for _, s := range m.Sections {
			for _, l := range s.Lines {
				if len(l.Text) > maxSectionText {
					continue // checked word by word below
				}
				if !strings.Contains(all, slackText(lineText(l))) {
					t.Fatalf("line cut: %q", l.Text)
				}
			}
		}
		for _, f := range m.Fields {
			if !strings.Contains(all, f.Value) {
				t.Fatalf("field cut: %q", f.Name)
			}
		}
		if !strings.Contains(all, "part 2 of") {
			t.Fatal("the parts of a split message must say so")
		}
		// The long line is split at spaces, never inside a word.
		for _, w := range strings.Fields(m.Sections[len(m.Sections)-1].Lines[0].Text) {
			if !strings.Contains(all, w) {
				t.Fatalf("word %q of the long line is lost", w)
			}
		}
		last := parts[len(parts)-1]
		js, _ := json.Marshal(last.Blocks)
		if _, buttons, _ := fakeslack.Flatten(js); len(buttons) != 2 {
			t.Fatalf("the buttons go with the last part; got %v", buttons)
		}
		for _, p := range parts[:len(parts)-1] {
			js, _ := json.Marshal(p.Blocks)
			if _, buttons, _ := fakeslack.Flatten(js); len(buttons) != 0 {
				t.Fatal("only the last part has buttons")
			}
		}
	})
}

// digestShaped is a message of the digest's shape for 45 people and 400
// cases, with a field and a line longer than any block can hold.
func digestShaped() domain.Message {
	m := domain.Message{Audience: domain.ToChannel, To: "slack:" + testChannel,
		Title:  "Weekly digest: Big Safeguarding Team With A Long Name, week of Mon 23 Nov 2026",
		Footer: "Figures at Mon 23 Nov 10:00. Points are summed first, then divided.",
		RAG:    domain.Red}
	for i := range 12 {
		m.Fields = append(m.Fields, domain.Field{Name: fmt.Sprintf("Figure %d", i), Value: fmt.Sprintf("value %d: 🟢 30 green · 🟠 10 amber · 🔴 5 red", i)})
	}
	m.Fields = append(m.Fields, domain.Field{Name: "Notes", Value: strings.Repeat("a long note that goes on ", 100) + "END-OF-NOTE"})
	rags := []domain.RAG{domain.Green, domain.Amber, domain.Red}
	var people []domain.Line
	for i := range 45 {
		r := rags[i%3]
		people = append(people, domain.Line{RAG: r, Text: fmt.Sprintf("%s <@slack:UP%03d> Practitioner %02d Hyphenated-Longsurname: 104.7 %%, 89 of 85 points, 9 cases, %s (was 98.2 %%, ↑ 6.5)", prompts.Dot(string(r)), i, i, r)})
	}
	var waiting []domain.Line
	for i := range 400 {
		waiting = append(waiting, domain.Line{Text: fmt.Sprintf("⚠️ C-%04d: cp with court & high_risk, 12 points, waiting 3 days <since Mon>", i)})
	}
	var concerns []domain.Line
	for i := range 30 {
		concerns = append(concerns, domain.Line{RAG: domain.Amber, Text: fmt.Sprintf("Concern #%d from <@slack:UP%03d>: open 4 days, not acknowledged", i, i)})
	}
	m.Sections = []domain.Section{
		{Title: "Practitioners, most loaded first", Lines: people},
		{Title: "Waiting for allocation (400), high risk first", Lines: waiting},
		{Title: "Open concerns", Lines: concerns},
		{Title: "A line longer than a block", Lines: []domain.Line{{Text: strings.Repeat("word ", 1500) + "LAST-WORD"}}},
	}
	m.Buttons = []domain.Button{
		{Label: "Acknowledge every concern in this digest now, with a label much longer than Slack allows", ActionID: "ack:" + strings.Repeat("9", 300), Style: domain.ButtonPrimary},
		{Label: "Decline", ActionID: "decline:1", Style: domain.ButtonDanger},
	}
	return m
}

func TestMentionsAndEscaping(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"<@slack:U01> accepted C-1", "<@U01> accepted C-1"},
		{"use /allocate decline C-1 <reason> & go", "use /allocate decline C-1 &lt;reason&gt; &amp; go"},
		{"<@discord:42> is elsewhere", "@discord:42 is elsewhere"},
		{"<@slack:U01|alice> is not neutral", "&lt;@slack:U01|alice&gt; is not neutral"},
	} {
		if got := mrkdwn(tc.in); got != tc.want {
			t.Errorf("mrkdwn(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRAGReadsWithoutColour(t *testing.T) {
	m := domain.Message{Sections: []domain.Section{{Lines: []domain.Line{
		{Text: "🔴 Alice: 110.6 %, red", RAG: domain.Red},
		{Text: "Bo: 50.0 %", RAG: domain.Green},
	}}}}
	_, all := rendered(t, m)
	if strings.Count(all, "🔴") != 1 || !strings.Contains(all, "🟢 Bo: 50.0 %") {
		t.Fatalf("each rated line carries its dot once:\n%s", all)
	}
}

func TestSplitTextNeverBreaksAnEscapeOrAMention(t *testing.T) {
	s := strings.Repeat("x", 2995) + "&amp;<@U0123>" + strings.Repeat("é", 2000)
	for _, part := range splitText(s, 3000) {
		if len(part) > 3000 {
			t.Fatalf("part of %d bytes", len(part))
		}
		if strings.HasSuffix(part, "&") || strings.HasPrefix(part, "amp;") || strings.HasSuffix(part, "<@U0") {
			t.Fatalf("split inside an escape or a mention: …%q", part[len(part)-10:])
		}
	}
	if got := strings.Join(splitText(s, 3000), ""); got != s {
		t.Fatal("a hard split must lose nothing")
	}
}

func TestButtonsKeepTheEnginesActionID(t *testing.T) {
	long := "ack:" + strings.Repeat("7", 400)
	parts := renderer{p: prompts.MustLoad()}.render(domain.Message{Text: "x", Buttons: []domain.Button{{Label: "Acknowledge", ActionID: long}}})
	js, _ := json.Marshal(parts[0].Blocks)
	_, buttons, _ := fakeslack.Flatten(js)
	if len(buttons) != 1 || buttons[0].Value != long || len(buttons[0].ActionID) > 255 {
		t.Fatalf("got %+v", buttons)
	}
	cb := slackgo.InteractionCallback{Type: slackgo.InteractionTypeBlockActions, User: slackgo.User{ID: "U1"}}
	cb.ActionCallback.BlockActions = []*slackgo.BlockAction{{ActionID: buttons[0].ActionID, Value: buttons[0].Value}}
	if in, ok := fromInteraction(cb); !ok || in.req.Action != long {
		t.Fatalf("a press must give the engine its own action ID back; got %q", in.req.Action)
	}
}
