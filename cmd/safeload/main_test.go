package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary act as the safeload binary: with
// SAFELOAD_TEST_MAIN=1 it runs main() on its arguments, so subprocess tests
// exercise exactly the code that ships.
func TestMain(m *testing.M) {
	if os.Getenv("SAFELOAD_TEST_MAIN") == "1" {
		os.Args = append([]string{"safeload"}, os.Args[1:]...)
		main()
		return
	}
	os.Exit(m.Run())
}

// safeload runs the binary under test with args, stdin and extra env.
func safeload(t *testing.T, stdin string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append([]string{"SAFELOAD_TEST_MAIN=1", "PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	cmd.Env = append(cmd.Env, coverEnv(t)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run safeload %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

func TestDemoPlaysAWholeMeeting(t *testing.T) {
	out, errOut, code := safeload(t, "", nil, "demo")
	if code != 0 {
		t.Fatalf("demo exited %d\nstderr:\n%s\nstdout:\n%s", code, errOut, out)
	}
	for _, step := range []string{
		"Allocation meeting: North Child in Need", // the queue
		"Suggest",           // with suggestions
		"needs an override", // a proposal that needs an override
		"Override: this is above the safe level",
		"Bo Brown is an ASYE", // an ASYE refusal
		"Red by number of cases, this needs an override",
		"Over capacity: North Child in Need",   // the contingency alert
		"declined C-2003",                      // a decline with a reason
		"accepted C-2001",                      // an accept
		"Minutes: North Child in Need",         // the minutes
		"Concern #1 recorded",                  // a capacity concern
		"private message to Meg Moss",          // told privately to the manager
		"Capacity concern #1 not acknowledged", // escalated to the service manager
		"private message to Sara Shah",
		"You acknowledged concern #1",                 // its acknowledgement
		"North Child in Need: weekly digest, week of", // the digest
		"capacity board",                              // the board
		"Reduction #1 recorded",                       // a reduction
		"85 points are for cases",                     // the policy in plain words
		"Caseload review of",                          // a review in supervision
		"End of the demo",
	} {
		if !strings.Contains(out, step) {
			t.Errorf("the demo transcript lacks %q", step)
		}
	}
	if strings.Contains(out, "template:") {
		t.Errorf("a prompt failed to render in the demo:\n%s", out)
	}
}

func TestConsoleAsSubprocess(t *testing.T) {
	db := filepath.Join(t.TempDir(), "console.db")
	script := strings.Join([]string{
		"/caseload setup West Adults",
		"/caseload add @meg manager",
		"/caseload add @alice practitioner",
		"/caseload case add A-77 s42 high_risk",
		"as meg",
		"/allocate A-77 @alice",
		"as alice",
		"1",
		"/capacity",
		"/capacity concern too many safeguarding enquiries at once",
		"as meg",
		"3",
		"/nonsense",
		"quit",
	}, "\n")
	out, errOut, code := safeload(t, script, []string{"SAFELOAD_DB=" + db}, "console", "--as", "console:admin")
	if code != 0 {
		t.Fatalf("console exited %d\nstderr:\n%s\nstdout:\n%s", code, errOut, out)
	}
	for _, want := range []string{
		"West Adults is set up",
		"is in the queue: 10 points, high risk", // s42 8 + high_risk 2
		"[1] Accept",
		"accepted A-77",
		"Your workload",
		"private message to @meg", // the concern reaches the manager as a private message
		"[3] Acknowledge",
		"You acknowledged concern #1",
		"private message to @alice",
		"I know three commands",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("console output lacks %q\n%s", want, out)
		}
	}
	// The store is a real file that keeps what was done.
	out2, _, code := safeload(t, "/caseload board\nquit\n", []string{"SAFELOAD_DB=" + db}, "console", "--as", "console:alice")
	if code != 0 || !strings.Contains(out2, "alice: 11.8 %") {
		t.Fatalf("reopened console (exit %d) does not show Alice's load:\n%s", code, out2)
	}
}

func TestUnknownCommandExits2(t *testing.T) {
	_, errOut, code := safeload(t, "", nil, "frobnicate")
	if code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// coverEnv gives a subprocess built with -cover somewhere to write its
// counters; without it the child warns on stderr and breaks tests that read
// stderr line by line.
func coverEnv(t *testing.T) []string {
	if d := os.Getenv("GOCOVERDIR"); d != "" {
		return []string{"GOCOVERDIR=" + d}
	}
	if testing.CoverMode() != "" {
		return []string{"GOCOVERDIR=" + t.TempDir()}
	}
	return nil
}
