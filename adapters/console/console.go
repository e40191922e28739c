// Package console is the terminal adapter used by `safeload demo` and
// `safeload console`: a person types the same slash commands as in Slack or
// Discord, one per line, and presses buttons by number. Private answers,
// channel posts and messages to other people are each marked as such.
//
// It translates only; it must not reach into the store or decide anything
// the engine decides.
package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/prompts"
)

// Platform is the platform name of people who exist only in the terminal.
const Platform = "console"

// Console runs commands typed on In and writes what people see to Out.
type Console struct {
	Handler engine.Handler
	Prompts *prompts.Set
	Out     io.Writer
	// As is who is typing; Channel is the channel they type in.
	As      domain.PersonID
	Channel domain.ChannelID
	// Names, when set, turns a person ID into a display name.
	Names func(domain.PersonID) string
	// Flush, when set, is called after each command to deliver the outbox
	// (so pings to other people show up in order).
	Flush func(ctx context.Context)

	mu      sync.Mutex
	buttons map[int]pressable
	next    int
}

type pressable struct {
	actionID string
	label    string
}

var _ delivery.Sender = (*Console)(nil)

// Run reads lines until EOF or "quit". It returns nil at the end of input.
func (c *Console) Run(ctx context.Context, in io.Reader) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 64*1024)
	c.prompt()
	for sc.Scan() {
		if ctx.Err() != nil {
			return nil
		}
		line := strings.TrimSpace(sc.Text())
		if line == "quit" || line == "exit" {
			return nil
		}
		c.Line(ctx, line)
		c.prompt()
	}
	return sc.Err()
}

func (c *Console) prompt() {
	fmt.Fprintf(c.Out, "%s> ", c.who(c.As))
}

// Line handles one typed line: a slash command, a button number, "as ID",
// or "help".
func (c *Console) Line(ctx context.Context, line string) {
	switch {
	case line == "":
		return
	case line == "help" || line == "?":
		fmt.Fprintln(c.Out, c.Prompts.Say("console.help", nil))
		return
	case strings.HasPrefix(line, "as "):
		id := strings.TrimSpace(strings.TrimPrefix(line, "as "))
		if !strings.Contains(id, ":") {
			id = c.platform() + ":" + id
		}
		c.As = domain.PersonID(id)
		fmt.Fprintln(c.Out, c.Prompts.Say("console.now_as", map[string]any{"Who": c.who(c.As)}))
		return
	}
	var req engine.Request
	if n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimPrefix(line, "press "), "#")); err == nil {
		c.mu.Lock()
		b, ok := c.buttons[n]
		c.mu.Unlock()
		if !ok {
			fmt.Fprintln(c.Out, c.Prompts.Say("console.no_button", map[string]any{"N": n}))
			return
		}
		req = engine.Request{Action: b.actionID}
	} else if strings.HasPrefix(line, "/") {
		command, text, _ := strings.Cut(strings.TrimPrefix(line, "/"), " ")
		req = engine.Request{Command: command, Text: c.mentions(text)}
	} else {
		fmt.Fprintln(c.Out, c.Prompts.Say("console.unknown", map[string]any{"Line": line}))
		return
	}
	req.Platform = c.platform()
	req.Channel = c.Channel
	req.Caller = c.As
	resp := c.Handler.Handle(ctx, req)
	for _, m := range resp.Messages {
		c.show(m, "")
	}
	if c.Flush != nil {
		c.Flush(ctx)
	}
}

func (c *Console) platform() string {
	if p := c.As.Platform(); p != "" {
		return p
	}
	return Platform
}

var atWord = regexp.MustCompile(`(^|\s)@([A-Za-z0-9_.\-]+(?::[A-Za-z0-9_.\-]+)?)`)

// mentions turns "@alice" into "<@alice>", the form the engine parses.
func (c *Console) mentions(text string) string {
	return atWord.ReplaceAllString(text, "$1<@$2>")
}

var mentionRE = regexp.MustCompile(`<@([a-z]+:[^>|]+)>`)

func (c *Console) who(p domain.PersonID) string {
	if c.Names != nil {
		if n := c.Names(p); n != "" && n != string(p) {
			return n
		}
	}
	_, id, ok := strings.Cut(string(p), ":")
	if !ok {
		id = string(p)
	}
	return "@" + id
}

// render shows mentions as names, except inside a command spelled out to
// type ("… with /caseload reduction @alice end 1"): there a mention is
// written "@alice", which works when typed back.
func (c *Console) render(s string) string {
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		var b strings.Builder
		last := 0
		for _, m := range mentionRE.FindAllStringSubmatchIndex(line, -1) {
			b.WriteString(line[last:m[0]])
			p := domain.PersonID(line[m[2]:m[3]])
			if _, id, ok := strings.Cut(string(p), ":"); ok && id != "" && inCommand(line[:m[0]]) {
				b.WriteString("@" + id)
			} else {
				b.WriteString(c.who(p))
			}
			last = m[1]
		}
		b.WriteString(line[last:])
		lines[i] = b.String()
	}
	return strings.Join(lines, "\n")
}

// commandWord finds the commands a person can type.
var commandWord = regexp.MustCompile(`/(allocate|capacity|caseload)\b`)

// inCommand reports whether text that follows before ends inside a command
// to type: a command word, then no break of the sentence (". ", ", ", "; ",
// ": ") before the end.
func inCommand(before string) bool {
	locs := commandWord.FindAllStringIndex(before, -1)
	if len(locs) == 0 {
		return false
	}
	rest := before[locs[len(locs)-1][1]:]
	for _, brk := range []string{". ", ", ", "; ", ": "} {
		if strings.Contains(rest, brk) {
			return false
		}
	}
	return true
}

// Send shows a delivered message (a DM or a channel post) as such.
func (c *Console) Send(_ context.Context, dest string, m domain.Message) error {
	c.show(m, dest)
	return nil
}

// show prints a message with a header saying who sees it.
func (c *Console) show(m domain.Message, dest string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var header string
	switch {
	case m.Replace:
		header = c.Prompts.Say("console.replaced", nil)
	case dest != "" && m.Audience == domain.ToChannel:
		header = c.Prompts.Say("console.posted", map[string]any{"Channel": dest})
	case dest != "":
		header = c.Prompts.Say("console.private_to", map[string]any{"Who": c.who(domain.PersonID(dest))})
	case m.Audience == domain.ToChannel:
		header = c.Prompts.Say("console.in_channel", map[string]any{"Channel": string(c.Channel)})
	default:
		header = c.Prompts.Say("console.only_you", nil)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "── %s %s\n", header, strings.Repeat("─", max(0, 50-len([]rune(header)))))
	if m.Title != "" {
		fmt.Fprintf(&b, "%s%s\n", ragMark(m.RAG), c.render(m.Title))
	}
	if m.Text != "" {
		fmt.Fprintln(&b, c.render(m.Text))
	}
	for _, f := range m.Fields {
		fmt.Fprintf(&b, "  %s: %s\n", c.render(f.Name), c.render(f.Value))
	}
	for _, s := range m.Sections {
		if s.Title != "" {
			fmt.Fprintf(&b, "%s\n", c.render(s.Title))
		}
		for _, l := range s.Lines {
			fmt.Fprintf(&b, "  %s\n", c.render(l.Text))
		}
	}
	if m.Footer != "" {
		fmt.Fprintln(&b, c.render(m.Footer))
	}
	if m.Image != nil {
		// A terminal shows no pictures: it says what the chart shows.
		fmt.Fprintln(&b, c.render(c.Prompts.Say("console.image", m.Image)))
	}
	if len(m.Buttons) > 0 {
		if c.buttons == nil {
			c.buttons = map[int]pressable{}
		}
		var parts []string
		for _, bt := range m.Buttons {
			c.next++
			c.buttons[c.next] = pressable{actionID: bt.ActionID, label: bt.Label}
			label := fmt.Sprintf("[%d] %s", c.next, bt.Label)
			parts = append(parts, label)
		}
		fmt.Fprintf(&b, "  %s\n", strings.Join(parts, "   "))
		if m.Buttons[0].For != "" {
			fmt.Fprintf(&b, "  %s\n", c.Prompts.Say("console.buttons_for", map[string]any{"Who": c.who(m.Buttons[0].For)}))
		}
	}
	fmt.Fprint(c.Out, b.String())
}

func ragMark(r domain.RAG) string {
	if r == "" {
		return ""
	}
	return prompts.Dot(string(r)) + " "
}
