package teams

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeload/safeload/adapters/teams/faketeams"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/prompts"
)

var update = flag.Bool("update", false, "rewrite docs/teams-cards.json from the cards the adapter renders")

func testRenderer() renderer {
	return renderer{p: prompts.MustLoad(), name: func(p domain.PersonID) string {
		return map[domain.PersonID]string{"teams:29:1alice": "Alice Adams", "teams:29:1meg": "Meg Moss"}[p]
	}}
}

func cardJSON(t *testing.T, c Card) string {
	t.Helper()
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRenderExact holds one card to the byte: heading in a container of
// the RAG's colour with the colour in words, mentions with their entities,
// facts, a coloured line that also says its colour, the footer, and
// Action.Submit buttons carrying the engine's action IDs.
func TestRenderExact(t *testing.T) {
	m := domain.Message{Audience: domain.ToChannel, Title: "Proposal: C-112 to <@teams:29:1alice>", RAG: domain.Amber,
		Text:     "<@teams:29:1alice>, <@teams:29:1meg> proposes you take C-112.\nOnly Alice can answer.",
		Fields:   []domain.Field{{Name: "Load", Value: "96.5 % → 110.6 %"}, {Name: "Points", Value: "12"}},
		Sections: []domain.Section{{Title: "Cases", Lines: []domain.Line{{Text: "C-101: 14 points", RAG: domain.Red}, {Text: "C-102 amber already", RAG: domain.Amber}}}},
		Footer:   "Review in 2 weeks",
		Buttons: []domain.Button{{Label: "Accept", ActionID: "accept:7", Style: domain.ButtonPrimary, For: "teams:29:1alice"},
			{Label: "Decline", ActionID: "decline:7", Style: domain.ButtonDanger, For: "teams:29:1alice"}}}
	out := testRenderer().render(m)
	if len(out) != 1 {
		t.Fatalf("%d cards", len(out))
	}
	if out[0].Summary != "Proposal: C-112 to Alice Adams" || out[0].Audience != domain.ToChannel {
		t.Fatalf("summary %q, audience %q", out[0].Summary, out[0].Audience)
	}
	got := cardJSON(t, out[0].Card)
	want := `{
  "type": "AdaptiveCard",
  "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
  "version": "1.5",
  "body": [
    {
      "type": "Container",
      "style": "warning",
      "items": [
        {
          "type": "TextBlock",
          "text": "Proposal: C-112 to \u003cat\u003eAlice Adams\u003c/at\u003e",
          "wrap": true,
          "weight": "Bolder",
          "size": "Medium",
          "style": "heading"
        },
        {
          "type": "TextBlock",
          "text": "🟠 RAG: amber",
          "wrap": true,
          "spacing": "None"
        }
      ]
    },
    {
      "type": "TextBlock",
      "text": "\u003cat\u003eAlice Adams\u003c/at\u003e, \u003cat\u003eMeg Moss\u003c/at\u003e proposes you take C-112.",
      "wrap": true
    },
    {
      "type": "TextBlock",
      "text": "Only Alice can answer.",
      "wrap": true,
      "spacing": "None"
    },
    {
      "type": "FactSet",
      "facts": [
        {
          "title": "Load",
          "value": "96.5 % → 110.6 %"
        },
        {
          "title": "Points",
          "value": "12"
        }
      ]
    },
    {
      "type": "TextBlock",
      "text": "Cases",
      "wrap": true,
      "weight": "Bolder",
      "spacing": "Medium"
    },
    {
      "type": "TextBlock",
      "text": "C-101: 14 points (red)",
      "wrap": true,
      "color": "attention",
      "spacing": "Small"
    },
    {
      "type": "TextBlock",
      "text": "C-102 amber already",
      "wrap": true,
      "color": "warning",
      "spacing": "Small"
    },
    {
      "type": "TextBlock",
      "text": "Review in 2 weeks",
      "wrap": true,
      "size": "Small",
      "isSubtle": true
    }
  ],
  "actions": [
    {
      "type": "Action.Submit",
      "title": "Accept",
      "data": {
        "action": "accept:7"
      },
      "style": "positive"
    },
    {
      "type": "Action.Submit",
      "title": "Decline",
      "data": {
        "action": "decline:7"
      },
      "style": "destructive"
    }
  ],
  "msteams": {
    "width": "Full",
    "entities": [
      {
        "type": "mention",
        "text": "\u003cat\u003eAlice Adams\u003c/at\u003e",
        "mentioned": {
          "id": "29:1alice",
          "name": "Alice Adams"
        }
      },
      {
        "type": "mention",
        "text": "\u003cat\u003eMeg Moss\u003c/at\u003e",
        "mentioned": {
          "id": "29:1meg",
          "name": "Meg Moss"
        }
      }
    ]
  }
}`
	if got != want {
		t.Fatalf("card:\n%s\nwant:\n%s", got, want)
	}
}

// TestRenderSplits: a board of 300 people is several cards, each within
// Teams' limit, with every line in one of them once, the parts saying so,
// and the buttons only on the last.
func TestRenderSplits(t *testing.T) {
	var lines []domain.Line
	for i := range 300 {
		lines = append(lines, domain.Line{Text: fmt.Sprintf("🟠 Practitioner number %03d with a long name: 104.2 %%, 88.6 of 85 points, 14 cases, amber", i), RAG: domain.Amber})
	}
	m := domain.Message{Audience: domain.ToChannel, Title: "North CIN: capacity board", Sections: []domain.Section{{Title: "Practitioners", Lines: lines}},
		Buttons: []domain.Button{{Label: "Refresh", ActionID: "refresh:1"}}}
	out := testRenderer().render(m)
	if len(out) < 2 {
		t.Fatalf("300 lines in %d card(s)", len(out))
	}
	var all strings.Builder
	for i, o := range out {
		b, _ := json.Marshal(o.activity())
		if len(b) > maxMessageBytes {
			t.Fatalf("card %d is %d bytes", i+1, len(b))
		}
		text, buttons, _, err := faketeams.Flatten(b)
		if err != nil {
			t.Fatal(err)
		}
		all.WriteString(text + "\n")
		if (len(buttons) > 0) != (i == len(out)-1) {
			t.Fatalf("card %d has %d buttons", i+1, len(buttons))
		}
		if i > 0 && !strings.Contains(text, fmt.Sprintf("continued (part %d of %d)", i+1, len(out))) {
			t.Fatalf("card %d does not say it continues:\n%s", i+1, text)
		}
		if i < len(out)-1 && !strings.Contains(text, "Continued in the next card") {
			t.Fatalf("card %d does not say more follows", i+1)
		}
	}
	for i := range 300 {
		if n := strings.Count(all.String(), fmt.Sprintf("number %03d ", i)); n != 1 {
			t.Fatalf("line %d appears %d times", i, n)
		}
	}
	// A line longer than a text block is split, not cut.
	long := strings.Repeat("word ", 2000)
	out = testRenderer().render(domain.Message{Text: long})
	var got strings.Builder
	for _, o := range out {
		for _, e := range o.Card.Body {
			got.WriteString(e.Text + " ")
		}
	}
	if strings.Count(got.String(), "word") != 2000 {
		t.Fatalf("%d words of 2000 survived", strings.Count(got.String(), "word"))
	}
}

// TestCardsForREADME renders a board and a proposal from a real meeting
// and holds them to docs/teams-cards.json, which the README shows; run
// with -update to rewrite it.
func TestCardsForREADME(t *testing.T) {
	h := newHarness(t)
	admin, meg, alice, sam := h.Person("admin"), h.Person("meg"), h.Person("alice"), h.Person("sam")
	h.Command(t, admin, "caseload", "setup North CIN")
	h.Command(t, admin, "caseload", "add "+h.Mention(meg)+" manager")
	h.Command(t, meg, "caseload", "add "+h.Mention(alice)+" practitioner")
	h.Command(t, meg, "caseload", "add "+h.Mention(sam)+" practitioner fte=0.5")
	for _, c := range []string{"C-101 cp court", "C-102 lac", "C-103 proceedings court high_risk"} {
		h.Command(t, meg, "caseload", "case add "+c)
	}
	for _, ref := range []string{"C-101", "C-102"} {
		h.Command(t, meg, "allocate", ref+" "+h.Mention(alice))
		h.Command(t, alice, "allocate", "accept "+ref)
	}
	cardOf := func(what string, shown int) json.RawMessage {
		calls := h.fake.Calls()
		_, _, card, err := faketeams.Flatten(calls[len(calls)-shown].Activity)
		if err != nil || card == nil {
			t.Fatalf("%s: %v", what, err)
		}
		return card
	}
	if out := h.Command(t, meg, "allocate", "C-103 "+h.Mention(sam)); len(out) != 1 || out[0].Private {
		t.Fatalf("proposal: %+v", out)
	}
	proposal := cardOf("proposal", 1)
	h.skipBot = true
	if out := h.Command(t, meg, "caseload", "board"); len(out) != 1 {
		t.Fatalf("board: %+v", out)
	}
	board := cardOf("board", 1)
	doc := map[string]json.RawMessage{"board": board, "proposal": proposal}
	got, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("..", "..", "docs", "teams-cards.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%s", got)
	// The committed file is held to its shape, not to the byte: wording
	// changes in the prompts must not fail this test (TestRenderExact holds
	// a card to the byte).
	committed, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./adapters/teams -run CardsForREADME -update)", err)
	}
	var cards map[string]Card
	if err := json.Unmarshal(committed, &cards); err != nil {
		t.Fatalf("docs/teams-cards.json: %v", err)
	}
	for _, name := range []string{"board", "proposal"} {
		c := cards[name]
		if c.Type != "AdaptiveCard" || c.Version != CardVersion || len(c.Body) < 2 {
			t.Fatalf("docs/teams-cards.json: the %s is not a card (run with -update)", name)
		}
	}
	if a := cards["proposal"].Actions; len(a) != 2 || a[0].Title != "Accept" || a[1].Title != "Decline" || a[0].Type != "Action.Submit" {
		t.Fatalf("docs/teams-cards.json: the proposal's buttons: %+v (run with -update)", a)
	}
}
