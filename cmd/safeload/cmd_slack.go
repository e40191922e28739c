package main

import (
	"errors"
	"flag"
	"fmt"

	slackadapter "github.com/safeload/safeload/adapters/slack"
	"github.com/safeload/safeload/prompts"
)

// runSlack is `safeload slack manifest [--url https://…] [--socket]`: the
// app manifest to create the Slack app from.
func (c *cli) runSlack(args []string) int {
	const usage = "usage: safeload slack manifest [--url https://your.host] [--socket]"
	if len(args) == 0 || args[0] != "manifest" {
		return c.fail(exitUsage, "%s", usage)
	}
	fs := flag.NewFlagSet("slack manifest", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	base := fs.String("url", "", "safeload's public https address, for HTTP mode (the endpoints are under /slack/)")
	socket := fs.Bool("socket", false, "Socket Mode: the bot connects out, no public URL needed")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		return c.fail(exitUsage, "%s", usage)
	}
	p, err := prompts.Load(c.getenv("SAFELOAD_PROMPTS"))
	if err != nil {
		return c.fail(exitUsage, "bad configuration: SAFELOAD_PROMPTS: %v", err)
	}
	m, err := slackadapter.Manifest(slackadapter.ManifestOptions{URL: *base, Socket: *socket}, p)
	if err != nil {
		return c.fail(exitUsage, "%v\n%s", err, usage)
	}
	fmt.Fprint(c.stdout, m)
	return exitOK
}

// slackPlatform builds the Slack adapter when SLACK_BOT_TOKEN is set (nil
// otherwise): the signed endpoints, Socket Mode when SLACK_APP_TOKEN is set,
// and the outbox's Slack sender.
func slackPlatform(a *app) (*platform, error) {
	cfg := a.cfg
	if cfg.SlackBotToken == "" {
		return nil, nil
	}
	ad, err := slackadapter.New(slackadapter.Config{
		BotToken:      cfg.SlackBotToken,
		SigningSecret: cfg.SlackSigningSecret,
		AppToken:      cfg.SlackAppToken,
		APIURL:        cfg.SlackAPIURL,
		Handler:       a.handler, // counted, timed and logged
		Prompts:       a.prompts,
		Log:           a.log.WithField("platform", "slack"),
		Clock:         a.clock,
	})
	if err != nil {
		return nil, err
	}
	// The endpoints are there in Socket Mode too: without a signing secret
	// they refuse every request, as an unsigned request must be.
	return &platform{name: "slack", routes: ad.Routes(), sender: ad.Sender(), run: ad.Run, connected: ad.Connected}, nil
}
