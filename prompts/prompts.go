// Package prompts holds every sentence safeload says, as text/template files
// embedded in the binary and parsed at start-up, so a broken template stops
// the program before it serves anyone. A directory named by SAFELOAD_PROMPTS
// may override any file by giving one of the same name.
//
// Each file defines named templates with {{define "name"}}…{{end}}; names are
// prefixed by their area ("allocate.", "capacity.", "slack." …).
package prompts

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"
	"time"
)

//go:embed *.tmpl
var embedded embed.FS

// Set is a parsed set of prompts.
type Set struct {
	t *template.Template
	// static are the prompts that are plain text, with no action: what
	// they say never depends on the data, so Say returns it as it is.
	static map[string]string
	// kept are the texts of {{kept "name" data}}, by name and data.
	kept Kept[keptKey]
	// fast are the templates the fast renderer compiled (fast.go).
	fast map[string]*program
}

// keptKey is a prompt and the data it was written from.
type keptKey struct {
	name string
	data any
}

// Funcs available in every template.
var Funcs = template.FuncMap{
	"pct": func(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) + " %" },
	// pctShare writes a share like 0.8 as "80 %".
	"pctShare": func(x float64) string { return formatNum(x*100) + " %" },
	"num":      formatNum,
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.Format("Mon 2 Jan 2006")
	},
	"datetime": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.Format("Mon 2 Jan 15:04")
	},
	"clock": func(t time.Time) string { return t.Format("15:04") },
	// day writes a calendar date ("2026-12-21", as stored) the way every
	// other date in chat is written: "Mon 21 Dec 2026".
	"day": func(d any) string {
		t, err := time.Parse("2006-01-02", fmt.Sprint(d))
		if err != nil {
			return fmt.Sprint(d)
		}
		return t.Format("Mon 2 Jan 2006")
	},
	// a is the article for a word: "a manager", "an admin", "an ASYE".
	"a": func(word any) string {
		w := fmt.Sprint(word)
		if w != "" && strings.ContainsRune("aeiouAEIOU", rune(w[0])) {
			return "an " + w
		}
		return "a " + w
	},
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	},
	"waited": Waited,
	"plural1": func(x float64, one, many string) string {
		if x == 1 {
			return one
		}
		return many
	},
	"join":  strings.Join,
	"upper": strings.ToUpper,
	"dot":   func(rag any) string { return Dot(fmt.Sprint(rag)) },
	// mention writes a platform-neutral mention, "<@slack:U01>"; each adapter
	// turns it into its own form (or a name in the terminal).
	"mention": mention,
}

// Dot is the coloured circle for a RAG, so it reads without colour too.
func Dot(rag string) string {
	switch rag {
	case "green":
		return "🟢"
	case "amber":
		return "🟠"
	case "red":
		return "🔴"
	}
	return "⚪"
}

func formatNum(x float64) string {
	if x == math.Trunc(x) {
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'f', 1, 64)
}

// mention is "<@id>", as fmt's %v writes the ID; a plain string (a person
// ID, of no type that formats itself) is joined without fmt's reflection.
func mention(id any) string {
	if v := reflect.ValueOf(id); v.Kind() == reflect.String && plainType(v.Type()) != notPlain {
		return "<@" + v.String() + ">"
	}
	return fmt.Sprintf("<@%v>", id)
}

// Load parses the embedded prompts, then any *.tmpl files in dir (which may
// be "") in place of the embedded files of the same name.
func Load(dir string) (*Set, error) {
	files := map[string][]byte{}
	names, err := fs.Glob(embedded, "*.tmpl")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		b, err := embedded.ReadFile(n)
		if err != nil {
			return nil, err
		}
		files[n] = b
	}
	if dir != "" {
		over, err := filepath.Glob(filepath.Join(dir, "*.tmpl"))
		if err != nil {
			return nil, fmt.Errorf("SAFELOAD_PROMPTS: %w", err)
		}
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("SAFELOAD_PROMPTS: %w", err)
		}
		for _, p := range over {
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("SAFELOAD_PROMPTS: %w", err)
			}
			files[filepath.Base(p)] = b
		}
	}
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	set := &Set{static: map[string]string{}}
	funcs := template.FuncMap{"kept": set.keep}
	maps.Copy(funcs, Funcs)
	root := template.New("prompts").Funcs(funcs).Option("missingkey=error")
	for _, k := range keys {
		if _, err := root.New(k).Parse(string(files[k])); err != nil {
			return nil, fmt.Errorf("prompts: %w", err)
		}
	}
	set.t = root
	set.fast = compileAll(root, funcs)
	for _, t := range root.Templates() {
		if text, ok := plainText(t); ok {
			set.static[t.Name()] = strings.TrimSpace(text)
		}
	}
	return set, nil
}

// Fields lists the data fields a prompt reads (".R.Day", ".Name"), as
// written (inside a with, relative to it), for tests of what a kept
// sentence depends on.
func (s *Set) Fields(name string) []string {
	t := s.t.Lookup(name)
	if t == nil || t.Tree == nil {
		return nil
	}
	var out []string
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.TemplateNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					walk(c)
				}
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.FieldNode:
			out = append(out, "."+strings.Join(n.Ident, "."))
		case *parse.ChainNode:
			walk(n.Node)
		}
	}
	walk(t.Tree.Root)
	return out
}

// keep is the template function kept: {{kept "load" .After}} writes what
// {{template "load" .After}} writes, and keeps it by the prompt's name and
// the data. What a prompt writes depends on nothing but its data (the
// prompts and their functions are fixed for the set's life), so a kept
// text is exact; only data of a type that holds no reference is kept by
// (a pointer's target could change), other data is written each time. The
// loads of a proposal, an acceptance or a closed case are written from
// workloads that come round again and again.
func (s *Set) keep(name string, data any) (string, error) {
	if !keepable(data) {
		return s.render(name, data)
	}
	return s.kept.Get(keptKey{name, data}, func() (string, error) { return s.render(name, data) })
}

// render writes a prompt as {{template}} would, untrimmed: by the fast
// renderer if it compiled the prompt and does not give up on the data,
// else by text/template.
func (s *Set) render(name string, data any) (string, error) {
	buf := buffers.Get().(*bytes.Buffer)
	defer buffers.Put(buf)
	buf.Reset()
	if p := s.fast[name]; p != nil {
		if text, ok := renderFast(p, buf, data); ok {
			if shadowing() {
				s.shadow(name, data, text)
			}
			return text, nil
		}
		buf.Reset()
	}
	if err := s.t.ExecuteTemplate(buf, name, data); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// keepable reports whether data is of a type that holds only values
// (numbers, strings, booleans, and structs and arrays of them), so that
// equal data is the same data now and later.
func keepable(data any) bool {
	if data == nil {
		return false
	}
	t := reflect.TypeOf(data)
	if v, ok := keepableTypes.Load(t); ok {
		return v.(bool)
	}
	ok := valuesOnly(t)
	keepableTypes.Store(t, ok)
	return ok
}

var keepableTypes sync.Map // reflect.Type → bool

func valuesOnly(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.String:
		return true
	case reflect.Array:
		return valuesOnly(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if !valuesOnly(t.Field(i).Type) {
				return false
			}
		}
		return true
	}
	return false
}

// plainText is the text of a template that has nothing but text in it.
func plainText(t *template.Template) (string, bool) {
	if t.Tree == nil || t.Tree.Root == nil {
		return "", false
	}
	var b strings.Builder
	for _, n := range t.Tree.Root.Nodes {
		tn, ok := n.(*parse.TextNode)
		if !ok {
			return "", false
		}
		b.Write(tn.Text)
	}
	return b.String(), true
}

// MustLoad is Load of the embedded prompts only; it panics on a broken file,
// which tests of this package rule out.
func MustLoad() *Set {
	s, err := Load("")
	if err != nil {
		panic(err)
	}
	return s
}

// Has reports whether a prompt of that name exists.
func (s *Set) Has(name string) bool { return s.t.Lookup(name) != nil }

// Say renders a prompt. A missing prompt or a template error renders the
// name in brackets rather than failing the action it describes; tests of each
// package catch those.
func (s *Set) Say(name string, data any) string {
	if text, ok := s.static[name]; ok {
		return text
	}
	text, err := s.render(name, data)
	if err != nil {
		return "[" + name + ": " + err.Error() + "]"
	}
	return strings.TrimSpace(text)
}

// buffers are reused by Say and kept: the hot commands render a dozen
// sentences each.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Check renders a prompt and returns the error instead of hiding it.
func (s *Set) Check(name string, data any) (string, error) {
	var buf bytes.Buffer
	err := s.t.ExecuteTemplate(&buf, name, data)
	return strings.TrimSpace(buf.String()), err
}

// Names lists every defined prompt, sorted.
func (s *Set) Names() []string {
	var out []string
	for _, t := range s.t.Templates() {
		if t.Name() != "prompts" && !strings.HasSuffix(t.Name(), ".tmpl") {
			out = append(out, t.Name())
		}
	}
	sort.Strings(out)
	return out
}

// Waited says how long it is from since to now, in days, hours or minutes.
func Waited(since, now time.Time) string {
	d := now.Sub(since)
	unit := func(n int, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	switch {
	case since.IsZero():
		return "an unknown time"
	case d >= 48*time.Hour:
		return unit(int(d.Hours()/24), "day")
	case d >= 2*time.Hour:
		return unit(int(d.Hours()), "hour")
	case d >= time.Minute:
		return unit(int(d.Minutes()), "minute")
	}
	return "less than a minute"
}
