package teams

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/safeload/safeload/adapters/internal/textcut"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/prompts"
)

// Teams refuses a message larger than about 28 KB, the card included. A
// card's body is kept within cardBudget, which leaves room for its buttons,
// mention entities and the activity around it; a longer message becomes
// several cards that say they belong together. Nothing is cut.
const (
	maxMessageBytes = 28 * 1024
	cardBudget      = 22 * 1024
	// maxBlockText keeps one text block readable; longer text is split at
	// line breaks into several blocks.
	maxBlockText = 2000
	// maxFacts is how many facts go in one fact set.
	maxFacts     = 10
	summaryBytes = 150
	// maxPictureBytes is the largest picture sent: Teams shows an inline
	// image of up to 1 MB, and does not count its base64 in the size of the
	// message around it. A larger one is not sent, and the card says so.
	maxPictureBytes = 1 << 20
	// maxAltText bounds the alt text sent with a picture; the card beside
	// it carries every figure.
	maxAltText = 1000
)

// The Adaptive Card schema version Teams renders on every client.
const (
	CardVersion     = "1.5"
	CardSchema      = "http://adaptivecards.io/schemas/adaptive-card.json"
	CardContentType = "application/vnd.microsoft.card.adaptive"
)

// Card is an Adaptive Card as safeload writes it.
type Card struct {
	Type    string     `json:"type"`
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Body    []Element  `json:"body"`
	Actions []Action   `json:"actions,omitempty"`
	MSTeams *CardTeams `json:"msteams,omitempty"`
}

// CardTeams is the card's Teams-only part: full width, and the mentions
// its text blocks carry.
type CardTeams struct {
	Width    string    `json:"width,omitempty"`
	Entities []Mention `json:"entities,omitempty"`
}

// Mention makes "<at>Name</at>" in a text block notify the person.
type Mention struct {
	Type      string  `json:"type"`
	Text      string  `json:"text"`
	Mentioned Account `json:"mentioned"`
}

// Element is a TextBlock, a FactSet or a Container.
type Element struct {
	Type     string    `json:"type"`
	Text     string    `json:"text,omitempty"`
	Wrap     bool      `json:"wrap,omitempty"`
	Weight   string    `json:"weight,omitempty"`
	Size     string    `json:"size,omitempty"`
	Color    string    `json:"color,omitempty"`
	IsSubtle bool      `json:"isSubtle,omitempty"`
	Style    string    `json:"style,omitempty"`
	Spacing  string    `json:"spacing,omitempty"`
	Facts    []Fact    `json:"facts,omitempty"`
	Items    []Element `json:"items,omitempty"`
}

// Fact is one line of a FactSet.
type Fact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// Action is an Action.Submit button; its data carries the engine's action
// ID, which comes back in the activity's value when it is pressed.
type Action struct {
	Type  string            `json:"type"`
	Title string            `json:"title"`
	Data  map[string]string `json:"data"`
	Style string            `json:"style,omitempty"`
}

// outCard is one Teams message: a domain.Message, or one part of a long one.
type outCard struct {
	Audience domain.Audience
	To       string
	Replace  bool
	Summary  string
	Card     Card
	// Picture, when set, makes this part the message's picture instead of
	// a card.
	Picture *domain.Image
}

// activity is the message activity that carries the card, or the picture.
func (o outCard) activity() *Activity {
	if o.Picture != nil {
		return pictureActivity(o.Summary, o.Picture)
	}
	return &Activity{Type: "message", Summary: o.Summary,
		Attachments: []Attachment{{ContentType: CardContentType, Content: o.Card}}}
}

// pictureActivity carries a picture as an inline attachment, its bytes in a
// base64 data: URI, with its alt text as the activity's text. An Adaptive
// Card's Image element cannot hold such a URI within the card's budget, so
// the picture goes in an activity of its own, after the cards.
func pictureActivity(summary string, img *domain.Image) *Activity {
	typ := pictureType(img)
	return &Activity{Type: "message", Summary: summary, Text: img.AltWithin(maxAltText), TextFormat: "plain",
		Attachments: []Attachment{{ContentType: typ, Name: img.Name,
			ContentURL: "data:" + typ + ";base64," + base64.StdEncoding.EncodeToString(img.Data)}}}
}

// pictureType is the picture's media type; the charts are PNG.
func pictureType(img *domain.Image) string {
	if img.Type == "" {
		return "image/png"
	}
	return img.Type
}

// pictureNote is what the card says instead of showing a picture that
// cannot be sent, "" when it can be.
func (r renderer) pictureNote(img *domain.Image) string {
	switch {
	case len(img.Data) == 0 || !strings.HasPrefix(pictureType(img), "image/"):
		return r.p.Say("teams.picture_missing", map[string]any{"Name": img.Name})
	case len(img.Data) > maxPictureBytes:
		return r.p.Say("teams.picture_too_large", map[string]any{"Name": img.Name, "KB": len(img.Data) / 1024, "MaxKB": maxPictureBytes / 1024})
	}
	return ""
}

// renderer turns the engine's messages into Adaptive Cards.
type renderer struct {
	p *prompts.Set
	// name is how a person mentioned by the engine is shown.
	name func(domain.PersonID) string
}

// piece is one element of a card's body with its size.
type piece struct {
	el   Element
	size int
	// keep holds this piece in the same card as the next one, so a
	// section's title never ends a card without its first line.
	keep bool
}

// ragColor is a RAG as a text block's colour; the words are always there too.
func ragColor(r domain.RAG) string {
	switch r {
	case domain.Green:
		return "good"
	case domain.Amber:
		return "warning"
	case domain.Red:
		return "attention"
	}
	return ""
}

// render splits m into as many cards as the size limit needs. Every line of
// every section appears in one of them, and the parts say so; buttons go
// with the last part.
func (r renderer) render(m domain.Message) []outCard {
	var ps []piece
	title := strings.TrimSpace(m.Title)
	text := strings.TrimSpace(m.Text)
	if title != "" {
		head := textPieces(title, Element{Type: "TextBlock", Wrap: true, Weight: "Bolder", Size: "Medium", Style: "heading"})
		if m.RAG != "" {
			// The whole heading sits in a container of the RAG's colour, and
			// says the colour in words for those who cannot see it.
			items := make([]Element, 0, len(head)+1)
			for _, p := range head {
				items = append(items, p.el)
			}
			if !mentionsRAG(title+" "+text, m.RAG) {
				items = append(items, Element{Type: "TextBlock", Wrap: true, Spacing: "None",
					Text: r.p.Say("teams.rag", map[string]any{"Dot": prompts.Dot(string(m.RAG)), "RAG": string(m.RAG)})})
			}
			c := Element{Type: "Container", Style: containerStyle(m.RAG), Items: items}
			head = []piece{{el: c, size: size(c)}}
		}
		ps = append(ps, head...)
	}
	if text != "" {
		ps = append(ps, textPieces(text, Element{Type: "TextBlock", Wrap: true})...)
	}
	ps = append(ps, factPieces(m.Fields)...)
	for _, s := range m.Sections {
		var body []piece
		for _, l := range s.Lines {
			t := strings.TrimSpace(l.Text)
			if t == "" {
				continue
			}
			if l.RAG != "" && !mentionsRAG(t, l.RAG) {
				t += " (" + string(l.RAG) + ")"
			}
			body = append(body, textPieces(t, Element{Type: "TextBlock", Wrap: true, Spacing: "Small", Color: ragColor(l.RAG)})...)
		}
		if t := strings.TrimSpace(s.Title); t != "" {
			head := textPieces(t, Element{Type: "TextBlock", Wrap: true, Weight: "Bolder", Spacing: "Medium"})
			head[len(head)-1].keep = len(body) > 0
			ps = append(ps, head...)
		}
		ps = append(ps, body...)
	}
	if f := strings.TrimSpace(m.Footer); f != "" {
		ps = append(ps, textPieces(f, Element{Type: "TextBlock", Wrap: true, IsSubtle: true, Size: "Small"})...)
	}
	picture := m.Image
	if picture != nil {
		if note := r.pictureNote(picture); note != "" {
			ps = append(ps, textPieces(note, Element{Type: "TextBlock", Wrap: true, IsSubtle: true, Size: "Small"})...)
			picture = nil
		}
	}
	actions := buttons(m.Buttons)
	if len(ps) == 0 && len(actions) == 0 && picture == nil {
		return nil
	}

	summary := r.mentions(fallback(m), false)
	if len(ps) == 0 && len(actions) == 0 {
		return []outCard{{Audience: m.Audience, To: m.To, Summary: summary, Picture: picture}}
	}
	parts := pack(ps, cardBudget-size(actions))
	out := make([]outCard, len(parts))
	for i, part := range parts {
		body := make([]Element, 0, len(part)+2)
		if len(parts) > 1 && i > 0 {
			body = append(body, r.note("teams.continued", summary, i+1, len(parts)))
		}
		for _, p := range part {
			body = append(body, p.el)
		}
		if len(parts) > 1 && i < len(parts)-1 {
			body = append(body, r.note("teams.continues", summary, i+1, len(parts)))
		}
		c := Card{Type: "AdaptiveCard", Schema: CardSchema, Version: CardVersion, Body: body,
			MSTeams: &CardTeams{Width: "Full"}}
		if i == len(parts)-1 {
			c.Actions = actions
		}
		c.MSTeams.Entities = r.withMentions(c.Body)
		out[i] = outCard{Audience: m.Audience, To: m.To, Replace: m.Replace && i == 0, Summary: summary, Card: c}
	}
	if picture != nil {
		out = append(out, outCard{Audience: m.Audience, To: m.To, Summary: summary, Picture: picture})
	}
	return out
}

func containerStyle(r domain.RAG) string {
	switch r {
	case domain.Green:
		return "good"
	case domain.Amber:
		return "warning"
	}
	return "attention"
}

// mentionsRAG reports whether text already names the colour in words.
func mentionsRAG(text string, r domain.RAG) bool {
	return strings.Contains(strings.ToLower(text), string(r))
}

func (r renderer) note(name, title string, part, of int) Element {
	return Element{Type: "TextBlock", Wrap: true, IsSubtle: true, Size: "Small",
		Text: r.p.Say(name, map[string]any{"Title": title, "Part": part, "Of": of})}
}

// buttons are the message's buttons as Action.Submit.
func buttons(bs []domain.Button) []Action {
	var out []Action
	for _, b := range bs {
		a := Action{Type: "Action.Submit", Title: b.Label, Data: map[string]string{"action": b.ActionID}}
		switch b.Style {
		case domain.ButtonPrimary:
			a.Style = "positive"
		case domain.ButtonDanger:
			a.Style = "destructive"
		}
		out = append(out, a)
	}
	return out
}

// pack fills cards greedily, in order, within the budget; a message with
// nothing to show still makes one (empty) card.
func pack(ps []piece, budget int) [][]piece {
	out := textcut.Pack(ps, func(p piece) int { return p.size }, func(p piece) bool { return p.keep }, 0, budget)
	if len(out) == 0 {
		out = [][]piece{nil}
	}
	return out
}

// textPieces is text as text blocks like proto, one block a line (a text
// block's markdown does not keep single line breaks), split so no block is
// longer than maxBlockText.
func textPieces(text string, proto Element) []piece {
	var ps []piece
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		for _, t := range textcut.Split(line, maxBlockText) {
			el := proto
			el.Text = t
			if len(ps) > 0 {
				el.Spacing = "None"
			}
			ps = append(ps, piece{el: el, size: size(el)})
		}
	}
	return ps
}

// factPieces shows fields as fact sets; a field whose name is empty is a
// text block of its own.
func factPieces(fs []domain.Field) []piece {
	var ps []piece
	var cur []Fact
	flush := func() {
		if len(cur) > 0 {
			el := Element{Type: "FactSet", Facts: cur}
			ps = append(ps, piece{el: el, size: size(el)})
			cur = nil
		}
	}
	for _, f := range fs {
		name, value := strings.TrimSpace(f.Name), strings.TrimSpace(f.Value)
		if value == "" && name == "" {
			continue
		}
		if name == "" || len(value) > maxBlockText {
			flush()
			if name != "" {
				ps = append(ps, textPieces(name, Element{Type: "TextBlock", Wrap: true, Weight: "Bolder"})...)
			}
			ps = append(ps, textPieces(value, Element{Type: "TextBlock", Wrap: true})...)
			continue
		}
		cur = append(cur, Fact{Title: name, Value: value})
		if len(cur) == maxFacts {
			flush()
		}
	}
	flush()
	return ps
}

func size(v any) int {
	b, _ := json.Marshal(v)
	return len(b)
}

// neutralMention is the engine's mention, "<@teams:29:1abc>".
var neutralMention = regexp.MustCompile(`<@([a-z]+):([^<>|\s]+)>`)

// mentions writes the engine's mentions for Teams: a Teams person as
// <at>Name</at> when at is true (text blocks, which notify them), else by
// name; a person of another platform by their ID.
func (r renderer) mentions(s string, at bool) string {
	return neutralMention.ReplaceAllStringFunc(s, func(m string) string {
		sub := neutralMention.FindStringSubmatch(m)
		if sub[1] != platform {
			return "@" + sub[1] + ":" + sub[2]
		}
		name := r.name(domain.PersonID(sub[1] + ":" + sub[2]))
		if at {
			return "<at>" + name + "</at>"
		}
		return name
	})
}

// withMentions rewrites the engine's mentions in the card's elements and
// returns the entities that make Teams notify the people mentioned.
func (r renderer) withMentions(els []Element) []Mention {
	var out []Mention
	seen := map[string]bool{}
	var walk func(els []Element)
	walk = func(els []Element) {
		for i := range els {
			e := &els[i]
			if e.Type == "TextBlock" {
				for _, sub := range neutralMention.FindAllStringSubmatch(e.Text, -1) {
					if sub[1] != platform || seen[sub[2]] {
						continue
					}
					seen[sub[2]] = true
					name := r.name(domain.PersonID(sub[1] + ":" + sub[2]))
					out = append(out, Mention{Type: "mention", Text: "<at>" + name + "</at>", Mentioned: Account{ID: sub[2], Name: name}})
				}
				e.Text = r.mentions(e.Text, true)
			}
			for j := range e.Facts {
				e.Facts[j].Title = r.mentions(e.Facts[j].Title, false)
				e.Facts[j].Value = r.mentions(e.Facts[j].Value, false)
			}
			walk(e.Items)
		}
	}
	walk(els)
	return out
}

// fallback is the one-line notification text of a message.
func fallback(m domain.Message) string {
	s := m.Title
	if s == "" {
		s = m.Text
	}
	if s == "" && len(m.Sections) > 0 {
		s = m.Sections[0].Title
	}
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > summaryBytes {
		s = s[:textcut.Cut(s, summaryBytes-len("…"))] + "…"
	}
	return s
}
