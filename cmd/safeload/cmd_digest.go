package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/digest"
	"github.com/safeload/safeload/internal/digestrun"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/schedule"
	"github.com/safeload/safeload/prompts"
)

// digestDeliverFor bounds how long `safeload digest` waits for a platform
// that asks it to retry; what is left stays in the outbox for serve.
const digestDeliverFor = 30 * time.Second

// runDigest is `safeload digest [--team ID] [--dry-run]`: build every team's
// digest (and each service manager's) now, and post it or print it.
func (c *cli) runDigest(args []string) int {
	fs := flag.NewFlagSet("digest", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	teamID := fs.String("team", "", "only this team's digest (its ID, e.g. north-cin)")
	dry := fs.Bool("dry-run", false, "print the digest as plain text and change nothing")
	charts := fs.String("charts", "", "with --dry-run: also write each digest's chart (PNG) to this directory")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: safeload digest [--team ID] [--dry-run [--charts DIR]]\n\nBuilds the weekly digest now: each team's channel gets its own, and each\nservice manager one across their teams (not with --team).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return c.fail(exitUsage, "digest: unexpected %q", fs.Arg(0))
	}
	if *charts != "" && !*dry {
		return c.fail(exitUsage, "digest: --charts writes the charts of a dry run: add --dry-run")
	}
	cfg, code, ok := c.config()
	if !ok {
		return code
	}
	if _, err := os.Stat(cfg.DB); err != nil {
		return c.fail(exitFailed, "there is no store at %s (SAFELOAD_DB): %v", cfg.DB, unwrapPathError(err))
	}
	if *dry {
		return c.digestDryRun(cfg, *teamID, *charts)
	}
	a, err := c.openApp(cfg, nil)
	if err != nil {
		var ce *configError
		if errors.As(err, &ce) {
			return c.fail(exitUsage, "bad configuration: %v", err)
		}
		return c.fail(exitFailed, "%v", err)
	}
	defer a.Close()
	ids, teams, err := a.digests().Enqueue(*teamID, "from the command line")
	if err != nil {
		return c.fail(exitFailed, "digest: %s", storeErrorText(err))
	}
	if len(ids) == 0 {
		fmt.Fprintf(c.stdout, "Built the digest of %d %s; nothing to post (no team channel or service manager is set).\n", teams, digestPlural(teams, "team", "teams"))
		return exitOK
	}
	var senders = map[string]delivery.Sender{}
	for _, build := range []func(*app) (*platform, error){slackPlatform, discordPlatform, teamsPlatform} {
		p, err := build(a)
		if err != nil {
			return c.fail(exitUsage, "bad configuration: %v", err)
		}
		if p != nil && p.sender != nil {
			senders[p.name] = p.sender
		}
	}
	if len(senders) == 0 {
		fmt.Fprintf(c.stdout, "Built the digest of %d %s: %d %s now wait in the outbox. No chat platform is configured here (SLACK_BOT_TOKEN, DISCORD_BOT_TOKEN, TEAMS_APP_ID), so `safeload serve` will deliver them when it runs.\n",
			teams, digestPlural(teams, "team", "teams"), len(ids), digestPlural(len(ids), "message", "messages"))
		return exitOK
	}
	res, err := digestrun.Deliver(c.ctx, a.outboxLoop(senders), ids, digestDeliverFor)
	if err != nil {
		return c.fail(exitFailed, "digest: delivery: %v", err)
	}
	fmt.Fprintf(c.stdout, "Built the digest of %d %s and delivered %d of %d %s.", teams, digestPlural(teams, "team", "teams"), res.Sent, len(ids), digestPlural(len(ids), "message", "messages"))
	if res.Waiting > 0 {
		fmt.Fprintf(c.stdout, " %d wait in the outbox (a platform asked to retry later, or has no sender here); `safeload serve` will deliver them.", res.Waiting)
	}
	if res.Failed > 0 {
		fmt.Fprintf(c.stdout, " %d could not be delivered (see the log); they are kept in the outbox as failed.", res.Failed)
	}
	fmt.Fprintln(c.stdout)
	if res.Failed > 0 {
		return exitFailed
	}
	return exitOK
}

func digestPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// digestDryRun prints the digests from a read-only store: it cannot change
// anything, not even the weekly snapshot.
func (c *cli) digestDryRun(cfg *Config, teamID, chartsDir string) int {
	p, err := prompts.Load(cfg.PromptsDir)
	if err != nil {
		return c.fail(exitUsage, "bad configuration: SAFELOAD_PROMPTS: %v", err)
	}
	st, err := openStore(cfg, nil, true)
	if err != nil {
		return c.fail(exitFailed, "%v", err)
	}
	defer st.Close()
	run := &digestrun.Runner{Store: st, Policy: &cfg.Policy, Prompts: p, Loc: cfg.TZ}
	drafts, err := run.Preview(teamID, time.Now().In(cfg.TZ))
	if err != nil {
		return c.fail(exitFailed, "digest: %s", storeErrorText(err))
	}
	if err := digestrun.WriteText(c.stdout, drafts); err != nil {
		return c.fail(exitFailed, "digest: %v", err)
	}
	if chartsDir == "" {
		return exitOK
	}
	charts, err := digestrun.WriteCharts(chartsDir, drafts)
	for _, ch := range charts {
		fmt.Fprintf(c.stdout, "Chart: %s (%d KiB)\n", ch.Path, (ch.Size+1023)/1024)
	}
	if err != nil {
		return c.fail(exitFailed, "digest: %v", err)
	}
	if len(charts) == 0 {
		fmt.Fprintln(c.stdout, "No charts: there is no team digest to draw.")
	}
	return exitOK
}

// digests is the app's way to build and enqueue digests on request; the
// outbox is woken once they wait in it.
func (a *app) digests() *digestrun.Runner {
	return &digestrun.Runner{Store: a.store, Policy: &a.cfg.Policy, Prompts: a.prompts, Loc: a.cfg.TZ,
		Wake: func() {
			if w := a.engine.Wake; w != nil {
				w()
			}
		}}
}

// newScheduler builds the scheduler over the app; wake asks the outbox to
// deliver now.
func newScheduler(a *app, wake func()) *schedule.Scheduler {
	return &schedule.Scheduler{
		Store: a.store, Policy: &a.cfg.Policy, Prompts: a.prompts, Loc: a.cfg.TZ, Clock: a.clock,
		Cron: a.cfg.DigestCron, AckWithin: a.cfg.AckWithin, EscalateEvery: a.cfg.EscalateEvery,
		Admins: a.engine.Admins, Wake: wake, Log: a.log.WithField("component", "scheduler"),
		Observe: a.observeFiring,
	}
}

// observeFiring counts each clock fired in safeload_escalations_total and
// notes when a digest last went out, for /healthz.
func (a *app) observeFiring(what string) {
	a.metrics.Escalated(what)
	if what != schedule.KindDigest {
		return
	}
	if err := a.store.Update(func(tx domain.Tx) error { return tx.PutLastDigest(tx.Now()) }); err != nil {
		a.log.WithError(err).Warn("could not note the time of the digest")
	}
}

// schedulerFor builds the clocks and the weekly digest loop for serve.
// wake asks the outbox to deliver now.
func schedulerFor(a *app, wake func()) func(ctx context.Context) error {
	return newScheduler(a, wake).Run
}

// wireDigest gives the engine its digest builder (for /caseload digest),
// and the demo its way to run the clocks and post the digests now.
func wireDigest(a *app) {
	pol, p, loc := &a.cfg.Policy, a.prompts, a.cfg.TZ
	a.engine.Digest = func(tx domain.Tx, team *domain.Team, now time.Time) ([]domain.Message, error) {
		return digest.Build(tx, pol, p, loc, team, now)
	}
	run := a.digests()
	sched := newScheduler(a, run.Wake)
	a.scheduleOnce = func(ctx context.Context) error {
		_, err := sched.RunOnce(a.clock.Now())
		return err
	}
	a.digestNow = func(ctx context.Context) error {
		_, _, err := run.Enqueue("", "on request")
		return err
	}
}
