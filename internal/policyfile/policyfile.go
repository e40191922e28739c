// Package policyfile reads a team's own workload policy from YAML
// (SAFELOAD_POLICY) over domain.DefaultPolicy.
//
// The rule for what a file replaces is "whatever it names":
//   - a plain setting (benchmark_points: 100) replaces the default;
//   - a group of settings (load_bands, count_bands) replaces only the
//     settings it names inside the group;
//   - a list (high_risk_types, bank_holidays) or a table (case_types,
//     factors) replaces the default wholesale: a file that names case_types
//     must list every case type the team uses. Merging tables would leave a
//     team unable to drop a built-in case type, and would make what is in
//     force depend on a default the file does not show.
//
// Unknown settings are errors, so a typo cannot silently leave a default in
// force. Every error names the file, the line and the setting. The package
// reads YAML only; it must not import the store, the engine or any adapter.
package policyfile

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/safeload/safeload/internal/domain"
)

// Error is a problem with a policy file: File:Line: Field: Message. Line is 0
// when the problem is not on one line (an unreadable file, a default value
// that clashes with the file).
type Error struct {
	File    string
	Line    int
	Field   string
	Message string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Load reads the policy at path over the defaults and validates it.
func Load(path string) (domain.Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return domain.Policy{}, &Error{File: path, Message: fmt.Sprintf("cannot read the policy file: %v", err)}
	}
	return Parse(data, path)
}

// Parse reads a policy from data over the defaults and validates it; name is
// the file name used in error messages.
func Parse(data []byte, name string) (domain.Policy, error) {
	pol := domain.DefaultPolicy()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return domain.Policy{}, yamlError(name, data, err)
	}
	d := &decoder{file: name, lines: map[string]int{}}
	if len(doc.Content) == 0 {
		return pol, nil // an empty file: every default stands
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return pol, nil
	}
	if root.Kind != yaml.MappingNode {
		return domain.Policy{}, &Error{File: name, Line: root.Line,
			Message: "a policy file is a list of settings, one a line, like \"benchmark_points: 100\""}
	}
	if hasKey(root, "policies") || hasKey(root, "default") {
		return parseNamed(root, name)
	}
	if err := d.decode(root, reflect.ValueOf(&pol).Elem(), ""); err != nil {
		return domain.Policy{}, err
	}
	if err := pol.Validate(); err != nil {
		return domain.Policy{}, d.validateError(err)
	}
	return pol, nil
}

// yamlError turns the YAML parser's message into one with the file name.
func yamlError(name string, data []byte, err error) error {
	line, msg := SyntaxError(data, err)
	return &Error{File: name, Line: line, Message: msg}
}

var (
	yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	// parserProblems are the yaml.v3 problems found by its parser (not its
	// scanner): for these yaml.v3 reports the line before the one where the
	// construct at fault begins (a 0-based line number).
	parserProblems = []string{"did not find expected <", "did not find expected node content",
		"did not find expected key", "did not find expected '-'", "did not find expected ','",
		"found duplicate %", "found incompatible YAML document", "found undefined tag handle"}
)

// SyntaxError turns an error from yaml.v3's parser of data into the line at
// fault (0 when unknown) and a plain message. The importer uses it too.
func SyntaxError(data []byte, err error) (line int, message string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	if strings.Contains(msg, "tab character") {
		// yaml.v3 names the line where the value before the tab began;
		// the commonest YAML mistake deserves its own line and words.
		for i, l := range strings.Split(string(data), "\n") {
			indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
			if i+1 >= line && strings.Contains(indent, "\t") {
				return i + 1, "a tab is used to indent this line; YAML indents with spaces only"
			}
		}
	}
	for _, p := range parserProblems {
		if strings.HasPrefix(msg, p) {
			line++
			break
		}
	}
	return line, "this is not valid YAML (" + msg + "); check the indentation, the colons and the brackets"
}

// decoder walks the YAML tree against the Policy type by reflection, so that
// every error can name the setting and its line. It does what yaml.v3's
// Decoder.KnownFields does, with messages a person can act on, and it
// replaces tables instead of merging into them (yaml.v3 merges into a
// non-nil map).
type decoder struct {
	file  string
	lines map[string]int // setting path → line, for Validate's errors
}

func (d *decoder) errorf(n *yaml.Node, field, format string, args ...any) error {
	return &Error{File: d.file, Line: n.Line, Field: field, Message: fmt.Sprintf(format, args...)}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) error {
	if path != "" {
		d.lines[path] = n.Line
	}
	if n.Kind == yaml.AliasNode {
		return d.errorf(n, path, "anchors and aliases (& and *) are not supported; write the value out")
	}
	switch v.Kind() {
	case reflect.Struct:
		return d.decodeStruct(n, v, path)
	case reflect.Map:
		return d.decodeMap(n, v, path)
	case reflect.Slice:
		return d.decodeSlice(n, v, path)
	}
	return d.decodeScalar(n, v, path)
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.MappingNode {
		return d.errorf(n, path, "must be a group of settings, one a line, like \"points: 6\"")
	}
	t := v.Type()
	fields := map[string]int{}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		if name := yamlName(t.Field(i)); name != "" && name != "-" {
			fields[name] = i
			names = append(names, name)
		}
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := k.Value
		field := join(path, key)
		if line, dup := seen[key]; dup {
			return d.errorf(k, field, "is given twice (also on line %d); keep one", line)
		}
		seen[key] = k.Line
		idx, ok := fields[key]
		if !ok {
			sort.Strings(names)
			where := "a policy file"
			if path != "" {
				where = path
			}
			return d.errorf(k, field, "is not a setting safeload knows; %s has: %s", where, strings.Join(names, ", "))
		}
		fv := v.Field(idx)
		if fv.Kind() == reflect.Map || fv.Kind() == reflect.Slice {
			fv.Set(reflect.Zero(fv.Type())) // named tables and lists replace the default wholesale
		}
		if err := d.decode(val, fv, field); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) error {
	if isNull(n) {
		v.Set(reflect.MakeMap(v.Type()))
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return d.errorf(n, path, "must be a table of names and values, one a line, like \"court: 2\"")
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		field := join(path, k.Value)
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			return d.errorf(k, path, "each entry needs a simple name before the colon")
		}
		if line, dup := seen[k.Value]; dup {
			return d.errorf(k, field, "is given twice (also on line %d); keep one", line)
		}
		seen[k.Value] = k.Line
		elem := reflect.New(v.Type().Elem()).Elem()
		if err := d.decode(val, elem, field); err != nil {
			return err
		}
		m.SetMapIndex(reflect.ValueOf(k.Value), elem)
	}
	v.Set(m)
	return nil
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) error {
	if isNull(n) {
		v.Set(reflect.Zero(v.Type()))
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return d.errorf(n, path, "must be a list, like [a, b] or one \"- item\" a line")
	}
	if len(n.Content) == 0 {
		v.Set(reflect.Zero(v.Type())) // [] and nothing mean the same: no entries
		return nil
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		if err := d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
			return err
		}
	}
	v.Set(s)
	return nil
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.ScalarNode {
		return d.errorf(n, path, "must be a single value, not a list or a group")
	}
	if isNull(n) {
		return d.errorf(n, path, "needs a value")
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(n.Value)
		return nil
	case reflect.Float64:
		var f float64
		if err := n.Decode(&f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return d.errorf(n, path, "%q is not a number", n.Value)
		}
		v.SetFloat(f)
		return nil
	case reflect.Int:
		// yaml.v3 would quietly cut 2.5 to 2; a policy must say what it means.
		var f float64
		if err := n.Decode(&f); err != nil || f != math.Trunc(f) || math.Abs(f) > 1e6 {
			return d.errorf(n, path, "%q is not a whole number", n.Value)
		}
		v.SetInt(int64(f))
		return nil
	case reflect.Bool:
		var b bool
		if err := n.Decode(&b); err != nil {
			return d.errorf(n, path, "%q is not true or false", n.Value)
		}
		v.SetBool(b)
		return nil
	}
	return d.errorf(n, path, "safeload cannot read this setting (%s)", v.Kind())
}

// validateError places Policy.Validate's "policy field X: why" on the line
// where the file sets X, when it does.
func (d *decoder) validateError(err error) error {
	msg := domain.ErrorMessage(err)
	field, why, ok := strings.Cut(strings.TrimPrefix(msg, "policy field "), ": ")
	if !ok {
		return &Error{File: d.file, Message: msg}
	}
	e := &Error{File: d.file, Field: field, Message: why}
	if line, set := d.lines[field]; set {
		e.Line = line
	} else {
		e.Message = why + " (this is the built-in value; the file changes something it depends on)"
	}
	return e
}
