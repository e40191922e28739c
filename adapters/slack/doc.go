// Package slack is safeload's Slack adapter. It owns everything Slack:
// the signed HTTP endpoints POST /slack/commands and /slack/interactions,
// Socket Mode, the 3-second answer rule (answer at once, or acknowledge and
// finish through response_url), rendering the engine's platform-neutral
// messages to Block Kit within Slack's limits, delivering the outbox
// (channel posts and DMs) as a delivery.Sender, and the app manifest.
//
// It only translates: every decision is the engine's. The core (domain,
// engine, store, delivery) must never import this package or slack-go.
package slack
