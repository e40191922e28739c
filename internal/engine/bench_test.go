package engine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/internal/store"
	"github.com/safeload/safeload/prompts"
)

// benchTeam is the load generator's team: 45 practitioners and a manager in
// one channel, with 400 allocated open cases between them.
type benchTeam struct{ eng *engine.Engine }

func (bt *benchTeam) do(b *testing.B, as, command, text string) engine.Response {
	return bt.eng.Handle(context.Background(), engine.Request{Platform: "test", Channel: "test:C-BENCH",
		Caller: domain.PersonID("test:" + as), Command: command, Text: text})
}

func (bt *benchTeam) must(b *testing.B, as, command, text string) {
	b.Helper()
	if resp := bt.do(b, as, command, text); resp.Code != "" {
		b.Fatalf("/%s %s as %s was refused (%s): %v", command, text, as, resp.Code, resp.Messages)
	}
}

func newBenchTeam(b *testing.B) *benchTeam {
	b.Helper()
	fc := clock.NewFake(start)
	st, err := store.Open(filepath.Join(b.TempDir(), "safeload.db"), store.Options{Clock: fc})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	pol := domain.DefaultPolicy()
	bt := &benchTeam{eng: engine.New(st, &pol, prompts.MustLoad(), time.UTC, []domain.PersonID{"test:admin"})}
	bt.must(b, "admin", "caseload", "setup Bench Team")
	bt.must(b, "admin", "caseload", "add <@mgr|Manager> manager")
	for i := 0; i < 45; i++ {
		bt.must(b, "mgr", "caseload", fmt.Sprintf("add <@p%02d|Practitioner %02d> practitioner", i, i))
	}
	for i := 0; i < 400; i++ {
		ref, p := fmt.Sprintf("B-%d", i), fmt.Sprintf("p%02d", i%45)
		bt.must(b, "mgr", "caseload", "case add "+ref+" review")
		bt.must(b, "mgr", "allocate", ref+" <@"+p+">")
		bt.must(b, p, "allocate", "accept "+ref)
	}
	return bt
}

// BenchmarkCapacity is a practitioner's own /capacity: a read.
func BenchmarkCapacity(b *testing.B) {
	bt := newBenchTeam(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		bt.do(b, fmt.Sprintf("p%02d", i%45), "capacity", "")
	}
}

// BenchmarkBoard is the team's /caseload board: a read over every member.
func BenchmarkBoard(b *testing.B) {
	bt := newBenchTeam(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		bt.do(b, "p00", "caseload", "board")
	}
}

// BenchmarkCaseAdd is a manager's /caseload case add: one committed write,
// with its fsync.
func BenchmarkCaseAdd(b *testing.B) {
	bt := newBenchTeam(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		bt.must(b, "mgr", "caseload", fmt.Sprintf("case add N-%d cin", i))
	}
}
