package teams

import (
	"encoding/json"
	"html"
	"regexp"
	"strconv"
	"strings"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
)

// platform prefixes Teams people and channels: "teams:29:1abc",
// "teams:19:abc@thread.tacv2".
const platform = "teams"

// Activity is the part of a Bot Framework activity safeload reads or writes
// (the Bot Connector REST API's Activity object).
type Activity struct {
	Type         string          `json:"type"`
	ID           string          `json:"id,omitempty"`
	ServiceURL   string          `json:"serviceUrl,omitempty"`
	ChannelID    string          `json:"channelId,omitempty"`
	From         *Account        `json:"from,omitempty"`
	Conversation *Conversation   `json:"conversation,omitempty"`
	Recipient    *Account        `json:"recipient,omitempty"`
	Text         string          `json:"text,omitempty"`
	TextFormat   string          `json:"textFormat,omitempty"`
	Summary      string          `json:"summary,omitempty"`
	Attachments  []Attachment    `json:"attachments,omitempty"`
	Entities     []Entity        `json:"entities,omitempty"`
	ChannelData  *ChannelData    `json:"channelData,omitempty"`
	ReplyToID    string          `json:"replyToId,omitempty"`
	Value        json.RawMessage `json:"value,omitempty"`
	MembersAdded []Account       `json:"membersAdded,omitempty"`
}

// Account is a person or bot.
type Account struct {
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	AADObjectID string `json:"aadObjectId,omitempty"`
}

// Conversation is where an activity happened.
type Conversation struct {
	ID string `json:"id"`
	// ConversationType is "personal" (the 1:1 chat with the bot),
	// "channel" or "groupChat".
	ConversationType string `json:"conversationType,omitempty"`
	TenantID         string `json:"tenantId,omitempty"`
	IsGroup          bool   `json:"isGroup,omitempty"`
	Name             string `json:"name,omitempty"`
}

// Attachment carries a card (Content), or a picture inline as a data: URI
// (ContentURL) with its file name.
type Attachment struct {
	ContentType string `json:"contentType"`
	Content     any    `json:"content,omitempty"`
	ContentURL  string `json:"contentUrl,omitempty"`
	Name        string `json:"name,omitempty"`
}

// Entity is a mention (other entity types are read and ignored).
type Entity struct {
	Type      string   `json:"type"`
	Text      string   `json:"text,omitempty"`
	Mentioned *Account `json:"mentioned,omitempty"`
}

// ChannelData is Teams' own part of an activity.
type ChannelData struct {
	Tenant  *IDRef `json:"tenant,omitempty"`
	Team    *IDRef `json:"team,omitempty"`
	Channel *IDRef `json:"channel,omitempty"`
}

// IDRef is an object that is known by its id.
type IDRef struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// tenant is the tenant an activity comes from.
func (a *Activity) tenant() string {
	if a.ChannelData != nil && a.ChannelData.Tenant != nil && a.ChannelData.Tenant.ID != "" {
		return a.ChannelData.Tenant.ID
	}
	if a.Conversation != nil {
		return a.Conversation.TenantID
	}
	return ""
}

// personal reports whether the activity is in the 1:1 chat with the bot.
func (a *Activity) personal() bool {
	return a.Conversation != nil && a.Conversation.ConversationType == "personal"
}

// channel is where safeload says the activity was typed: a team channel's
// ID (the conversation without ";messageid=…"), else the chat's
// conversation ID.
func (a *Activity) channel() string {
	if a.ChannelData != nil && a.ChannelData.Channel != nil && a.ChannelData.Channel.ID != "" {
		return a.ChannelData.Channel.ID
	}
	if a.Conversation == nil {
		return ""
	}
	id, _, _ := strings.Cut(a.Conversation.ID, ";")
	return id
}

// submitted is the data of a pressed Action.Submit button.
type submitted struct {
	Action string `json:"action"`
}

// request reads an activity as the engine's request: the first word names
// the command (allocate, capacity, caseload; with or without a slash), the
// rest is its text. ok is false for an activity that asks nothing (no text
// and no press).
func request(a *Activity) (engine.Request, bool) {
	req := engine.Request{
		Platform:      platform,
		Channel:       domain.ChannelID(platform + ":" + a.channel()),
		Caller:        domain.PersonID(platform + ":" + a.From.ID),
		CallerName:    a.From.Name,
		InteractionID: a.ID,
		Direct:        a.personal(),
	}
	if len(a.Value) > 0 {
		var s submitted
		if json.Unmarshal(a.Value, &s) == nil && s.Action != "" {
			req.Action = s.Action
			return req, true
		}
	}
	text := commandText(a)
	if text == "" {
		return req, false
	}
	word, rest, _ := strings.Cut(text, " ")
	word = strings.ToLower(strings.TrimPrefix(word, "/"))
	if word == "setup" {
		// "@safeload setup North CIN" binds the channel, like /caseload setup.
		word, rest = "caseload", "setup "+rest
	}
	req.Command, req.Text = word, strings.TrimSpace(rest)
	return req, true
}

var (
	tags   = regexp.MustCompile(`</?[a-zA-Z][^<>]*>`)
	spaces = regexp.MustCompile(`\s+`)
)

// commandText is what the person typed, with the bot's own @mention taken
// out and every other @mention written as the engine's <@teams:ID|Name>.
// Teams sends the text as HTML-ish: tags other than mentions are dropped and
// entities unescaped.
func commandText(a *Activity) string {
	text := strings.ReplaceAll(a.Text, "\x00", "")
	var people []string
	for _, e := range a.Entities {
		if e.Type != "mention" || e.Mentioned == nil || e.Text == "" {
			continue
		}
		i := strings.Index(text, e.Text)
		if i < 0 {
			continue
		}
		repl := " "
		if a.Recipient == nil || e.Mentioned.ID != a.Recipient.ID {
			name := mentionName(e)
			// A placeholder keeps the mention whole through the clean-up below.
			repl = " \x00" + strconv.Itoa(len(people)) + "\x00 "
			people = append(people, "<@"+platform+":"+e.Mentioned.ID+"|"+name+">")
		}
		text = text[:i] + repl + text[i+len(e.Text):]
	}
	text = html.UnescapeString(tags.ReplaceAllString(text, " "))
	text = strings.TrimSpace(spaces.ReplaceAllString(strings.ReplaceAll(text, "\u00a0", " "), " "))
	for i, p := range people {
		text = strings.Replace(text, "\x00"+strconv.Itoa(i)+"\x00", p, 1)
	}
	return text
}

// mentionName is the name a mention shows, without the <at> tags; the
// engine's mention syntax cannot carry ">" or "|".
func mentionName(e Entity) string {
	name := e.Mentioned.Name
	if name == "" {
		name = strings.TrimSuffix(strings.TrimPrefix(e.Text, "<at>"), "</at>")
	}
	name = html.UnescapeString(name)
	return strings.NewReplacer(">", "", "<", "", "|", "").Replace(name)
}
