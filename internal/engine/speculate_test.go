package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/internal/enginetest"
	"github.com/safeload/safeload/internal/store"
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

// plainStore hides the store's Speculate, so that the engine checks
// refusals on a read and runs each write inside the shared commit, as it
// does on etcd.
type plainStore struct{ *store.DB }

func (p plainStore) Speculate() {}

// Run one after another, the same commands answer the same and leave the
// same records whether writes run first on a snapshot or inside the
// commit: every kind of command, allowed and refused, from every role.
func TestSpeculationAnswersAsTheCommitWould(t *testing.T) {
	spec, plain := matrixFixture(t), newFixture(t)
	plain.eng = engine.New(plainStore{plain.st}, plain.eng.Policy(), plain.eng.Prompts(), plain.eng.Location(), []domain.PersonID{"test:admin"})
	if _, ok := domain.Store(plainStore{plain.st}).(domain.Speculator); ok {
		t.Fatal("plainStore still speculates")
	}
	buildMatrix(t, plain) // the same teams, through the engine without speculation

	roles := []string{"admin", "sm", "meg", "alice", "bo", "stu", "olly", "zed"}
	commands := [][2]string{
		{"caseload", "case add C-%d cin"}, {"caseload", "case add C-%d cp high_risk"}, {"caseload", "case close C-%d"},
		{"caseload", "case update C-%d court"}, {"caseload", "case involve C-%d <@stu>"}, {"caseload", "board"},
		{"allocate", "C-%d <@alice>"}, {"allocate", "C-%d <@bo>"}, {"allocate", "accept C-%d"},
		{"allocate", "decline C-%d no room this month"}, {"allocate", "withdraw C-%d"},
		{"allocate", "transfer C-%d <@bo> long-term cover"}, {"allocate", "C-%d <@alice> review=2026-12-20 cover for leave"},
		{"capacity", ""}, {"capacity", "hours 2 visits"}, {"capacity", "concern overloaded"},
		{"capacity", "ack %d"}, {"capacity", "plan %d fewer cases"}, {"capacity", "resolve %d"},
		{"capacity", "agree %d"}, {"caseload", "reduction <@alice> 20 practice educator"},
		{"caseload", "reduction <@alice> end 1"}, {"caseload", "leave <@bo> until=2026-12-31 surgery"},
		{"caseload", "back <@bo>"}, {"caseload", "posts 5"}, {"caseload", "review <@alice> keep"},
		{"allocate", "review C-%d end"}, {"allocate", "done"}, {"allocate", ""},
	}
	rng := rand.New(rand.NewPCG(17, 4))
	for i := range 600 {
		c := commands[rng.IntN(len(commands))]
		// Mostly someone who may, sometimes anyone.
		as := roles[rng.IntN(len(roles))]
		if rng.IntN(4) > 0 {
			switch {
			case c[0] == "capacity" && (strings.HasPrefix(c[1], "ack") || strings.HasPrefix(c[1], "plan") || strings.HasPrefix(c[1], "resolve")),
				c[0] == "caseload", c[0] == "allocate" && !strings.HasPrefix(c[1], "accept") && !strings.HasPrefix(c[1], "decline"):
				as = []string{"meg", "admin", "sm"}[rng.IntN(3)]
			default:
				as = []string{"alice", "bo"}[rng.IntN(2)]
			}
		}
		text := c[1]
		if strings.Contains(text, "%d") {
			text = fmt.Sprintf(text, 1+rng.IntN(8))
		}
		a, b := spec.do(t, as, c[0], text), plain.do(t, as, c[0], text)
		if got, want := answer(a), answer(b); got != want {
			t.Fatalf("command %d, /%s %s as %s:\nwith speculation:\n%s\nin the commit:\n%s", i, c[0], text, as, got, want)
		}
		if i%75 == 0 {
			spec.clock.Advance(26 * time.Hour)
			plain.clock.Advance(26 * time.Hour)
		}
	}
	if got, want := dumpStore(t, spec.st), dumpStore(t, plain.st); got != want {
		t.Fatalf("the stores differ:\n%s", firstDiff(got, want))
	}
	st := spec.st.SpecStats()
	t.Logf("speculation: %+v", st)
	if st.Applied == 0 || st.Refused == 0 {
		t.Errorf("the sequence should apply some writes and refuse others: %+v", st)
	}
}

func answer(r engine.Response) string {
	var b strings.Builder
	fmt.Fprintf(&b, "code %q\n", r.Code)
	for _, m := range r.Messages {
		fmt.Fprintf(&b, "[%s %s] %s", m.Audience, m.To, Flatten(m))
		for _, bt := range m.Buttons {
			fmt.Fprintf(&b, " (%s %s)", bt.Label, bt.ActionID)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// dumpStore lists every bucket, sequence, key and value.
func dumpStore(t *testing.T, st *store.DB) string {
	t.Helper()
	var b strings.Builder
	var walk func(path string, bk store.Bucket)
	walk = func(path string, bk store.Bucket) {
		fmt.Fprintf(&b, "%s seq %d\n", path, bk.Sequence())
		_ = bk.ForEach(func(k, v []byte) error {
			fmt.Fprintf(&b, "%s %q=%q\n", path, k, v)
			return nil
		})
		_ = bk.ForEachBucket(func(name []byte) error {
			walk(path+"/"+string(name), bk.Bucket(name))
			return nil
		})
	}
	err := st.View(func(tx domain.Tx) error {
		kv := tx.(*store.Tx).KV()
		return kv.ForEachBucket(func(name []byte) error {
			walk(string(name), kv.Bucket(name))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n  with speculation: %s\n  in the commit:    %s", i, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(al), len(bl))
}
