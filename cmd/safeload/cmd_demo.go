package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/safeload/safeload/adapters/console"
	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/domain"
)

// runDemo plays a whole meeting in a temporary store with no configuration
// and no network.
func (c *cli) runDemo(args []string) int {
	if len(args) > 0 {
		return c.fail(exitUsage, "demo takes no arguments")
	}
	dir, err := os.MkdirTemp("", "safeload-demo-")
	if err != nil {
		return c.fail(exitFailed, "%v", err)
	}
	defer os.RemoveAll(dir)
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		return c.fail(exitFailed, "%v", err)
	}
	// The demo runs on its own clock from Monday 09:00 of this week, so
	// working days and escalations play out in seconds.
	start := domain.WeekStart(time.Now(), loc).Add(9 * time.Hour)
	fc := clock.NewFake(start)
	cfg := &Config{DB: filepath.Join(dir, "demo.db"), TZ: loc, Policy: domain.DefaultPolicy(), LogFormat: "text",
		DigestCron: "0 9 * * MON", Admins: []domain.PersonID{console.DemoAdmin}}
	cfg.LogLevel = 2 // errors only: the transcript is the output
	a, err := c.openApp(cfg, fc)
	if err != nil {
		return c.fail(exitFailed, "%v", err)
	}
	defer a.Close()
	con := a.newConsole(func(p domain.PersonID) string { return console.DemoNames[p] })
	env := console.DemoEnv{
		Console: con,
		Seed:    a.engine.Handle,
		Advance: fc.Advance,
	}
	if a.scheduleOnce != nil {
		env.Tick = a.scheduleOnce
	}
	if a.digestNow != nil {
		env.Digest = a.digestNow
	}
	if err := console.RunDemo(c.ctx, env); err != nil {
		return c.fail(exitFailed, "%v", err)
	}
	path, err := a.demoReport(fc.Now())
	if err != nil {
		return c.fail(exitFailed, "demo: the report: %v", err)
	}
	fmt.Fprintln(c.stdout, a.prompts.Say("demo.report", map[string]any{"Path": path}))
	return exitOK
}

// newConsole builds a terminal adapter over the app whose outbox is shown
// as it fills: console people get their messages in the terminal; people on
// Slack or Discord keep theirs in the outbox for serve.
func (a *app) newConsole(names func(domain.PersonID) string) *console.Console {
	con := &console.Console{Handler: a.engine, Prompts: a.prompts, Out: a.out, Names: names}
	loop := &delivery.Loop{Store: a.store, Clock: a.clock, Log: a.log, Senders: map[string]delivery.Sender{console.Platform: con}}
	con.Flush = func(ctx context.Context) {
		if _, err := loop.RunOnce(ctx); err != nil {
			a.log.WithError(err).Error("outbox")
		}
	}
	return con
}

// runConsole lets a person type slash commands against a store.
func (c *cli) runConsole(args []string) int {
	fs := flag.NewFlagSet("console", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	db := fs.String("db", "", "the store file (default SAFELOAD_DB or ./safeload.db)")
	as := fs.String("as", "", "who you are, e.g. slack:U024BE7LH or console:meg (default console:admin)")
	channel := fs.String("channel", "", "the channel you type in (default the first team's channel)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		return c.fail(exitUsage, "console: unexpected %q; usage: safeload console [--db FILE] [--as ID]", fs.Arg(0))
	}
	cfg, code, ok := c.config()
	if !ok {
		return code
	}
	if *db != "" {
		cfg.DB = *db
	}
	who := domain.PersonID(*as)
	if who == "" {
		who = console.DemoAdmin
	}
	if who.Platform() == "" {
		return c.fail(exitUsage, "console: --as must be platform:id, e.g. console:meg or slack:U024BE7LH")
	}
	if who.Platform() == console.Platform && len(cfg.Admins) == 0 {
		// A terminal on a fresh store needs someone who may set it up.
		cfg.Admins = []domain.PersonID{console.DemoAdmin}
	}
	a, err := c.openApp(cfg, nil)
	if err != nil {
		return c.fail(exitFailed, "%v", err)
	}
	defer a.Close()
	con := a.newConsole(nil)
	con.As = who
	con.Channel = domain.ChannelID(*channel)
	if con.Channel == "" {
		con.Channel = a.defaultChannel(who)
	}
	fmt.Fprintln(c.stdout, a.prompts.Say("console.welcome", map[string]any{"Who": string(who), "Channel": string(con.Channel)}))
	if err := con.Run(c.ctx, c.stdin); err != nil {
		return c.fail(exitFailed, "%v", err)
	}
	fmt.Fprintln(c.stdout)
	return exitOK
}

// defaultChannel is the channel of the person's first team, or a console
// channel for a new team.
func (a *app) defaultChannel(who domain.PersonID) domain.ChannelID {
	ch := domain.ChannelID(console.Platform + ":#team")
	_ = a.store.View(func(tx domain.Tx) error {
		ms, err := tx.Memberships(who)
		if err != nil || len(ms) == 0 {
			teams, err := tx.Teams()
			if err == nil && len(teams) > 0 && teams[0].Channel != "" {
				ch = teams[0].Channel
			}
			return nil
		}
		if t, err := tx.Team(ms[0].Team); err == nil && t.Channel != "" {
			ch = t.Channel
		}
		return nil
	})
	return ch
}
