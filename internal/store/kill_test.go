package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

// helperEnv makes the test binary, re-executed, act as the process that is
// killed (the os/exec test-helper pattern): no second binary to build.
const (
	helperEnv   = "GO_WANT_HELPER_PROCESS"
	helperDBEnv = "SAFELOAD_KILL_DB"
	killTeam    = "kill"
	actionKind  = "action"
)

// writeAction is one user action as the engine writes it: the change, its
// audit line and a message for someone else, all in the caller's transaction.
func writeAction(tx domain.Tx, team string, n uint64) error {
	ref := fmt.Sprintf("C-%d", n)
	if err := tx.PutCase(&domain.Case{Ref: ref, Team: team, Type: "cin", Status: domain.CaseQueued,
		CreatedAt: tx.Now(), QueuedSince: tx.Now()}); err != nil {
		return err
	}
	if err := tx.Audit(&domain.AuditEntry{Actor: "console:kill", Team: team, Action: actionKind, Subject: ref}); err != nil {
		return err
	}
	return tx.Enqueue(&domain.OutboxItem{Dest: "slack:C-" + team, Kind: actionKind,
		Message: domain.Message{Audience: domain.ToChannel, Text: ref}})
}

// checkActions verifies that the actions in team are numbered 1..max with no
// gap, that each has its case, its audit entry and its outbox item exactly
// once, and that max is at least acked.
func checkActions(tb testing.TB, tx domain.Tx, team string, acked uint64) error {
	tb.Helper()
	cases, err := tx.Cases(team)
	if err != nil {
		return err
	}
	log, err := tx.AuditLog(team, time.Time{})
	if err != nil {
		return err
	}
	out, err := tx.Outbox(0)
	if err != nil {
		return err
	}
	parts := make(map[uint64]*[3]int) // case, audit, outbox
	count := func(ref string, part int) {
		var n uint64
		if _, err := fmt.Sscanf(ref, "C-%d", &n); err != nil {
			return // not an action's record
		}
		if parts[n] == nil {
			parts[n] = new([3]int)
		}
		parts[n][part]++
	}
	for _, c := range cases {
		count(c.Ref, 0)
	}
	for _, e := range log {
		if e.Action == actionKind {
			count(e.Subject, 1)
		}
	}
	for _, it := range out {
		if it.Kind == actionKind && it.Dest == "slack:C-"+team {
			count(it.Message.Text, 2)
		}
	}
	var highest uint64
	for n, p := range parts {
		highest = max(highest, n)
		if *p != [3]int{1, 1, 1} {
			tb.Errorf("action %d: case, audit, outbox = %v, want one of each", n, *p)
		}
	}
	if got, want := uint64(len(parts)), highest; got != want {
		tb.Errorf("%d actions numbered up to %d: a gap", got, want)
	}
	if highest < acked {
		tb.Errorf("acknowledged up to %d, found only up to %d", acked, highest)
	}
	return nil
}

// TestKillHelperProcess is the child of TestKillDuringWrites: it writes
// actions until it is killed, acknowledging each commit on stdout.
func TestKillHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		return
	}
	db, err := Open(os.Getenv(helperDBEnv), Options{Timeout: 5 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	var next uint64
	if err := db.Update(func(tx domain.Tx) error {
		if _, err := tx.Team(killTeam); domain.ErrorCode(err) == domain.ENOTFOUND {
			if err := tx.PutTeam(&domain.Team{ID: killTeam}); err != nil {
				return err
			}
		}
		cases, err := tx.Cases(killTeam)
		next = uint64(len(cases)) + 1
		return err
	}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(4)
	}
	// Never outlive a parent that forgot us.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); next++ {
		if err := db.Update(func(tx domain.Tx) error { return writeAction(tx, killTeam, next) }); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(5)
		}
		fmt.Fprintf(os.Stdout, "done %d\n", next) // unbuffered: printed means committed
	}
	os.Exit(6)
}

// runAndKill starts the helper on path, SIGKILLs it after `after`
// acknowledgements, and returns the highest action it acknowledged.
func runAndKill(tb testing.TB, path string, after int) uint64 {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"=1", helperDBEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	var last uint64
	acks := 0
	killed := make(chan error, 1)
	sc := bufio.NewScanner(stdout)
	for sc.Scan() { // lines already in the pipe when it dies still count
		var n uint64
		if _, err := fmt.Sscanf(sc.Text(), "done %d", &n); err != nil {
			continue
		}
		if last != 0 && n != last+1 {
			tb.Errorf("acknowledged %d after %d", n, last)
		}
		last = n
		if acks++; acks == after {
			// Up to a few commits later, so that the kill falls anywhere in
			// a commit, not always just after an acknowledgement.
			time.AfterFunc(rand.N(2*time.Millisecond), func() {
				killed <- cmd.Process.Kill() // SIGKILL: no deferred Close, no flush
			})
		}
	}
	err = cmd.Wait()
	if acks < after {
		tb.Fatalf("helper stopped by itself after %d acknowledgements: %v\n%s", acks, err, stderr.Bytes())
	}
	if kerr := <-killed; kerr != nil { // the timer has been set: wait for it
		tb.Fatalf("kill: %v", kerr)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		tb.Fatalf("helper: %v", err)
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		tb.Fatalf("helper ended with %v, want SIGKILL\n%s", err, stderr.Bytes())
	}
	return last
}

// TestKillDuringWrites kills a writing process at a random moment, three
// times over the same file: every acknowledged action must be there whole,
// and nothing may be half-written.
func TestKillDuringWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kill.db")
	var acked uint64
	for round := range 3 {
		acked = max(acked, runAndKill(t, path, 150+rand.IntN(150)))
		db, err := Open(path, Options{Timeout: time.Second})
		if err != nil {
			t.Fatalf("round %d: Open after SIGKILL: %v", round, err)
		}
		wantNoCheckErrors(t, db)
		if err := db.View(func(tx domain.Tx) error { return checkActions(t, tx, killTeam, acked) }); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: %d actions acknowledged so far", round, acked)
	}
}

// TestBatchConcurrentWriters runs 64 writers through Batch, one of whose
// functions fails: only its caller sees the error, and only its action is missing.
func TestBatchConcurrentWriters(t *testing.T) {
	db := openTemp(t, Options{})
	if err := db.Update(func(tx domain.Tx) error { return tx.PutTeam(&domain.Team{ID: killTeam}) }); err != nil {
		t.Fatal(err)
	}
	const writers = 64
	boom := errors.New("boom")
	errs := make([]error, writers+1)
	var wg sync.WaitGroup
	for w := range writers + 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = db.Batch(func(tx domain.Tx) error {
				if w == writers {
					if err := writeAction(tx, killTeam, 1000); err != nil {
						return err
					}
					return boom
				}
				return writeAction(tx, killTeam, uint64(w+1))
			})
		}()
	}
	wg.Wait()
	for w, err := range errs {
		if want := error(nil); w == writers {
			if !errors.Is(err, boom) {
				t.Errorf("failing writer got %v, want %v", err, boom)
			}
		} else if err != want {
			t.Errorf("writer %d: %v", w, err)
		}
	}
	if err := db.View(func(tx domain.Tx) error { return checkActions(t, tx, killTeam, writers) }); err != nil {
		t.Fatal(err)
	}
	wantNoCheckErrors(t, db)
}
