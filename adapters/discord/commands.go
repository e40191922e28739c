package discord

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/prompts"
)

// platform is the prefix of every Discord person and channel ID.
const platform = "discord"

// optionSpec is one typed option of a sub-command.
type optionSpec struct {
	name     string
	typ      discordgo.ApplicationCommandOptionType
	required bool
	// prefix is written before the value in the engine's grammar ("fte=").
	prefix  string
	choices []choice
}

type choice struct{ name, value string }

// subSpec is one sub-command: which words of the engine's grammar it
// stands for, and its options in the order the grammar wants them.
type subSpec struct {
	name  string
	words string
	opts  []optionSpec
	// text, when set, writes the engine's text itself (forms whose options
	// do not simply follow each other).
	text func(v values) string
}

type commandSpec struct {
	name string
	subs []subSpec
}

func str(name string, required bool) optionSpec {
	return optionSpec{name: name, typ: discordgo.ApplicationCommandOptionString, required: required}
}
func num(name string, required bool) optionSpec {
	return optionSpec{name: name, typ: discordgo.ApplicationCommandOptionNumber, required: required}
}
func usr(name string, required bool) optionSpec {
	return optionSpec{name: name, typ: discordgo.ApplicationCommandOptionUser, required: required}
}
func boolean(name string) optionSpec {
	return optionSpec{name: name, typ: discordgo.ApplicationCommandOptionBoolean}
}

var (
	ref    = str("ref", true)
	person = usr("user", true)
	until  = optionSpec{name: "until", typ: discordgo.ApplicationCommandOptionString, prefix: "until="}
)

func outcomeChoices() []choice {
	return []choice{{"keep", "keep"}, {"add", "add"}, {"reduce", "reduce"}, {"move", "move"}}
}

func roleChoices() []choice {
	out := make([]choice, 0, len(domain.Roles))
	for _, r := range domain.Roles {
		out = append(out, choice{name: r.Label(), value: string(r)})
	}
	return out
}

// specs are the slash commands as Discord sub-commands. A person is a User option;
// references and text are String options; hours, FTE and concern numbers
// are Number options.
var specs = []commandSpec{
	{name: "allocate", subs: []subSpec{
		{name: "queue", words: "queue"},
		{name: "propose", words: "propose", opts: []optionSpec{ref, person, boolean("override"), str("review", false), str("reason", false)},
			text: overrideText("propose", true)},
		{name: "accept", words: "accept", opts: []optionSpec{ref}},
		{name: "decline", words: "decline", opts: []optionSpec{ref, str("reason", true)}},
		{name: "done", words: "done"},
		{name: "transfer", words: "transfer", opts: []optionSpec{ref, person, str("reason", true), boolean("override"), str("review", false)},
			text: overrideText("transfer", false)},
		{name: "withdraw", words: "withdraw", opts: []optionSpec{ref}},
		{name: "review", words: "review", opts: []optionSpec{ref,
			{name: "decision", typ: discordgo.ApplicationCommandOptionString, required: true,
				choices: []choice{{name: "continue", value: "continue"}, {name: "end", value: "end"}}},
			str("review", false), str("reason", false)},
			text: reviewText},
	}},
	{name: "capacity", subs: []subSpec{
		{name: "show", words: "show", opts: []optionSpec{usr("user", false)}},
		{name: "concern", words: "concern", opts: []optionSpec{str("text", true)}},
		{name: "hours", words: "hours", opts: []optionSpec{num("hours", true), {name: "date", typ: discordgo.ApplicationCommandOptionString, prefix: "date="}, str("note", false)}},
		{name: "ack", words: "ack", opts: []optionSpec{num("id", true)}},
		{name: "plan", words: "plan", opts: []optionSpec{num("id", true), str("text", true)}},
		{name: "resolve", words: "resolve", opts: []optionSpec{num("id", true)}},
		{name: "agree", words: "agree", opts: []optionSpec{num("id", true)}},
		{name: "disagree", words: "disagree", opts: []optionSpec{num("id", true), str("why", true)}},
	}},
	{name: "caseload", subs: []subSpec{
		{name: "setup", words: "setup", opts: []optionSpec{str("name", true)}},
		{name: "add", words: "add", opts: []optionSpec{person, {name: "role", typ: discordgo.ApplicationCommandOptionString, required: true, choices: roleChoices()}, {name: "fte", typ: discordgo.ApplicationCommandOptionNumber, prefix: "fte="}, {name: "started", typ: discordgo.ApplicationCommandOptionString, prefix: "started="}}},
		{name: "service-manager", words: "service-manager", opts: []optionSpec{person}},
		{name: "case-add", words: "case add", opts: []optionSpec{ref, str("type", true), str("factors", false)}},
		{name: "case-close", words: "case close", opts: []optionSpec{ref}},
		{name: "case-update", words: "case update", opts: []optionSpec{ref, str("changes", true)}},
		{name: "case-involve", words: "case involve", opts: []optionSpec{ref, usr("student", true)}},
		{name: "case-show", words: "case show", opts: []optionSpec{ref}},
		{name: "board", words: "board"},
		{name: "digest", words: "digest"},
		{name: "case-move", words: "case move", opts: []optionSpec{ref, str("team", true), str("reason", true)}},
		{name: "reduction", words: "reduction", opts: []optionSpec{person, num("percent", true), str("reason", true), until},
			text: func(v values) string {
				u := v.text("until")
				if u != "" {
					u = "until=" + u
				}
				return join([]string{"reduction", v.text("user"), v.text("percent"), u, v.text("reason")})
			}},
		{name: "reduction-end", words: "reduction", opts: []optionSpec{person, num("number", true)},
			text: func(v values) string { return join([]string{"reduction", v.text("user"), "end", v.text("number")}) }},
		{name: "leave", words: "leave", opts: []optionSpec{person, until, str("note", false)}},
		{name: "back", words: "back", opts: []optionSpec{person, {name: "phased", typ: discordgo.ApplicationCommandOptionNumber, prefix: "phased="}, until}},
		{name: "remove", words: "remove", opts: []optionSpec{person}},
		{name: "posts", words: "posts", opts: []optionSpec{num("fte", true)}},
		{name: "policy", words: "policy", opts: []optionSpec{str("name", false)}},
		{name: "review", words: "review", opts: []optionSpec{person, {name: "outcome", typ: discordgo.ApplicationCommandOptionString, required: true, choices: outcomeChoices()}, str("note", false)}},
	}},
}

// overrideText writes "<kw> REF @user [override [review=X]] [reason…]". For
// a proposal a review or reason means an override even when the override
// option was left out: that is the only thing they can mean there.
func overrideText(kw string, reasonMeansOverride bool) func(v values) string {
	return func(v values) string {
		parts := []string{kw, v.text("ref"), v.text("user")}
		override := v.isTrue("override") || v.text("review") != "" || (reasonMeansOverride && v.text("reason") != "")
		if override {
			parts = append(parts, "override")
			if r := v.text("review"); r != "" {
				parts = append(parts, "review="+strings.Join(strings.Fields(r), ""))
			}
		}
		return join(append(parts, v.text("reason")))
	}
}

// reviewText writes "review REF continue [review=X] reason…" or "review REF end".
func reviewText(v values) string {
	parts := []string{"review", v.text("ref"), v.text("decision")}
	if r := v.text("review"); r != "" {
		parts = append(parts, "review="+strings.Join(strings.Fields(r), ""))
	}
	return join(append(parts, v.text("reason")))
}

func join(parts []string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, " ")
}

// values are a sub-command's options as the engine's words.
type values map[string]*discordgo.ApplicationCommandInteractionDataOption

// resolver names the users of User options, from data.resolved.
type resolver func(id string) string

func (v values) isTrue(name string) bool {
	o := v[name]
	if o == nil {
		return false
	}
	b, ok := o.Value.(bool)
	return ok && b
}

// text is an option's value in the grammar's words (mentions already
// written by translate).
func (v values) text(name string) string {
	o := v[name]
	if o == nil {
		return ""
	}
	s, _ := o.Value.(string)
	return s
}

func findCommand(name string) *commandSpec {
	for i := range specs {
		if specs[i].name == name {
			return &specs[i]
		}
	}
	return nil
}

func (c *commandSpec) find(name string) *subSpec {
	for i := range c.subs {
		if c.subs[i].name == name {
			return &c.subs[i]
		}
	}
	return nil
}

// errUnknownCommand is a command or sub-command this build does not know
// (an old registration): the caller is told to re-register.
type errUnknownCommand struct{ name string }

func (e *errUnknownCommand) Error() string { return "unknown command " + e.name }

// translate turns a slash command's sub-command and typed options into the
// engine's command and text, e.g. /allocate propose ref:C-1 user:@Alice
// override:true reason:… → "allocate", "propose C-1 <@1|Alice> override …".
func translate(data discordgo.ApplicationCommandInteractionData) (command, text string, err error) {
	spec := findCommand(data.Name)
	if spec == nil || len(data.Options) != 1 || data.Options[0] == nil || data.Options[0].Type != discordgo.ApplicationCommandOptionSubCommand {
		return "", "", &errUnknownCommand{name: "/" + data.Name}
	}
	subOpt := data.Options[0]
	sub := spec.find(subOpt.Name)
	if sub == nil {
		return "", "", &errUnknownCommand{name: "/" + data.Name + " " + subOpt.Name}
	}
	name := userNames(data.Resolved)
	v := values{}
	for _, o := range subOpt.Options {
		if o == nil {
			continue
		}
		// Every value becomes its words once, here; the spec decides order.
		w := *o
		switch o.Type {
		case discordgo.ApplicationCommandOptionUser, discordgo.ApplicationCommandOptionMentionable:
			id := fmt.Sprint(o.Value)
			w.Value = mentionFor(id, name(id))
		case discordgo.ApplicationCommandOptionBoolean:
		default:
			w.Value = valueWords(o.Value)
		}
		v[o.Name] = &w
	}
	if sub.text != nil {
		return spec.name, sub.text(v), nil
	}
	parts := []string{sub.words}
	for _, os := range sub.opts {
		if os.typ == discordgo.ApplicationCommandOptionBoolean {
			if v.isTrue(os.name) {
				parts = append(parts, os.name)
			}
			continue
		}
		if t := v.text(os.name); t != "" {
			parts = append(parts, os.prefix+t)
		}
	}
	return spec.name, join(parts), nil
}

// valueWords writes a String, Number or Integer value as typed text: one
// line, numbers without exponent or trailing zeros.
func valueWords(v any) string {
	switch x := v.(type) {
	case string:
		return strings.Join(strings.Fields(x), " ")
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return ""
	}
	return strings.Join(strings.Fields(fmt.Sprint(v)), " ")
}

// userNames names the users of User options from data.resolved, as a
// mention's name can carry them (see mentionLabel).
func userNames(r *discordgo.ApplicationCommandInteractionDataResolved) resolver {
	return func(id string) string {
		if r == nil {
			return ""
		}
		return mentionLabel(r.Users[id])
	}
}

// displayName is what Discord shows for a user: the display name
// (global_name), else the username.
func displayName(u *discordgo.User) string {
	if u == nil {
		return ""
	}
	if n := strings.TrimSpace(u.GlobalName); n != "" {
		return n
	}
	return strings.TrimSpace(u.Username)
}

// mentionLabel is the name a mention carries: the display name, else the
// username. The engine splits its text at spaces before it reads a
// mention, so a display name with a space cannot be carried whole: the
// username (which never has one) stands in for it. '<', '>' and '|' would
// end the mention early and are left out.
func mentionLabel(u *discordgo.User) string {
	if u == nil {
		return ""
	}
	for _, n := range []string{u.GlobalName, u.Username} {
		n = strings.Map(func(r rune) rune {
			if r == '>' || r == '|' || r == '<' {
				return -1
			}
			return r
		}, strings.TrimSpace(n))
		if n != "" { // the engine keeps <@id|Ann Lee> whole, spaces and all
			return n
		}
	}
	return ""
}

// mentionFor writes a user as the engine's grammar takes a mention with a
// name: "<@80351110224678912|Alice>", or "<@80351110224678912>" with none.
func mentionFor(id, label string) string {
	if label == "" {
		return "<@" + id + ">"
	}
	return "<@" + id + "|" + label + ">"
}

// Commands are the slash commands `safeload discord register` uploads, with
// their descriptions from the prompts (discord.cmd.* and discord.opt.*).
func Commands(p *prompts.Set) ([]*discordgo.ApplicationCommand, error) {
	if p == nil {
		p = prompts.MustLoad()
	}
	var missing []string
	desc := func(names ...string) string {
		for _, n := range names {
			if p.Has(n) {
				return p.Say(n, nil)
			}
		}
		missing = append(missing, names[0])
		return ""
	}
	contexts := []discordgo.InteractionContextType{discordgo.InteractionContextGuild, discordgo.InteractionContextBotDM}
	var out []*discordgo.ApplicationCommand
	for _, c := range specs {
		cmd := &discordgo.ApplicationCommand{
			Type:        discordgo.ChatApplicationCommand,
			Name:        c.name,
			Description: desc("discord.cmd." + c.name),
			Contexts:    &contexts,
		}
		for _, s := range c.subs {
			sub := &discordgo.ApplicationCommandOption{
				Type:        discordgo.ApplicationCommandOptionSubCommand,
				Name:        s.name,
				Description: desc("discord.cmd." + c.name + "." + s.name),
			}
			for _, o := range s.opts {
				opt := &discordgo.ApplicationCommandOption{
					Type:        o.typ,
					Name:        o.name,
					Description: desc("discord.opt."+c.name+"."+s.name+"."+o.name, "discord.opt."+o.name),
					Required:    o.required,
				}
				for _, ch := range o.choices {
					opt.Choices = append(opt.Choices, &discordgo.ApplicationCommandOptionChoice{Name: ch.name, Value: ch.value})
				}
				sub.Options = append(sub.Options, opt)
			}
			cmd.Options = append(cmd.Options, sub)
		}
		out = append(out, cmd)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("discord: prompts missing for command descriptions: %s", strings.Join(missing, ", "))
	}
	if err := Validate(out); err != nil {
		return nil, err
	}
	return out, nil
}

var nameRE = regexp.MustCompile(`^[-_\p{L}\p{N}]{1,32}$`)

// Validate checks commands against Discord's rules, so a broken prompt
// override is caught before Discord refuses the whole upload: names of 1–32
// letters, digits, '-' or '_' in lower case; descriptions of 1–100
// characters; at most 25 options (or sub-commands) and 25 choices; required
// options before optional ones; at most 100 commands.
func Validate(cmds []*discordgo.ApplicationCommand) error {
	if len(cmds) > 100 {
		return fmt.Errorf("discord: %d commands, at most 100", len(cmds))
	}
	checkName := func(where, name string) error {
		if !nameRE.MatchString(name) || strings.ToLower(name) != name {
			return fmt.Errorf("discord: %s: name %q must be 1-32 lower-case letters, digits, '-' or '_'", where, name)
		}
		return nil
	}
	checkDesc := func(where, d string) error {
		if n := Size(d); n < 1 || n > 100 || strings.TrimSpace(d) == "" {
			return fmt.Errorf("discord: %s: description of %d characters, must be 1-100", where, n)
		}
		return nil
	}
	var checkOpts func(where string, opts []*discordgo.ApplicationCommandOption) error
	checkOpts = func(where string, opts []*discordgo.ApplicationCommandOption) error {
		if len(opts) > 25 {
			return fmt.Errorf("discord: %s: %d options, at most 25", where, len(opts))
		}
		seen := map[string]bool{}
		optional := false
		for _, o := range opts {
			w := where + " " + o.Name
			if err := checkName(w, o.Name); err != nil {
				return err
			}
			if seen[o.Name] {
				return fmt.Errorf("discord: %s: option named twice", w)
			}
			seen[o.Name] = true
			if err := checkDesc(w, o.Description); err != nil {
				return err
			}
			if len(o.Choices) > 25 {
				return fmt.Errorf("discord: %s: %d choices, at most 25", w, len(o.Choices))
			}
			for _, ch := range o.Choices {
				if n := Size(ch.Name); n < 1 || n > 100 {
					return fmt.Errorf("discord: %s: choice %q must be 1-100 characters", w, ch.Name)
				}
			}
			switch o.Type {
			case discordgo.ApplicationCommandOptionSubCommand, discordgo.ApplicationCommandOptionSubCommandGroup:
				if err := checkOpts(w, o.Options); err != nil {
					return err
				}
				continue
			}
			if o.Required && optional {
				return fmt.Errorf("discord: %s: a required option after an optional one", w)
			}
			optional = optional || !o.Required
		}
		return nil
	}
	for _, c := range cmds {
		if err := checkName("/"+c.Name, c.Name); err != nil {
			return err
		}
		if err := checkDesc("/"+c.Name, c.Description); err != nil {
			return err
		}
		if err := checkOpts("/"+c.Name, c.Options); err != nil {
			return err
		}
	}
	return nil
}
