package importer

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// maxProblems is how many problems one rejection lists: enough to fix a
// file in one go, few enough to read.
const maxProblems = 30

// Problem is one thing wrong with an import file.
type Problem struct {
	Line    int    // 0 when the problem is not on one line
	Field   string // like teams[0].members[2].role; "" for the whole file
	Message string
}

// Error is an import file rejected whole: nothing was written. Its text is
// one line per problem, "FILE:LINE: field: message", in file order.
type Error struct {
	File     string
	Problems []Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i == maxProblems {
			fmt.Fprintf(&b, "\n%s: … and %d more problems", e.File, len(e.Problems)-maxProblems)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.File)
		if p.Line > 0 {
			b.WriteString(":" + strconv.Itoa(p.Line))
		}
		b.WriteString(": ")
		if p.Field != "" {
			b.WriteString(p.Field + ": ")
		}
		b.WriteString(p.Message)
	}
	return b.String()
}

func newError(file string, probs []Problem) *Error {
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].Line < probs[j].Line })
	return &Error{File: file, Problems: probs}
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlProblem turns the YAML parser's error into a Problem with its line.
func yamlProblem(err error) Problem {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{Line: line, Message: "this is not valid YAML (" + m[2] + "); check the indentation, the colons and that each list item starts with \"- \""}
	}
	return Problem{Message: "this is not valid YAML (" + strings.TrimPrefix(msg, "yaml: ") + ")"}
}
