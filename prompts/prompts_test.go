package prompts

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

func TestEmbeddedPromptsParse(t *testing.T) {
	s, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(s.Names()); got < 50 {
		t.Fatalf("only %d prompts defined", got)
	}
	if got, want := s.Say("button.accept", nil), "Accept"; got != want {
		t.Fatalf("button.accept = %q, want %q", got, want)
	}
}

func TestOverrideDirectoryReplacesAFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "common.tmpl"), []byte(`{{define "button.accept"}}Yes, I'll take it{{end}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Say("button.accept", nil), "Yes, I'll take it"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if !s.Has("usage.allocate") {
		t.Fatal("files not overridden must stay")
	}
}

func TestBrokenOverrideStopsLoad(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "common.tmpl"), []byte(`{{define "x"}}{{.Broken{{end}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil {
		t.Fatal("a broken template must stop start-up")
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("a missing SAFELOAD_PROMPTS directory must be reported")
	}
}

func TestWaited(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{{30 * time.Second, "less than a minute"}, {time.Minute, "1 minute"}, {3 * time.Hour, "3 hours"}, {72 * time.Hour, "3 days"}} {
		if got := Waited(now.Add(-tc.d), now); !strings.EqualFold(got, tc.want) {
			t.Errorf("Waited(%s) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// A prompt with no action says the same whatever the data, and Say gives
// exactly what rendering it gives.
func TestStaticPromptsSayWhatTheyRender(t *testing.T) {
	s := MustLoad()
	if len(s.static) < 20 {
		t.Fatalf("only %d prompts found to be plain text", len(s.static))
	}
	for name, text := range s.static {
		got, err := s.Check(name, map[string]any{"X": 1})
		if err != nil || got != text {
			t.Errorf("%s: rendered %q (%v), kept %q", name, got, err, text)
		}
	}
	for _, name := range []string{"propose.text", "accept.done"} {
		if _, ok := s.static[name]; ok {
			t.Errorf("%s has actions but was kept as plain text", name)
		}
	}
}

// {{kept "name" data}} writes what {{template "name" data}} writes, from
// the first time and every time after; data that holds references is
// written afresh each time and never kept.
func TestKeptWritesWhatTheTemplateWrites(t *testing.T) {
	s := MustLoad()
	var loads []domain.Workload
	for _, rag := range []domain.RAG{domain.Green, domain.Amber, domain.Red} {
		for _, count := range []domain.RAG{domain.Green, domain.Red} {
			for _, capacity := range []float64{0, 22} {
				loads = append(loads,
					domain.Workload{Capacity: capacity, Load: 19.5, Percent: 88.6, Cases: 9, LoadRAG: rag, CountRAG: count, RAG: max(rag, count)},
					domain.Workload{Capacity: capacity, Load: 3, Cases: 1, LoadRAG: rag, CountRAG: count, RAG: rag, OnLeave: true})
			}
		}
	}
	for round := 0; round < 3; round++ {
		for _, w := range loads {
			want, err := s.render("load", w)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := s.keep("load", w); got != want || err != nil {
				t.Fatalf("round %d %+v: %q (%v), want %q", round, w, got, err, want)
			}
		}
	}
	if !keepable(domain.Workload{}) || !keepable(struct {
		A int
		B [2]string
	}{}) || keepable(&domain.Workload{}) || keepable(struct{ A []int }{}) || keepable(struct{ A any }{}) || keepable(nil) {
		t.Error("keepable must take only data that holds values, and all such data")
	}
	n := s.kept.Len()
	w := &domain.Workload{Capacity: 10, Load: 5, Percent: 50, RAG: domain.Green}
	first, _ := s.keep("load", w)
	w.Percent, w.RAG = 120, domain.Red
	second, _ := s.keep("load", w)
	if s.kept.Len() != n || first == second {
		t.Errorf("a workload behind a pointer was kept: %q then %q", first, second)
	}
}

// The number functions write what fmt writes.
func TestNumbersAsFmtWritesThem(t *testing.T) {
	pct := Funcs["pct"].(func(float64) string)
	negZero := math.Copysign(0, -1)
	for _, x := range []float64{0, negZero, 0.05, 0.15, 0.25, 1, 2.5, 87.45, 87.55, 99.95, 100, 104.2, 1e9, -3.25, math.Inf(1), math.Inf(-1), math.NaN(), 1e21, 123456789.05} {
		if got, want := pct(x), fmt.Sprintf("%.1f %%", x); got != want {
			t.Errorf("pct(%v) = %q, fmt %q", x, got, want)
		}
		want := fmt.Sprintf("%.1f", x)
		if x == math.Trunc(x) {
			want = fmt.Sprintf("%.0f", x)
		}
		if got := formatNum(x); got != want {
			t.Errorf("num(%v) = %q, fmt %q", x, got, want)
		}
	}
	type id string
	type stringer struct{ id }
	for _, v := range []any{"slack:U1", id("test:alice"), domain.PersonID("discord:42"), 17, nil, stringer{"x"}} {
		if got, want := mention(v), fmt.Sprintf("<@%v>", v); got != want {
			t.Errorf("mention(%#v) = %q, fmt %q", v, got, want)
		}
	}
}
