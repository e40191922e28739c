package slack

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"slices"
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/safeload/safeload/adapters/internal/textcut"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/prompts"
)

// Block Kit limits. Text is measured in bytes, which are never
// fewer than the characters Slack counts, so what fits here fits there.
const (
	maxBlocks          = 50
	maxSectionText     = 3000
	maxFields          = 10
	maxFieldText       = 2000
	maxHeaderText      = 150
	maxButtonText      = 75
	maxActionID        = 255
	maxContextElements = 10
	maxContextText     = 2000
	maxActionsElements = 25
	// messageBudget is our own limit on the text of one message: a long
	// board becomes several readable messages, and one message stays well
	// under the 20 KB a Socket Mode acknowledgement may carry.
	messageBudget = 10000
	// reserved is room kept in every message for the "part n of m" lines.
	reservedBlocks = 2
	reservedText   = 600
	fallbackText   = 150
)

// outMsg is one Slack message: a domain.Message, or one part of a long one.
type outMsg struct {
	Audience domain.Audience
	To       string
	// Replace updates the message whose button was pressed.
	Replace bool
	// Text is the notification fallback; the blocks carry everything.
	Text   string
	Blocks []slackgo.Block
}

func (o outMsg) webhook() *slackgo.WebhookMessage {
	return &slackgo.WebhookMessage{Text: o.Text, Blocks: &slackgo.Blocks{BlockSet: o.Blocks}, ReplaceOriginal: o.Replace,
		ResponseType: o.responseType()}
}

// responseType is who sees an answer; an update keeps the original's.
func (o outMsg) responseType() string {
	switch {
	case o.Replace:
		return ""
	case o.Audience == domain.ToChannel:
		return slackgo.ResponseTypeInChannel
	}
	return slackgo.ResponseTypeEphemeral
}

func (o outMsg) options() []slackgo.MsgOption {
	return []slackgo.MsgOption{slackgo.MsgOptionText(o.Text, false), slackgo.MsgOptionBlocks(o.Blocks...)}
}

// renderer turns the engine's messages into Block Kit.
type renderer struct{ p *prompts.Set }

// piece is one block with the text it carries.
type piece struct {
	block slackgo.Block
	size  int
	// keep holds this piece in the same message as the next one, so a
	// section's title never ends a message without its first lines.
	keep bool
}

// render splits m into as many messages as Block Kit's limits need. Nothing
// is cut: every line of every section appears in one of the parts, and the
// parts say so ("continued, 2 of 3"). Buttons go with the last part.
func (r renderer) render(m domain.Message) []outMsg {
	// Room for the usual message: a header, a text, the fields, each
	// section's title and body, a footer and the buttons.
	ps := make([]piece, 0, 4+len(m.Fields)/maxFields+2*len(m.Sections)+len(m.Buttons)/maxActionsElements)
	if t := strings.TrimSpace(m.Title); t != "" {
		if len(t) <= maxHeaderText && !strings.Contains(t, "<@") {
			ps = append(ps, piece{block: slackgo.NewHeaderBlock(plain(t)), size: len(t)})
		} else {
			ps = appendSections(ps, bold(mrkdwn(t)))
		}
	}
	if t := strings.TrimSpace(m.Text); t != "" {
		ps = appendSections(ps, mrkdwn(t))
	}
	ps = appendFields(ps, m.Fields)
	for _, s := range m.Sections {
		if t := strings.TrimSpace(s.Title); t != "" {
			ps = appendSections(ps, bold(mrkdwn(t)))
			title := len(ps) - 1
			ps = appendLineSections(ps, s.Lines)
			ps[title].keep = len(ps) > title+1 // the title goes with its first lines
		} else {
			ps = appendLineSections(ps, s.Lines)
		}
	}
	if f := strings.TrimSpace(m.Footer); f != "" {
		ps = append(ps, contextPieces(splitText(mrkdwn(f), maxContextText))...)
	}
	ps = append(ps, actionPieces(m.Buttons)...)
	if len(ps) == 0 {
		return nil
	}

	parts := pack(ps, maxBlocks-reservedBlocks, messageBudget-reservedText)
	fb := fallback(m)
	out := make([]outMsg, len(parts))
	for i, part := range parts {
		blocks := make([]slackgo.Block, 0, len(part)+reservedBlocks)
		if len(parts) > 1 && i > 0 {
			blocks = append(blocks, r.note("slack.continued", fb, i+1, len(parts)))
		}
		for _, p := range part {
			blocks = append(blocks, p.block)
		}
		if len(parts) > 1 && i < len(parts)-1 {
			blocks = append(blocks, r.note("slack.continues", fb, i+1, len(parts)))
		}
		out[i] = outMsg{Audience: m.Audience, To: m.To, Replace: m.Replace && i == 0, Text: fb, Blocks: blocks}
	}
	return out
}

// note is the context line that ties the parts of a long message together.
func (r renderer) note(name, title string, part, of int) slackgo.Block {
	text := r.p.Say(name, map[string]any{"Title": title, "Part": part, "Of": of})
	return slackgo.NewContextBlock("", mrkdwnObj(firstFit(mrkdwn(text), maxContextText)))
}

// pack fills messages greedily, in order, within the block and text
// limits. Pieces that fit in one message whole are that message.
func pack(ps []piece, blocks, budget int) [][]piece {
	return textcut.Pack(ps, func(p piece) int { return p.size }, func(p piece) bool { return p.keep }, blocks, budget)
}

// appendSections adds text as section blocks of at most 3,000 bytes each.
func appendSections(ps []piece, text string) []piece {
	if len(text) <= maxSectionText { // one part, or none (as splitText says)
		if strings.TrimSpace(text) != "" {
			ps = append(ps, piece{block: slackgo.NewSectionBlock(mrkdwnObj(text), nil, nil), size: len(text)})
		}
		return ps
	}
	for _, s := range splitText(text, maxSectionText) {
		ps = append(ps, piece{block: slackgo.NewSectionBlock(mrkdwnObj(s), nil, nil), size: len(s)})
	}
	return ps
}

// appendLineSections adds lines as sections, as many whole lines to a
// section as fit.
func appendLineSections(ps []piece, lines []domain.Line) []piece {
	var cur strings.Builder
	// room is a guess at what the lines not yet written need, so that a
	// section's text is written in one buffer (escapes may need more).
	room := 0
	for _, l := range lines {
		room += len(l.Text) + 1
	}
	flush := func() {
		if cur.Len() > 0 {
			ps = appendSections(ps, cur.String())
			cur = strings.Builder{}
		}
	}
	for _, line := range lines {
		l := mrkdwn(lineText(line))
		room -= len(line.Text) + 1
		if l == "" {
			continue
		}
		if cur.Len() > 0 && cur.Len()+1+len(l) > maxSectionText {
			flush()
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		} else {
			cur.Grow(min(len(l)+max(room, 0), maxSectionText))
		}
		cur.WriteString(l)
		if cur.Len() >= maxSectionText {
			flush()
		}
	}
	flush()
	return ps
}

// appendFields shows fields side by side, ten to a section; a field too
// long for a field becomes a section of its own.
func appendFields(ps []piece, fs []domain.Field) []piece {
	var cur []*slackgo.TextBlockObject
	size := 0
	flush := func() {
		if len(cur) > 0 {
			ps = append(ps, piece{block: slackgo.NewSectionBlock(nil, cur, nil), size: size})
			cur, size = nil, 0
		}
	}
	for i, f := range fs {
		var text string
		if strings.TrimSpace(f.Name) == "" {
			text = mrkdwn(f.Value)
		} else {
			text = "*" + mrkdwn(f.Name) + "*\n" + mrkdwn(f.Value) // bold(name), a line break, the value
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		if len(text) > maxFieldText {
			flush()
			ps = appendSections(ps, text)
			continue
		}
		if cur == nil {
			cur = make([]*slackgo.TextBlockObject, 0, min(len(fs)-i, maxFields))
		}
		cur = append(cur, mrkdwnObj(text))
		size += len(text)
		if len(cur) == maxFields {
			flush()
		}
	}
	flush()
	return ps
}

// contextPieces shows texts as context elements, ten to a block.
func contextPieces(texts []string) []piece {
	var ps []piece
	for group := range slices.Chunk(texts, maxContextElements) {
		els := make([]slackgo.MixedElement, len(group))
		size := 0
		for i, t := range group {
			els[i] = mrkdwnObj(t)
			size += len(t)
		}
		ps = append(ps, piece{block: slackgo.NewContextBlock("", els...), size: size})
	}
	return ps
}

// actionPieces shows buttons, 25 to an actions block.
func actionPieces(bs []domain.Button) []piece {
	var ps []piece
	for group := range slices.Chunk(bs, maxActionsElements) {
		els := make([]slackgo.BlockElement, len(group))
		size := 0
		for i, b := range group {
			el := slackgo.NewButtonBlockElement(actionID(b.ActionID), b.ActionID, plain(firstFit(b.Label, maxButtonText)))
			switch b.Style {
			case domain.ButtonPrimary:
				el = el.WithStyle(slackgo.StylePrimary)
			case domain.ButtonDanger:
				el = el.WithStyle(slackgo.StyleDanger)
			}
			els[i] = el
			size += len(b.Label)
		}
		ps = append(ps, piece{block: slackgo.NewActionBlock("", els...), size: size})
	}
	return ps
}

// actionID is the engine's opaque ID when it fits Slack's 255 bytes, else a
// digest of it; the full ID always travels in the button's value, which is
// what a press is read from.
func actionID(id string) string {
	if len(id) <= maxActionID {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "safeload:" + hex.EncodeToString(sum[:16])
}

// lineText keeps the RAG readable without colour: a rated line carries its
// dot (the engine's lines already do; this only adds a missing one).
func lineText(l domain.Line) string {
	if l.RAG == "" {
		return l.Text
	}
	dot := prompts.Dot(string(l.RAG))
	if strings.Contains(l.Text, dot) { // at the start, where the engine puts it, or anywhere
		return l.Text
	}
	return dot + " " + l.Text
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
	s = mrkdwn(s)
	if len(s) > fallbackText {
		s = s[:safeCut(s, fallbackText-len("…"))] + "…"
	}
	return s
}

// emoji is the "emoji": true of every plain text: one value that all of
// them point to, since nothing ever changes it.
var emoji = true

// plain is slackgo.NewTextBlockObject(PlainTextType, s, true, false).
func plain(s string) *slackgo.TextBlockObject {
	return &slackgo.TextBlockObject{Type: slackgo.PlainTextType, Text: s, Emoji: &emoji}
}

// mrkdwnObj is slackgo.NewTextBlockObject(MarkdownType, s, false, false).
func mrkdwnObj(s string) *slackgo.TextBlockObject {
	return &slackgo.TextBlockObject{Type: slackgo.MarkdownType, Text: s}
}

func bold(s string) string { return "*" + s + "*" }

// neutralMention is the engine's mention, "<@slack:U01>".
var neutralMention = regexp.MustCompile(`<@([a-z]+):([A-Za-z0-9_.\-]+)>`)

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// mrkdwn escapes text for Slack and turns the engine's mentions into
// Slack's: "<@slack:U01>" becomes "<@U01>"; a person of another platform is
// shown by their ID.
func mrkdwn(s string) string {
	first := strings.IndexAny(s, "&<>")
	if first < 0 {
		return s // nothing to escape, and so no mention
	}
	if !strings.Contains(s[first:], "<@") {
		return escaper.Replace(s) // no mention: skip the regexp
	}
	var b strings.Builder
	last := 0
	for _, m := range neutralMention.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(escaper.Replace(s[last:m[0]]))
		platform, id := s[m[2]:m[3]], s[m[4]:m[5]]
		if platform == "slack" {
			b.WriteString("<@" + id + ">")
		} else {
			b.WriteString(escaper.Replace("@" + platform + ":" + id))
		}
		last = m[1]
	}
	b.WriteString(escaper.Replace(s[last:]))
	return b.String()
}

// splitText cuts s into parts of at most max bytes, never inside a mention
// or an escaped character.
func splitText(s string, max int) []string { return textcut.Split(s, max) }

// firstFit is s if it fits in max bytes, else its beginning and "…".
func firstFit(s string, max int) string { return textcut.FirstFit(s, max) }

// safeCut is the largest cut at or before max that splits nothing.
func safeCut(s string, max int) int { return textcut.Cut(s, max) }
