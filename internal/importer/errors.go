package importer

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/safeload/safeload/internal/policyfile"
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

// yamlProblem turns the YAML parser's error into a Problem with its line.
func yamlProblem(data []byte, err error) Problem {
	line, msg := policyfile.SyntaxError(data, err)
	return Problem{Line: line, Message: msg}
}
