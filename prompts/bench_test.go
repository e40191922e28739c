package prompts

import (
	"testing"

	"github.com/safeload/safeload/internal/domain"
)

// The sentences the hot commands say, with the data the engine gives them.

var benchLoad = domain.Workload{Person: "slack:U1", Name: "Ana", Role: domain.RolePractitioner, FTE: 1, Capacity: 22,
	Load: 19.5, Percent: 88.6, Cases: 9, LoadRAG: domain.Amber, CountRAG: domain.Green, RAG: domain.Amber}

func benchSay(b *testing.B, name string, data any) {
	defer noShadow()()
	s := MustLoad()
	want := s.Say(name, data)
	if want == "" || want[0] == '[' {
		b.Fatalf("%s: %q", name, want)
	}
	b.ReportAllocs()
	for b.Loop() {
		if s.Say(name, data) != want {
			b.Fatal("changed")
		}
	}
}

func BenchmarkSayCapacityText(b *testing.B) {
	benchSay(b, "capacity.text", map[string]any{"W": benchLoad, "Self": true, "Hours": 2.5})
}

func BenchmarkSayBoardLine(b *testing.B) {
	benchSay(b, "board.line", map[string]any{"W": benchLoad})
}

func BenchmarkSayCaseAdded(b *testing.B) {
	benchSay(b, "case.added", map[string]any{"Ref": "C-1042", "Desc": "child protection, 2 children", "Points": 6.5, "HighRisk": true})
}

func BenchmarkSayCaseClosed(b *testing.B) {
	after := benchLoad
	after.Load, after.Percent, after.Cases = 13, 59.1, 8
	benchSay(b, "case.closed", map[string]any{"Ref": "C-1042", "HasHolder": true, "Holder": benchLoad.Person, "Before": benchLoad, "After": after})
}

// noShadow turns the check against text/template off, so a benchmark
// times what a server does; it returns what turns it back on.
func noShadow() func() {
	was := shadow
	shadow = false
	return func() { shadow = was }
}
