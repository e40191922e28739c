package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/safeload/safeload/adapters/discord"
	"github.com/safeload/safeload/prompts"
)

// runDiscord is `safeload discord register [--guild ID] [--print]`: it
// bulk-overwrites the application's /allocate, /capacity and /caseload
// commands. It reads only the settings it needs (DISCORD_BOT_TOKEN,
// DISCORD_APP_ID, DISCORD_API_URL, SAFELOAD_PROMPTS), so it can run before
// the bot is configured to serve.
func (c *cli) runDiscord(args []string) int {
	const usage = "usage: safeload discord register [--guild ID] [--print]"
	if len(args) == 0 || args[0] != "register" {
		return c.fail(exitUsage, "%s", usage)
	}
	fs := flag.NewFlagSet("discord register", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	guild := fs.String("guild", "", "register in one server (guild) only: the commands appear at once there, for trying out")
	printOnly := fs.Bool("print", false, "print the commands as JSON instead of registering them")
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		return c.fail(exitUsage, "%s", usage)
	}
	if *guild != "" && strings.Trim(*guild, "0123456789") != "" {
		return c.fail(exitUsage, "--guild %q is not a Discord server ID (a number)", *guild)
	}
	env := func(k string) string { return strings.TrimSpace(c.getenv(k)) }
	p, err := prompts.Load(env("SAFELOAD_PROMPTS"))
	if err != nil {
		return c.fail(exitUsage, "bad configuration: SAFELOAD_PROMPTS: %v", err)
	}
	cmds, err := discord.Commands(p)
	if err != nil {
		return c.fail(exitUsage, "bad configuration: SAFELOAD_PROMPTS: %v", err)
	}
	if *printOnly {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(cmds); err != nil {
			return c.fail(exitFailed, "%v", err)
		}
		return exitOK
	}
	var missing []string
	token, appID := env("DISCORD_BOT_TOKEN"), env("DISCORD_APP_ID")
	if token == "" {
		missing = append(missing, "DISCORD_BOT_TOKEN")
	}
	if appID == "" {
		missing = append(missing, "DISCORD_APP_ID")
	}
	if len(missing) > 0 {
		return c.fail(exitUsage, "bad configuration: %s: registering commands needs the bot token and the application ID (Discord developer portal)", strings.Join(missing, " and "))
	}
	s, err := discord.NewSession(token, env("DISCORD_API_URL"), nil)
	if err != nil {
		return c.fail(exitUsage, "bad configuration: DISCORD_API_URL: %v", err)
	}
	ctx, cancel := context.WithTimeout(c.ctx, time.Minute)
	defer cancel()
	created, err := discord.Register(ctx, s, appID, *guild, cmds)
	if err != nil {
		var re *discordgo.RESTError
		if errors.As(err, &re) && re.Response != nil {
			switch re.Response.StatusCode {
			case http.StatusUnauthorized:
				return c.fail(exitFailed, "Discord refused DISCORD_BOT_TOKEN: %v", err)
			case http.StatusNotFound, http.StatusForbidden:
				hint := "check DISCORD_APP_ID"
				if *guild != "" {
					hint += " and that the bot is in server " + *guild
				}
				return c.fail(exitFailed, "Discord refused the registration (%s): %v", hint, err)
			}
		}
		return c.fail(exitFailed, "registering the Discord commands: %v", err)
	}
	subs := 0
	for _, cmd := range created {
		subs += len(cmd.Options)
	}
	where := "globally (new commands can take a few minutes to show in every server)"
	if *guild != "" {
		where = "in server " + *guild
	}
	fmt.Fprintf(c.stdout, "Registered %d commands with %d sub-commands %s.\n", len(created), subs, where)
	return exitOK
}

// discordPlatform builds the Discord adapter when it is configured (nil
// when neither DISCORD_BOT_TOKEN nor DISCORD_PUBLIC_KEY is set): HTTP
// interactions at POST /discord/interactions when there is a public key,
// the gateway when DISCORD_GATEWAY=true, and the outbox's Discord sender.
func discordPlatform(a *app) (*platform, error) {
	cfg := a.cfg
	if cfg.DiscordBotToken == "" && cfg.DiscordPublicKey == nil {
		return nil, nil
	}
	if cfg.DiscordBotToken == "" {
		return nil, &configError{"DISCORD_BOT_TOKEN", "DISCORD_PUBLIC_KEY is set but DISCORD_BOT_TOKEN is not: the bot needs its token to post messages"}
	}
	log := a.log.WithField("platform", "discord")
	ad, err := discord.New(discord.Config{
		Handler: a.handler, PublicKey: cfg.DiscordPublicKey, Token: cfg.DiscordBotToken, AppID: cfg.DiscordAppID,
		APIURL: cfg.DiscordAPIURL, Clock: a.clock, Log: log, Prompts: a.prompts,
	})
	if err != nil {
		return nil, &configError{"DISCORD_API_URL", err.Error()}
	}
	p := &platform{name: "discord", routes: map[string]http.Handler{}, sender: ad, run: ad.Drain}
	if cfg.DiscordPublicKey != nil {
		p.routes["/discord/interactions"] = ad
	}
	if cfg.DiscordGateway {
		p.run, p.connected, p.leaderOnly = ad.RunGateway, ad.Connected, true
	}
	modes := []string{}
	for path := range p.routes {
		modes = append(modes, "HTTP interactions at "+path)
	}
	if cfg.DiscordGateway {
		modes = append(modes, "gateway")
	}
	log.WithField("modes", modes).Info("Discord configured")
	return p, nil
}
