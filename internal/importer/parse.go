package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/safeload/safeload/internal/domain"
)

// The file as read, every value checked on its own and against the rest of
// the file. Nodes are kept where a check against the store may need a line.
type fileIn struct {
	teams []*teamIn
}

type teamIn struct {
	path        string
	node        *yaml.Node
	id          string // "" when missing or invalid
	name        string
	channel     domain.ChannelID // "" when not given or invalid
	channelNode *yaml.Node
	sm          domain.PersonID // "" when not given or invalid
	policy      string          // "" when not given or invalid
	posts       float64
	postsSet    bool
	members     []*memberIn
	cases       []*caseIn
}

type memberIn struct {
	path       string
	node       *yaml.Node
	id         domain.PersonID // "" when missing or invalid
	name       string
	role       domain.Role // "" when missing or invalid
	roleNode   *yaml.Node
	fte        float64
	reductions []domain.Reduction
	started    domain.Date // an ASYE's first day of the assessed year
}

type caseIn struct {
	path     string
	ref      string // "" when missing or invalid
	refNode  *yaml.Node
	typ      string
	factors  []string
	children int
	to       domain.PersonID // allocated_to; "" when not given or invalid
	toNode   *yaml.Node      // nil when the file does not allocate the case
}

// parser collects every problem rather than stopping at the first, so that
// one run tells the operator everything to fix.
type parser struct {
	pol   *domain.Policy
	probs []Problem
}

func (p *parser) bad(n *yaml.Node, field, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.probs = append(p.probs, Problem{Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
}

// parse reads data into a fileIn; problems are in p.probs.
func (p *parser) parse(data []byte) *fileIn {
	f := &fileIn{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		p.bad(nil, "", "the file is empty; it should start with \"teams:\" and list each team under it")
		return f
	} else if err != nil {
		p.probs = append(p.probs, yamlProblem(data, err))
		return f
	}
	var more yaml.Node
	if err := dec.Decode(&more); err == nil {
		p.bad(&more, "", "the file holds more than one YAML document (a line \"---\"); put every team under one \"teams:\" list")
	} else if !errors.Is(err, io.EOF) {
		p.probs = append(p.probs, yamlProblem(data, err))
		return f
	}
	if p.rejectAliases(&doc) {
		return f
	}
	root := doc.Content[0]
	if isNull(root) {
		p.bad(root, "", "the file is empty; it should start with \"teams:\" and list each team under it")
		return f
	}
	top := p.fields(root, "", "the file", "teams")
	if top == nil {
		return f
	}
	items := top.list("teams")
	if top.get("teams") == nil {
		p.bad(root, "teams", "is missing; the file starts with \"teams:\" and lists each team under it")
	} else if len(items) == 0 && top.get("teams").Kind == yaml.SequenceNode {
		p.bad(top.get("teams"), "teams", "lists no teams; see deploy/examples/team.yaml for the shape of the file")
	}
	for i, n := range items {
		f.teams = append(f.teams, p.team(n, fmt.Sprintf("teams[%d]", i)))
	}
	p.crossCheck(f)
	return f
}

// rejectAliases refuses anchors and aliases: nobody needs them in a team
// list, and following them would let a small file expand without bound.
func (p *parser) rejectAliases(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		p.bad(n, "", "anchors and aliases (& and *) are not supported; write each value out")
		return true
	}
	for _, c := range n.Content {
		if p.rejectAliases(c) {
			return true
		}
	}
	return false
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// fields is one YAML mapping whose keys have been checked.
type fields struct {
	p    *parser
	node *yaml.Node
	path string
	vals map[string]*yaml.Node
}

// fields checks that n is a mapping with only the allowed keys, each once.
// It returns nil (with the problem recorded) when n is not a mapping.
func (p *parser) fields(n *yaml.Node, path, what string, allowed ...string) *fields {
	if n.Kind != yaml.MappingNode {
		field := path
		p.bad(n, field, "%s must be a set of fields like \"%s: …\", not a single value or a list", what, allowed[0])
		return nil
	}
	f := &fields{p: p, node: n, path: path, vals: map[string]*yaml.Node{}}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		if line, dup := seen[key]; dup {
			p.bad(k, f.field(key), "is given twice (also on line %d); keep one", line)
			continue
		}
		seen[key] = k.Line
		if !contains(allowed, key) {
			p.bad(k, f.field(key), "is not a field safeload knows; %s has %s", what, sayList(allowed))
			continue
		}
		f.vals[key] = v
	}
	return f
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sayList writes "a, b and c".
func sayList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func (f *fields) field(key string) string {
	if f.path == "" {
		return key
	}
	return f.path + "." + key
}

// get returns the value of key, nil when absent or null.
func (f *fields) get(key string) *yaml.Node {
	if v := f.vals[key]; v != nil && !isNull(v) {
		return v
	}
	return nil
}

// text returns the trimmed text of key. When it is absent and missing is
// not "", that is reported as the problem; ok is false when absent or not a
// single value (reported).
func (f *fields) text(key, missing string) (string, bool) {
	n := f.get(key)
	if n == nil {
		if missing != "" {
			f.p.bad(f.node, f.field(key), "is missing; %s", missing)
		}
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		f.p.bad(n, f.field(key), "must be a single value, not a list or a set of fields")
		return "", false
	}
	return strings.TrimSpace(n.Value), true
}

// number returns key as a number; present is false when it is absent, ok is
// false when it is present but not a number (reported with notNumber).
func (f *fields) number(key, notNumber string) (x float64, present, ok bool) {
	s, present := f.text(key, "")
	if !present {
		return 0, f.get(key) != nil, false
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		f.p.bad(f.get(key), f.field(key), "%q is not a number: %s", s, notNumber)
		return 0, true, false
	}
	return x, true, true
}

// list returns the items of key's sequence; nil when absent or not a list
// (reported).
func (f *fields) list(key string) []*yaml.Node {
	n := f.get(key)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		f.p.bad(n, f.field(key), "must be a list: one \"- …\" a line, or [ … ] on one line")
		return nil
	}
	return n.Content
}

var (
	slugRe    = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	personRe  = regexp.MustCompile(`^(slack|discord|console):[A-Za-z0-9._-]{1,64}$|^teams:[A-Za-z0-9._:-]{1,160}$`)
	channelRe = regexp.MustCompile(`^(slack|discord):[A-Za-z0-9._-]{1,64}$|^teams:19:[A-Za-z0-9._-]{1,120}@thread\.[a-z0-9]{1,16}$`)
)

const maxTeamID, maxReason = 40, 200

func (p *parser) team(n *yaml.Node, path string) *teamIn {
	t := &teamIn{path: path, node: n}
	f := p.fields(n, path, "a team", "id", "name", "channel", "service_manager", "policy", "posts", "members", "cases")
	if f == nil {
		return t
	}
	if id, ok := f.text("id", "every team needs an id, a short slug like north-cin"); ok {
		if len(id) > maxTeamID || !slugRe.MatchString(id) {
			p.bad(f.get("id"), f.field("id"), "%q is not a team id: use a short slug of lower-case letters, digits and hyphens (at most %d), like north-cin", clip(id), maxTeamID)
		} else {
			t.id = id
		}
	}
	t.name = p.name(f, "name", "every team needs a name, like North Child in Need")
	if ch, ok := f.text("channel", ""); ok {
		t.channelNode = f.get("channel")
		if !channelRe.MatchString(ch) {
			p.bad(t.channelNode, f.field("channel"), "%q is not a channel: write slack:, discord: or teams: and the channel's ID, like slack:C0123ABCD, discord:80351110224678912 or teams:19:abc@thread.tacv2", clip(ch))
		} else {
			t.channel = domain.ChannelID(ch)
		}
	}
	if sm, ok := f.text("service_manager", ""); ok {
		t.sm = p.person(f.get("service_manager"), f.field("service_manager"), sm)
	}
	for i, m := range f.list("members") {
		t.members = append(t.members, p.member(m, fmt.Sprintf("%s.members[%d]", path, i)))
	}
	defer p.teamPolicy(t, f)()
	for i, c := range f.list("cases") {
		t.cases = append(t.cases, p.caseOf(c, fmt.Sprintf("%s.cases[%d]", path, i)))
	}
	return t
}

// name reads a person's or team's name: required, one line, not too long.
func (p *parser) name(f *fields, key, missing string) string {
	s, ok := f.text(key, missing)
	if !ok {
		return ""
	}
	switch domain.NameProblem(s) {
	case domain.TextEmpty:
		p.bad(f.get(key), f.field(key), "is empty; %s", missing)
	case domain.TextLong:
		p.bad(f.get(key), f.field(key), "is longer than %d characters; shorten it", domain.MaxNameLen)
	case domain.TextControl:
		p.bad(f.get(key), f.field(key), "must be on one line, with no tabs or control characters")
	default:
		return s
	}
	return ""
}

// person checks a platform person ID; "" when invalid (reported).
func (p *parser) person(n *yaml.Node, field, s string) domain.PersonID {
	if !personRe.MatchString(s) {
		p.bad(n, field, "%q is not a person: write the platform, a colon and their user ID, like slack:U024BE7LH or discord:80351110224678912", clip(s))
		return ""
	}
	return domain.PersonID(s)
}

func roleNames() string {
	names := make([]string, len(domain.Roles))
	for i, r := range domain.Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

func (p *parser) member(n *yaml.Node, path string) *memberIn {
	m := &memberIn{path: path, node: n, fte: 1}
	f := p.fields(n, path, "a member", "id", "name", "role", "fte", "reductions", "asye_started")
	if f == nil {
		return m
	}
	if id, ok := f.text("id", "every member needs an id: their platform and user ID, like slack:U024BE7LH"); ok {
		m.id = p.person(f.get("id"), f.field("id"), id)
	}
	m.name = p.name(f, "name", "write the person's name as colleagues know it, like Alice Adams")
	if r, ok := f.text("role", "give one of "+roleNames()); ok {
		m.roleNode = f.get("role")
		if role, known := domain.ParseRole(r); known {
			m.role = role
		} else {
			p.bad(m.roleNode, f.field("role"), "%q is not a role (%s)", clip(r), roleNames())
		}
	}
	if x, _, ok := f.number("fte", "FTE is the share of a full-time week, like 1 or 0.6"); ok {
		switch {
		case x <= 0 && m.role != "" && !m.role.CarriesCases():
			p.bad(f.get("fte"), f.field("fte"), "%s is not a working week: a %s carries no caseload anyway, so leave fte out or give their contracted share, like 1", fmtNum(x), m.role.Label())
		case x <= 0:
			p.bad(f.get("fte"), f.field("fte"), "%s is not a working week: FTE must be more than 0 (1 is full time, 0.6 is three days a week); for someone on leave, add a reduction of 100 percent instead", fmtNum(x))
		case x > 1:
			p.bad(f.get("fte"), f.field("fte"), "%s is more than full time: FTE is at most 1 (extra hours are logged with /capacity hours)", fmtNum(x))
		case math.Abs(x*100-math.Round(x*100)) > 1e-9:
			p.bad(f.get("fte"), f.field("fte"), "%s has more than two decimal places; round it, like 0.33", fmtNum(x))
		default:
			m.fte = x
		}
	}
	for i, r := range f.list("reductions") {
		if red, ok := p.reduction(r, fmt.Sprintf("%s.reductions[%d]", path, i)); ok {
			m.reductions = append(m.reductions, red)
		}
	}
	p.asyeStarted(f, m)
	return m
}

func (p *parser) reduction(n *yaml.Node, path string) (domain.Reduction, bool) {
	var r domain.Reduction
	f := p.fields(n, path, "a reduction", "reason", "percent", "until")
	if f == nil {
		return r, false
	}
	before := len(p.probs)
	if s, ok := f.text("reason", "say why capacity is reduced, like practice educator or phased return"); ok {
		switch {
		case s == "":
			p.bad(f.get("reason"), f.field("reason"), "is empty; say why capacity is reduced, like practice educator")
		case len([]rune(s)) > maxReason:
			p.bad(f.get("reason"), f.field("reason"), "is longer than %d characters; shorten it", maxReason)
		case strings.IndexFunc(s, unicode.IsControl) >= 0:
			p.bad(f.get("reason"), f.field("reason"), "must be on one line, with no tabs or control characters")
		default:
			r.Reason = s
		}
	}
	const pctHelp = "give the share of capacity taken away, like 20"
	if x, present, ok := f.number("percent", pctHelp); ok {
		if x <= 0 || x > 100 {
			p.bad(f.get("percent"), f.field("percent"), "%s is not a percent from more than 0 up to 100: a reduction takes away part of the capacity, at most all of it", fmtNum(x))
		}
		r.Percent = x
	} else if !present {
		p.bad(f.node, f.field("percent"), "is missing; %s", pctHelp)
	}
	if s, ok := f.text("until", ""); ok {
		d, err := domain.ParseDate(s)
		if err != nil {
			p.bad(f.get("until"), f.field("until"), "%s", domain.ErrorMessage(err))
		}
		r.Until = d
	}
	return r, len(p.probs) == before
}

func (p *parser) caseOf(n *yaml.Node, path string) *caseIn {
	c := &caseIn{path: path}
	f := p.fields(n, path, "a case", "ref", "type", "factors", "children", "allocated_to")
	if f == nil {
		return c
	}
	if ref, ok := f.text("ref", "every case needs its reference from your case system, like C-1042"); ok {
		c.refNode = f.get("ref")
		if err := domain.ValidateRef(ref); err != nil {
			p.bad(c.refNode, f.field("ref"), "%s", domain.ErrorMessage(err))
		} else {
			c.ref = ref
		}
	}
	if typ, ok := f.text("type", "give the case type, one of "+strings.Join(p.pol.TypeNames(), ", ")); ok {
		typ = strings.ToLower(typ)
		if !p.pol.IsCaseType(typ) {
			p.bad(f.get("type"), f.field("type"), "%q is not a case type in this policy (%s)", clip(typ), strings.Join(p.pol.TypeNames(), ", "))
		}
		c.typ = typ
	}
	c.factors = p.factors(f)
	if x, _, ok := f.number("children", "give how many children the case is about, like 3"); ok {
		switch {
		case x < 0:
			p.bad(f.get("children"), f.field("children"), "%s is not a number of children: give 0 or more", fmtNum(x))
		case x != math.Trunc(x) || x > 1000:
			p.bad(f.get("children"), f.field("children"), "%s is not a whole number of children", fmtNum(x))
		default:
			c.children = int(x)
		}
	}
	if to, ok := f.text("allocated_to", ""); ok {
		c.toNode = f.get("allocated_to")
		c.to = p.person(c.toNode, f.field("allocated_to"), to)
	}
	return c
}

// factors reads a list of factor names; a single "court, rural" is read as
// a list too, since that is what people type.
func (p *parser) factors(f *fields) []string {
	n := f.get("factors")
	if n == nil {
		return nil
	}
	var items []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		items = []*yaml.Node{n}
	case yaml.SequenceNode:
		items = n.Content
	default:
		p.bad(n, f.field("factors"), "must be a list of factors, like [court, rural]")
		return nil
	}
	var out []string
	for i, item := range items {
		field := fmt.Sprintf("%s[%d]", f.field("factors"), i)
		if item.Kind != yaml.ScalarNode || isNull(item) {
			p.bad(item, field, "must be a factor's name, like court")
			continue
		}
		words := strings.FieldsFunc(item.Value, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
		for _, w := range words {
			w = strings.ToLower(w)
			switch {
			case strings.HasPrefix(w, "children"):
				p.bad(item, field, "write the number of children as its own field, like children: 3")
			case !p.pol.IsFactor(w):
				p.bad(item, field, "%q is not a factor in this policy (%s)", clip(w), strings.Join(p.pol.FactorNames(), ", "))
			case contains(out, w):
				p.bad(item, field, "%s is listed twice", w)
			default:
				out = append(out, w)
			}
		}
	}
	return out
}

// crossCheck finds what is wrong only across entries: two teams with one
// id or channel, a person twice in a team or with two names, a case twice.
func (p *parser) crossCheck(f *fileIn) {
	type seen struct {
		path string
		line int
	}
	teamIDs := map[string]seen{}
	channels := map[domain.ChannelID]seen{}
	refs := map[string]seen{}
	names := map[domain.PersonID]seen{}
	nameOf := map[domain.PersonID]string{}
	for _, t := range f.teams {
		if t.id != "" {
			if s, dup := teamIDs[t.id]; dup {
				p.bad(t.node, t.path+".id", "the team id %s is already used by %s (line %d); team ids must be unique", t.id, s.path, s.line)
			} else {
				teamIDs[t.id] = seen{t.path, t.node.Line}
			}
		}
		if t.channel != "" {
			if s, dup := channels[t.channel]; dup {
				p.bad(t.channelNode, t.path+".channel", "%s is already the channel of %s (line %d); a channel belongs to one team", t.channel, s.path, s.line)
			} else {
				channels[t.channel] = seen{t.path, t.channelNode.Line}
			}
		}
		inTeam := map[domain.PersonID]string{}
		for _, m := range t.members {
			if m.id == "" {
				continue
			}
			if other, dup := inTeam[m.id]; dup {
				p.bad(m.node, m.path+".id", "%s is already listed in this team as %s; list each person once", m.id, other)
				continue
			}
			inTeam[m.id] = m.path
			if m.name == "" {
				continue
			}
			if prev, ok := nameOf[m.id]; ok && prev != m.name {
				s := names[m.id]
				p.bad(m.node, m.path+".name", "%s is called %q here but %q in %s (line %d); use one name", m.id, m.name, prev, s.path, s.line)
			} else if !ok {
				nameOf[m.id] = m.name
				names[m.id] = seen{m.path, m.node.Line}
			}
		}
		for _, c := range t.cases {
			if c.ref == "" {
				continue
			}
			if s, dup := refs[c.ref]; dup {
				p.bad(c.refNode, c.path+".ref", "the case %s is already listed as %s (line %d); list each case once", c.ref, s.path, s.line)
			} else {
				refs[c.ref] = seen{c.path, c.refNode.Line}
			}
		}
	}
}

// fmtNum writes a number the way people wrote it: 0.6, 1, -2.
func fmtNum(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// clip shortens what a person typed before quoting it back.
func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
