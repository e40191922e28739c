package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/digest"
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
	ids, teams, err := a.enqueueDigests(*teamID, "from the command line")
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
	sent, waiting, failed, err := a.deliverNow(c.ctx, senders, ids)
	if err != nil {
		return c.fail(exitFailed, "digest: delivery: %v", err)
	}
	fmt.Fprintf(c.stdout, "Built the digest of %d %s and delivered %d of %d %s.", teams, digestPlural(teams, "team", "teams"), sent, len(ids), digestPlural(len(ids), "message", "messages"))
	if waiting > 0 {
		fmt.Fprintf(c.stdout, " %d wait in the outbox (a platform asked to retry later, or has no sender here); `safeload serve` will deliver them.", waiting)
	}
	if failed > 0 {
		fmt.Fprintf(c.stdout, " %d could not be delivered (see the log); they are kept in the outbox as failed.", failed)
	}
	fmt.Fprintln(c.stdout)
	if failed > 0 {
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
	now := time.Now().In(cfg.TZ)
	var out strings.Builder
	var images []domain.Message
	err = st.View(func(tx domain.Tx) error {
		teams, err := digestTeams(tx, teamID)
		if err != nil {
			return err
		}
		for _, t := range teams {
			msgs, err := digest.Build(tx, &cfg.Policy, p, cfg.TZ, t, now)
			if err != nil {
				return err
			}
			dest := string(t.Channel)
			if dest == "" {
				dest = "(no channel set: it would not be posted)"
			}
			for _, m := range msgs {
				fmt.Fprintf(&out, "──── to %s ────\n%s\n", dest, digest.Text(m))
			}
			images = append(images, msgs...)
		}
		if teamID != "" {
			return nil
		}
		oversee, err := digest.Oversees(tx)
		if err != nil {
			return err
		}
		for _, sm := range digestSMs(oversee) {
			msgs, err := digest.BuildAcross(tx, &cfg.Policy, p, cfg.TZ, sm, oversee[sm], now)
			if err != nil {
				return err
			}
			for _, m := range msgs {
				fmt.Fprintf(&out, "──── to %s (privately) ────\n%s\n", sm, digest.Text(m))
			}
			images = append(images, msgs...)
		}
		return nil
	})
	if err != nil {
		return c.fail(exitFailed, "digest: %s", storeErrorText(err))
	}
	fmt.Fprint(c.stdout, out.String())
	if chartsDir != "" {
		return c.writeCharts(chartsDir, images)
	}
	return exitOK
}

// digestTeams is the one team asked for, or every team.
func digestTeams(tx domain.Tx, teamID string) ([]*domain.Team, error) {
	if teamID == "" {
		return tx.Teams()
	}
	t, err := tx.Team(teamID)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		teams, _ := tx.Teams()
		var ids []string
		for _, t := range teams {
			ids = append(ids, t.ID)
		}
		known := "there are no teams yet"
		if len(ids) > 0 {
			known = "teams: " + strings.Join(ids, ", ")
		}
		return nil, domain.Errorf(domain.ENOTFOUND, "there is no team with ID %q (%s)", teamID, known)
	} else if err != nil {
		return nil, err
	}
	return []*domain.Team{t}, nil
}

func digestSMs[V any](m map[domain.PersonID]V) []domain.PersonID {
	out := make([]domain.PersonID, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// enqueueDigests puts the digests of now in the outbox, one transaction per
// team (with its weekly snapshot, when the week has none yet), and returns
// the outbox IDs and how many teams there were. With a team ID, only that
// team's channel; otherwise every team and every service manager.
func (a *app) enqueueDigests(teamID, why string) (ids []uint64, teams int, err error) {
	var all []*domain.Team
	var oversee map[domain.PersonID][]*domain.Team
	if err := a.store.View(func(tx domain.Tx) error {
		var err error
		if all, err = digestTeams(tx, teamID); err != nil {
			return err
		}
		if teamID == "" {
			oversee, err = digest.Oversees(tx)
		}
		return err
	}); err != nil {
		return nil, 0, err
	}
	pol, loc := &a.cfg.Policy, a.cfg.TZ
	for _, t := range all {
		var got []uint64
		err := a.store.Update(func(tx domain.Tx) error {
			got = nil
			team, err := tx.Team(t.ID)
			if err != nil {
				return err
			}
			now := tx.Now()
			if _, _, err := digest.EnsureSnapshot(tx, pol, loc, team, now); err != nil {
				return err
			}
			msgs, err := digest.Build(tx, pol, a.prompts, loc, team, now)
			if err != nil {
				return err
			}
			if got, err = enqueueTracked(tx, func(tx domain.Tx) (int, error) { return schedule.PostToChannel(tx, team, msgs) }); err != nil {
				return err
			}
			return tx.Audit(&domain.AuditEntry{Actor: schedule.Actor, Team: team.ID, Action: "digest.post", Subject: team.ID, Detail: why})
		})
		if err != nil {
			return ids, len(all), err
		}
		ids = append(ids, got...)
	}
	for _, sm := range digestSMs(oversee) {
		var got []uint64
		err := a.store.Update(func(tx domain.Tx) error {
			msgs, err := digest.BuildAcross(tx, pol, a.prompts, loc, sm, oversee[sm], tx.Now())
			if err != nil {
				return err
			}
			got, err = enqueueTracked(tx, func(tx domain.Tx) (int, error) { return schedule.SendToPerson(tx, sm, msgs) })
			return err
		})
		if err != nil {
			return ids, len(all), err
		}
		ids = append(ids, got...)
	}
	if len(ids) > 0 && a.engine.Wake != nil {
		a.engine.Wake()
	}
	return ids, len(all), nil
}

// trackTx notes the IDs of what is enqueued through it.
type trackTx struct {
	domain.Tx
	ids []uint64
}

func (t *trackTx) Enqueue(it *domain.OutboxItem) error {
	if err := t.Tx.Enqueue(it); err != nil {
		return err
	}
	t.ids = append(t.ids, it.ID)
	return nil
}

func enqueueTracked(tx domain.Tx, fn func(domain.Tx) (int, error)) ([]uint64, error) {
	t := &trackTx{Tx: tx}
	_, err := fn(t)
	return t.ids, err
}

// deliverNow runs the outbox through the given senders until the listed
// items are delivered, have failed for good, or must wait past
// digestDeliverFor. Other items due in the outbox go out with them.
func (a *app) deliverNow(ctx context.Context, senders map[string]delivery.Sender, ids []uint64) (sent, waiting, failed int, err error) {
	loop := a.outboxLoop(senders)
	deadline := time.Now().Add(digestDeliverFor)
	for {
		if _, err := loop.RunOnce(ctx); err != nil {
			return 0, 0, 0, err
		}
		sent, waiting, failed = 0, 0, 0
		var next time.Time
		if err := a.store.View(func(tx domain.Tx) error {
			for _, id := range ids {
				it, err := tx.OutboxItem(id)
				switch {
				case domain.ErrorCode(err) == domain.ENOTFOUND:
					sent++
				case err != nil:
					return err
				case it.Failed:
					failed++
				default:
					waiting++
					if _, ok := senders[domain.ChannelID(it.Dest).Platform()]; ok && (next.IsZero() || it.NextTry.Before(next)) {
						next = it.NextTry
					}
				}
			}
			return nil
		}); err != nil {
			return 0, 0, 0, err
		}
		if waiting == 0 || next.IsZero() || next.After(deadline) {
			return sent, waiting, failed, nil
		}
		select {
		case <-ctx.Done():
			return sent, waiting, failed, nil
		case <-time.After(max(time.Until(next), 50*time.Millisecond)):
		}
	}
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
	wake := func() {
		if w := a.engine.Wake; w != nil {
			w()
		}
	}
	sched := newScheduler(a, wake)
	a.scheduleOnce = func(ctx context.Context) error {
		_, err := sched.RunOnce(a.clock.Now())
		return err
	}
	a.digestNow = func(ctx context.Context) error {
		_, _, err := a.enqueueDigests("", "on request")
		return err
	}
}
