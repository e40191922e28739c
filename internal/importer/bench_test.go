package importer_test

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/benchdata"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/importer"
	"github.com/safeload/safeload/internal/store"
)

// The benchmark store is benchdata's standard one: 1,000 teams, each a
// manager, 20 practitioners (two of them ASYEs, some with reductions) and
// 300 cases (280 held, 20 queued): 20,000 practitioners and 300,000 cases.
// It takes a while to build, so it is built once per process, in a
// directory TestMain removes.
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
		benchErr = benchdata.Build(benchPath, benchdata.Teams, benchdata.Practitioners, benchdata.Cases)
		b.Logf("built %d teams, %d practitioners, %d cases in %v", benchdata.Teams, benchdata.Teams*benchdata.Practitioners,
			benchdata.Teams*benchdata.Cases, time.Since(start).Round(time.Millisecond))
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPath
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
