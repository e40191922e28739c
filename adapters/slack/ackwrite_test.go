package slack

import (
	"bytes"
	"strings"
	"testing"

	slackgo "github.com/slack-go/slack"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/prompts"
)

// checkAck holds o.ack() to ackJSON(o.webhook()), and says whether the
// blocks were written directly.
func checkAck(t *testing.T, o outMsg) bool {
	t.Helper()
	_, direct := appendAck(nil, o)
	if got, want := o.ack(), ackJSON(o.webhook()); !bytes.Equal(got, want) {
		t.Fatalf("ack()\n%s\nackJSON\n%s", got, want)
	}
	return direct
}

// The immediate answer written directly is the one json.Marshal writes,
// for every message of the golden set and for the blocks' edge cases.
func TestAckIsAckJSON(t *testing.T) {
	r := renderer{p: prompts.MustLoad()}
	direct := 0
	for _, m := range goldenMessages() {
		for _, o := range r.render(m) {
			if checkAck(t, o) {
				direct++
			} else if len(m.Buttons) == 0 {
				t.Fatalf("a message without buttons was not written directly: %+v", o)
			}
		}
	}
	if direct < 10 {
		t.Fatalf("only %d parts written directly", direct)
	}
	yes, no := true, false
	hdr := slackgo.NewHeaderBlock(plain("h"))
	hdr.BlockID, hdr.Level = "b<1>", 2
	sec := slackgo.NewSectionBlock(&slackgo.TextBlockObject{Type: "mrkdwn", Text: "t", Emoji: &no, Verbatim: true},
		[]*slackgo.TextBlockObject{mrkdwnObj("a"), nil}, nil)
	sec.BlockID, sec.Expand = "s", true
	noText := slackgo.NewHeaderBlock(nil)
	ctxNil := &slackgo.ContextBlock{Type: slackgo.MBTContext}
	ctxEmpty := slackgo.NewContextBlock("c")
	for i, o := range []outMsg{
		{Text: "nil blocks"},
		{Text: "", Blocks: []slackgo.Block{}},
		{Audience: domain.ToChannel, Text: "all", Blocks: []slackgo.Block{hdr, sec, noText, ctxNil, ctxEmpty,
			slackgo.NewContextBlock("", mrkdwnObj("x"), &slackgo.TextBlockObject{Type: "plain_text", Text: "\u2029\x7f\x00", Emoji: &yes})}},
		{Replace: true, Text: "replaced", Blocks: []slackgo.Block{sec}},
		{Audience: domain.ToPerson, To: "slack:U1", Text: "to a person", Blocks: []slackgo.Block{hdr}},
	} {
		if !checkAck(t, o) {
			t.Errorf("outMsg %d was not written directly", i)
		}
	}
	// Blocks it does not write go through json.Marshal.
	img := slackgo.NewImageBlockElement("https://x/y.png", "alt")
	for i, b := range []slackgo.Block{
		slackgo.NewSectionBlock(mrkdwnObj("t"), nil, slackgo.NewAccessory(img)),
		slackgo.NewContextBlock("", img),
		slackgo.NewDividerBlock(),
		*slackgo.NewHeaderBlock(plain("a value, not a pointer")),
	} {
		if checkAck(t, outMsg{Text: "other", Blocks: []slackgo.Block{hdr, b}}) {
			t.Errorf("block %d (%T) was written directly", i, b)
		}
	}
	if (outMsg{Text: strings.Repeat("x", maxAckBytes)}).ack() != nil {
		t.Fatal("an answer too large for an immediate answer was kept")
	}
}

// Any message the renderer makes of these texts is answered with the
// bytes json.Marshal writes.
func FuzzAck(f *testing.F) {
	f.Add("Title <@slack:U1>", "Text & more\nline", "Field", "<value>", "🟢 line \u2028", "footer", false)
	f.Add("", "", " ", "", "", "", true)
	f.Add(strings.Repeat("long title ", 20), strings.Repeat("x", 3100), "", strings.Repeat("é", 1100), "\xff", "", false)
	r := renderer{p: prompts.MustLoad()}
	f.Fuzz(func(t *testing.T, title, text, name, value, line, footer string, channel bool) {
		m := domain.Message{Title: title, Text: text, Fields: []domain.Field{{Name: name, Value: value}},
			Sections: []domain.Section{{Title: name, Lines: []domain.Line{{Text: line}, {Text: value, RAG: domain.Amber}}}}, Footer: footer}
		if channel {
			m.Audience = domain.ToChannel
		}
		for _, o := range r.render(m) {
			if !checkAck(t, o) {
				t.Fatalf("not written directly: %+v", o)
			}
		}
	})
}
