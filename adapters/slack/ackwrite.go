package slack

import (
	"encoding/json"
	"strconv"

	slackgo "github.com/slack-go/slack"

	"github.com/safeload/safeload/internal/jsonenc"
)

// ack is the immediate answer of o: ackJSON(o.webhook()), byte for byte.
// The blocks the renderer makes for a command's answer (headers, sections
// of text or fields, contexts of text) are written here directly, without
// encoding/json's reflection; a message with any other block (buttons) is
// marshalled as before.
func (o outMsg) ack() json.RawMessage {
	b, ok := appendAck(make([]byte, 0, ackSizeHint(o)), o)
	if !ok {
		return ackJSON(o.webhook())
	}
	if len(b) >= maxAckBytes {
		return nil
	}
	return b
}

// ackSizeHint is room for o's JSON: its text and the markup around it.
func ackSizeHint(o outMsg) int {
	n := 96 + len(o.Text)
	for _, b := range o.Blocks {
		switch b := b.(type) {
		case *slackgo.SectionBlock:
			n += 64
			if b.Text != nil {
				n += len(b.Text.Text)
			}
			for _, f := range b.Fields {
				if f != nil {
					n += 48 + len(f.Text)
				}
			}
		case *slackgo.HeaderBlock:
			n += 80
			if b.Text != nil {
				n += len(b.Text.Text)
			}
		default:
			n += 128
		}
	}
	return min(n+n/16, maxAckBytes)
}

// appendAck appends what json.Marshal writes for o.webhook(): its text,
// blocks, response type and the two flags, in WebhookMessage's order;
// false when a block is not one it writes.
func appendAck(dst []byte, o outMsg) ([]byte, bool) {
	dst = append(dst, '{')
	if o.Text != "" {
		dst = append(dst, `"text":`...)
		dst = jsonenc.AppendString(dst, o.Text)
		dst = append(dst, ',')
	}
	dst = append(dst, `"blocks":`...)
	if o.Blocks == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i, b := range o.Blocks {
			if i > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			if dst, ok = appendBlock(dst, b); !ok {
				return dst, false
			}
		}
		dst = append(dst, ']')
	}
	if rt := o.responseType(); rt != "" {
		dst = append(dst, `,"response_type":`...)
		dst = jsonenc.AppendString(dst, rt)
	}
	dst = append(dst, `,"replace_original":`...)
	dst = strconv.AppendBool(dst, o.Replace)
	return append(dst, `,"delete_original":false}`...), true
}

// appendBlock writes a header, a section without an accessory, or a
// context of text objects, field by field as slack-go declares them.
func appendBlock(dst []byte, b slackgo.Block) ([]byte, bool) {
	switch b := b.(type) {
	case *slackgo.HeaderBlock:
		dst = appendType(dst, string(b.Type))
		if b.Text != nil {
			dst = append(dst, `,"text":`...)
			dst = appendTextObject(dst, b.Text)
		}
		dst = appendBlockID(dst, b.BlockID)
		if b.Level != 0 {
			dst = append(dst, `,"level":`...)
			dst = strconv.AppendInt(dst, int64(b.Level), 10)
		}
	case *slackgo.SectionBlock:
		if b.Accessory != nil {
			return dst, false
		}
		dst = appendType(dst, string(b.Type))
		if b.Text != nil {
			dst = append(dst, `,"text":`...)
			dst = appendTextObject(dst, b.Text)
		}
		dst = appendBlockID(dst, b.BlockID)
		if len(b.Fields) > 0 {
			dst = append(dst, `,"fields":[`...)
			for i, f := range b.Fields {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendTextObject(dst, f)
			}
			dst = append(dst, ']')
		}
		if b.Expand {
			dst = append(dst, `,"expand":true`...)
		}
	case *slackgo.ContextBlock:
		dst = appendType(dst, string(b.Type))
		dst = appendBlockID(dst, b.BlockID)
		dst = append(dst, `,"elements":`...)
		if b.ContextElements.Elements == nil {
			dst = append(dst, "null"...)
		} else {
			dst = append(dst, '[')
			for i, e := range b.ContextElements.Elements {
				t, ok := e.(*slackgo.TextBlockObject)
				if !ok {
					return dst, false
				}
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendTextObject(dst, t)
			}
			dst = append(dst, ']')
		}
	default:
		return dst, false
	}
	return append(dst, '}'), true
}

func appendType(dst []byte, t string) []byte {
	dst = append(dst, `{"type":`...)
	return jsonenc.AppendString(dst, t)
}

func appendBlockID(dst []byte, id string) []byte {
	if id == "" {
		return dst
	}
	dst = append(dst, `,"block_id":`...)
	return jsonenc.AppendString(dst, id)
}

func appendTextObject(dst []byte, t *slackgo.TextBlockObject) []byte {
	if t == nil {
		return append(dst, "null"...)
	}
	dst = appendType(dst, t.Type)
	dst = append(dst, `,"text":`...)
	dst = jsonenc.AppendString(dst, t.Text)
	if t.Emoji != nil {
		dst = append(dst, `,"emoji":`...)
		dst = strconv.AppendBool(dst, *t.Emoji)
	}
	if t.Verbatim {
		dst = append(dst, `,"verbatim":true`...)
	}
	return append(dst, '}')
}
