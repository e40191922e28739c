package slack

import (
	"encoding/json"

	slackgo "github.com/slack-go/slack"
)

// ackMessage is slackgo.WebhookMessage field for field, with the same JSON
// names in the same order, except that its blocks are a plain slice rather
// than slackgo.Blocks. encoding/json re-scans (compacts) whatever a
// MarshalJSON method returns, and Blocks has one, so marshalling the
// WebhookMessage walks every block's JSON twice; this writes the same bytes
// in one pass (the blocks are marshalled by the same encoder either way).
type ackMessage struct {
	Username        string               `json:"username,omitempty"`
	IconEmoji       string               `json:"icon_emoji,omitempty"`
	IconURL         string               `json:"icon_url,omitempty"`
	Channel         string               `json:"channel,omitempty"`
	ThreadTimestamp string               `json:"thread_ts,omitempty"`
	Text            string               `json:"text,omitempty"`
	Attachments     []slackgo.Attachment `json:"attachments,omitempty"`
	Parse           string               `json:"parse,omitempty"`
	// Blocks: nil when the message has no Blocks (omitted, as a nil
	// *Blocks is); a nil slice behind it is written as null, as Blocks is.
	Blocks          *[]slackgo.Block `json:"blocks,omitempty"`
	ResponseType    string           `json:"response_type,omitempty"`
	ReplaceOriginal bool             `json:"replace_original"`
	DeleteOriginal  bool             `json:"delete_original"`
	ReplyBroadcast  bool             `json:"reply_broadcast,omitempty"`
	UnfurlLinks     *bool            `json:"unfurl_links,omitempty"`
	UnfurlMedia     *bool            `json:"unfurl_media,omitempty"`
}

// marshalWebhook is json.Marshal(w), byte for byte, in one pass.
func marshalWebhook(w *slackgo.WebhookMessage) ([]byte, error) {
	m := ackMessage{
		Username: w.Username, IconEmoji: w.IconEmoji, IconURL: w.IconURL, Channel: w.Channel,
		ThreadTimestamp: w.ThreadTimestamp, Text: w.Text, Attachments: w.Attachments, Parse: w.Parse,
		ResponseType: w.ResponseType, ReplaceOriginal: w.ReplaceOriginal, DeleteOriginal: w.DeleteOriginal,
		ReplyBroadcast: w.ReplyBroadcast, UnfurlLinks: w.UnfurlLinks, UnfurlMedia: w.UnfurlMedia,
	}
	if w.Blocks != nil {
		m.Blocks = &w.Blocks.BlockSet
	}
	return json.Marshal(&m)
}
