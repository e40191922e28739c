package slack

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	slackgo "github.com/slack-go/slack"

	"github.com/safeload/safeload/adapters/internal/textcut"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/prompts"
)

// updateGolden rewrites testdata/render_golden.json from the renderer as it
// is; only ever run on a renderer whose answers are known to be right.
var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/render_golden.json")

// goldenMessages are the shapes the renderer is asked for: every kind of
// block, every limit it cuts at, mentions, escapes and text that is
// already escaped.
func goldenMessages() []domain.Message {
	line := func(i int) string {
		return fmt.Sprintf("🟢 Practitioner %02d: 7.1 %%, 6 of 85 points, 2 cases, green with room", i)
	}
	board := domain.Message{Title: "Bench Team: capacity board", RAG: domain.Green}
	for _, f := range [][2]string{{"Team load", "7.1 % (270 of 3825 points)"}, {"RAG", "🟢 45 green · 🟠 0 amber · 🔴 0 red"},
		{"Average caseload", "2 cases, 6 points per practitioner"}, {"Waiting", "0 cases not yet allocated (proposed ones included)"},
		{"Posts", "45 FTE in post; funded posts not set (/caseload posts)"}, {"Policy", "default (/caseload policy)"}} {
		board.Fields = append(board.Fields, domain.Field{Name: f[0], Value: f[1]})
	}
	people := domain.Section{Title: "Practitioners, red first, then amber, then green; most loaded first within each"}
	for i := 0; i < 45; i++ {
		people.Lines = append(people.Lines, domain.Line{Text: line(i), RAG: domain.Green})
	}
	board.Sections = []domain.Section{people}

	big := board
	big.Title = "A large team: capacity board"
	big.Sections = []domain.Section{{Title: people.Title}}
	for i := 0; i < 400; i++ {
		big.Sections[0].Lines = append(big.Sections[0].Lines, domain.Line{Text: line(i) + " <@slack:U" + fmt.Sprint(i) + "> & co", RAG: domain.Amber})
	}
	many := domain.Message{Title: "Many", Text: "fields and buttons past their limits"}
	for i := 0; i < 23; i++ {
		many.Fields = append(many.Fields, domain.Field{Name: fmt.Sprintf("F%d", i), Value: fmt.Sprintf("<value %d> & <@slack:U%d>", i, i)})
		many.Buttons = append(many.Buttons, domain.Button{Label: fmt.Sprintf("B%d", i), ActionID: fmt.Sprintf("act:%d", i)})
	}
	for i := 0; i < 8; i++ {
		many.Buttons = append(many.Buttons, domain.Button{Label: strings.Repeat("long label ", 10), ActionID: "x:" + strings.Repeat("y", 300) + fmt.Sprint(i), Style: domain.ButtonDanger})
	}
	long := strings.Repeat("A paragraph with <b>markup</b> & an escape &amp; a mention <@slack:U01> and <@teams:29:1abc>.\n", 120)
	return []domain.Message{
		board,
		big,
		many,
		{Audience: domain.ToChannel, Title: "North: board", Text: "🟢 Team load 80.0 % <@slack:U01> & <@teams:x.y> <b>\u2028", Footer: "a footer > here"},
		{Text: "plain", Footer: "a footer > here", RAG: domain.Red},
		{Title: "Fields", Fields: []domain.Field{{Name: "Load", Value: "12 / 20"}, {Name: " ", Value: "<@slack:U02>"}, {Name: "", Value: ""},
			{Name: "Long", Value: strings.Repeat("é<>&", 700)}, {Name: "After", Value: "the long one"}}},
		{Title: "Sections", Sections: []domain.Section{
			{Title: "Queue", Lines: []domain.Line{{Text: "A & B", RAG: domain.Amber}, {Text: "C"}, {Text: ""}, {Text: "🔴 already dotted", RAG: domain.Red}}},
			{Title: "", Lines: []domain.Line{{Text: "untitled section"}}},
			{Title: "Empty section"},
			{Title: "Long lines", Lines: []domain.Line{{Text: strings.Repeat("x", 3500)}, {Text: strings.Repeat("word ", 700)}, {Text: "short"}}},
		}},
		{Text: "buttons", Buttons: []domain.Button{{Label: "Accept", ActionID: "accept:1", Style: domain.ButtonPrimary}, {Label: "Decline", ActionID: "decline:1", Style: domain.ButtonDanger}}},
		{Text: "replaced", Replace: true, Buttons: []domain.Button{{Label: "Done", ActionID: "done:1"}}},
		{Audience: domain.ToPerson, To: "slack:U09", Title: strings.Repeat("A very long title ", 12), Text: "to someone"},
		{Title: "Title with <@slack:U03> in it", Text: long, Footer: strings.Repeat("footer words ", 400)},
		{Title: "  ", Text: " \n "},
		{Sections: []domain.Section{{Title: "First section only", Lines: []domain.Line{{Text: "line"}}}}},
		{Text: "first line of the text\nsecond line", Footer: "f"},
		{Title: strings.Repeat("é", 200)},
		{},
	}
}

// goldenPart is one rendered part as it is sent.
type goldenPart struct {
	Audience domain.Audience `json:"audience"`
	To       string          `json:"to,omitempty"`
	Replace  bool            `json:"replace,omitempty"`
	Webhook  json.RawMessage `json:"webhook"`
}

func renderGolden(t *testing.T, r renderer) [][]goldenPart {
	t.Helper()
	var out [][]goldenPart
	for _, m := range goldenMessages() {
		parts := []goldenPart{}
		for _, o := range r.render(m) {
			js, err := json.Marshal(o.webhook())
			if err != nil {
				t.Fatal(err)
			}
			parts = append(parts, goldenPart{Audience: o.Audience, To: o.To, Replace: o.Replace, Webhook: js})
		}
		out = append(out, parts)
	}
	return out
}

// The renderer's answers are, byte for byte, those of the renderer before
// its allocations were cut (kept in testdata/render_golden.json).
func TestRenderMatchesGolden(t *testing.T) {
	path := filepath.Join("testdata", "render_golden.json")
	got := renderGolden(t, renderer{p: prompts.MustLoad()})
	if *updateGolden {
		js, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(js, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want [][]goldenPart
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d messages rendered, %d in the golden file", len(got), len(want))
	}
	for i := range got {
		if len(got[i]) != len(want[i]) {
			t.Errorf("message %d: %d parts, want %d", i, len(got[i]), len(want[i]))
			continue
		}
		for j := range got[i] {
			g, w := got[i][j], want[i][j]
			var wc bytes.Buffer
			if err := json.Compact(&wc, w.Webhook); err != nil {
				t.Fatal(err)
			}
			if g.Audience != w.Audience || g.To != w.To || g.Replace != w.Replace || !bytes.Equal(g.Webhook, wc.Bytes()) {
				t.Errorf("message %d part %d:\n got %s %q %v %s\nwant %s %q %v %s", i, j, g.Audience, g.To, g.Replace, g.Webhook,
					w.Audience, w.To, w.Replace, wc.Bytes())
			}
		}
	}
}

// The text objects the renderer builds are those slack-go's constructor
// builds, and pack's shortcut is textcut.Pack's answer.
func TestTextObjectsAndPackAreTheLibrarys(t *testing.T) {
	if got, want := plain("a"), slackgo.NewTextBlockObject(slackgo.PlainTextType, "a", true, false); !reflect.DeepEqual(got, want) {
		t.Errorf("plain: %+v, want %+v", got, want)
	}
	if got, want := mrkdwnObj("a"), slackgo.NewTextBlockObject(slackgo.MarkdownType, "a", false, false); !reflect.DeepEqual(got, want) {
		t.Errorf("mrkdwnObj: %+v, want %+v", got, want)
	}
	for n := 0; n < 60; n += 7 {
		for _, size := range []int{0, 100, 200, 400} {
			ps := make([]piece, n)
			for i := range ps {
				ps[i] = piece{size: size + i, keep: i%5 == 1}
			}
			want := textcut.Pack(ps, func(p piece) int { return p.size }, func(p piece) bool { return p.keep }, 48, 9400)
			if got := pack(ps, 48, 9400); !reflect.DeepEqual(got, want) {
				t.Errorf("%d pieces of %d: pack %v, textcut.Pack %v", n, size, got, want)
			}
		}
	}
}

// Text without a mention is escaped as the replacer escapes it, whether or
// not it has anything to escape.
func FuzzMrkdwnWithoutMention(f *testing.F) {
	for _, s := range []string{"", "plain", "a & b", "<b>", "x > y", "<@slack:U1>", "<@", "é <"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Contains(s, "<@") {
			t.Skip()
		}
		if got, want := mrkdwn(s), escaper.Replace(s); got != want {
			t.Fatalf("mrkdwn(%q) = %q, want %q", s, got, want)
		}
	})
}
