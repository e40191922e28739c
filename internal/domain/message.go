package domain

import "time"

// RAG is a red / amber / green rating. The empty RAG means "no rating"
// (students, managers, plain text).
type RAG string

const (
	Green RAG = "green"
	Amber RAG = "amber"
	Red   RAG = "red"
)

func (r RAG) rank() int {
	switch r {
	case Amber:
		return 1
	case Red:
		return 2
	}
	return 0
}

// Worse returns the worse of two ratings.
func Worse(a, b RAG) RAG {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

// Audience says who sees a message.
type Audience string

const (
	ToCaller  Audience = "caller"  // the person who asked, privately
	ToChannel Audience = "channel" // everyone in the channel
	ToPerson  Audience = "person"  // one person privately (a DM)
)

// Message is what the engine says, with no notion of any chat platform.
// Adapters render it (Block Kit, embeds, plain text) within their limits.
type Message struct {
	Audience Audience  `json:"audience"`
	To       string    `json:"to,omitempty"` // person or channel ID when not ToCaller
	Title    string    `json:"title,omitempty"`
	Text     string    `json:"text,omitempty"`
	Fields   []Field   `json:"fields,omitempty"`
	Sections []Section `json:"sections,omitempty"`
	RAG      RAG       `json:"rag,omitempty"`
	Buttons  []Button  `json:"buttons,omitempty"`
	// Replace asks the adapter to update the message whose button was
	// pressed (and drop its buttons) rather than post a new one.
	Replace bool `json:"replace,omitempty"`
	// Footer is a short line of context under the message.
	Footer string `json:"footer,omitempty"`
	// Image is a picture that goes with the message (a digest's chart).
	Image *Image `json:"image,omitempty"`
}

// Section is a titled group of lines within a message (e.g. "Queue").
type Section struct {
	Title string `json:"title,omitempty"`
	Lines []Line `json:"lines"`
}

// Line is one row: a short text with an optional rating.
type Line struct {
	Text string `json:"text"`
	RAG  RAG    `json:"rag,omitempty"`
}

// Field is a label and a value shown side by side.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ButtonStyle hints at how prominent a button is.
type ButtonStyle string

const (
	ButtonPrimary ButtonStyle = "primary"
	ButtonDanger  ButtonStyle = "danger"
)

// Button is a choice with an opaque action ID that the engine understands
// when it comes back. For, when set, is the only person who may press it.
type Button struct {
	Label    string      `json:"label"`
	ActionID string      `json:"action_id"`
	Style    ButtonStyle `json:"style,omitempty"`
	For      PersonID    `json:"for,omitempty"`
}

// OutboxItem is a message waiting to be delivered to a channel or a person.
type OutboxItem struct {
	ID        uint64    `json:"id"`
	Dest      string    `json:"dest"` // a ChannelID or PersonID
	Message   Message   `json:"message"`
	Kind      string    `json:"kind,omitempty"` // e.g. "escalation", "digest", "dm"
	CreatedAt time.Time `json:"created_at"`
	Attempts  int       `json:"attempts"`
	NextTry   time.Time `json:"next_try"`
	LastError string    `json:"last_error,omitempty"`
	// Failed is set when delivery gave up for good (e.g. channel not found).
	Failed bool `json:"failed,omitempty"`
	// PartsSent counts the platform messages of a split message already
	// posted, so a retry (or a restart) carries on after them.
	PartsSent int `json:"parts_sent,omitempty"`
}

// Mention is the platform-neutral way to name a person in message text:
// "<@slack:U01>". Adapters rewrite it to their own mention syntax.
func Mention(p PersonID) string { return "<@" + string(p) + ">" }
