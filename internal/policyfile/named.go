package policyfile

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/safeload/safeload/internal/domain"
)

// A file of several policies, one for each kind of team:
//
//	default: children           # the policy of teams that name none
//	ack_working_days: 2         # settings here are shared by every policy
//	policies:
//	  children: {}              # each policy: settings over the shared ones
//	  adults:
//	    case_types: {...}
//
// Without "default:", teams that name no policy use the shared settings,
// under the name "default".

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

func parseNamed(root *yaml.Node, file string) (domain.Policy, error) {
	shared := &yaml.Node{Kind: yaml.MappingNode, Line: root.Line, Column: root.Column}
	var policies, def *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "policies":
			if policies != nil {
				return domain.Policy{}, &Error{File: file, Line: k.Line, Field: "policies", Message: "is given twice; keep one"}
			}
			policies = v
		case "default":
			if def != nil {
				return domain.Policy{}, &Error{File: file, Line: k.Line, Field: "default", Message: "is given twice; keep one"}
			}
			def = v
		default:
			shared.Content = append(shared.Content, k, v)
		}
	}
	base := domain.DefaultPolicy()
	d := &decoder{file: file, lines: map[string]int{}}
	if err := d.decode(shared, reflect.ValueOf(&base).Elem(), ""); err != nil {
		return domain.Policy{}, err
	}
	named := map[string]*domain.Policy{}
	if policies != nil && !isNull(policies) {
		if policies.Kind != yaml.MappingNode {
			return domain.Policy{}, &Error{File: file, Line: policies.Line, Field: "policies",
				Message: "must be a table of named policies, like \"adults: {ack_working_days: 3}\""}
		}
		for i := 0; i+1 < len(policies.Content); i += 2 {
			k, v := policies.Content[i], policies.Content[i+1]
			field := "policies." + k.Value
			if !validName(k.Value) {
				return domain.Policy{}, &Error{File: file, Line: k.Line, Field: field,
					Message: "a policy name is one word of lower-case letters, digits, - and _"}
			}
			if _, dup := named[k.Value]; dup {
				return domain.Policy{}, &Error{File: file, Line: k.Line, Field: field, Message: "is given twice; keep one"}
			}
			pol := base
			pd := &decoder{file: file, lines: map[string]int{}}
			if !isNull(v) {
				if err := pd.decode(v, reflect.ValueOf(&pol).Elem(), ""); err != nil {
					return domain.Policy{}, prefix(err, field)
				}
			}
			pol.Name = k.Value
			if err := pol.Validate(); err != nil {
				return domain.Policy{}, namedValidateError(pd, d, err, field)
			}
			named[k.Value] = &pol
		}
	}
	defName := domain.DefaultPolicyName
	if def != nil {
		if def.Kind != yaml.ScalarNode || isNull(def) {
			return domain.Policy{}, &Error{File: file, Line: def.Line, Field: "default", Message: "must name one of the policies"}
		}
		defName = def.Value
		if _, ok := named[defName]; !ok {
			return domain.Policy{}, &Error{File: file, Line: def.Line, Field: "default",
				Message: fmt.Sprintf("%q is not one of the policies (%s)", defName, strings.Join(keys(named), ", "))}
		}
	} else {
		if _, clash := named[defName]; !clash {
			if err := base.Validate(); err != nil {
				return domain.Policy{}, d.validateError(err)
			}
			b := base
			b.Name = defName
			named[defName] = &b
		}
	}
	named[""] = named[defName]
	for _, p := range named {
		p.Named = named
	}
	return *named[""], nil
}

// namedValidateError places a named policy's problem on the line that sets
// it there, else on the shared setting's line.
func namedValidateError(own, shared *decoder, err error, field string) error {
	e, ok := own.validateError(err).(*Error)
	if ok && e.Line == 0 {
		if se, ok := shared.validateError(err).(*Error); ok && se.Line > 0 {
			se.Message += " (in policy " + strings.TrimPrefix(field, "policies.") + ")"
			return se
		}
	}
	return prefix(e, field)
}

func prefix(err error, field string) error {
	if e, ok := err.(*Error); ok {
		if e.Field == "" {
			e.Field = field
		} else {
			e.Field = field + "." + e.Field
		}
	}
	return err
}

func validName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func keys(m map[string]*domain.Policy) []string {
	var out []string
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
