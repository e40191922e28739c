package prompts

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"text/template"
	"text/template/parse"
	"time"
)

// The fast renderer writes what text/template writes, for the templates it
// understands, without text/template's reflection on every step: each
// template's parse tree is compiled once, at Load, into closures; map
// lookups on map[string]any (what the engine passes) are plain Go map
// lookups; struct fields and methods are found once per type and kept at
// the place they are used; the functions are called directly.
//
// It never has to be right about an error: whatever it is not sure of
// (a missing key, a nil, a type a function does not take, a value it does
// not print the way fmt does) makes it give up, and the caller runs
// text/template for that call, so errors read exactly as before. A template
// it cannot compile (or that calls one it cannot) is always run by
// text/template.

// program is a compiled template.
type program struct {
	body  step
	nvars int // variable slots, $ being the first
}

// step writes part of a template; false means "give up".
type step func(st *state, dot reflect.Value) bool

// expr evaluates to a value; false means "give up".
type expr func(st *state, dot reflect.Value) (reflect.Value, bool)

// strExpr is an expression known to yield a string (a function's result),
// printed without boxing it in a reflect.Value.
type strExpr func(st *state, dot reflect.Value) (string, bool)

// state is one fast rendering: the output and the variables of every
// template being run, each template's from base on.
type state struct {
	buf   *bytes.Buffer
	vars  []reflect.Value
	base  int
	depth int
}

// maxDepth is text/template's limit on nested {{template}} calls; the
// fast path gives up well before it, so text/template reports it.
const maxDepth = 10000

// run writes p for dot, false if it gave up (the buffer then holds a part).
func (p *program) run(st *state, dot reflect.Value) bool {
	if st.depth >= maxDepth {
		return false
	}
	st.depth++
	base := st.base
	st.base = len(st.vars)
	for range p.nvars {
		st.vars = append(st.vars, reflect.Value{})
	}
	st.vars[st.base] = dot
	ok := p.body(st, dot)
	clear(st.vars[st.base:])
	st.vars = st.vars[:st.base]
	st.base = base
	st.depth--
	return ok
}

// errUnsupported is raised (by panic, within the compiler) for a template
// the fast path does not handle.
var errUnsupported = errors.New("unsupported")

func unsupported() { panic(errUnsupported) }

// compiler compiles the templates of one set.
type compiler struct {
	root  *template.Template
	funcs template.FuncMap
	progs map[string]*program // nil for a template text/template must run
	busy  map[string]bool
}

// compileAll compiles every template that can be compiled.
func compileAll(root *template.Template, funcs template.FuncMap) map[string]*program {
	c := &compiler{root: root, funcs: funcs, progs: map[string]*program{}, busy: map[string]bool{}}
	for _, t := range root.Templates() {
		c.program(t.Name())
	}
	out := map[string]*program{}
	for name, p := range c.progs {
		if p != nil {
			out[name] = p
		}
	}
	return out
}

// program is the compiled template name, or nil.
func (c *compiler) program(name string) *program {
	if p, done := c.progs[name]; done {
		return p
	}
	if c.busy[name] {
		return nil // a template that calls itself is left to text/template
	}
	t := c.root.Lookup(name)
	if t == nil || t.Tree == nil || t.Tree.Root == nil {
		c.progs[name] = nil
		return nil
	}
	c.busy[name] = true
	defer delete(c.busy, name)
	tc := &tmplCompiler{c: c, scope: []scopeVar{{"$", 0}}, nvars: 1}
	p := func() (p *program) {
		defer func() {
			if r := recover(); r != nil {
				if r != errUnsupported {
					panic(r)
				}
				p = nil
			}
		}()
		body := tc.list(t.Tree.Root)
		return &program{body: body, nvars: tc.nvars}
	}()
	c.progs[name] = p
	return p
}

type scopeVar struct {
	name string
	slot int
}

// tmplCompiler compiles one template; variables are resolved to slots as
// text/template resolves them, by the innermost declaration in scope.
type tmplCompiler struct {
	c     *compiler
	scope []scopeVar
	nvars int
}

func (tc *tmplCompiler) declare(name string) int {
	slot := tc.nvars
	tc.nvars++
	tc.scope = append(tc.scope, scopeVar{name, slot})
	return slot
}

func (tc *tmplCompiler) lookup(name string) int {
	for i := len(tc.scope) - 1; i >= 0; i-- {
		if tc.scope[i].name == name {
			return tc.scope[i].slot
		}
	}
	unsupported()
	return 0
}

func (tc *tmplCompiler) list(l *parse.ListNode) step {
	if l == nil {
		return func(*state, reflect.Value) bool { return true }
	}
	var steps []step
	for _, n := range l.Nodes {
		if s := tc.node(n); s != nil {
			steps = append(steps, s)
		}
	}
	switch len(steps) {
	case 0:
		return func(*state, reflect.Value) bool { return true }
	case 1:
		return steps[0]
	}
	return func(st *state, dot reflect.Value) bool {
		for _, s := range steps {
			if !s(st, dot) {
				return false
			}
		}
		return true
	}
}

func (tc *tmplCompiler) node(n parse.Node) step {
	switch n := n.(type) {
	case *parse.TextNode:
		text := string(n.Text)
		return func(st *state, _ reflect.Value) bool {
			st.buf.WriteString(text)
			return true
		}
	case *parse.CommentNode:
		return nil
	case *parse.ActionNode:
		return tc.action(n)
	case *parse.IfNode:
		return tc.ifWith(n.Pipe, n.List, n.ElseList, false)
	case *parse.WithNode:
		return tc.ifWith(n.Pipe, n.List, n.ElseList, true)
	case *parse.RangeNode:
		return tc.rangeNode(n)
	case *parse.TemplateNode:
		return tc.templateCall(n)
	}
	unsupported() // break, continue and anything newer
	return nil
}

func (tc *tmplCompiler) action(n *parse.ActionNode) step {
	if len(n.Pipe.Decl) == 0 && len(n.Pipe.Cmds) == 1 {
		if s := tc.stringCommand(n.Pipe.Cmds[0]); s != nil {
			return func(st *state, dot reflect.Value) bool {
				text, ok := s(st, dot)
				st.buf.WriteString(text)
				return ok
			}
		}
	}
	p := tc.pipeline(n.Pipe)
	if len(n.Pipe.Decl) > 0 {
		return func(st *state, dot reflect.Value) bool {
			_, ok := p(st, dot)
			return ok
		}
	}
	return func(st *state, dot reflect.Value) bool {
		v, ok := p(st, dot)
		return ok && st.print(v)
	}
}

// ifWith compiles if and with: the else list does not see variables the
// body declares (text/template looks variables up by name at run time).
func (tc *tmplCompiler) ifWith(pipe *parse.PipeNode, list, elseList *parse.ListNode, with bool) step {
	mark := len(tc.scope)
	p := tc.pipeline(pipe)
	afterPipe := len(tc.scope)
	body := tc.list(list)
	tc.scope = tc.scope[:afterPipe]
	var els step
	if elseList != nil {
		els = tc.list(elseList)
	}
	tc.scope = tc.scope[:mark]
	return func(st *state, dot reflect.Value) bool {
		v, ok := p(st, dot)
		if !ok {
			return false
		}
		truth, ok := isTrue(indirectInterface(v))
		if !ok {
			return false
		}
		if truth {
			if with {
				return body(st, v)
			}
			return body(st, dot)
		}
		if els != nil {
			return els(st, dot)
		}
		return true
	}
}

// rangeNode compiles range over slices and arrays (and nil, which runs
// the else list); anything else gives up.
func (tc *tmplCompiler) rangeNode(n *parse.RangeNode) step {
	if n.Pipe.IsAssign || len(n.Pipe.Decl) > 2 {
		unsupported()
	}
	mark := len(tc.scope)
	p := tc.pipeline(n.Pipe) // declares the variables, set to the value as text/template does
	var slots []int
	for _, d := range n.Pipe.Decl {
		slots = append(slots, tc.lookup(d.Ident[0]))
	}
	afterPipe := len(tc.scope)
	body := tc.list(n.List)
	tc.scope = tc.scope[:afterPipe]
	var els step
	if n.ElseList != nil {
		els = tc.list(n.ElseList)
	}
	tc.scope = tc.scope[:mark]
	return func(st *state, dot reflect.Value) bool {
		v, ok := p(st, dot)
		if !ok {
			return false
		}
		v, _ = indirect(v)
		switch v.Kind() {
		case reflect.Array, reflect.Slice:
			if v.Len() == 0 {
				break
			}
			for i := 0; i < v.Len(); i++ {
				elem := v.Index(i)
				switch len(slots) {
				case 1:
					st.vars[st.base+slots[0]] = elem
				case 2:
					st.vars[st.base+slots[0]] = reflect.ValueOf(i)
					st.vars[st.base+slots[1]] = elem
				}
				if !body(st, elem) {
					return false
				}
			}
			return true
		case reflect.Invalid:
		default:
			return false
		}
		if els != nil {
			return els(st, dot)
		}
		return true
	}
}

func (tc *tmplCompiler) templateCall(n *parse.TemplateNode) step {
	callee := tc.c.program(n.Name)
	if callee == nil {
		unsupported()
	}
	if n.Pipe == nil {
		return func(st *state, _ reflect.Value) bool { return callee.run(st, reflect.Value{}) }
	}
	p := tc.pipeline(n.Pipe)
	return func(st *state, dot reflect.Value) bool {
		v, ok := p(st, dot)
		return ok && callee.run(st, v)
	}
}

// pipeline compiles a pipeline of one command (with its declarations).
func (tc *tmplCompiler) pipeline(pipe *parse.PipeNode) expr {
	if pipe == nil || len(pipe.Cmds) != 1 {
		unsupported()
	}
	e := tc.command(pipe.Cmds[0])
	var slots []int
	for _, d := range pipe.Decl {
		if pipe.IsAssign {
			slots = append(slots, tc.lookup(d.Ident[0]))
		} else {
			slots = append(slots, tc.declare(d.Ident[0]))
		}
	}
	unwrap := func(v reflect.Value) reflect.Value {
		if v.Kind() == reflect.Interface && v.Type().NumMethod() == 0 {
			return v.Elem()
		}
		return v
	}
	if len(slots) == 0 {
		return func(st *state, dot reflect.Value) (reflect.Value, bool) {
			v, ok := e(st, dot)
			return unwrap(v), ok
		}
	}
	return func(st *state, dot reflect.Value) (reflect.Value, bool) {
		v, ok := e(st, dot)
		v = unwrap(v)
		for _, s := range slots {
			st.vars[st.base+s] = v
		}
		return v, ok
	}
}

// command compiles one command: a field chain, a variable, a function
// call, a parenthesized pipeline or a constant.
func (tc *tmplCompiler) command(cmd *parse.CommandNode) expr {
	switch n := cmd.Args[0].(type) {
	case *parse.IdentifierNode:
		return tc.call(n.Ident, cmd.Args[1:])
	case *parse.FieldNode, *parse.VariableNode, *parse.DotNode, *parse.PipeNode, *parse.StringNode, *parse.NumberNode, *parse.BoolNode:
		if len(cmd.Args) > 1 {
			unsupported() // a method with arguments, or an error
		}
		return tc.operand(n)
	}
	unsupported()
	return nil
}

// stringCommand is a call of a function that returns a string, or nil.
func (tc *tmplCompiler) stringCommand(cmd *parse.CommandNode) strExpr {
	id, ok := cmd.Args[0].(*parse.IdentifierNode)
	if !ok {
		return nil
	}
	return tc.stringCall(id.Ident, cmd.Args[1:])
}

// operand compiles a value as text/template evaluates it in a command or
// as an argument of type interface{} or reflect.Value.
func (tc *tmplCompiler) operand(n parse.Node) expr {
	switch n := n.(type) {
	case *parse.DotNode:
		return func(_ *state, dot reflect.Value) (reflect.Value, bool) { return dot, true }
	case *parse.FieldNode:
		steps := fieldSteps(n.Ident)
		return func(st *state, dot reflect.Value) (reflect.Value, bool) { return walkFields(dot, steps) }
	case *parse.VariableNode:
		slot := tc.lookup(n.Ident[0])
		steps := fieldSteps(n.Ident[1:])
		return func(st *state, _ reflect.Value) (reflect.Value, bool) {
			return walkFields(st.vars[st.base+slot], steps)
		}
	case *parse.PipeNode:
		if len(n.Decl) > 0 {
			unsupported()
		}
		return tc.pipeline(n)
	case *parse.IdentifierNode:
		return tc.call(n.Ident, nil)
	}
	v := constant(n)
	return func(*state, reflect.Value) (reflect.Value, bool) { return v, true }
}

// constant is a literal as text/template takes it where any type will do.
func constant(n parse.Node) reflect.Value {
	switch n := n.(type) {
	case *parse.StringNode:
		return reflect.ValueOf(n.Text)
	case *parse.BoolNode:
		return reflect.ValueOf(n.True)
	case *parse.NumberNode:
		switch {
		case n.IsComplex:
		case n.IsFloat && !strings.HasPrefix(n.Text, "0x") && !strings.HasPrefix(n.Text, "0X") &&
			!strings.HasPrefix(n.Text, "'") && strings.ContainsAny(n.Text, ".eEpP"):
			return reflect.ValueOf(n.Float64)
		case n.IsInt && int64(int(n.Int64)) == n.Int64:
			return reflect.ValueOf(int(n.Int64))
		}
	}
	unsupported()
	return reflect.Value{}
}

// field is one step of a chain (.A.B), with what was found for the last
// type it met, since a given place in a template nearly always meets the
// same type.
type field struct {
	name  string
	cache atomic.Pointer[fieldInfo]
}

type fieldInfo struct {
	typ      reflect.Type  // the receiver's, after indirection
	addr     bool          // whether it was addressable (its methods are then *T's)
	method   reflect.Value // the method's function (receiver first), if it has one
	callable bool          // whether text/template can call it with no arguments
	index    []int         // the struct field, if no method
	mapKey   bool          // a map with string keys
}

func fieldSteps(idents []string) []*field {
	out := make([]*field, len(idents))
	for i, name := range idents {
		out[i] = &field{name: name}
	}
	return out
}

var (
	mapAnyType     = reflect.TypeFor[map[string]any]()
	stringType     = reflect.TypeFor[string]()
	intType        = reflect.TypeFor[int]()
	boolType       = reflect.TypeFor[bool]()
	float64Type    = reflect.TypeFor[float64]()
	timeType       = reflect.TypeFor[time.Time]()
	stringsType    = reflect.TypeFor[[]string]()
	anyType        = reflect.TypeFor[any]()
	errorType      = reflect.TypeFor[error]()
	stringerType   = reflect.TypeFor[fmt.Stringer]()
	reflectValType = reflect.TypeFor[reflect.Value]()
)

func walkFields(v reflect.Value, steps []*field) (reflect.Value, bool) {
	for _, f := range steps {
		var ok bool
		if v, ok = f.eval(v); !ok {
			return v, false
		}
	}
	return v, true
}

// eval is text/template's evalField for a field without arguments, with
// missingkey=error; where that would fail, it gives up.
func (f *field) eval(recv reflect.Value) (reflect.Value, bool) {
	if !recv.IsValid() {
		return recv, false
	}
	if recv.Type() == mapAnyType {
		x, ok := recv.Interface().(map[string]any)[f.name]
		return reflect.ValueOf(x), ok
	}
	r, isNil := indirect(recv)
	if isNil {
		return r, false
	}
	addr := r.Kind() != reflect.Interface && r.Kind() != reflect.Pointer && r.CanAddr()
	info := f.cache.Load()
	if info == nil || info.typ != r.Type() || info.addr != addr {
		info = f.lookup(r.Type(), addr)
		f.cache.Store(info)
	}
	switch {
	case info.method.IsValid():
		if !info.callable {
			return r, false
		}
		recvArg := r
		if addr {
			recvArg = r.Addr()
		}
		out := info.method.Call([]reflect.Value{recvArg})
		if len(out) == 2 && !out[1].IsNil() {
			return r, false
		}
		return out[0], true
	case info.index != nil:
		v, err := r.FieldByIndexErr(info.index)
		return v, err == nil
	case info.mapKey:
		v := r.MapIndex(reflect.ValueOf(f.name))
		return v, v.IsValid()
	}
	return r, false
}

func (f *field) lookup(t reflect.Type, addr bool) *fieldInfo {
	info := &fieldInfo{typ: t, addr: addr}
	mt := t
	if addr {
		mt = reflect.PointerTo(t)
	}
	if m, ok := mt.MethodByName(f.name); ok {
		info.method = m.Func
		ft := m.Func.Type()
		info.callable = ft.NumIn() == 1 && !ft.IsVariadic() && (ft.NumOut() == 1 || ft.NumOut() == 2 && ft.Out(1) == errorType) &&
			ft.Out(0) != reflectValType
		return info
	}
	switch t.Kind() {
	case reflect.Struct:
		if sf, ok := t.FieldByName(f.name); ok && sf.IsExported() {
			info.index = sf.Index
		}
	case reflect.Map:
		info.mapKey = t.Key() == stringType
	}
	return info
}

// indirect, indirectInterface and isTrue are text/template's.
func indirect(v reflect.Value) (rv reflect.Value, isNil bool) {
	for ; v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface; v = v.Elem() {
		if v.IsNil() {
			return v, true
		}
	}
	return v, false
}

func indirectInterface(v reflect.Value) reflect.Value {
	if v.Kind() != reflect.Interface {
		return v
	}
	if v.IsNil() {
		return reflect.Value{}
	}
	return v.Elem()
}

func isTrue(val reflect.Value) (truth, ok bool) {
	if !val.IsValid() {
		return false, true
	}
	switch val.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		truth = val.Len() > 0
	case reflect.Bool:
		truth = val.Bool()
	case reflect.Complex64, reflect.Complex128:
		truth = val.Complex() != 0
	case reflect.Chan, reflect.Func, reflect.Pointer, reflect.UnsafePointer, reflect.Interface:
		truth = !val.IsNil()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		truth = val.Int() != 0
	case reflect.Float32, reflect.Float64:
		truth = val.Float() != 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		truth = val.Uint() != 0
	case reflect.Struct:
		truth = true
	default:
		return
	}
	return truth, true
}

func truth(v reflect.Value) bool {
	t, _ := isTrue(indirectInterface(v))
	return t
}

// print writes v as text/template's printValue does: through fmt, except
// for the plain types whose text fmt would write the same way.
func (st *state) print(v reflect.Value) bool {
	if v.Kind() == reflect.Pointer {
		v, _ = indirect(v)
	}
	if !v.IsValid() {
		st.buf.WriteString("<no value>")
		return true
	}
	t := v.Type()
	plain := plainType(t)
	if plain == plainBoth || plain == plainValue && !v.CanAddr() {
		// No String, Error or Format: fmt writes the value by its kind.
		switch t.Kind() {
		case reflect.String:
			st.buf.WriteString(v.String())
			return true
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			st.buf.Write(strconv.AppendInt(st.buf.AvailableBuffer(), v.Int(), 10))
			return true
		case reflect.Bool:
			st.buf.WriteString(strconv.FormatBool(v.Bool()))
			return true
		case reflect.Float64:
			if x := v.Float(); !math.IsInf(x, 0) && !math.IsNaN(x) {
				st.buf.Write(strconv.AppendFloat(st.buf.AvailableBuffer(), x, 'g', -1, 64))
				return true
			}
		}
	}
	if !t.Implements(errorType) && !t.Implements(stringerType) {
		if v.CanAddr() && (reflect.PointerTo(t).Implements(errorType) || reflect.PointerTo(t).Implements(stringerType)) {
			v = v.Addr()
		} else if k := v.Kind(); k == reflect.Chan || k == reflect.Func {
			return false
		}
	}
	fmt.Fprint(st.buf, v.Interface())
	return true
}

// states are reused: a rendering allocates nothing of its own.
var states = sync.Pool{New: func() any { return new(state) }}

// renderFast writes p for data into buf and returns the text, or false if
// it gave up (a run-time surprise, a panic in a function included).
func renderFast(p *program, buf *bytes.Buffer, data any) (text string, ok bool) {
	if _, isValue := data.(reflect.Value); isValue {
		return "", false // text/template takes a reflect.Value as the data itself
	}
	st := states.Get().(*state)
	st.buf = buf
	defer func() {
		if r := recover(); r != nil {
			if m, isMismatch := r.(shadowMismatch); isMismatch {
				panic(m)
			}
			ok = false
		}
		clear(st.vars[:cap(st.vars)])
		*st = state{vars: st.vars[:0]}
		states.Put(st)
	}()
	if !p.run(st, reflect.ValueOf(data)) {
		return "", false
	}
	return buf.String(), true
}

// shadow is on in tests, of this package and of every other: each fast
// rendering is checked against text/template's, so every test that makes
// the bot say something checks the fast renderer on real data. It is off
// when benchmarks run (go test -bench), so that they time what a server
// does.
var shadow = testing.Testing()

// benchmarks is 0 until the test flags are parsed, then 1 if no
// benchmark runs, 2 if one does.
var benchmarks atomic.Int32

func shadowing() bool {
	if !shadow {
		return false
	}
	switch benchmarks.Load() {
	case 1:
		return true
	case 2:
		return false
	}
	if !flag.Parsed() {
		return true
	}
	if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" {
		benchmarks.Store(2)
		return false
	}
	benchmarks.Store(1)
	return true
}

// shadowMismatch is a fast rendering that differs from text/template's.
type shadowMismatch string

// onMismatch reports a mismatch; it stops the test binary, since a panic
// could be caught by the engine's recovery and read as a refusal.
var onMismatch = func(m shadowMismatch) {
	fmt.Fprintln(os.Stderr, string(m))
	os.Exit(3)
}

// shadow renders name with text/template and reports any difference from
// text, the fast renderer's.
func (s *Set) shadow(name string, data any, text string) {
	var buf bytes.Buffer
	err := s.t.ExecuteTemplate(&buf, name, data)
	if err != nil || buf.String() != text {
		onMismatch(shadowMismatch(fmt.Sprintf("prompts: the fast renderer wrote %q for %s where text/template wrote %q (error %v); data %#v",
			text, name, buf.String(), err, data)))
	}
}

// How fmt prints a type: plainValue if T has none of String, Error and
// Format (fmt then writes a value by its kind), plainBoth if *T has none
// either (text/template prints an addressable value through *T's).
const (
	notPlain = iota + 1
	plainValue
	plainBoth
)

var plainTypes sync.Map // reflect.Type → int

var formatterType = reflect.TypeFor[fmt.Formatter]()

func plainType(t reflect.Type) int {
	if p, ok := plainTypes.Load(t); ok {
		return p.(int)
	}
	has := func(t reflect.Type) bool {
		return t.Implements(errorType) || t.Implements(stringerType) || t.Implements(formatterType)
	}
	p := plainBoth
	switch {
	case has(t):
		p = notPlain
	case t.Kind() != reflect.Interface && has(reflect.PointerTo(t)):
		p = plainValue
	}
	plainTypes.Store(t, p)
	return p
}
