package engine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"syscall"
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

// BenchmarkWriteMix is the load generator's writes without HTTP: 64
// goroutines each log hours, add a case, propose it to a practitioner, who
// accepts, and close it, one op being one command, with a real fsync on
// every commit. Besides the time per command it reports the process's CPU
// time per command (cpu-µs/op), which other work on the machine moves far
// less than the time.
func BenchmarkWriteMix(b *testing.B) {
	bt := newBenchTeam(b)
	var next atomic.Int64
	b.SetParallelism(32)
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for k := 0; ; k++ {
			n := next.Add(1)
			p := fmt.Sprintf("p%02d", n%45)
			ref := fmt.Sprintf("W-%d", n)
			for _, step := range [][3]string{
				{p, "capacity", "hours 1 visit"},
				{"mgr", "caseload", "case add " + ref + " review"},
				{"mgr", "allocate", ref + " <@" + p + ">"},
				{p, "allocate", "accept " + ref},
				{"mgr", "caseload", "case close " + ref},
			} {
				if !pb.Next() {
					return
				}
				bt.do(b, step[0], step[1], step[2])
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
