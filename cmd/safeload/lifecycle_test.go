package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/safeload/safeload/adapters/slack/fakeslack"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/store"
)

// serveProcess is `safeload serve` as a real child process.
type serveProcess struct {
	cmd    *exec.Cmd
	url    string
	secret string
	fake   *fakeslack.Server
	stderr *syncBuffer
	seq    atomic.Int64 // trigger_ids: Slack gives each request its own
}

func startServeProcess(t *testing.T, db string) *serveProcess {
	t.Helper()
	fake := fakeslack.New()
	t.Cleanup(fake.Close)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p := &serveProcess{url: "http://" + addr, secret: "lifecycle-secret", fake: fake, stderr: &syncBuffer{}}
	p.cmd = exec.Command(os.Args[0], "serve")
	p.cmd.Env = []string{"SAFELOAD_TEST_MAIN=1", "PATH=" + os.Getenv("PATH"), "SAFELOAD_DB=" + db, "SAFELOAD_ADDR=" + addr,
		"SAFELOAD_ADMINS=slack:UADMIN", "SLACK_BOT_TOKEN=xoxb-life", "SLACK_SIGNING_SECRET=" + p.secret,
		"SLACK_API_URL=" + fake.APIURL(), "SAFELOAD_LOG_LEVEL=warning", "SAFELOAD_METRICS_TEAMS=true"}
	p.cmd.Env = append(p.cmd.Env, coverEnv(t)...)
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(p.url + "/healthz"); err == nil {
			resp.Body.Close()
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", p.stderr.String())
		}
	}
}

// command sends a signed slash command; ok is true when safeload answered
// it (the action is then acknowledged to the person).
func (p *serveProcess) command(user, command, text string) (string, bool) {
	body := fakeslack.Form(map[string]string{"team_id": "T1", "channel_id": "CLIFE", "user_id": user, "user_name": strings.ToLower(user),
		"command": "/" + command, "text": text, "response_url": p.fake.ResponseURL(), "trigger_id": fmt.Sprintf("%d.life", p.seq.Add(1))})
	code, b, err := fakeslack.Post(p.url+"/slack/commands", body, fakeslack.SignedHeaders(p.secret, time.Now(), body))
	if err != nil || code != http.StatusOK {
		return "", false
	}
	return string(b), true
}

// hoursNotes reads every extra-hours note in the team, by person.
func hoursNotes(t *testing.T, path string) map[string]bool {
	t.Helper()
	st, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if errs := st.Check(); len(errs) > 0 {
		t.Fatalf("%s fails its check: %v", path, errs)
	}
	got := map[string]bool{}
	if err := st.View(func(tx domain.Tx) error {
		hs, err := tx.Hours("stream-team", time.Time{})
		for _, h := range hs {
			got[string(h.By)+" "+h.Note] = true
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestSigtermUnderLoadLosesNothing: 16 clients log extra hours; a backup is
// taken through the running serve; then SIGTERM. serve must exit 0 within
// 10 s, the store must hold every acknowledged action, and the backup every
// action acknowledged before the backup began.
func TestSigtermUnderLoadLosesNothing(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "stream.db")
	p := startServeProcess(t, db)
	for _, c := range [][3]string{{"UADMIN", "caseload", "setup Stream Team"}, {"UADMIN", "caseload", "add <@UMEG|meg> manager"}} {
		if out, ok := p.command(c[0], c[1], c[2]); !ok || strings.Contains(out, "Only") {
			t.Fatalf("/%s %s: %v %s", c[1], c[2], ok, out)
		}
	}
	const clients = 16
	for i := range clients {
		if _, ok := p.command("UMEG", "caseload", fmt.Sprintf("add <@UP%02d|p%d> practitioner", i, i)); !ok {
			t.Fatal("adding a practitioner failed")
		}
	}

	var mu sync.Mutex
	acked := map[string]time.Time{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprintf("UP%02d", i)
			for k := 0; ctx.Err() == nil && k < 2000; k++ {
				note := fmt.Sprintf("n%d", k)
				out, ok := p.command(user, "capacity", "hours 1 "+note)
				if !ok {
					return // the server is going away
				}
				if strings.Contains(out, "Logged 1 extra hour") {
					mu.Lock()
					acked["slack:"+user+" "+note] = time.Now()
					mu.Unlock()
				}
			}
		}()
	}

	time.Sleep(700 * time.Millisecond)
	backupStart := time.Now()
	backup := filepath.Join(dir, "during.db")
	if out, errOut, code := safeload(t, "", []string{"SAFELOAD_DB=" + db}, "backup", backup); code != 0 {
		t.Fatalf("backup while serving: exit %d\n%s%s", code, out, errOut)
	}
	time.Sleep(700 * time.Millisecond)

	// The subprocess's metrics, parsed as Prometheus text, count the stream.
	mu.Lock()
	ackedSoFar := len(acked)
	mu.Unlock()
	fams := scrape(t, p.url)
	if got := fams["safeload_commands_total"].sum("command", "capacity.hours", "outcome", "ok"); got < float64(ackedSoFar) {
		t.Errorf("safeload_commands_total{capacity.hours,ok} = %g, but %d were acknowledged", got, ackedSoFar)
	}
	if got := fams["safeload_members"].sum("team", "stream-team"); got != clients {
		t.Errorf("safeload_members for the team = %g, want %d", got, clients)
	}

	stopAt := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- p.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("serve did not exit 0 after SIGTERM: %v\n%s", err, p.stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop within 10 s of SIGTERM")
	}
	took := time.Since(stopAt)
	cancel()
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	if len(acked) < clients {
		t.Fatalf("only %d actions were acknowledged: the stream did not run", len(acked))
	}
	stored := hoursNotes(t, db)
	inBackup := hoursNotes(t, backup)
	beforeBackup := 0
	for key, at := range acked {
		if !stored[key] {
			t.Errorf("acknowledged %q is not in the store after SIGTERM", key)
		}
		if at.Before(backupStart) {
			beforeBackup++
			if !inBackup[key] {
				t.Errorf("%q was acknowledged before the backup began but is not in the backup", key)
			}
		}
	}
	t.Logf("%d actions acknowledged (%d before the backup); serve stopped %s after SIGTERM", len(acked), beforeBackup, took.Round(time.Millisecond))
}
