package engine

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/safeload/safeload/internal/domain"
)

// cmd is one parsed command. The parser checks only the shape of what was
// typed; names (case types, factors, people) are checked against the store
// and the policy when the command runs.
type cmd struct {
	name    string // metric name and permission key, e.g. "allocate.propose"
	usage   string // the usage prompt to show when it is malformed
	ref     string
	person  domain.PersonID
	label   string // the name shown in a mention like <@U1|alice>
	role    domain.Role
	fte     float64
	fteSet  bool
	text    string
	review  string
	caseTyp string
	factors []string // to add; "children=N" is separate
	remove  []string // "-factor" to take away
	child   int
	childOK bool
	id      uint64
	hours   float64
	action  string // for buttons: accept, decline, ack
	tl      teamArgs
}

// The smallest amounts a command takes: a tenth of an hour (six minutes)
// and an FTE of 0.01; anything smaller is a typing slip, and NaN or
// Infinity never gets past the parser.
const (
	minHours = 0.1
	minFTE   = 0.01
)

// usageError means the command was malformed: show its usage privately.
type usageError struct {
	usage  string // prompt name, e.g. "usage.allocate"
	reason string // what was wrong, already plain English (may be empty)
	key    string // or: the prompt that says what was wrong
}

func (e *usageError) Error() string { return "usage: " + e.usage + ": " + e.reason }

var mentionRE = regexp.MustCompile(`^<@!?([A-Za-z0-9_.:\-]+)(?:\|([^>]*))?>$`)

// parseMention turns <@U123>, <@U123|name>, <@123>, <@!123> (and, in the
// terminal, <@slack:U123>) into a person ID on the request's platform.
func parseMention(platform, s string) (domain.PersonID, string, bool) {
	m := mentionRE.FindStringSubmatch(s)
	if m == nil {
		return "", "", false
	}
	id := m[1]
	if !strings.Contains(id, ":") {
		id = platform + ":" + id
	}
	return domain.PersonID(id), m[2], true
}

// parse reads a slash command's text. It never touches the store. Beside
// each command's own shape it checks what every command shares: free text
// within MaxTextLen, names by the one name rule, and people named on the
// platform the command came from (a mention for another platform could
// never be delivered).
func parse(platform, command, text string) (*cmd, error) {
	if utf8.RuneCountInString(text) > 2*domain.MaxTextLen {
		return nil, &usageError{usage: "usage.commands", key: "parse.text_long"}
	}
	c, err := parseCommand(platform, command, text)
	if err != nil {
		return nil, err
	}
	switch {
	case domain.TextProblem(c.text) == domain.TextLong:
		return nil, &usageError{usage: c.usage, key: "parse.text_long"}
	case domain.TextProblem(c.text) != "":
		return nil, &usageError{usage: c.usage, key: "parse.text_control"}
	case c.label != "" && domain.NameProblem(c.label) != "":
		return nil, &usageError{usage: c.usage, key: "parse.name_" + domain.NameProblem(c.label)}
	case c.person != "" && platform != "" && c.person.Platform() != platform:
		return nil, &usageError{usage: c.usage, key: "parse.mention_platform"}
	}
	return c, nil
}

func parseCommand(platform, command, text string) (*cmd, error) {
	words := fields(text)
	switch strings.ToLower(strings.TrimPrefix(command, "/")) {
	case "allocate":
		return parseAllocate(platform, words)
	case "capacity":
		return parseCapacity(platform, words)
	case "caseload":
		return parseCaseload(platform, words)
	}
	return nil, &usageError{usage: "usage.commands"}
}

// fields splits on white space, keeping a mention like <@U1|Ann Lee> whole.
func fields(text string) []string {
	var out []string
	var cur strings.Builder
	depth := 0
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, r := range text {
		switch {
		case r == '<' && depth == 0:
			depth = 1
			cur.WriteRune(r)
		case r == '>' && depth == 1:
			depth = 0
			cur.WriteRune(r)
		case depth == 0 && unicode.IsSpace(r):
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return out
}

func first(words []string) (string, []string) {
	if len(words) == 0 {
		return "", nil
	}
	return strings.ToLower(words[0]), words[1:]
}

func rest(words []string) string { return strings.Join(words, " ") }

// bad is a usage error; reason names the prompt saying what was wrong ("" for none).
func bad(usage, reason string) error { return &usageError{usage: usage, key: reason} }

func parseAllocate(platform string, words []string) (*cmd, error) {
	const u = "usage.allocate"
	kw, args := first(words)
	switch kw {
	case "", "queue":
		if len(args) > 0 {
			return nil, bad(u, "")
		}
		return &cmd{name: "allocate.queue", usage: u}, nil
	case "done":
		if len(args) > 0 {
			return nil, bad(u, "")
		}
		return &cmd{name: "allocate.done", usage: u}, nil
	case "help":
		return nil, bad(u, "")
	case "accept":
		if len(args) != 1 {
			return nil, bad("usage.allocate.accept", "")
		}
		return &cmd{name: "allocate.accept", usage: "usage.allocate.accept", ref: args[0]}, nil
	case "decline":
		if len(args) < 2 {
			return nil, bad("usage.allocate.decline", "parse.decline_reason")
		}
		return &cmd{name: "allocate.decline", usage: "usage.allocate.decline", ref: args[0], text: rest(args[1:])}, nil
	case "withdraw":
		if len(args) != 1 {
			return nil, bad("usage.allocate.withdraw", "")
		}
		return &cmd{name: "allocate.withdraw", usage: "usage.allocate.withdraw", ref: args[0]}, nil
	case "transfer":
		const tu = "usage.allocate.transfer"
		if len(args) < 3 {
			return nil, bad(tu, "parse.transfer_parts")
		}
		p, label, ok := parseMention(platform, args[1])
		if !ok {
			return nil, bad(tu, "parse.mention")
		}
		c := &cmd{name: "allocate.transfer", usage: tu, ref: args[0], person: p, label: label}
		return c, parseOverride(c, args[2:], tu, true)
	case "review":
		return parseOverrideReview(args)
	case "propose":
		args = words[1:]
	default:
		args = words
	}
	// /allocate REF @user [override [review=4w] reason…]
	const pu = "usage.allocate.propose"
	if len(args) < 2 {
		return nil, bad(u, "")
	}
	p, label, ok := parseMention(platform, args[1])
	if !ok {
		return nil, bad(pu, "parse.mention")
	}
	c := &cmd{name: "allocate.propose", usage: pu, ref: args[0], person: p, label: label}
	return c, parseOverride(c, args[2:], pu, false)
}

// parseOverride reads "[override] [review=4w] reason…". For a proposal the
// rest must start with "override"; for a transfer it is the reason, which may
// itself begin with "override review=…".
func parseOverride(c *cmd, args []string, usage string, transfer bool) error {
	if len(args) == 0 {
		return nil
	}
	if strings.ToLower(args[0]) != "override" {
		if transfer {
			c.text = rest(args)
			return nil
		}
		return bad(usage, "After the person, only \"override review=4w <reason>\" may follow.")
	}
	c.review = ""
	args = args[1:]
	c.name += ".override"
	if c.name == "allocate.transfer.override" {
		c.name = "allocate.transfer"
	}
	for len(args) > 0 && strings.HasPrefix(strings.ToLower(args[0]), "review=") {
		c.review = args[0][len("review="):]
		args = args[1:]
	}
	if len(args) == 0 {
		return bad(usage, "parse.override_reason")
	}
	c.text = rest(args)
	c.review = strings.TrimSpace(c.review)
	if c.review == "" {
		c.review = "default"
	}
	return nil
}

func parseCapacity(platform string, words []string) (*cmd, error) {
	const u = "usage.capacity"
	kw, args := first(words)
	switch kw {
	case "", "show", "me":
		if len(args) == 0 {
			return &cmd{name: "capacity.show", usage: u}, nil
		}
		if kw == "show" && len(args) == 1 {
			return parseCapacity(platform, args)
		}
		return nil, bad(u, "")
	case "help":
		return nil, bad(u, "")
	case "concern":
		if len(args) == 0 {
			return nil, bad("usage.capacity.concern", "parse.concern_text")
		}
		return &cmd{name: "capacity.concern", usage: "usage.capacity.concern", text: rest(args)}, nil
	case "hours":
		const hu = "usage.capacity.hours"
		if len(args) == 0 {
			return nil, bad(hu, "")
		}
		h, err := strconv.ParseFloat(strings.TrimSuffix(strings.ToLower(args[0]), "h"), 64)
		if err != nil || math.IsNaN(h) {
			return nil, bad(hu, "parse.hours_number")
		}
		if !(h >= minHours && h <= 24) {
			return nil, bad(hu, "parse.hours_range")
		}
		c := &cmd{name: "capacity.hours", usage: hu, hours: h}
		more, err := optDate(args[1:], "date=", &c.tl.date, hu)
		if err != nil {
			return nil, err
		}
		c.text = rest(more)
		return c, nil
	case "ack", "acknowledge", "resolve":
		name, usage := "capacity.ack", "usage.capacity.ack"
		if kw == "resolve" {
			name, usage = "capacity.resolve", "usage.capacity.resolve"
		}
		if len(args) != 1 {
			return nil, bad(usage, "")
		}
		id, ok := parseID(args[0])
		if !ok {
			return nil, bad(usage, "parse.concern_number")
		}
		return &cmd{name: name, usage: usage, id: id}, nil
	case "agree", "disagree":
		return parseConcernAnswer(kw, args)
	case "plan":
		const pu = "usage.capacity.plan"
		if len(args) < 2 {
			return nil, bad(pu, "parse.plan_parts")
		}
		id, ok := parseID(args[0])
		if !ok {
			return nil, bad(pu, "parse.concern_number")
		}
		return &cmd{name: "capacity.plan", usage: pu, id: id, text: rest(args[1:])}, nil
	}
	if p, label, ok := parseMention(platform, words[0]); ok && len(words) == 1 {
		return &cmd{name: "capacity.member", usage: u, person: p, label: label}, nil
	}
	return nil, bad(u, "")
}

func parseID(s string) (uint64, bool) {
	id, err := strconv.ParseUint(strings.TrimPrefix(s, "#"), 10, 64)
	return id, err == nil && id > 0
}

func parseCaseload(platform string, words []string) (*cmd, error) {
	const u = "usage.caseload"
	kw, args := first(words)
	switch kw {
	case "setup":
		if len(args) == 0 {
			return nil, bad("usage.caseload.setup", "parse.team_name")
		}
		name := rest(args)
		if len(name) > 80 {
			return nil, bad("usage.caseload.setup", "parse.team_name_long")
		}
		if p := domain.NameProblem(name); p != "" {
			return nil, bad("usage.caseload.setup", "parse.name_"+p)
		}
		return &cmd{name: "caseload.setup", usage: "usage.caseload.setup", text: name}, nil
	case "add":
		const au = "usage.caseload.add"
		if len(args) < 2 || len(args) > 4 {
			return nil, bad(au, "")
		}
		p, label, ok := parseMention(platform, args[0])
		if !ok {
			return nil, bad(au, "parse.mention")
		}
		r, ok := domain.ParseRole(args[1])
		if !ok {
			return nil, bad(au, "parse.role")
		}
		c := &cmd{name: "caseload.add", usage: au, person: p, label: label, role: r}
		for _, a := range args[2:] {
			if strings.HasPrefix(strings.ToLower(a), "started=") && c.tl.date == "" {
				if _, err := optDate([]string{a}, "started=", &c.tl.date, au); err != nil {
					return nil, err
				}
				continue
			}
			v, found := strings.CutPrefix(strings.ToLower(a), "fte=")
			f, err := strconv.ParseFloat(v, 64)
			if !found || err != nil || !(f >= minFTE && f <= 1) || c.fteSet {
				return nil, bad(au, "parse.fte")
			}
			c.fte, c.fteSet = f, true
		}
		return c, nil
	case "service-manager", "service_manager", "servicemanager":
		const su = "usage.caseload.service-manager"
		if len(args) != 1 {
			return nil, bad(su, "")
		}
		p, label, ok := parseMention(platform, args[0])
		if !ok {
			return nil, bad(su, "parse.mention")
		}
		return &cmd{name: "caseload.service-manager", usage: su, person: p, label: label}, nil
	case "board":
		if len(args) > 0 {
			return nil, bad(u, "")
		}
		return &cmd{name: "caseload.board", usage: u}, nil
	case "digest":
		if len(args) > 0 {
			return nil, bad(u, "")
		}
		return &cmd{name: "caseload.digest", usage: u}, nil
	case "case-add", "case-close", "case-move":
		return parseCase(platform, append([]string{strings.TrimPrefix(kw, "case-")}, args...))
	case "reduction", "leave", "back", "remove", "posts", "policy", "review":
		return parseTeamlife(platform, kw, args)
	case "case":
		return parseCase(platform, args)
	}
	return nil, bad(u, "")
}

func parseCase(platform string, words []string) (*cmd, error) {
	kw, args := first(words)
	switch kw {
	case "add":
		const au = "usage.case.add"
		if len(args) < 2 {
			return nil, bad(au, "")
		}
		c := &cmd{name: "case.add", usage: au, ref: args[0], caseTyp: strings.ToLower(args[1])}
		return c, parseFactors(c, args[2:], au, false)
	case "close":
		if len(args) != 1 {
			return nil, bad("usage.case.close", "")
		}
		return &cmd{name: "case.close", usage: "usage.case.close", ref: args[0]}, nil
	case "update":
		const uu = "usage.case.update"
		if len(args) < 2 {
			return nil, bad(uu, "parse.update_what")
		}
		c := &cmd{name: "case.update", usage: uu, ref: args[0]}
		return c, parseFactors(c, args[1:], uu, true)
	case "involve":
		const iu = "usage.case.involve"
		if len(args) != 2 {
			return nil, bad(iu, "")
		}
		p, label, ok := parseMention(platform, args[1])
		if !ok {
			return nil, bad(iu, "parse.student_mention")
		}
		return &cmd{name: "case.involve", usage: iu, ref: args[0], person: p, label: label}, nil
	case "move":
		return parseCaseMove(args)
	case "show":
		if len(args) != 1 {
			return nil, bad("usage.case.show", "")
		}
		return &cmd{name: "case.show", usage: "usage.case.show", ref: args[0]}, nil
	}
	return nil, bad("usage.case", "")
}

// parseFactors reads "factor", "children=N" and, when updating, "-factor"
// and a new case type (any word the policy knows as a type; decided later).
func parseFactors(c *cmd, words []string, usage string, update bool) error {
	for _, w := range words {
		lw := strings.ToLower(w)
		if v, ok := strings.CutPrefix(lw, "children="); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 99 {
				return bad(usage, "parse.children")
			}
			c.child, c.childOK = n, true
			continue
		}
		if strings.HasPrefix(lw, "-") {
			if !update {
				return bad(usage, "parse.minus_factor")
			}
			if lw == "-" {
				return bad(usage, "")
			}
			c.remove = append(c.remove, lw[1:])
			continue
		}
		c.factors = append(c.factors, lw)
	}
	return nil
}

// parseOverrideReview reads "REF continue review=4w <reason…>" or "REF end".
func parseOverrideReview(args []string) (*cmd, error) {
	const u = "usage.allocate.review"
	if len(args) < 2 {
		return nil, bad(u, "")
	}
	c := &cmd{name: "allocate.review", usage: u, ref: args[0], action: strings.ToLower(args[1])}
	switch c.action {
	case "end":
		if len(args) > 2 {
			return nil, bad(u, "")
		}
		return c, nil
	case "continue":
		args = args[2:]
		for len(args) > 0 && strings.HasPrefix(strings.ToLower(args[0]), "review=") {
			c.review = strings.TrimSpace(args[0][len("review="):])
			args = args[1:]
		}
		if len(args) == 0 {
			return nil, bad(u, "parse.override_reason")
		}
		if c.review == "" {
			c.review = "default"
		}
		c.text = rest(args)
		return c, nil
	}
	return nil, bad(u, "")
}

// parseConcernAnswer reads "agree ID" or "disagree ID <why…>".
func parseConcernAnswer(kw string, args []string) (*cmd, error) {
	u := "usage.capacity." + kw
	if len(args) == 0 || (kw == "agree" && len(args) != 1) {
		return nil, bad(u, "")
	}
	id, ok := parseID(args[0])
	if !ok {
		return nil, bad(u, "parse.concern_number")
	}
	if kw == "disagree" && len(args) < 2 {
		return nil, bad(u, "parse.disagree_why")
	}
	return &cmd{name: "capacity." + kw, usage: u, id: id, text: rest(args[1:])}, nil
}
