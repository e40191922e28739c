// Package teams is safeload's Microsoft Teams adapter: a Bot Framework bot.
// It owns everything that knows Teams: verifying the Bot Framework's signed
// requests to POST /teams/messages (a JWT checked against the keys of the
// OpenID metadata, with issuer, audience, expiry, service URL and tenant);
// reading activities (commands typed with or without a slash, the bot's
// @mention stripped, other @mentions turned into people, Action.Submit
// presses); rendering platform-neutral messages as Adaptive Cards within
// Teams' size limit, a message's chart following its cards as an inline
// image; replying through the Bot Connector REST API with the
// bot's own token, private answers always in the person's 1:1 chat with the
// bot; delivering the outbox; remembering where each channel and person can
// be reached; and the app package that `safeload teams manifest` writes.
//
// It talks to the core only through engine.Handler, delivery.Sender and
// domain.Store (for the conversation references it keeps); it must not
// import the store package or any other adapter.
package teams
