package store

import (
	"path/filepath"
	"testing"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/store/storetest"
)

// openTemp opens a new store file in a temporary directory, closed when the
// test ends (closing twice is harmless).
func openTemp(tb testing.TB, opt Options) *DB {
	tb.Helper()
	db, err := Open(filepath.Join(tb.TempDir(), "safeload.db"), opt)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clk clock.Clock) domain.Store { return openTemp(t, Options{Clock: clk}) })
}
