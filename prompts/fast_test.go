package prompts

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"text/template/parse"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// The fast renderer is proved against text/template on every prompt: each
// is given data shaped the way it reads it (the fields it names, of the
// types its functions and comparisons take), then the same data with
// values of other types, nils, missing keys and pointers mixed in, as
// maps, as structs and as pointers to structs. Where the fast renderer
// writes anything, it must be what text/template writes; where it gives
// up, Say must still say what text/template says, errors included.

// shape is what a template reads of a value: its fields, and a hint of
// the value's type from how it is used.
type shape struct {
	fields map[string]*shape
	hint   string // "float", "int", "string", "time", "strings", "bool", "slice" or ""
	elem   *shape // for "slice": what the template reads of each element
}

func newShape() *shape { return &shape{fields: map[string]*shape{}} }

func (sh *shape) field(name string) *shape {
	if sh.fields[name] == nil {
		sh.fields[name] = newShape()
	}
	return sh.fields[name]
}

// shaper walks a template's tree, following dot through with, range and
// template calls, and variables to what they were set to.
type shaper struct {
	s       *Set
	strs    map[string]bool // string constants, so that eq can be true
	visited map[string]bool
}

func (w *shaper) chain(sh *shape, idents []string) *shape {
	for _, id := range idents {
		if id == "IsZero" {
			sh.hint = "time"
			return newShape()
		}
		sh = sh.field(id)
	}
	return sh
}

type scope struct {
	dot  *shape
	root *shape
	vars map[string]*shape
}

func (w *shaper) arg(sc scope, n parse.Node) *shape {
	switch n := n.(type) {
	case *parse.FieldNode:
		return w.chain(sc.dot, n.Ident)
	case *parse.VariableNode:
		base := sc.vars[n.Ident[0]]
		if n.Ident[0] == "$" {
			base = sc.root
		}
		if base == nil {
			return newShape()
		}
		return w.chain(base, n.Ident[1:])
	case *parse.DotNode:
		return sc.dot
	case *parse.PipeNode:
		return w.pipe(sc, n)
	case *parse.StringNode:
		w.strs[n.Text] = true
	}
	return nil
}

func (w *shaper) pipe(sc scope, p *parse.PipeNode) *shape {
	if p == nil {
		return nil
	}
	var last *shape
	for _, cmd := range p.Cmds {
		last = w.command(sc, cmd)
	}
	return last
}

func hintOf(t reflect.Type) string {
	switch t {
	case float64Type:
		return "float"
	case intType:
		return "int"
	case stringType:
		return "string"
	case timeType:
		return "time"
	case stringsType:
		return "strings"
	}
	return ""
}

func (w *shaper) command(sc scope, cmd *parse.CommandNode) *shape {
	id, ok := cmd.Args[0].(*parse.IdentifierNode)
	if !ok {
		return w.arg(sc, cmd.Args[0])
	}
	args := make([]*shape, len(cmd.Args)-1)
	for i, a := range cmd.Args[1:] {
		args[i] = w.arg(sc, a)
	}
	set := func(i int, hint string) {
		if i < len(args) && args[i] != nil && hint != "" {
			args[i].hint = hint
		}
	}
	if name, ok := cmd.Args[1].(*parse.StringNode); ok && id.Ident == "kept" && args[1] != nil {
		w.call(name.Text, args[1])
		return nil
	}
	if f, ok := Funcs[id.Ident]; ok {
		t := reflect.TypeOf(f)
		for i := range args {
			if i < t.NumIn() {
				set(i, hintOf(t.In(i)))
			}
		}
		return nil
	}
	switch id.Ident {
	case "len", "index":
		set(0, "strings")
	case "eq", "ne", "lt", "le", "gt", "ge":
		for i, a := range cmd.Args[1:] {
			if n, ok := a.(*parse.NumberNode); ok {
				h := "float"
				if n.IsInt && !strings.ContainsAny(n.Text, ".eE") {
					h = "int"
				}
				set(1-i, h)
			}
		}
	}
	return nil
}

func (w *shaper) list(sc scope, l *parse.ListNode) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			v := w.pipe(sc, n.Pipe)
			for _, d := range n.Pipe.Decl {
				sc.vars[d.Ident[0]] = v
			}
		case *parse.IfNode:
			w.pipe(sc, n.Pipe)
			w.list(sc, n.List)
			w.list(sc, n.ElseList)
		case *parse.WithNode:
			v := w.pipe(sc, n.Pipe)
			if v == nil {
				v = newShape()
			}
			w.list(scope{dot: v, root: sc.root, vars: sc.vars}, n.List)
			w.list(sc, n.ElseList)
		case *parse.RangeNode:
			v := w.pipe(sc, n.Pipe)
			if v == nil {
				v = newShape()
			}
			v.hint = "slice"
			if v.elem == nil {
				v.elem = newShape()
			}
			if d := n.Pipe.Decl; len(d) > 0 {
				sc.vars[d[len(d)-1].Ident[0]] = v.elem
			}
			w.list(scope{dot: v.elem, root: sc.root, vars: sc.vars}, n.List)
			w.list(sc, n.ElseList)
		case *parse.TemplateNode:
			if v := w.pipe(sc, n.Pipe); v != nil {
				w.call(n.Name, v)
			}
		}
	}
}

// call follows {{template name}} and {{kept name}} with dot.
func (w *shaper) call(name string, dot *shape) {
	if w.visited[name] {
		return
	}
	w.visited[name] = true
	if t := w.s.t.Lookup(name); t != nil && t.Tree != nil {
		w.list(scope{dot: dot, root: dot, vars: map[string]*shape{}}, t.Tree.Root)
	}
	delete(w.visited, name)
}

// shapeOf is what a prompt reads of its data, and its string constants.
func shapeOf(s *Set, name string) (*shape, []string) {
	w := &shaper{s: s, strs: map[string]bool{}, visited: map[string]bool{name: true}}
	root := newShape()
	w.list(scope{dot: root, root: root, vars: map[string]*shape{}}, s.t.Lookup(name).Tree.Root)
	var strs []string
	for k := range w.strs {
		strs = append(strs, k)
	}
	return root, strs
}

type stringer struct{ s string }

func (s stringer) String() string { return "S(" + s.s + ")" }

type ptrStringer struct{ N int }

func (p *ptrStringer) String() string { return fmt.Sprint("P", p.N) }

// gen makes data of a shape, mostly well typed.
type gen struct {
	r    *rand.Rand
	strs []string
}

func (g *gen) pick(vals ...any) any { return vals[g.r.IntN(len(vals))] }

var someTime = time.Date(2026, 11, 23, 9, 5, 0, 0, time.UTC)

// odd is a value of any type at all.
func (g *gen) odd() any {
	n := 7
	var nilPtr *ptrStringer
	var nilW *domain.Workload
	return g.pick(nil, "", "x", 0, -1, 2.5, math.Copysign(0, -1), true, false, someTime, time.Time{},
		[]string{"a"}, []any{1, "b"}, map[string]any{}, domain.RAG("amber"), domain.Role("student"),
		domain.PersonID("slack:U1"), stringer{"s"}, &ptrStringer{3}, ptrStringer{4}, nilPtr, nilW, &n,
		errors.New("an error"), float32(1.5), uint(7), int64(-9), struct{ A int }{1}, func() {}, []int{1, 2},
		benchLoad, &benchLoad, [2]string{"p", "q"})
}

func (g *gen) leaf(hint string) any {
	if g.r.IntN(6) == 0 {
		return g.odd()
	}
	switch hint {
	case "float":
		return g.pick(0.0, 1.0, -2.5, 88.6, 100.0, 0.05, 1e21, 1e-7, 123456.789, 22.0, math.Copysign(0, -1), 99.95)
	case "int":
		return g.pick(0, 1, 2, -1, 21, 1000000)
	case "time":
		return g.pick(time.Time{}, someTime, someTime.Add(-50*time.Hour), someTime.In(time.FixedZone("X", 3600)))
	case "strings":
		return g.pick([]string(nil), []string{}, []string{"C-1"}, []string{"C-1", "C-2 <&>"})
	case "bool":
		return g.pick(true, false)
	}
	if len(g.strs) > 0 && g.r.IntN(2) == 0 {
		return g.strs[g.r.IntN(len(g.strs))]
	}
	return g.pick("", "Ana", `<b>&amp;"'</b>`, "Zoë 🟢 naïve", "green", "amber", "red", 3, 0, true, false, 2.5, nil,
		1e21, -1e-7, domain.RAG("red"), domain.Role("asye"), domain.PersonID("discord:42"), ptrStringer{5}, stringer{"t"},
		someTime, int8(-4))
}

// value makes a value of sh: a map, a struct, a pointer to one, a
// workload when the fields fit, a slice for range.
func (g *gen) value(sh *shape) any {
	if sh.hint == "slice" || sh.elem != nil {
		if g.r.IntN(8) == 0 {
			return g.odd()
		}
		n := g.r.IntN(4)
		if g.r.IntN(2) == 0 && len(sh.elem.fields) == 0 {
			out := make([]string, n)
			for i := range out {
				out[i] = fmt.Sprint("s", i)
			}
			return out
		}
		out := make([]any, n)
		for i := range out {
			out[i] = g.value(sh.elem)
		}
		return out
	}
	if len(sh.fields) == 0 {
		return g.leaf(sh.hint)
	}
	switch g.r.IntN(20) {
	case 0:
		return nil
	case 1:
		return g.odd()
	case 2, 3, 4:
		if fitsWorkload(sh) {
			w := benchLoad
			w.OnLeave = g.r.IntN(2) == 0
			w.RAG = g.pick(domain.Green, domain.Amber, domain.Red).(domain.RAG)
			w.Capacity = g.pick(0.0, 22.0).(float64)
			if g.r.IntN(2) == 0 {
				return &w
			}
			return w
		}
	case 5, 6, 7:
		return g.structOf(sh, g.r.IntN(2) == 0)
	}
	m := map[string]any{}
	for k, f := range sh.fields {
		if g.r.IntN(25) == 0 {
			continue // a missing key
		}
		m[k] = g.value(f)
	}
	return m
}

func fitsWorkload(sh *shape) bool {
	t := reflect.TypeFor[domain.Workload]()
	for k := range sh.fields {
		if _, ok := t.FieldByName(k); !ok {
			if _, ok := t.MethodByName(k); !ok {
				return false
			}
		}
	}
	return true
}

// structOf is a struct with the shape's fields, of the types of the
// values made for them, or a pointer to it (its fields then addressable).
func (g *gen) structOf(sh *shape, ptr bool) any {
	var fields []reflect.StructField
	var vals []any
	for k, f := range sh.fields {
		if k == "" || k[0] < 'A' || k[0] > 'Z' {
			continue
		}
		v := g.value(f)
		t := reflect.TypeOf(v)
		if t == nil || g.r.IntN(4) == 0 {
			t = anyType
		}
		fields = append(fields, reflect.StructField{Name: k, Type: t})
		vals = append(vals, v)
	}
	p := reflect.New(reflect.StructOf(fields))
	for i, v := range vals {
		if v != nil {
			p.Elem().Field(i).Set(reflect.ValueOf(v))
		}
	}
	if ptr {
		return p.Interface()
	}
	return p.Elem().Interface()
}

// checkSame renders name for data both ways and fails on any difference;
// it reports whether the fast renderer wrote it.
func checkSame(t testing.TB, s *Set, name string, data any) bool {
	t.Helper()
	var want bytes.Buffer
	err := s.t.ExecuteTemplate(&want, name, data)
	var buf bytes.Buffer
	got, ok := renderFast(s.fast[name], &buf, data)
	if ok && (err != nil || got != want.String()) {
		t.Fatalf("%s: fast wrote %q, text/template %q (%v)\ndata: %#v", name, got, want.String(), err, data)
	}
	say := strings.TrimSpace(want.String())
	if err != nil {
		say = "[" + name + ": " + err.Error() + "]"
	}
	if _, static := s.static[name]; static {
		say = s.static[name]
	}
	if got := s.Say(name, data); got != say {
		t.Fatalf("%s: Say %q, text/template %q\ndata: %#v", name, got, say, data)
	}
	return ok
}

func TestFastRendererWritesWhatTextTemplateWrites(t *testing.T) {
	defer noShadow()()
	s := MustLoad()
	r := rand.New(rand.NewPCG(17, 1))
	var fast, total, unused int
	const rounds = 300
	for _, name := range s.Names() {
		if s.fast[name] == nil {
			t.Errorf("%s is not compiled", name)
			continue
		}
		sh, strs := shapeOf(s, name)
		g := &gen{r: r, strs: strs}
		n := 0
		for range rounds {
			if checkSame(t, s, name, g.value(sh)) {
				n++
			}
		}
		// And data of no shape at all.
		for _, data := range []any{nil, map[string]any{}, 3, "x", benchLoad, &benchLoad, reflect.ValueOf(benchLoad)} {
			checkSame(t, s, name, data)
		}
		fast += n
		total += rounds
		if n == 0 {
			unused++
			t.Logf("%s: the fast renderer wrote none of %d", name, rounds)
		}
	}
	t.Logf("the fast renderer wrote %d of %d renderings; %d prompts never", fast, total, unused)
	if fast < total/3 || unused > len(s.Names())/20 {
		t.Errorf("the fast renderer wrote too few: %d of %d, %d prompts never", fast, total, unused)
	}
}

// Templates a prompts directory could hold, with what text/template does
// that the embedded ones barely touch: variables, range, else with,
// nested calls, methods, printing through a pointer's String.
const handWritten = `
{{define "t.vars"}}{{$x := .A}}{{$x}}{{with .B}}{{$x = .}}{{$x}}{{$.A}}{{end}}{{$x}}{{if .C}}{{$x := 2}}{{$x}}{{else}}{{$x}}{{end}}{{end}}
{{define "t.range"}}{{range $i, $v := .L}}{{if $i}}, {{end}}{{$i}}={{$v}}{{else}}none{{end}}{{end}}
{{define "t.range1"}}{{range $v := .L}}[{{$v}}|{{.}}]{{end}}{{range .L}}<{{.}}>{{end}}{{end}}
{{define "t.rangeelse"}}{{range $v := .L}}{{$v}}{{else}}{{$v}}{{end}}{{end}}
{{define "t.elsewith"}}{{with .A}}a={{.}}{{else with .B}}b={{.}}{{else}}none{{end}}{{end}}
{{define "t.call"}}({{template "t.inner" .X}}){{template "t.inner"}}{{end}}
{{define "t.inner"}}{{.}}:{{$}}{{end}}
{{define "t.print"}}{{.X.Y}} {{.X}} {{print .X.Y}} {{print .A .B}} {{printf "%v" .A}}{{end}}
{{define "t.fields"}}{{.X.Y}}|{{.X}}|{{.X.N}}{{end}}
{{define "t.methods"}}{{.T.IsZero}} {{.T.Year}} {{if not .T.IsZero}}set{{end}} {{.W.HasPercent}} {{.W.ByCount}}{{end}}
{{define "t.cmp"}}{{if lt .A .B}}lt{{end}} {{if le .A .B}}le{{end}} {{if gt .A .B}}gt{{end}} {{if ge .A .B}}ge{{end}} {{if eq .A .B}}eq{{end}} {{if ne .A .B}}ne{{end}}{{end}}
{{define "t.logic"}}{{and .A .B}} {{or .A .B}} {{not .A}} {{if and .A (or .B .C)}}yes{{end}}{{end}}
{{define "t.index"}}{{index .L 1}} {{len .L}} {{len .M}}{{end}}
{{define "t.mapindex"}}{{index .M "k"}}{{end}}
{{define "t.pipe"}}{{.A | print}} {{num .F}} {{.F | num}} {{eq .A .B .C}}{{end}}
{{define "t.consts"}}{{1}} {{1.5}} {{1e3}} {{0x10}} {{'a'}} {{"s"}} {{true}} {{plural 1 "one" "many"}} {{num 2.0}}{{end}}
{{define "t.self"}}{{if .}}{{template "t.self" .Next}}x{{end}}{{end}}
{{define "t.break"}}{{range .L}}{{if .}}{{break}}{{end}}{{.}}{{end}}{{end}}
`

type addrStringer struct {
	Y ptrStringer
	N ptrName
}

type ptrName string

func (p *ptrName) String() string { return "N:" + string(*p) }

type node struct{ Next *node }

func TestFastRendererOnHandWrittenTemplates(t *testing.T) {
	defer noShadow()()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "zz.tmpl"), []byte(handWritten), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"t.vars", "t.range", "t.range1", "t.rangeelse", "t.elsewith", "t.call", "t.inner", "t.fields", "t.methods", "t.cmp", "t.logic", "t.index", "t.consts"} {
		if s.fast[name] == nil {
			t.Errorf("%s is not compiled", name)
		}
	}
	for _, name := range []string{"t.print", "t.pipe", "t.self", "t.break"} {
		if s.fast[name] != nil {
			t.Errorf("%s is compiled, though it uses what the fast renderer leaves to text/template", name)
		}
	}
	var nilW *domain.Workload
	values := []any{nil, 0, 1, -2, 2.5, 2.5, math.NaN(), "", "a", "b", true, false, uint(3), int8(1), []string{"p", "q"}, []any{},
		[]int{7, 8, 9}, [2]bool{true}, map[string]any{"k": 1}, map[string]int{"k": 2}, someTime, time.Time{}, &someTime,
		benchLoad, &benchLoad, nilW, stringer{"s"}, ptrStringer{1}, &ptrStringer{2}, addrStringer{ptrStringer{3}, "m"},
		&addrStringer{ptrStringer{4}, "o"}, &node{&node{}}, errors.New("e"), domain.RAG("red")}
	r := rand.New(rand.NewPCG(1, 17))
	pick := func() any { return values[r.IntN(len(values))] }
	fast := map[string]int{}
	for range 3000 {
		m := map[string]any{}
		for _, k := range []string{"A", "B", "C", "L", "M", "T", "W", "F"} {
			if r.IntN(10) > 0 {
				m[k] = pick()
			}
		}
		m["X"] = pick()
		if r.IntN(3) == 0 {
			m["X"] = &addrStringer{ptrStringer{r.IntN(3)}, "n"}
		}
		for _, name := range []string{"t.vars", "t.range", "t.range1", "t.rangeelse", "t.elsewith", "t.call", "t.inner", "t.print", "t.fields", "t.methods", "t.cmp", "t.logic", "t.index", "t.mapindex", "t.pipe", "t.consts", "t.self", "t.break"} {
			if s.fast[name] != nil && checkSame(t, s, name, m) {
				fast[name]++
			}
		}
	}
	for name := range s.fast {
		if strings.HasPrefix(name, "t.") && name != "t.mapindex" && fast[name] == 0 {
			t.Errorf("%s: the fast renderer never wrote it", name)
		}
	}
}

// In tests, every rendering the fast renderer writes is checked against
// text/template's, so a difference stops the test of whatever package
// made the bot speak.
func TestShadowCatchesADifference(t *testing.T) {
	if !shadow {
		t.Fatal("the shadow check must be on in tests")
	}
	if !shadowing() {
		t.Skip("off while benchmarks run")
	}
	var caught []shadowMismatch
	was := onMismatch
	onMismatch = func(m shadowMismatch) { caught = append(caught, m) }
	defer func() { onMismatch = was }()
	s := MustLoad()
	data := map[string]any{"Ref": "C-1", "Desc": "adult", "Points": 3.0, "HighRisk": false}
	if got := s.Say("case.added", data); len(caught) != 0 || got != "C-1 (adult) is in the queue: 3 points." {
		t.Fatalf("said %q, mismatches %q", got, caught)
	}
	s.fast["case.added"] = &program{nvars: 1, body: func(st *state, _ reflect.Value) bool {
		st.buf.WriteString("wrong")
		return true
	}}
	s.Say("case.added", data)
	if len(caught) != 1 || !strings.Contains(string(caught[0]), "case.added") ||
		!strings.Contains(string(caught[0]), `"wrong"`) || !strings.Contains(string(caught[0]), "C-1 (adult) is in the queue") {
		t.Fatalf("mismatches %q", caught)
	}
}

// A renderer that gives up writes nothing of its own: Say is then exactly
// text/template's, errors included.
func TestGivingUpSaysWhatTextTemplateSays(t *testing.T) {
	defer noShadow()()
	s := MustLoad()
	for _, data := range []any{
		map[string]any{"Ref": "C-1", "Desc": "adult", "HighRisk": false},                // Points missing
		map[string]any{"Ref": "C-1", "Desc": "adult", "Points": "3", "HighRisk": false}, // Points not a number
		nil,
	} {
		if checkSame(t, s, "case.added", data) {
			t.Errorf("the fast renderer wrote case.added for %#v", data)
		}
	}
	if got := s.Say("case.added", nil); !strings.HasPrefix(got, "[case.added: template: ") {
		t.Errorf("Say = %q", got)
	}
}

// FuzzFastRenderer renders the hot prompts from fuzzed values both ways.
func FuzzFastRenderer(f *testing.F) {
	f.Add("Ana", "amber", "practitioner", 88.6, 22.0, 9, true, false)
	f.Add("<b>Zoë</b> & 🟢", "green", "asye", math.Copysign(0, -1), 0.0, 1, false, true)
	f.Add("", "", "", 1e21, math.Inf(1), -1, true, true)
	f.Add("x\x00y", "red", "student", math.NaN(), 1e-7, 0, false, false)
	defer noShadow()()
	s := MustLoad()
	f.Fuzz(func(t *testing.T, name, rag, role string, x, y float64, n int, b1, b2 bool) {
		w := domain.Workload{Person: domain.PersonID(name), Name: name, Role: domain.Role(role), FTE: y, Capacity: y, Load: x,
			Percent: x, Cases: n, LoadRAG: domain.RAG(rag), CountRAG: domain.RAG(role), RAG: domain.RAG(rag), Room: b1, OnLeave: b2}
		for _, c := range []struct {
			name string
			data any
		}{
			{"capacity.text", map[string]any{"W": w, "Self": b1, "Hours": x}},
			{"capacity.text", map[string]any{"W": &w, "Self": name, "Hours": n}},
			{"board.line", map[string]any{"W": w}},
			{"load", w},
			{"load", &w},
			{"case.added", map[string]any{"Ref": name, "Desc": rag, "Points": y, "HighRisk": b2}},
			{"case.closed", map[string]any{"Ref": name, "HasHolder": b1, "Holder": w.Person, "Before": w, "After": &w}},
			{"capacity.no_cases", map[string]any{"Self": b1, "Name": name, "Role": domain.Role(role)}},
			{"capacity.reduction", map[string]any{"R": map[string]any{"Percent": x, "Reason": name, "Until": rag}}},
		} {
			checkSame(t, s, c.name, c.data)
		}
	})
}
