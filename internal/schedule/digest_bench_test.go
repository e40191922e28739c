package schedule_test

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/safeload/safeload/internal/benchdata"
	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/internal/schedule"
	"github.com/safeload/safeload/internal/store"
	"github.com/safeload/safeload/prompts"
)

// The weekly digest run on benchdata's standard store (1,000 teams, 20,000
// practitioners, 300,000 cases, 100 service managers over 10 teams each),
// through the scheduler as serve runs it: the default cron (Mondays 09:00
// Europe/London), a real fsync on every commit, the engine's admin list.
//
// The store is built on a Friday (benchdata.Epoch). A first pass that
// afternoon is the bot already running before the slot: it records when the
// digest schedule started and takes that week's snapshots. Every iteration
// then runs on a fresh copy of that store the pass just after Monday 09:00,
// which builds and enqueues all 1,000 team digests and 100 service
// manager digests and takes the new week's snapshots.

var (
	benchLondon = func() *time.Location {
		loc, err := time.LoadLocation("Europe/London")
		if err != nil {
			panic(err)
		}
		return loc
	}()
	benchQuiet = func() *logrus.Logger { l := logrus.New(); l.SetOutput(io.Discard); return l }()
	// benchFriday is the bot's first pass, benchMonday the weekly slot's.
	benchFriday = time.Date(2026, time.May, 8, 14, 0, 0, 0, benchLondon)
	benchMonday = time.Date(2026, time.May, 11, 9, 0, 1, 0, benchLondon)
)

func benchScheduler(b *testing.B, path string, now time.Time) (*store.DB, *schedule.Scheduler) {
	b.Helper()
	clk := clock.NewFake(now)
	st, err := store.Open(path, store.Options{Clock: clk})
	if err != nil {
		b.Fatal(err)
	}
	return st, newBenchScheduler(st, clk)
}

// newBenchScheduler is a scheduler as serve starts it, on st.
func newBenchScheduler(st *store.DB, clk clock.Clock) *schedule.Scheduler {
	pol := domain.DefaultPolicy()
	p := prompts.MustLoad()
	eng := engine.New(st, &pol, p, benchLondon, []domain.PersonID{"slack:UADMIN"})
	return &schedule.Scheduler{Store: st, Policy: &pol, Prompts: p, Loc: benchLondon, Clock: clk,
		Cron: "0 9 * * MON", Admins: eng.Admins, Log: benchQuiet}
}

// memPeak samples the Go heap in use and the memory the Go runtime holds
// from the system while a run goes on. bbolt's mmap of the store file is
// neither: it is the page cache's.
type memPeak struct {
	stop, done chan struct{}
	inuse, sys atomic.Uint64
}

func sampleMem() *memPeak {
	m := &memPeak{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(m.done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > m.inuse.Load() {
				m.inuse.Store(ms.HeapInuse)
			}
			if ms.Sys > m.sys.Load() {
				m.sys.Store(ms.Sys)
			}
			select {
			case <-m.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return m
}

func (m *memPeak) Stop() (inuse, sys uint64) {
	close(m.stop)
	<-m.done
	return m.inuse.Load(), m.sys.Load()
}

// cpuTime is the CPU time (user and system) the process has used: on a
// machine shared with other work, the run's wall time depends on what else
// runs, its CPU time much less.
func cpuTime(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func copyFile(tb testing.TB, from, to string) {
	tb.Helper()
	in, err := os.Open(from)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		tb.Fatal(err)
	}
	if err := out.Close(); err != nil {
		tb.Fatal(err)
	}
}

func outboxDepth(b *testing.B, st *store.DB) int {
	b.Helper()
	s, err := st.Stats()
	if err != nil {
		b.Fatal(err)
	}
	return s.OutboxDepth
}

// drainOutbox deletes every waiting message, as delivery would, and says how
// many there were.
func drainOutbox(b *testing.B, st *store.DB) int {
	b.Helper()
	n := 0
	err := st.Update(func(tx domain.Tx) error {
		items, err := tx.Outbox(0)
		if err != nil {
			return err
		}
		for _, it := range items {
			if err := tx.DeleteOutboxItem(it.ID); err != nil {
				return err
			}
		}
		n = len(items)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if d := outboxDepth(b, st); d != 0 {
		b.Fatalf("the outbox still holds %d messages after draining", d)
	}
	return n
}

func BenchmarkDigestRun1000Teams(b *testing.B) {
	dir := b.TempDir()
	master := filepath.Join(dir, "master.db")
	start := time.Now()
	if err := benchdata.Build(master, benchdata.Teams, benchdata.Practitioners, benchdata.Cases); err != nil {
		b.Fatal(err)
	}
	st, s := benchScheduler(b, master, benchFriday)
	if _, err := s.RunOnce(benchFriday); err != nil {
		b.Fatal(err)
	}
	// The Friday pass tells the service managers of the teams over
	// capacity; those messages are delivered before Monday, so that the
	// Monday pass measured below is the digest run alone.
	if n := drainOutbox(b, st); n > benchdata.Teams {
		b.Fatalf("the Friday pass enqueued %d messages, want at most one team alert each", n)
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	b.Logf("built the store and made the Friday pass in %v", time.Since(start).Round(time.Millisecond))
	want := benchdata.Teams + benchdata.Teams/benchdata.TeamsPerServiceManager

	// weekly: the Monday 09:00 pass, every digest due; weekly-serve-gc:
	// the same with the garbage collector set as serve sets it (GOGC=400,
	// GOMEMLIMIT=256MiB), which is how the product runs it.
	weekly := func(b *testing.B) {
		run := filepath.Join(dir, "run.db")
		var peakInuse, peakSys uint64
		var cpu time.Duration
		for range b.N {
			b.StopTimer()
			copyFile(b, master, run)
			st, s := benchScheduler(b, run, benchMonday)
			runtime.GC()
			peak := sampleMem()
			cpu0 := cpuTime(b)
			b.StartTimer()
			fired, err := s.RunOnce(benchMonday)
			b.StopTimer()
			cpu += cpuTime(b) - cpu0
			inuse, sys := peak.Stop()
			peakInuse, peakSys = max(peakInuse, inuse), max(peakSys, sys)
			if err != nil {
				b.Fatal(err)
			}
			if fired < want {
				b.Fatalf("the Monday pass fired %d times, want at least %d digests", fired, want)
			}
			if n := outboxDepth(b, st); n < want {
				b.Fatalf("the outbox holds %d messages, want at least %d digests", n, want)
			}
			if err := st.Close(); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(peakInuse)/(1<<20), "peak-MB")
		b.ReportMetric(float64(peakSys)/(1<<20), "peak-sys-MB")
		b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	}
	b.Run("weekly", weekly)
	b.Run("weekly-serve-gc", func(b *testing.B) {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(256 << 20))
		weekly(b)
	})

	// quiet: a pass with nothing due, as serve makes them one after the
	// other (the first pass of a day reads every team's cases afresh, the
	// next plan from what it kept); quiet-first: the first pass of a day.
	quietAt := benchFriday.Add(time.Hour)
	b.Run("quiet", func(b *testing.B) {
		st, s := benchScheduler(b, master, quietAt)
		defer st.Close()
		heap := func() uint64 {
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			return ms.HeapAlloc
		}
		before := heap()
		if _, err := s.RunOnce(quietAt.Add(-time.Minute)); err != nil {
			b.Fatal(err)
		}
		// What the scheduler keeps between passes.
		after := heap()
		kept := float64(after-min(before, after)) / (1 << 20)
		for b.Loop() {
			if _, err := s.RunOnce(quietAt); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(kept, "kept-MB")
	})
	b.Run("quiet-first", func(b *testing.B) {
		st, _ := benchScheduler(b, master, quietAt)
		defer st.Close()
		for b.Loop() {
			if _, err := newBenchScheduler(st, clock.NewFake(quietAt)).RunOnce(quietAt); err != nil {
				b.Fatal(err)
			}
		}
	})
}
