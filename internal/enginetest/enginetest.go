// Package enginetest builds the setting that tests of the engine and of
// every adapter share: a real bbolt store in the test's temporary
// directory on a fake clock, the built-in policy, the embedded prompts,
// Europe/London working days, and an engine over them. Only tests import
// it.
package enginetest

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/internal/store"
	"github.com/safeload/safeload/prompts"
)

// Env is one test's store, clock and engine.
type Env struct {
	Store   *store.DB
	Clock   *clock.Fake
	Policy  *domain.Policy
	Prompts *prompts.Set
	Loc     *time.Location
	Engine  *engine.Engine
}

// New opens the store at the clock's start and builds the engine with the
// bootstrap admins given. The store is closed when the test ends.
func New(tb testing.TB, start time.Time, admins ...domain.PersonID) *Env {
	tb.Helper()
	e := &Env{Clock: clock.NewFake(start), Prompts: prompts.MustLoad()}
	st, err := store.Open(filepath.Join(tb.TempDir(), "safeload.db"), store.Options{Clock: e.Clock, NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	e.Store = st
	if e.Loc, err = time.LoadLocation("Europe/London"); err != nil {
		tb.Fatal(err)
	}
	pol := domain.DefaultPolicy()
	e.Policy = &pol
	e.Engine = engine.New(st, e.Policy, e.Prompts, e.Loc, admins)
	return e
}
