package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	// A command name with spaces and parentheses, utime 250 and stime 75 ticks.
	line := "4242 (safe (load) d) S 1 2 3 4 5 6 7 8 9 10 250 75 0 0 20 0 12 0 100 0 0"
	got, err := parseStat(line)
	if err != nil {
		t.Fatal(err)
	}
	if want := 3250 * time.Millisecond; got != want {
		t.Errorf("parseStat = %s, want %s", got, want)
	}
	for _, bad := range []string{"", "4242 no parenthesis", "1 (x) S 1 2", "1 (x) S 1 2 3 4 5 6 7 8 9 10 x 75"} {
		if _, err := parseStat(bad); err == nil {
			t.Errorf("parseStat(%q) = nil error, want one", bad)
		}
	}
	if _, err := cpuTime(os.Getpid()); err != nil {
		t.Errorf("cpuTime of this process: %v", err)
	}
}

func signedRequest(secret, body string, ts time.Time) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body))
	stamp := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", stamp, body)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("X-Slack-Request-Timestamp", stamp)
	r.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return r
}

func TestFloorChecksTheSignature(t *testing.T) {
	h := floorHandler("s3cret")
	body := "command=%2Fcapacity&user_id=U7&text="
	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
	}{
		{"signed", signedRequest("s3cret", body, time.Now()), http.StatusOK},
		{"wrong secret", signedRequest("other", body, time.Now()), http.StatusUnauthorized},
		{"stale", signedRequest("s3cret", body, time.Now().Add(-10*time.Minute)), http.StatusUnauthorized},
		{"unsigned", httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body)), http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, tc.req)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d (%s)", w.Code, tc.status, w.Body)
			}
			if tc.status == http.StatusOK && !strings.Contains(w.Body.String(), `Hello, \u003c@U7\u003e`) {
				t.Errorf("body %s does not greet U7", w.Body)
			}
		})
	}
}

// TestRunReportsRatios drives a floor handler standing in for the product
// (it answers every command with a greeting), bounded by request count, and
// checks that the report carries the floor, the per-class ratios and the CPU
// figure of the given process.
func TestRunReportsRatios(t *testing.T) {
	t.Setenv("SLACK_SIGNING_SECRET", "s3cret")
	srv := httptest.NewServer(floorHandler("s3cret"))
	defer srv.Close()
	var out, errs bytes.Buffer
	code := run([]string{"-urls", srv.URL + "," + srv.URL, "-pids", strconv.Itoa(os.Getpid()), "-clients", "4",
		"-duration", "1m", "-max", "200", "-team", "3", "-mix", "mixed"}, &out, &errs)
	if code != 0 {
		t.Fatalf("exit %d; stderr: %s; stdout: %s", code, errs.String(), out.String())
	}
	for _, want := range []string{"2 replica(s), mix mixed", "floor (signed hello-world Slack handler", "reads ", "× the floor's rate",
		"writes ", "× the read rate", "ms per command"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{{}, {"-urls", "http://x", "-bin", "y"}, {"-urls", "http://x", "-mix", "all"},
		{"-urls", "http://x", "-pids", "abc"}, {"-urls", "http://x", "-clients", "0"}} {
		var out, errs bytes.Buffer
		if code := run(args, &out, &errs); code != 2 {
			t.Errorf("run(%q) = %d, want 2 (stderr %q)", args, code, errs.String())
		}
	}
}
