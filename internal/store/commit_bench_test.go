package store

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/safeload/safeload/internal/domain"
)

// The commit benchmarks write whole actions (case + audit + outbox, as the
// kill test does) with a real fsync on each commit, and report actions/s.

func benchDB(b *testing.B) *DB {
	b.Helper()
	db := openTemp(b, Options{})
	if err := db.Update(func(tx domain.Tx) error { return tx.PutTeam(&domain.Team{ID: killTeam}) }); err != nil {
		b.Fatal(err)
	}
	return db
}

func reportActions(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "actions/s")
}

func BenchmarkCommitSingleWriter(b *testing.B) {
	db := benchDB(b)
	var n uint64
	for b.Loop() {
		n++
		if err := db.Update(func(tx domain.Tx) error { return writeAction(tx, killTeam, n) }); err != nil {
			b.Fatal(err)
		}
	}
	reportActions(b)
}

// runWriters shares b.N actions among writers goroutines, each committing
// its own through commit (Update or Batch).
func runWriters(b *testing.B, writers int, commit func(func(domain.Tx) error) error) {
	var next atomic.Uint64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := next.Add(1)
				if n > uint64(b.N) {
					return
				}
				if err := commit(func(tx domain.Tx) error { return writeAction(tx, killTeam, n) }); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	reportActions(b)
}

func BenchmarkCommit64Writers(b *testing.B) {
	db := benchDB(b)
	runWriters(b, 64, db.Update)
}

func BenchmarkBatch64Writers(b *testing.B) {
	db := benchDB(b)
	runWriters(b, 64, db.Batch)
}

// BenchmarkGroup64Writers is what the engine uses for writes: concurrent
// actions share a commit without waiting for a timer.
func BenchmarkGroup64Writers(b *testing.B) {
	db := benchDB(b)
	runWriters(b, 64, db.Group)
	reportActions(b)
}

func BenchmarkGroupSingleWriter(b *testing.B) {
	db := benchDB(b)
	runWriters(b, 1, db.Group)
	reportActions(b)
}
