// Package discord is safeload's Discord adapter. It owns everything that
// knows Discord: verifying signed HTTP interactions (POST
// /discord/interactions) and receiving the same interactions over the
// gateway; translating slash sub-commands with typed options into the
// engine's text grammar; answering within Discord's three seconds (or
// deferring and following up through the interaction webhook); rendering
// platform-neutral messages as content, embeds and buttons within every
// Discord limit; delivering the outbox (channel posts and DMs) with 429s and
// outages turned into retries; and the slash-command definitions that
// `safeload discord register` uploads.
//
// It must not import the store or any other adapter: it talks to the core
// only through engine.Handler and delivery.Sender, and to Discord only
// through discordgo.
package discord
