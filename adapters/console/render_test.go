package console

import (
	"testing"

	"github.com/safeload/safeload/internal/domain"
)

// A command spelled out inside a sentence is typeable too, and a mention
// after the command's sentence has ended is a name again.
func TestRenderTypeableMentionsInsideSentences(t *testing.T) {
	c := &Console{Names: func(p domain.PersonID) string {
		if p == "console:alice" {
			return "Alice Adams"
		}
		return ""
	}}
	for _, tc := range []struct{ in, want string }{
		{"Next: record it, /caseload reduction <@console:alice> <percent> <reason>, or move cases.",
			"Next: record it, /caseload reduction @alice <percent> <reason>, or move cases."},
		{"(/capacity <@console:alice>, then /allocate transfer <REF> @person <reason>)",
			"(/capacity @alice, then /allocate transfer <REF> @person <reason>)"},
		{"/allocate C-1 done. <@console:alice> accepted.", "/allocate C-1 done. Alice Adams accepted."},
		{"<@console:alice> accepted C-1.", "Alice Adams accepted C-1."},
	} {
		if got := c.render(tc.in); got != tc.want {
			t.Errorf("render(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}
