package discord

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf16"

	"github.com/bwmarrin/discordgo"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/prompts"
)

// Discord's limits. Lengths are counted in UTF-16 code units,
// which is never less than Discord's own count, so "fits here" means "fits
// there".
const (
	MaxContent       = 2000
	MaxEmbeds        = 10
	MaxEmbedTotal    = 6000 // across every embed of one message
	MaxFields        = 25
	MaxFieldName     = 256
	MaxFieldValue    = 1024
	MaxTitle         = 256
	MaxDescription   = 4096
	MaxFooter        = 2048
	MaxRows          = 5
	MaxButtonsPerRow = 5
	MaxCustomID      = 100
	MaxLabel         = 80
)

// RAG colours of the embed's left edge. The text carries 🟢/🟠/🔴 and the
// word as well, so the rating reads without colour.
const (
	ColourGreen = 0x2EB67D
	ColourAmber = 0xECB22E
	ColourRed   = 0xE01E5A
)

// blank is what Discord accepts where a field name or value must not be empty.
const blank = "\u200b"

// Size is a string's length as Discord's limits count it (conservatively).
func Size(s string) int {
	n := 0
	for _, r := range s {
		n += runeSize(r)
	}
	return n
}

// EmbedSize is what an embed counts towards MaxEmbedTotal.
func EmbedSize(e *discordgo.MessageEmbed) int {
	n := Size(e.Title) + Size(e.Description)
	for _, f := range e.Fields {
		n += Size(f.Name) + Size(f.Value)
	}
	if e.Footer != nil {
		n += Size(e.Footer.Text)
	}
	if e.Author != nil {
		n += Size(e.Author.Name)
	}
	return n
}

// Outgoing is one Discord message's worth of a domain.Message.
type Outgoing struct {
	Content    string
	Embeds     []*discordgo.MessageEmbed
	Components []discordgo.MessageComponent
}

// renderer turns domain messages into Discord messages.
type renderer struct{ prompts *prompts.Set }

func (r renderer) say(name, fallback string, data any) string {
	if r.prompts != nil && r.prompts.Has(name) {
		return r.prompts.Say(name, data)
	}
	return fallback
}

func (r renderer) continued(title string) string {
	if title == "" || title == blank {
		return ""
	}
	return r.say("discord.continued", title+" (continued)", map[string]any{"Title": title})
}

var mentionRE = regexp.MustCompile(`<@([a-z]+):([^>\s]+)>`)

// discordText rewrites the engine's platform-neutral mentions: "<@discord:1>"
// becomes Discord's "<@1>"; a person of another platform is shown by ID.
func discordText(s string) string {
	s = unmask(s)
	if !strings.Contains(s, "<@") {
		return s
	}
	return mentionRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := mentionRE.FindStringSubmatch(m)
		if sub[1] == platform {
			return "<@" + sub[2] + ">"
		}
		return "@" + sub[1] + ":" + sub[2]
	})
}

// maskedLinkRE finds Discord's masked links, [text](url). safeload's own
// sentences never use them, so any there is in what a person typed (a
// concern, a reason, a name) and must not become a link that hides where
// it goes.
var maskedLinkRE = regexp.MustCompile(`\[([^\]\n]*)\]\(\s*<?([^)\n]*)\)`)

// unmask shows a masked link as the characters typed.
func unmask(s string) string {
	if !strings.Contains(s, "](") {
		return s
	}
	return maskedLinkRE.ReplaceAllStringFunc(s, func(m string) string {
		r := strings.NewReplacer("[", `\[`, "]", `\]`, "(", `\(`, ")", `\)`)
		return r.Replace(m)
	})
}

// Colour is the embed colour of a RAG (0: none).
func Colour(r domain.RAG) int {
	switch r {
	case domain.Green:
		return ColourGreen
	case domain.Amber:
		return ColourAmber
	case domain.Red:
		return ColourRed
	}
	return 0
}

// plain reports whether a message is only text: it goes out as content.
func plain(m domain.Message) bool {
	return m.Title == "" && len(m.Fields) == 0 && len(m.Sections) == 0 && m.RAG == "" && m.Footer == ""
}

// Render turns a message into as many Discord messages as its size needs,
// each within every limit of Discord. Nothing is cut: long text is split
// at line (then word) boundaries and carried on in further embeds or
// messages. Buttons go on the last message. Only a button label over 80
// characters is shortened (its meaning is in its ID); an action ID over 100
// characters cannot be shortened and is an error.
func (r renderer) Render(m domain.Message) ([]Outgoing, error) {
	var out []Outgoing
	if plain(m) {
		for _, c := range splitText(discordText(m.Text), MaxContent) {
			out = append(out, Outgoing{Content: c})
		}
	} else {
		out = packEmbeds(r.embeds(m))
		// Mentions inside embeds show but do not notify: name the people
		// who must answer in the content, so they hear of it.
		if ping := pings(m); ping != "" {
			if len(out) == 0 {
				out = append(out, Outgoing{})
			}
			out[0].Content = ping
		}
	}
	rows, err := buttonRows(m.Buttons)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 && len(rows) == 0 {
		out = append(out, Outgoing{Content: blank})
	}
	for i := 0; i < len(rows); i += MaxRows {
		group := rows[i:min(i+MaxRows, len(rows))]
		if i == 0 && len(out) > 0 {
			out[len(out)-1].Components = group
			continue
		}
		out = append(out, Outgoing{Content: r.say("discord.more_buttons", "More choices:", nil), Components: group})
	}
	return out, nil
}

// pings lists the Discord people a message's buttons are for.
func pings(m domain.Message) string {
	var ids []string
	seen := map[string]bool{}
	for _, b := range m.Buttons {
		if b.For.Platform() != platform || seen[string(b.For)] {
			continue
		}
		seen[string(b.For)] = true
		ids = append(ids, discordText(domain.Mention(b.For)))
	}
	return strings.Join(ids, " ")
}

// embedBuilder fills embeds, starting a new one whenever a limit would be
// passed, so that every embed fits in a message on its own.
type embedBuilder struct {
	r      renderer
	colour int
	embeds []*discordgo.MessageEmbed
}

func (b *embedBuilder) cur() *discordgo.MessageEmbed { return b.embeds[len(b.embeds)-1] }

func (b *embedBuilder) start(title string, colour int) {
	b.embeds = append(b.embeds, &discordgo.MessageEmbed{Type: discordgo.EmbedTypeRich, Title: title, Color: colour})
}

// titled starts an embed for a title and lines of text: a title too long
// for the title line leads the text in bold instead; text past one
// description carries on in further embeds titled "(continued)". A line is
// split only when it is longer than a whole description.
func (b *embedBuilder) titled(title string, lines []string, colour int) {
	if Size(title) > MaxTitle {
		lines = append([]string{"**" + title + "**"}, lines...)
		title = ""
	}
	chunks := splitLines(lines, MaxDescription)
	b.start(title, colour)
	if len(chunks) == 0 {
		return
	}
	b.cur().Description = chunks[0]
	cont := b.r.continued(title)
	if Size(cont) > MaxTitle {
		cont = ""
	}
	for _, c := range chunks[1:] {
		b.start(cont, colour)
		b.cur().Description = c
	}
}

func (b *embedBuilder) field(name, value string, inline bool) {
	e := b.cur()
	if len(e.Fields) >= MaxFields || EmbedSize(e)+Size(name)+Size(value) > MaxEmbedTotal {
		b.start("", b.colour)
		e = b.cur()
	}
	e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: name, Value: value, Inline: inline})
}

func (b *embedBuilder) footer(text string) {
	if text == "" {
		return
	}
	e := b.cur()
	if Size(text) <= MaxFooter && EmbedSize(e)+Size(text) <= MaxEmbedTotal {
		e.Footer = &discordgo.MessageEmbedFooter{Text: text}
		return
	}
	b.titled("", []string{text}, b.colour)
}

func (r renderer) embeds(m domain.Message) []*discordgo.MessageEmbed {
	b := &embedBuilder{r: r, colour: Colour(m.RAG)}
	b.titled(discordText(m.Title), []string{discordText(m.Text)}, b.colour)
	for _, f := range m.Fields {
		name, value := discordText(f.Name), discordText(f.Value)
		if Size(name) > MaxFieldName {
			value, name = "**"+name+"**\n"+value, ""
		}
		if strings.TrimSpace(name) == "" {
			name = blank
		}
		chunks := splitText(value, MaxFieldValue)
		if len(chunks) == 0 {
			chunks = []string{blank}
		}
		inline := len(chunks) == 1 && Size(chunks[0]) <= 40 && !strings.Contains(chunks[0], "\n")
		for i, c := range chunks {
			n := name
			if i > 0 {
				if n = r.continued(name); n == "" || Size(n) > MaxFieldName {
					n = blank
				}
			}
			b.field(n, c, inline)
		}
	}
	for _, s := range m.Sections {
		colour := b.colour
		if colour == 0 {
			worst := domain.RAG("")
			for _, l := range s.Lines {
				worst = domain.Worse(worst, l.RAG)
			}
			colour = Colour(worst)
		}
		lines := make([]string, len(s.Lines))
		for i, l := range s.Lines {
			lines[i] = discordText(l.Text)
		}
		b.titled(discordText(s.Title), lines, colour)
	}
	b.footer(discordText(m.Footer))
	// A message with no title or text starts with an embed that nothing
	// went into; Discord refuses an empty embed.
	kept := b.embeds[:0]
	for _, e := range b.embeds {
		if e.Title != "" || e.Description != "" || len(e.Fields) > 0 || e.Footer != nil {
			kept = append(kept, e)
		}
	}
	return kept
}

// packEmbeds puts embeds into messages: at most 10 and 6,000 characters each.
func packEmbeds(embeds []*discordgo.MessageEmbed) []Outgoing {
	var out []Outgoing
	total := 0
	for _, e := range embeds {
		n := EmbedSize(e)
		if len(out) == 0 || len(out[len(out)-1].Embeds) >= MaxEmbeds || total+n > MaxEmbedTotal {
			out = append(out, Outgoing{})
			total = 0
		}
		last := &out[len(out)-1]
		last.Embeds = append(last.Embeds, e)
		total += n
	}
	return out
}

func buttonRows(bs []domain.Button) ([]discordgo.MessageComponent, error) {
	var rows []discordgo.MessageComponent
	var row discordgo.ActionsRow
	for _, b := range bs {
		if b.ActionID == "" || Size(b.ActionID) > MaxCustomID {
			return nil, fmt.Errorf("discord: button %q: action ID of %d characters does not fit Discord's custom_id (1-%d)", b.Label, Size(b.ActionID), MaxCustomID)
		}
		label := strings.TrimSpace(b.Label)
		if label == "" {
			label = b.ActionID
		}
		label = shorten(label, MaxLabel)
		style := discordgo.SecondaryButton
		switch b.Style {
		case domain.ButtonPrimary:
			style = discordgo.PrimaryButton
		case domain.ButtonDanger:
			style = discordgo.DangerButton
		}
		row.Components = append(row.Components, discordgo.Button{Label: label, Style: style, CustomID: b.ActionID})
		if len(row.Components) == MaxButtonsPerRow {
			rows = append(rows, row)
			row = discordgo.ActionsRow{}
		}
	}
	if len(row.Components) > 0 {
		rows = append(rows, row)
	}
	return rows, nil
}

// shorten cuts s to at most n units with an ellipsis; only button labels
// are ever shortened.
func shorten(s string, n int) string {
	if Size(s) <= n {
		return s
	}
	var b strings.Builder
	used := 0
	for _, r := range s {
		if used+runeSize(r)+1 > n {
			break
		}
		b.WriteRune(r)
		used += runeSize(r)
	}
	return b.String() + "…"
}

// splitLines packs lines, joined by line breaks, into pieces of at most n
// units, keeping each line whole unless it alone is longer than a piece.
func splitLines(lines []string, n int) []string {
	var out []string
	cur := ""
	for _, l := range lines {
		l = strings.TrimRight(l, " \n")
		if l == "" {
			continue
		}
		switch {
		case cur != "" && Size(cur)+1+Size(l) <= n:
			cur += "\n" + l
		case Size(l) <= n:
			if cur != "" {
				out = append(out, cur)
			}
			cur = l
		default:
			if cur != "" {
				out = append(out, cur)
			}
			pieces := splitText(l, n)
			out = append(out, pieces[:len(pieces)-1]...)
			cur = pieces[len(pieces)-1]
		}
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}

// splitText splits s into pieces of at most n units: at line breaks where
// it can, then at spaces, and a word longer than a piece between runes.
// Nothing is dropped but the line breaks and spaces the pieces split at.
func splitText(s string, n int) []string {
	s = strings.TrimRight(s, " \n")
	if s == "" {
		return nil
	}
	if Size(s) <= n {
		return []string{s}
	}
	type atom struct{ sep, text string }
	var atoms []atom
	for i, line := range strings.Split(s, "\n") {
		sep := "\n"
		if i == 0 {
			sep = ""
		}
		if Size(line) <= n {
			atoms = append(atoms, atom{sep, line})
			continue
		}
		for j, w := range strings.Split(line, " ") {
			if j > 0 {
				sep = " "
			}
			for Size(w) > n {
				head, tail := cutRunes(w, n)
				atoms = append(atoms, atom{sep, head})
				w, sep = tail, ""
			}
			atoms = append(atoms, atom{sep, w})
		}
	}
	var out []string
	cur, started := "", false
	for _, a := range atoms {
		if started && cur == "" {
			cur = a.text // after a blank line that began a piece
			continue
		}
		if started && Size(cur)+Size(a.sep)+Size(a.text) <= n {
			cur += a.sep + a.text
			continue
		}
		if started && strings.TrimSpace(cur) != "" {
			out = append(out, cur)
		}
		cur, started = a.text, true
	}
	if strings.TrimSpace(cur) != "" {
		out = append(out, cur)
	}
	return out
}

// cutRunes splits s after at most n units, on a rune boundary.
func cutRunes(s string, n int) (string, string) {
	used := 0
	for i, r := range s {
		w := runeSize(r)
		if used+w > n && i > 0 {
			return s[:i], s[i:]
		}
		used += w
	}
	return s, ""
}

func runeSize(r rune) int {
	if w := utf16.RuneLen(r); w > 0 {
		return w
	}
	return 1
}
