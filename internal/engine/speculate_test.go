package engine_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/internal/enginetest"
)

// Many people at once, on the same few practitioners: writes run first on
// snapshots, most commit as run, some find what they read has changed and
// run again. Whatever the interleaving, every index must agree with the
// records (what `safeload check` verifies), every accepted case must be
// held by the one person it was proposed to, and every command must have
// been answered as it would have been run alone: proposals to one person
// never lose track of each other.
func TestConcurrentWritesLeaveTheStoreSound(t *testing.T) {
	env := enginetest.New(t, start, "test:admin")
	do := func(as, command, text string) engine.Response {
		return env.Engine.Handle(context.Background(), engine.Request{Platform: "test", Channel: "test:C-SPEC",
			Caller: domain.PersonID("test:" + as), Command: command, Text: text})
	}
	must := func(as, command, text string) {
		t.Helper()
		if r := do(as, command, text); r.Code != "" {
			t.Fatalf("/%s %s as %s: %s %v", command, text, as, r.Code, r.Messages)
		}
	}
	must("admin", "caseload", "setup Spec Team")
	must("admin", "caseload", "add <@mgr|Manager> manager")
	const people = 4
	for i := range people {
		must("mgr", "caseload", fmt.Sprintf("add <@p%d|Practitioner %d> practitioner", i, i))
	}

	const workers, rounds = 16, 6
	type outcome struct{ ref, to string }
	var mu sync.Mutex
	var accepted []outcome
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				p := fmt.Sprintf("p%d", (w+i)%people)
				ref := fmt.Sprintf("S-%d-%d", w, i)
				steps := [][3]string{
					{p, "capacity", "hours 1 visit"},
					{"mgr", "caseload", "case add " + ref + " review"},
					{"mgr", "allocate", ref + " <@" + p + ">"},
					{p, "allocate", "accept " + ref},
				}
				ok := true
				for _, s := range steps {
					if r := do(s[0], s[1], s[2]); r.Code != "" {
						// A proposal may be refused for the load it would
						// bring; nothing else may fail.
						if r.Code != domain.EINVALID || s[1] != "allocate" {
							t.Errorf("/%s %s as %s: %s %v", s[1], s[2], s[0], r.Code, r.Messages)
						}
						ok = false
						break
					}
				}
				if ok {
					mu.Lock()
					accepted = append(accepted, outcome{ref, p})
					mu.Unlock()
					if i%2 == 1 {
						if r := do("mgr", "caseload", "case close "+ref); r.Code != "" {
							t.Errorf("close %s: %s %v", ref, r.Code, r.Messages)
						}
					}
				}
			}
		}()
	}
	wg.Wait()

	if errs := env.Store.Check(); len(errs) > 0 {
		t.Fatalf("the store is not sound after concurrent writes: %v", errs)
	}
	st := env.Store.SpecStats()
	t.Logf("%d cases accepted; speculation %+v", len(accepted), st)
	if st.Applied == 0 {
		t.Error("no write was applied as speculated")
	}
	err := env.Store.View(func(tx domain.Tx) error {
		for _, a := range accepted {
			c, err := tx.Case(mustTeam(t, tx), a.ref)
			if err != nil {
				return err
			}
			if c.Holder != domain.PersonID("test:"+a.to) {
				t.Errorf("%s is held by %q, was accepted by test:%s", a.ref, c.Holder, a.to)
			}
		}
		// The hours everyone logged, one per round each, all counted.
		var total float64
		for i := range people {
			h, err := tx.HoursTotal(mustTeam(t, tx), domain.PersonID(fmt.Sprintf("test:p%d", i)), start.AddDate(0, 0, -1))
			if err != nil {
				return err
			}
			total += h
		}
		if total != workers*rounds {
			t.Errorf("%g hours counted, %d logged", total, workers*rounds)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func mustTeam(t *testing.T, tx domain.Tx) string {
	t.Helper()
	tm, err := tx.TeamByChannel("test:C-SPEC")
	if err != nil {
		t.Fatal(err)
	}
	return tm.ID
}
