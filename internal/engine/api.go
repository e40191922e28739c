// Package engine is safeload's platform-neutral command engine: it takes a
// Request (who, where, which command or button) and returns plain Messages.
// It enforces every permission and writes each action, its audit entries and
// any messages for other people (to the outbox) in one store transaction.
//
// It must not import an adapter, a chat library or anything that does I/O
// beyond the domain.Store it is given.
package engine

import (
	"context"

	"github.com/safeload/safeload/internal/domain"
)

// Request is one slash command or one button press, from any platform.
type Request struct {
	// Platform is "slack", "discord" or "console": it turns mentions like
	// <@U123> into person IDs like "slack:U123".
	Platform string
	// Channel is where the command was typed, e.g. "slack:C0123ABCD".
	Channel domain.ChannelID
	// Caller is who typed or pressed, e.g. "slack:U01".
	Caller     domain.PersonID
	CallerName string
	// Command is "allocate", "capacity" or "caseload" (no slash); Text is
	// everything typed after it, with mentions as the platform sends them.
	Command string
	Text    string
	// Action is the opaque action ID of a pressed button; Command and Text
	// are then empty.
	Action string
	// InteractionID identifies the platform request, for logs.
	InteractionID string
	// Direct is true when Channel is a direct message with the bot: only
	// there does a command outside a team channel mean the caller's team,
	// and only for answers the caller alone sees.
	Direct bool
}

// Response is what the caller's platform should show at once.
type Response struct {
	// Messages are for the caller (ToCaller: ephemeral) or the channel
	// (ToChannel), in order; a message with Replace updates the message
	// whose button was pressed. Messages for other people are already in
	// the outbox.
	Messages []domain.Message
	// Name is the command's metric name ("allocate.propose", "button.accept").
	Name string
	// Code is "" on success, or the domain error code of a refusal.
	Code string
	// Err is the internal error behind an EINTERNAL code, for the log only.
	Err error
	// Team is the team the request was about, when known (for logs).
	Team string
	// Panicked is true when handling the request panicked (Err has the
	// stack); the caller got a private internal-error answer.
	Panicked bool
}

// Handler is what every adapter calls. *Engine implements it.
type Handler interface {
	Handle(ctx context.Context, req Request) Response
}
