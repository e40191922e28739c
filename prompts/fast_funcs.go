package prompts

import (
	"fmt"
	"reflect"
	"strings"
	"text/template/parse"
	"time"
)

// Calls of the set's functions and of the builtins the prompts use. A
// function is called directly, chosen by its signature, never by its name,
// so a set whose functions differ still runs what it was given; a
// signature not known here leaves the template to text/template.

// argument compiles an argument of a function's parameter of type typ: a
// value of exactly that type (or anything, for interface{}) as
// text/template's validateType gives it, or "give up".
func (tc *tmplCompiler) argument(n parse.Node, typ reflect.Type) expr {
	switch n := n.(type) {
	case *parse.DotNode, *parse.FieldNode, *parse.VariableNode, *parse.PipeNode, *parse.IdentifierNode:
		e := tc.operand(n)
		if typ == anyType {
			return e
		}
		return func(st *state, dot reflect.Value) (reflect.Value, bool) {
			v, ok := e(st, dot)
			if !ok {
				return v, false
			}
			return convertArg(v, typ)
		}
	case *parse.StringNode:
		if typ == stringType || typ == anyType {
			v := reflect.ValueOf(n.Text)
			return func(*state, reflect.Value) (reflect.Value, bool) { return v, true }
		}
	case *parse.NumberNode:
		var v reflect.Value
		switch {
		case typ == anyType:
			v = constant(n)
		case typ == float64Type && n.IsFloat:
			v = reflect.ValueOf(n.Float64)
		case typ == intType && n.IsInt:
			v = reflect.ValueOf(int(n.Int64))
		default:
			unsupported()
		}
		return func(*state, reflect.Value) (reflect.Value, bool) { return v, true }
	case *parse.BoolNode:
		if typ == anyType || typ == boolType {
			v := reflect.ValueOf(n.True)
			return func(*state, reflect.Value) (reflect.Value, bool) { return v, true }
		}
	}
	unsupported()
	return nil
}

// convertArg is validateType for a parameter type that is not interface{}:
// the value as that type, by assignment, through an interface or one
// pointer, or "give up".
func convertArg(v reflect.Value, typ reflect.Type) (reflect.Value, bool) {
	if !v.IsValid() {
		return v, false
	}
	if v.Type() == typ {
		return v, true
	}
	if v.Type().AssignableTo(typ) {
		return v.Convert(typ), true
	}
	if v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
		if v.Type().AssignableTo(typ) {
			return v.Convert(typ), true
		}
	}
	if v.Kind() == reflect.Pointer && !v.IsNil() && v.Type().Elem().AssignableTo(typ) {
		return v.Elem().Convert(typ), true
	}
	return v, false
}

func asAny(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	return v.Interface()
}

// stringCall compiles a call of a function that returns a string (and
// perhaps an error), or returns nil if it does not.
func (tc *tmplCompiler) stringCall(name string, args []parse.Node) strExpr {
	fn, ok := tc.c.funcs[name]
	if !ok {
		if name == "print" {
			return tc.printCall(args)
		}
		return nil
	}
	switch f := fn.(type) {
	case func(float64) string:
		return tc.call1(args, float64Type, func(v reflect.Value) (string, bool) { return f(v.Float()), true })
	case func(any) string:
		return tc.call1(args, anyType, func(v reflect.Value) (string, bool) { return f(asAny(v)), true })
	case func(string) string:
		return tc.call1(args, stringType, func(v reflect.Value) (string, bool) { return f(v.String()), true })
	case func(time.Time) string:
		return tc.call1(args, timeType, func(v reflect.Value) (string, bool) { return f(asTime(v)), true })
	case func(time.Time, time.Time) string:
		return tc.call2(args, timeType, timeType, func(v, w reflect.Value) (string, bool) {
			return f(asTime(v), asTime(w)), true
		})
	case func([]string, string) string:
		return tc.call2(args, stringsType, stringType, func(v, w reflect.Value) (string, bool) {
			list, _ := reflect.TypeAssert[[]string](v)
			return f(list, w.String()), true
		})
	case func(string, any) (string, error):
		return tc.call2(args, stringType, anyType, func(v, w reflect.Value) (string, bool) {
			text, err := f(v.String(), asAny(w))
			return text, err == nil
		})
	case func(int, string, string) string:
		return tc.call3(args, intType, stringType, stringType, func(x, y, z reflect.Value) (string, bool) {
			return f(int(x.Int()), y.String(), z.String()), true
		})
	case func(float64, string, string) string:
		return tc.call3(args, float64Type, stringType, stringType, func(x, y, z reflect.Value) (string, bool) {
			return f(x.Float(), y.String(), z.String()), true
		})
	}
	unsupported()
	return nil
}

func asTime(v reflect.Value) time.Time {
	t, _ := reflect.TypeAssert[time.Time](v)
	return t
}

// call1, call2 and call3 compile a call of a function of one, two or three
// arguments: each argument is evaluated as the parameter's type, and f is
// given them when all could be.
func (tc *tmplCompiler) call1(args []parse.Node, t reflect.Type, f func(v reflect.Value) (string, bool)) strExpr {
	if len(args) != 1 {
		unsupported()
	}
	a := tc.argument(args[0], t)
	return func(st *state, dot reflect.Value) (string, bool) {
		v, ok := a(st, dot)
		if !ok {
			return "", false
		}
		return f(v)
	}
}

func (tc *tmplCompiler) call2(args []parse.Node, t, u reflect.Type, f func(v, w reflect.Value) (string, bool)) strExpr {
	if len(args) != 2 {
		unsupported()
	}
	a, b := tc.argument(args[0], t), tc.argument(args[1], u)
	return func(st *state, dot reflect.Value) (string, bool) {
		v, ok1 := a(st, dot)
		w, ok2 := b(st, dot)
		if !ok1 || !ok2 {
			return "", false
		}
		return f(v, w)
	}
}

func (tc *tmplCompiler) call3(args []parse.Node, t, u, x reflect.Type, f func(v, w, y reflect.Value) (string, bool)) strExpr {
	if len(args) != 3 {
		unsupported()
	}
	a, b, c := tc.argument(args[0], t), tc.argument(args[1], u), tc.argument(args[2], x)
	return func(st *state, dot reflect.Value) (string, bool) {
		v, ok1 := a(st, dot)
		w, ok2 := b(st, dot)
		y, ok3 := c(st, dot)
		if !ok1 || !ok2 || !ok3 {
			return "", false
		}
		return f(v, w, y)
	}
}

// printCall is the builtin print: fmt.Sprint of its arguments.
func (tc *tmplCompiler) printCall(args []parse.Node) strExpr {
	as := make([]expr, len(args))
	for i, n := range args {
		as[i] = tc.argument(n, anyType)
	}
	if len(as) == 1 {
		a := as[0]
		return func(st *state, dot reflect.Value) (string, bool) {
			v, ok := a(st, dot)
			if !ok {
				return "", false
			}
			if v.IsValid() && v.Kind() == reflect.String && plainType(v.Type()) != notPlain {
				return v.String(), true
			}
			return fmt.Sprint(asAny(v)), true
		}
	}
	return func(st *state, dot reflect.Value) (string, bool) {
		vals := make([]any, len(as))
		for i, a := range as {
			v, ok := a(st, dot)
			if !ok {
				return "", false
			}
			vals[i] = asAny(v)
		}
		return fmt.Sprint(vals...), true
	}
}

// call compiles a function call as a value.
func (tc *tmplCompiler) call(name string, args []parse.Node) expr {
	if s := tc.stringCall(name, args); s != nil {
		return func(st *state, dot reflect.Value) (reflect.Value, bool) {
			text, ok := s(st, dot)
			return reflect.ValueOf(text), ok
		}
	}
	// Builtins take their arguments as reflect.Values: as evaluated.
	as := make([]expr, len(args))
	for i, n := range args {
		if _, isNil := n.(*parse.NilNode); isNil {
			unsupported()
		}
		as[i] = tc.operand(n)
	}
	boolean := func(f func(st *state, dot reflect.Value) (bool, bool)) expr {
		return func(st *state, dot reflect.Value) (reflect.Value, bool) {
			b, ok := f(st, dot)
			return reflect.ValueOf(b), ok
		}
	}
	two := func() {
		if len(as) != 2 {
			unsupported()
		}
	}
	switch name {
	case "and", "or":
		if len(as) == 0 {
			unsupported()
		}
		stopOn := name == "or"
		return func(st *state, dot reflect.Value) (reflect.Value, bool) {
			var v reflect.Value
			for _, a := range as {
				var ok bool
				if v, ok = a(st, dot); !ok {
					return v, false
				}
				if truth(v) == stopOn {
					return v, true
				}
			}
			return v, true
		}
	case "not":
		if len(as) != 1 {
			unsupported()
		}
		return boolean(func(st *state, dot reflect.Value) (bool, bool) {
			v, ok := as[0](st, dot)
			return !truth(v), ok
		})
	case "len":
		if len(as) != 1 {
			unsupported()
		}
		return func(st *state, dot reflect.Value) (reflect.Value, bool) {
			v, ok := as[0](st, dot)
			if !ok {
				return v, false
			}
			v, isNil := indirect(v)
			switch v.Kind() {
			case reflect.Array, reflect.Chan, reflect.Map, reflect.Slice, reflect.String:
				if !isNil {
					return reflect.ValueOf(v.Len()), true
				}
			}
			return v, false
		}
	case "index":
		two()
		return func(st *state, dot reflect.Value) (reflect.Value, bool) {
			item, ok1 := as[0](st, dot)
			i, ok2 := as[1](st, dot)
			if !ok1 || !ok2 {
				return item, false
			}
			item, isNil := indirect(indirectInterface(item))
			i = indirectInterface(i)
			if isNil || !i.IsValid() || i.Kind() != reflect.Int {
				return item, false
			}
			switch item.Kind() {
			case reflect.Array, reflect.Slice, reflect.String:
				if x := i.Int(); x >= 0 && x < int64(item.Len()) {
					return item.Index(int(x)), true
				}
			}
			return item, false
		}
	case "eq", "ne", "lt", "le", "gt", "ge":
		two()
		holds := orders[name]
		if x, y := tc.stringOperand(args[0]), tc.stringOperand(args[1]); x != nil && y != nil {
			// Two strings, as eq (print .Role) "student": compared as
			// strings without boxing them.
			return boolean(func(st *state, dot reflect.Value) (bool, bool) {
				a, ok1 := x(st, dot)
				b, ok2 := y(st, dot)
				if !ok1 || !ok2 {
					return false, false
				}
				return holds(strings.Compare(a, b)), true
			})
		}
		equality := name == "eq" || name == "ne"
		return boolean(func(st *state, dot reflect.Value) (bool, bool) {
			a, ok1 := as[0](st, dot)
			b, ok2 := as[1](st, dot)
			if !ok1 || !ok2 {
				return false, false
			}
			c, ok := compare(indirectInterface(a), indirectInterface(b), equality)
			return holds(c), ok
		})
	}
	unsupported()
	return nil
}

// stringOperand compiles an argument that is a string constant or a call
// of a function that returns a string, or returns nil.
func (tc *tmplCompiler) stringOperand(n parse.Node) strExpr {
	switch n := n.(type) {
	case *parse.StringNode:
		text := n.Text
		return func(*state, reflect.Value) (string, bool) { return text, true }
	case *parse.PipeNode:
		if len(n.Decl) == 0 && len(n.Cmds) == 1 {
			return tc.stringCommand(n.Cmds[0])
		}
	}
	return nil
}

// orders are eq, ne, lt, le, gt and ge of an order as compare or
// strings.Compare gives it.
var orders = map[string]func(c int) bool{
	"eq": func(c int) bool { return c == 0 },
	"ne": func(c int) bool { return c != 0 },
	"lt": func(c int) bool { return c < 0 },
	"le": func(c int) bool { return c <= 0 },
	"gt": func(c int) bool { return c > 0 },
	"ge": func(c int) bool { return c >= 0 },
}

// compare orders two values of one basic kind (ints of any size, floats,
// strings, booleans for equality), as text/template compares them: -1, 0
// or 1, and 2 for floats that are not ordered (NaN), which is neither
// equal, less nor greater; other pairs give up.
func compare(a, b reflect.Value, equality bool) (int, bool) {
	ka, kb := basic(a), basic(b)
	if ka == 0 || ka != kb {
		return 0, false
	}
	switch ka {
	case reflect.Int:
		return order(a.Int(), b.Int()), true
	case reflect.String:
		return strings.Compare(a.String(), b.String()), true
	case reflect.Float64:
		x, y := a.Float(), b.Float()
		if x != x || y != y {
			if equality {
				return 2, true
			}
			// lt is false, le is false||eq=false, gt is !le=true, ge is !lt=true.
			return 0, false
		}
		return order(x, y), true
	case reflect.Bool:
		if !equality {
			return 0, false
		}
		if a.Bool() == b.Bool() {
			return 0, true
		}
		return 1, true
	}
	return 0, false
}

func order[T int64 | float64](x, y T) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// basic is the kind a comparison takes a value as, 0 for one it leaves.
func basic(v reflect.Value) reflect.Kind {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return reflect.Int
	case reflect.Float32, reflect.Float64:
		return reflect.Float64
	case reflect.String:
		return reflect.String
	case reflect.Bool:
		return reflect.Bool
	}
	return 0
}
