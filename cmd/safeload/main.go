// Command safeload is the bot. This file only wires: configuration from the
// environment → store → engine → adapters → scheduler. Read it top to bottom
// to see the whole system; each sub-command lives in its own file.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // a static binary in a minimal image has no zoneinfo: Europe/London must still load
)

// Exit codes: 0 success, 1 anything else, 2 bad usage or configuration
// (the message names the setting).
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// version is stamped at build time: -ldflags "-X main.version=0.1.0".
var version = "dev"

// cli carries what every sub-command needs from the process, so tests can
// run main in-process with their own environment and output.
type cli struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// ready, when set, is told serve's listening address (tests use port 0).
	ready func(addr string)
}

// commands is the whole command line.
var commands = []struct {
	name, usage, summary string
	run                  func(c *cli, args []string) int
}{
	{"demo", "safeload demo", "play a whole allocation meeting in a temporary store", (*cli).runDemo},
	{"console", "safeload console [--db FILE] [--as ID]", "type slash commands as one person", (*cli).runConsole},
	{"serve", "safeload serve", "run the bot: HTTP endpoints, Slack/Discord, scheduler, delivery", (*cli).runServe},
	{"digest", "safeload digest [--team ID] [--dry-run [--charts DIR]]", "build and post (or print) the weekly digest now", (*cli).runDigest},
	{"report", "safeload report [--from] [--to] [--team ID] --out FILE", "write the quarterly report (HTML, or PDF with Chromium)", (*cli).runReport},
	{"audit", "safeload audit [--from] [--to] [--team ID] [--format csv|json]", "the audit log, one row per action", (*cli).runAudit},
	{"import", "safeload import FILE", "load teams, people and cases from a YAML or JSON file", (*cli).runImport},
	{"export", "safeload export [--format csv|json]", "export every team's workload for the quarterly review", (*cli).runExport},
	{"backup", "safeload backup FILE", "write a consistent copy of the store, also while serve runs", (*cli).runBackup},
	{"check", "safeload check FILE", "verify a store or a backup", (*cli).runCheck},
	{"discord", "safeload discord register [--guild ID]", "register the Discord slash commands", (*cli).runDiscord},
	{"slack", "safeload slack manifest [--url URL] [--socket]", "print the Slack app manifest", (*cli).runSlack},
	{"teams", "safeload teams manifest --url URL > safeload-teams.zip", "write the Microsoft Teams app package", (*cli).runTeams},
	{"version", "safeload version", "print the version", func(c *cli, _ []string) int { fmt.Fprintln(c.stdout, version); return exitOK }},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	c := &cli{ctx: ctx, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	code := c.run(os.Args[1:])
	stop()
	os.Exit(code)
}

func (c *cli) run(args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		c.usage(c.stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, cmd := range commands {
		if cmd.name == args[0] {
			return cmd.run(c, args[1:])
		}
	}
	fmt.Fprintf(c.stderr, "safeload: unknown command %q\n\n", args[0])
	c.usage(c.stderr)
	return exitUsage
}

func (c *cli) usage(w io.Writer) {
	fmt.Fprintln(w, "safeload runs social-work allocation meetings in Slack, Discord and Microsoft Teams.")
	fmt.Fprintln(w, "\nUsage:")
	for _, cmd := range commands {
		fmt.Fprintf(w, "  %-48s %s\n", cmd.usage, cmd.summary)
	}
	fmt.Fprintln(w, "\nConfiguration comes from the environment; see README.md.")
}

// fail prints one line and returns the exit code: usage/config errors name
// the setting at fault and exit 2, anything else exits 1.
func (c *cli) fail(code int, format string, args ...any) int {
	fmt.Fprintf(c.stderr, "safeload: "+format+"\n", args...)
	return code
}
