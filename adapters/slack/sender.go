package slack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	slackgo "github.com/slack-go/slack"

	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/domain"
)

// Sender delivers the outbox to Slack: "slack:C…" is a channel post,
// "slack:U…" a DM (conversations.open, then chat.postMessage). Its errors
// follow delivery's rules: a 429 asks for a wait, a 5xx or a network error
// is retried with backoff, and what retrying cannot mend is permanent.
type Sender struct {
	a  *Adapter
	mu sync.Mutex
	// dms caches each person's DM channel.
	dms map[string]string
	// progress counts the parts of a split message already posted, so a
	// retry after a failure half-way does not post the first parts again.
	progress map[string]int
}

var (
	_ delivery.Sender     = (*Sender)(nil)
	_ delivery.PartSender = (*Sender)(nil)
)

// Send posts one outbox message, in as many parts as Block Kit needs.
func (s *Sender) Send(ctx context.Context, dest string, msg domain.Message) error {
	b, err := json.Marshal(msg)
	if err != nil {
		return delivery.Permanent(err)
	}
	sum := sha256.Sum256(b)
	key := dest + "\x00" + hex.EncodeToString(sum[:])
	s.mu.Lock()
	done := s.progress[key]
	s.mu.Unlock()
	err = s.SendParts(ctx, dest, msg, done, func(n int) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.progress[key] = n
		return nil
	})
	s.mu.Lock()
	if err == nil || delivery.IsPermanent(err) {
		delete(s.progress, key)
	}
	s.mu.Unlock()
	return err
}

// SendParts is Send for the outbox loop, which keeps the count of parts
// posted in the store: a restart carries on where the last run stopped.
func (s *Sender) SendParts(ctx context.Context, dest string, msg domain.Message, skip int, posted func(int) error) error {
	parts := s.a.render.render(msg)
	if err := s.send(ctx, dest, parts, posted, skip); err != nil {
		return err
	}
	// The picture goes last, as its own step of the progress, so a retry
	// after a failed upload posts neither the text nor the picture twice.
	if msg.Image == nil || skip > len(parts) {
		return nil
	}
	if err := s.upload(ctx, dest, msg.Title, msg.Image); err != nil {
		return err
	}
	return posted(len(parts) + 1)
}

// sendParts posts already rendered parts (an answer sent by DM).
func (s *Sender) sendParts(ctx context.Context, dest string, parts []outMsg) error {
	return s.send(ctx, dest, parts, func(int) error { return nil }, 0)
}

func (s *Sender) send(ctx context.Context, dest string, parts []outMsg, posted func(int) error, skip int) error {
	id, ok := strings.CutPrefix(dest, "slack:")
	if !ok || id == "" {
		return delivery.Permanent(fmt.Errorf("%q is not a Slack channel or person", dest))
	}
	channel := id
	if isPerson(id) {
		var err error
		if channel, err = s.dm(ctx, id); err != nil {
			return err
		}
	}
	for i := skip; i < len(parts); i++ {
		if _, _, err := s.a.api.PostMessageContext(ctx, channel, parts[i].options()...); err != nil {
			return classify(fmt.Errorf("chat.postMessage to %s: %w", dest, err))
		}
		if err := posted(i + 1); err != nil {
			return err
		}
	}
	return nil
}

// isPerson tells a user ID (U…, or W… on Enterprise Grid) from a channel.
func isPerson(id string) bool { return strings.HasPrefix(id, "U") || strings.HasPrefix(id, "W") }

// dm opens (once) the bot's DM with a person and returns its channel.
func (s *Sender) dm(ctx context.Context, user string) (string, error) {
	s.mu.Lock()
	ch, ok := s.dms[user]
	s.mu.Unlock()
	if ok {
		return ch, nil
	}
	c, _, _, err := s.a.api.OpenConversationContext(ctx, &slackgo.OpenConversationParameters{Users: []string{user}})
	if err != nil {
		return "", classify(fmt.Errorf("conversations.open with %s: %w", user, err))
	}
	if c == nil || c.ID == "" {
		return "", fmt.Errorf("conversations.open with %s: no channel in the answer", user)
	}
	s.mu.Lock()
	s.dms[user] = c.ID
	s.mu.Unlock()
	return c.ID, nil
}

// permanentErrors are Slack's answers that no retry can change.
var permanentErrors = map[string]bool{
	"channel_not_found": true, "not_in_channel": true, "is_archived": true, "channel_is_archived": true,
	"invalid_auth": true, "not_authed": true, "account_inactive": true, "token_revoked": true,
	"token_expired": true, "no_permission": true, "missing_scope": true, "restricted_action": true,
	"user_not_found": true, "user_disabled": true, "cannot_dm_bot": true, "user_not_visible": true,
	"invalid_blocks": true, "invalid_blocks_format": true, "msg_too_long": true, "no_text": true,
	"too_many_attachments": true, "team_access_not_granted": true, "ekm_access_denied": true,
	"messages_tab_disabled": true, "org_login_required": true, "invalid_arguments": true,
}

// classify turns a Web API error into delivery's terms.
func classify(err error) error {
	var rl *slackgo.RateLimitedError
	if errors.As(err, &rl) {
		return &delivery.RetryAfterError{After: rl.RetryAfter, Err: err}
	}
	var sc slackgo.StatusCodeError
	if errors.As(err, &sc) {
		if sc.Code >= 500 || sc.Code == http.StatusTooManyRequests || sc.Code == http.StatusRequestTimeout {
			return err
		}
		return delivery.Permanent(err)
	}
	var se slackgo.SlackErrorResponse
	if errors.As(err, &se) && permanentErrors[se.Err] {
		return delivery.Permanent(err)
	}
	return err // network trouble, Slack's internal_error, ratelimited…: try again later
}
