package domain

import "time"

// ConversationRef is how a chat platform that cannot reach a channel or a
// person by ID alone (Microsoft Teams: an endpoint per region, a
// conversation per chat, a tenant) reaches them later, for messages nobody
// asked for at that moment: escalations, digests, private answers.
type ConversationRef struct {
	ServiceURL string `json:"service_url"`
	// Conversation is the channel, or a person's 1:1 chat with the bot ("" while
	// there is none yet).
	Conversation string `json:"conversation,omitempty"`
	Tenant       string `json:"tenant,omitempty"`
	// Name is how the platform last named the person or channel.
	Name   string    `json:"name,omitempty"`
	SeenAt time.Time `json:"seen_at"`
}
