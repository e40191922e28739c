package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/safeload/safeload/adapters/teams"
	"github.com/safeload/safeload/prompts"
)

// loadTeamsConfig reads the TEAMS_* settings: TEAMS_APP_ID switches the
// adapter on and then needs the password and the tenant; every problem
// names its setting.
func loadTeamsConfig(cfg *Config, env func(k, def string) string) error {
	cfg.TeamsAppID = env("TEAMS_APP_ID", "")
	cfg.TeamsAppPassword = env("TEAMS_APP_PASSWORD", "")
	cfg.TeamsTenantID = env("TEAMS_TENANT_ID", "")
	cfg.TeamsOpenIDURL = env("TEAMS_OPENID_URL", "")
	cfg.TeamsTokenURL = env("TEAMS_TOKEN_URL", "")
	if cfg.TeamsAppID == "" {
		for _, k := range []string{"TEAMS_APP_PASSWORD", "TEAMS_TENANT_ID", "TEAMS_OPENID_URL", "TEAMS_TOKEN_URL"} {
			if env(k, "") != "" {
				return &configError{"TEAMS_APP_ID", k + " is set but TEAMS_APP_ID is not: the Teams adapter needs the bot's app ID"}
			}
		}
		return nil
	}
	if !teams.IsGUID(cfg.TeamsAppID) {
		return &configError{"TEAMS_APP_ID", "must be the bot's Microsoft app (client) ID, a GUID like 00000000-0000-0000-0000-000000000000"}
	}
	if cfg.TeamsAppPassword == "" {
		return &configError{"TEAMS_APP_PASSWORD", "TEAMS_APP_ID is set but TEAMS_APP_PASSWORD (the bot's client secret) is not"}
	}
	if !teams.IsGUID(cfg.TeamsTenantID) {
		return &configError{"TEAMS_TENANT_ID", "must be the council's Microsoft 365 tenant ID, a GUID (the bot is single-tenant)"}
	}
	for _, u := range []struct{ key, val string }{{"TEAMS_OPENID_URL", cfg.TeamsOpenIDURL}, {"TEAMS_TOKEN_URL", cfg.TeamsTokenURL}} {
		if u.val != "" {
			if err := teams.CheckURL(u.val); err != nil {
				return &configError{u.key, err.Error()}
			}
		}
	}
	return nil
}

// runTeams is `safeload teams manifest --url URL > safeload-teams.zip`: the
// app package to upload to Teams (manifest.json and its two icons).
func (c *cli) runTeams(args []string) int {
	const usage = "usage: safeload teams manifest --url https://your.host [--version 1.0.0] > safeload-teams.zip"
	if len(args) == 0 || args[0] != "manifest" {
		return c.fail(exitUsage, "%s", usage)
	}
	fs := flag.NewFlagSet("teams manifest", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	base := fs.String("url", "", "safeload's public https address (the bot's endpoint is this plus /teams/messages)")
	version := fs.String("version", "1.0.0", "the package version; raise it to update an uploaded app")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 || *base == "" {
		return c.fail(exitUsage, "%s", usage)
	}
	appID := c.getenv("TEAMS_APP_ID")
	if !teams.IsGUID(appID) {
		return c.fail(exitUsage, "bad configuration: TEAMS_APP_ID: the package names the bot: set it to the bot's Microsoft app (client) ID, a GUID")
	}
	if f, ok := c.stdout.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return c.fail(exitUsage, "the package is a zip file: redirect it, e.g. safeload teams manifest --url %s > safeload-teams.zip", *base)
		}
	}
	p, err := prompts.Load(c.getenv("SAFELOAD_PROMPTS"))
	if err != nil {
		return c.fail(exitUsage, "bad configuration: SAFELOAD_PROMPTS: %v", err)
	}
	zip, err := teams.Package(teams.ManifestOptions{AppID: appID, URL: *base, Version: *version}, p)
	if err != nil {
		return c.fail(exitUsage, "%v\n%s", err, usage)
	}
	if _, err := c.stdout.Write(zip); err != nil {
		return c.fail(exitFailed, "%v", err)
	}
	return exitOK
}

// teamsPlatform builds the Teams adapter when TEAMS_APP_ID is set (nil
// otherwise): POST /teams/messages, the outbox's Teams sender, and a count
// of refused requests by reason.
func teamsPlatform(a *app) (*platform, error) {
	cfg := a.cfg
	if cfg.TeamsAppID == "" {
		return nil, nil
	}
	refused := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "safeload_teams_refused_total", Help: "Requests to /teams/messages refused, by reason (token, keys, serviceurl, tenant).",
	}, []string{"reason"})
	if err := a.metrics.Registry.Register(refused); err != nil {
		return nil, err
	}
	ad, err := teams.New(teams.Config{
		AppID: cfg.TeamsAppID, AppPassword: cfg.TeamsAppPassword, TenantID: cfg.TeamsTenantID,
		OpenIDURL: cfg.TeamsOpenIDURL, TokenURL: cfg.TeamsTokenURL,
		Handler: a.handler, Store: a.store, Prompts: a.prompts, Log: a.log.WithField("platform", "teams"), Clock: a.clock,
		Refused: func(reason string) { refused.WithLabelValues(reason).Inc() },
	})
	if err != nil {
		return nil, &configError{"TEAMS_APP_ID", err.Error()}
	}
	a.log.WithField("platform", "teams").Info(fmt.Sprintf("Teams configured: POST /teams/messages for app %s in tenant %s", cfg.TeamsAppID, cfg.TeamsTenantID))
	return &platform{name: "teams", routes: ad.Routes(), sender: ad, run: ad.Run, connected: ad.Ready}, nil
}
