package importer_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/importer"
	"github.com/safeload/safeload/internal/store"
)

// The benchmark store: 1,000 teams, each a manager, 20 practitioners (two
// of them ASYEs, some with reductions) and 300 cases (280 held, 20 queued):
// 20,000 practitioners and 300,000 cases. It takes a while to build, so it
// is built once per process, in a directory TestMain removes.
const (
	benchTeams         = 1000
	benchPractitioners = 20
	benchCases         = 300
)

var (
	benchOnce sync.Once
	benchDir  string
	benchPath string
	benchErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

func benchStore(b *testing.B) string {
	b.Helper()
	benchOnce.Do(func() {
		start := time.Now()
		benchDir, benchErr = os.MkdirTemp("", "safeload-bench-")
		if benchErr != nil {
			return
		}
		benchPath = filepath.Join(benchDir, "bench.db")
		benchErr = buildBenchStore(benchPath)
		b.Logf("built %d teams, %d practitioners, %d cases in %v", benchTeams, benchTeams*benchPractitioners, benchTeams*benchCases, time.Since(start).Round(time.Millisecond))
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPath
}

func buildBenchStore(path string) error {
	st, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		return err
	}
	defer st.Close()
	types := []string{"cp", "cin", "lac", "assessment", "proceedings", "care_leaver"}
	factors := [][]string{nil, {"court"}, nil, {"rural"}, {"court", "high_risk"}, nil, {"noncooperation"}}
	for t := range benchTeams {
		err := st.Update(func(tx domain.Tx) error {
			id := fmt.Sprintf("team-%04d", t)
			if err := tx.PutTeam(&domain.Team{ID: id, Name: fmt.Sprintf("Team %d", t), CreatedAt: tx.Now()}); err != nil {
				return err
			}
			if err := tx.PutMember(&domain.Member{Team: id, Person: domain.PersonID(fmt.Sprintf("slack:M%04d", t)), Name: "Manager", Role: domain.RoleManager, FTE: 1}); err != nil {
				return err
			}
			people := make([]domain.PersonID, benchPractitioners)
			for p := range benchPractitioners {
				m := &domain.Member{Team: id, Person: domain.PersonID(fmt.Sprintf("slack:U%04d%02d", t, p)),
					Name: fmt.Sprintf("Worker %d %d", t, p), Role: domain.RolePractitioner, FTE: 1, JoinedAt: tx.Now()}
				if p < 2 {
					m.Role = domain.RoleASYE
				}
				if p%5 == 0 {
					m.FTE = 0.6
					m.Reductions = []domain.Reduction{{Reason: "practice educator", Percent: 10, Until: "2030-01-01"}}
				}
				people[p] = m.Person
				if err := tx.PutMember(m); err != nil {
					return err
				}
			}
			for c := range benchCases {
				k := &domain.Case{Ref: fmt.Sprintf("C-%04d-%03d", t, c), Team: id, Type: types[c%len(types)],
					Factors: factors[c%len(factors)], Children: c % 4, CreatedAt: tx.Now()}
				if c < benchCases-20 {
					k.Status, k.Holder, k.AllocatedAt = domain.CaseAllocated, people[c%benchPractitioners], tx.Now()
				} else {
					k.Status, k.QueuedSince = domain.CaseQueued, tx.Now()
				}
				if err := tx.PutCase(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// heapPeak samples the live heap while an export runs.
type heapPeak struct {
	stop chan struct{}
	done chan struct{}
	peak atomic.Uint64
}

func sampleHeap() *heapPeak {
	h := &heapPeak{stop: make(chan struct{}), done: make(chan struct{})}
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		defer close(h.done)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > h.peak.Load() {
				h.peak.Store(v)
			}
			select {
			case <-h.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return h
}

func (h *heapPeak) Stop() uint64 {
	close(h.stop)
	<-h.done
	return h.peak.Load()
}

func BenchmarkExport1000Teams(b *testing.B) {
	path := benchStore(b)
	st, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	pol := domain.DefaultPolicy()
	for _, format := range []string{"csv", "json"} {
		b.Run(format, func(b *testing.B) {
			runtime.GC()
			peak := sampleHeap()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := importer.Export(st, io.Discard, format, &pol, "2026-05-11"); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(peak.Stop())/(1<<20), "peak-heap-MB")
		})
	}
}
