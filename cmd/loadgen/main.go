// Command loadgen measures a running safeload: N concurrent clients send
// signed Slack slash commands over loopback (reads, /capacity and /caseload
// board; writes, /capacity hours and add → propose → accept → close; -mix
// chooses) and it prints throughput and p50/p95/p99 latency per command. It
// always ends by itself: at -duration or after -max requests.
//
// Absolute figures depend on the machine, so each run first measures the
// floor: a signed hello-world Slack handler (slack-go's verifier and parser)
// that loadgen serves itself, driven through the same client path for the
// same time. The product's rates and p99s are printed as ratios to it, with
// the server's CPU time per command (user + system, from /proc).
//
// With -bin it starts `safeload serve` itself on a temporary store, with a
// fake Slack Web API on loopback, sets up a team and measures that:
//
//	go build -o /tmp/safeload ./cmd/safeload
//	go run ./cmd/loadgen -bin /tmp/safeload -clients 64 -duration 10s -mix reads
//
// Against replicas you started: SLACK_SIGNING_SECRET from the environment,
// -urls http://127.0.0.1:8080,http://127.0.0.1:8081 (requests go round-robin),
// -pids with their process ids for the CPU figure, and the admin in
// SAFELOAD_ADMINS as -admin.
package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type config struct {
	urls     []string
	bin      string
	clients  int
	duration time.Duration
	max      int64
	team     int
	admin    string
	secret   string
	mix      string
	floor    bool
	pids     []int
}

// mixes are the command mixes -mix chooses from.
var mixes = map[string]bool{"reads": true, "writes": true, "mixed": true}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	var urls, pids string
	fs.StringVar(&urls, "urls", "", "comma-separated base URLs of running safeload replicas (their SLACK_SIGNING_SECRET must be in the environment)")
	fs.StringVar(&urls, "url", "", "the same as -urls, for one replica")
	fs.StringVar(&pids, "pids", "", "comma-separated process ids of the replicas, for the server's CPU time per command")
	fs.StringVar(&c.mix, "mix", "mixed", "which commands: reads (/capacity, /caseload board), writes (hours, case add, propose, accept, close) or mixed")
	fs.BoolVar(&c.floor, "floor", true, "measure the hello-world floor first, in the same run")
	fs.StringVar(&c.bin, "bin", "", "path of a safeload binary to start on a temporary store instead of -url")
	fs.IntVar(&c.clients, "clients", 64, "concurrent clients")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "how long to send requests")
	fs.Int64Var(&c.max, "max", 200000, "stop after this many requests")
	fs.IntVar(&c.team, "team", 45, "practitioners in the load-test team")
	fs.StringVar(&c.admin, "admin", "ULOADADMIN", "Slack user ID of an admin (in SAFELOAD_ADMINS)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	for _, u := range strings.Split(urls, ",") {
		if u = strings.TrimRight(strings.TrimSpace(u), "/"); u != "" {
			c.urls = append(c.urls, u)
		}
	}
	for _, p := range strings.Split(pids, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 {
			fmt.Fprintf(stderr, "loadgen: -pids: %q is not a process id\n", p)
			return 2
		}
		c.pids = append(c.pids, n)
	}
	if (len(c.urls) == 0) == (c.bin == "") {
		fmt.Fprintln(stderr, "loadgen: give exactly one of -urls or -bin")
		return 2
	}
	if !mixes[c.mix] {
		fmt.Fprintf(stderr, "loadgen: -mix must be reads, writes or mixed, not %q\n", c.mix)
		return 2
	}
	if c.clients < 1 || c.duration <= 0 || c.max < 1 || c.team < 1 {
		fmt.Fprintln(stderr, "loadgen: -clients, -duration, -max and -team must be positive")
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*c.duration+2*time.Minute)
	defer cancel()
	c.secret = os.Getenv("SLACK_SIGNING_SECRET")
	if c.bin != "" {
		stop, err := c.spawn(ctx, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "loadgen:", err)
			return 1
		}
		defer stop()
	}
	if c.secret == "" {
		fmt.Fprintln(stderr, "loadgen: SLACK_SIGNING_SECRET is not set")
		return 2
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: c.clients * 2}}
	var floor *results
	if c.floor {
		url, stop, err := serveFloor(c.secret)
		if err != nil {
			fmt.Fprintln(stderr, "loadgen: serving the floor:", err)
			return 1
		}
		fc := c
		fc.urls = []string{url}
		floor = (&load{cfg: fc, http: client}).drive(ctx, func(ci, k int) [][3]string {
			return [][3]string{{user((ci + k) % c.team), "capacity", ""}}
		})
		stop()
	}
	l := &load{cfg: c, http: client}
	if err := l.setup(ctx); err != nil {
		fmt.Fprintln(stderr, "loadgen: setting up the team:", err)
		return 1
	}
	var meter *cpuMeter
	if len(c.pids) > 0 {
		m, err := startCPU(c.pids)
		if err != nil {
			fmt.Fprintln(stderr, "loadgen: reading the server's CPU time:", err)
			return 1
		}
		meter = m
	}
	res := l.drive(ctx, l.steps)
	if meter != nil {
		if res.cpu, res.cpuErr = meter.used(); res.cpuErr == nil {
			res.cpuKnown = true
		}
	}
	res.print(stdout, c, floor)
	printSpeculation(ctx, client, c.urls, stdout)
	if res.errors > 0 || (floor != nil && floor.errors > 0) {
		return 1
	}
	return 0
}

// spawn starts `safeload serve` on a temporary store with a fake Slack API.
func (c *config) spawn(ctx context.Context, stderr io.Writer) (func(), error) {
	dir, err := os.MkdirTemp("", "loadgen-")
	if err != nil {
		return nil, err
	}
	fake := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":true,"channel":"C1","ts":"1.1","user":{"id":"U1","name":"x"}}`)
	})}
	fln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go func() { _ = fake.Serve(fln) }()
	c.secret = "loadgen-signing-secret"
	// A free port for serve, then wait for its /healthz.
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := pl.Addr().String()
	pl.Close()
	cmd := exec.CommandContext(ctx, c.bin, "serve")
	cmd.Env = append(os.Environ(),
		"SAFELOAD_DB="+filepath.Join(dir, "load.db"), "SAFELOAD_ADDR="+addr, "SAFELOAD_ADMINS=slack:"+c.admin,
		"SLACK_BOT_TOKEN=xoxb-loadgen", "SLACK_SIGNING_SECRET="+c.secret, "SLACK_API_URL=http://"+fln.Addr().String()+"/",
		"SAFELOAD_LOG_LEVEL=warning", "SAFELOAD_ADMIN_SOCKET="+filepath.Join(dir, "a.sock"))
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c.urls = []string{"http://" + addr}
	c.pids = []int{cmd.Process.Pid}
	up := false
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(c.urls[0] + "/healthz"); err == nil {
			resp.Body.Close()
			up = true
			break
		}
	}
	if !up {
		_ = cmd.Process.Kill()
		return nil, errors.New("safeload serve did not start")
	}
	return func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(12 * time.Second):
			_ = cmd.Process.Kill()
		}
		_ = fake.Close()
		os.RemoveAll(dir)
	}, nil
}

type load struct {
	cfg  config
	http *http.Client
	seq  atomic.Int64
}

const channel = "CLOADTEST"

func user(i int) string { return fmt.Sprintf("UP%03d", i) }
func manager() string   { return "UMANAGER" }

// send posts one signed slash command and returns the answer's text.
func (l *load) send(ctx context.Context, userID, command, text string) (string, error) {
	n := l.seq.Add(1)
	base := l.cfg.urls[int(n)%len(l.cfg.urls)]
	form := url.Values{
		"token": {"x"}, "team_id": {"TLOAD"}, "team_domain": {"load"}, "channel_id": {channel}, "channel_name": {"load"},
		"user_id": {userID}, "user_name": {strings.ToLower(userID)}, "command": {"/" + command}, "text": {text},
		"response_url": {base + "/loadgen-nowhere"}, "trigger_id": {strconv.FormatInt(n, 10)},
	}
	body := form.Encode()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(l.cfg.secret))
	fmt.Fprintf(mac, "v0:%s:%s", ts, body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/slack/commands", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := l.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, b)
	}
	return string(b), nil
}

// setup creates the team: a manager, the practitioners, and nothing queued.
func (l *load) setup(ctx context.Context) error {
	steps := [][3]string{{l.cfg.admin, "caseload", "setup Load Test " + time.Now().Format("150405.000")},
		{l.cfg.admin, "caseload", fmt.Sprintf("add <@%s|manager> manager", manager())}}
	for i := 0; i < l.cfg.team; i++ {
		steps = append(steps, [3]string{manager(), "caseload", fmt.Sprintf("add <@%s|p%d> practitioner", user(i), i)})
	}
	for _, s := range steps {
		out, err := l.send(ctx, s[0], s[1], s[2])
		if err != nil {
			return fmt.Errorf("/%s %s: %w", s[1], s[2], err)
		}
		if strings.Contains(out, "already belongs") {
			return errors.New("the load-test channel already has a team: use a fresh store")
		}
	}
	return nil
}

// kindOf names a command in the report: the command and its verb
// ("capacity hours", "caseload case add"); a proposal, /allocate REF
// @user, is "allocate propose".
func kindOf(command, text string) string {
	f := strings.Fields(text)
	switch {
	case len(f) == 0:
		return command
	case command == "allocate" && f[0] != "accept":
		return "allocate propose"
	case command == "caseload" && f[0] == "case" && len(f) > 1:
		return "caseload case " + f[1]
	}
	return command + " " + f[0]
}

// writes are the kinds that change the store.
var writes = map[string]bool{"capacity hours": true, "caseload case add": true, "caseload case close": true,
	"allocate propose": true, "allocate accept": true}

type sample struct {
	kind string
	d    time.Duration
	err  bool
}

type results struct {
	elapsed  time.Duration
	by       map[string][]time.Duration
	errors   int
	total    int
	firstErr string
	cpu      time.Duration // the servers' CPU time over the run
	cpuKnown bool
	cpuErr   error
}

// steps is what client ci sends on its k-th turn, as {user, command, text}.
func (l *load) steps(ci, k int) [][3]string {
	p := user((ci + k) % l.cfg.team)
	turn := k % 5
	switch l.cfg.mix {
	case "reads":
		turn = k % 3
	case "writes":
		turn = 3 + k%2
	}
	switch turn {
	case 0, 1:
		return [][3]string{{p, "capacity", ""}}
	case 2:
		return [][3]string{{p, "caseload", "board"}}
	case 3:
		return [][3]string{{p, "capacity", "hours 1 load test"}}
	}
	ref := fmt.Sprintf("L-%d-%d", ci, k)
	return [][3]string{{manager(), "caseload", "case add " + ref + " cin"}, {manager(), "allocate", ref + " <@" + p + ">"},
		{p, "allocate", "accept " + ref}, {manager(), "caseload", "case close " + ref}}
}

// drive runs the clients until the duration or the request cap.
func (l *load) drive(ctx context.Context, turn func(ci, k int) [][3]string) *results {
	ctx, cancel := context.WithTimeout(ctx, l.cfg.duration)
	defer cancel()
	var count atomic.Int64
	samples := make(chan sample, 4096)
	var wg sync.WaitGroup
	start := time.Now()
	var firstErr atomic.Value
	for ci := 0; ci < l.cfg.clients; ci++ {
		wg.Add(1)
		go func(ci int) {
			defer wg.Done()
			for k := 0; ; k++ {
				if ctx.Err() != nil || count.Load() >= l.cfg.max {
					return
				}
				for _, s := range turn(ci, k) {
					if count.Add(1) > l.cfg.max {
						return
					}
					kind := kindOf(s[1], s[2])
					t0 := time.Now()
					_, err := l.send(ctx, s[0], s[1], s[2])
					if err != nil && ctx.Err() != nil {
						return
					}
					if err != nil {
						firstErr.CompareAndSwap(nil, err.Error())
					}
					samples <- sample{kind: kind, d: time.Since(t0), err: err != nil}
				}
			}
		}(ci)
	}
	go func() { wg.Wait(); close(samples) }()
	res := &results{by: map[string][]time.Duration{}}
	for s := range samples {
		res.total++
		if s.err {
			res.errors++
			continue
		}
		res.by[s.kind] = append(res.by[s.kind], s.d)
		res.by["all"] = append(res.by["all"], s.d)
	}
	res.elapsed = time.Since(start)
	if v := firstErr.Load(); v != nil {
		res.firstErr = v.(string)
	}
	return res
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := int(float64(len(ds)-1) * p)
	return ds[i]
}

// class gathers the samples of the reads or the writes.
func (r *results) class(write bool) []time.Duration {
	var ds []time.Duration
	for k, v := range r.by {
		if k != "all" && writes[k] == write {
			ds = append(ds, v...)
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds
}

func (r *results) rate(n int) float64 { return float64(n) / r.elapsed.Seconds() }

func (r *results) print(w io.Writer, c config, floor *results) {
	fmt.Fprintf(w, "safeload load: %d clients, %d replica(s), mix %s, %s, %d requests, %d errors, %.0f requests/s\n",
		c.clients, len(c.urls), c.mix, r.elapsed.Round(time.Millisecond), r.total, r.errors, r.rate(r.total))
	kinds := make([]string, 0, len(r.by))
	for k := range r.by {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	fmt.Fprintf(w, "%-22s %8s %9s %9s %9s %9s\n", "command", "count", "per s", "p50", "p95", "p99")
	for _, k := range kinds {
		ds := r.by[k]
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		fmt.Fprintf(w, "%-22s %8d %9.0f %9s %9s %9s\n", k, len(ds), r.rate(len(ds)),
			pct(ds, .5).Round(10*time.Microsecond), pct(ds, .95).Round(10*time.Microsecond), pct(ds, .99).Round(10*time.Microsecond))
	}
	var floorRate float64
	var floorP99 time.Duration
	if floor != nil {
		all := floor.by["all"]
		sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
		floorRate, floorP99 = floor.rate(len(all)), pct(all, .99)
		fmt.Fprintf(w, "floor (signed hello-world Slack handler, same clients, same run): %.0f requests/s, p99 %s, %d errors\n",
			floorRate, floorP99.Round(10*time.Microsecond), floor.errors)
	}
	reads, wr := r.class(false), r.class(true)
	for _, cl := range []struct {
		name string
		ds   []time.Duration
	}{{"reads", reads}, {"writes", wr}} {
		if len(cl.ds) == 0 {
			continue
		}
		rate, p99 := r.rate(len(cl.ds)), pct(cl.ds, .99)
		line := fmt.Sprintf("%-6s %.0f/s, p99 %s", cl.name, rate, p99.Round(10*time.Microsecond))
		if floorRate > 0 && floorP99 > 0 {
			line += fmt.Sprintf("; %.2f × the floor's rate, p99 %.1f × the floor's", rate/floorRate, float64(p99)/float64(floorP99))
		}
		if cl.name == "writes" && len(reads) > 0 {
			line += fmt.Sprintf("; %.2f × the read rate", rate/r.rate(len(reads)))
		}
		fmt.Fprintln(w, line)
	}
	switch {
	case r.cpuKnown && r.total > 0:
		fmt.Fprintf(w, "server CPU (user + system): %s over %d commands, %.3f ms per command\n",
			r.cpu.Round(10*time.Millisecond), r.total, float64(r.cpu)/float64(time.Millisecond)/float64(r.total))
	case r.cpuErr != nil:
		fmt.Fprintf(w, "server CPU: not measured: %v\n", r.cpuErr)
	default:
		fmt.Fprintln(w, "server CPU: not measured (give -pids, or -bin)")
	}
	if r.firstErr != "" {
		fmt.Fprintf(w, "first error: %s\n", r.firstErr)
	}
}

// printSpeculation prints, for each server, what became of its write
// commands run first on a snapshot (safeload_speculative_writes_total on
// /metrics): how many were applied as run, stale (what they read had
// changed: run again), bailed (run in the commit) and refused.
func printSpeculation(ctx context.Context, client *http.Client, urls []string, w io.Writer) {
	for _, u := range urls {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(u, "/")+"/metrics", nil)
		if err != nil {
			continue
		}
		resp, err := client.Do(req)
		if err != nil {
			continue
		}
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(io.LimitReader(resp.Body, 4<<20))
		_ = resp.Body.Close()
		if err != nil {
			continue
		}
		var parts []string
		for _, m := range fams["safeload_speculative_writes_total"].GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" {
					parts = append(parts, fmt.Sprintf("%s %.0f", l.GetValue(), m.GetCounter().GetValue()))
				}
			}
		}
		if len(parts) > 0 {
			fmt.Fprintf(w, "writes run first on a snapshot (%s): %s\n", u, strings.Join(parts, ", "))
		}
	}
}
