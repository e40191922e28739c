package prompts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
