package teams

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/domain"
)

// Send delivers one outbox message to dest, "teams:<id>": a post in a
// channel for a channel ("19:…"), else a message in the person's 1:1 chat
// with the bot, opened when there is none yet. A message too big for one
// card goes as several, and its picture, if any, follows them in an
// activity of its own; if a later one fails, the retry carries on after
// those already sent.
func (a *Adapter) Send(ctx context.Context, dest string, msg domain.Message) error {
	b, err := json.Marshal(msg)
	if err != nil {
		return delivery.Permanent(err)
	}
	sum := sha256.Sum256(b)
	key := dest + "\x00" + string(sum[:])
	a.mu.Lock()
	done := a.posted[key]
	a.mu.Unlock()
	cards := a.render.render(msg)
	private := msg.Audience == domain.ToPerson || !isChannel(strings.TrimPrefix(dest, platform+":"))
	err = a.deliverFrom(ctx, dest, private, cards, done, func(n int) error {
		a.mu.Lock()
		a.posted[key] = n
		a.mu.Unlock()
		return nil
	})
	if err == nil || delivery.IsPermanent(err) {
		a.mu.Lock()
		delete(a.posted, key)
		a.mu.Unlock()
	}
	return err
}

// SendParts is Send for an outbox that keeps count of the cards already
// sent itself: it starts after the first skip cards and reports each one
// sent to posted, stopping if posted fails.
func (a *Adapter) SendParts(ctx context.Context, dest string, msg domain.Message, skip int, posted func(n int) error) error {
	private := msg.Audience == domain.ToPerson || !isChannel(strings.TrimPrefix(dest, platform+":"))
	return a.deliverFrom(ctx, dest, private, a.render.render(msg), skip, posted)
}

// isChannel tells a Teams channel or chat ("19:…") from a person ("29:…",
// or an Azure AD object ID).
func isChannel(id string) bool { return strings.HasPrefix(id, "19:") }

// deliver sends cards to a person's 1:1 chat (private) or to a channel.
func (a *Adapter) deliver(ctx context.Context, dest string, private bool, cards []outCard) error {
	return a.deliverFrom(ctx, dest, private, cards, 0, func(int) error { return nil })
}

func (a *Adapter) deliverFrom(ctx context.Context, dest string, private bool, cards []outCard, skip int, sent func(int) error) error {
	id, ok := strings.CutPrefix(dest, platform+":")
	if !ok || id == "" {
		return delivery.Permanent(fmt.Errorf("%q is not a Teams channel or person", dest))
	}
	ref, _, err := a.refs.get(dest)
	if err != nil {
		return err
	}
	if ref.ServiceURL == "" {
		if last, _ := a.lastServiceURL.Load().(string); last != "" {
			ref.ServiceURL = last
		} else {
			return delivery.Permanent(fmt.Errorf("safeload has not seen %s in Teams yet, so it does not know where to reach them: they (or their team's channel) must message the bot once", dest))
		}
	}
	if ref.Tenant == "" {
		ref.Tenant = a.cfg.TenantID
	}
	conversation := id
	if private {
		if conversation, err = a.personalChat(ctx, dest, id, ref); err != nil {
			return classify(err)
		}
	} else if ref.Conversation != "" {
		conversation = ref.Conversation
	}
	for i := skip; i < len(cards); i++ {
		_, err := a.api.post(ctx, ref.ServiceURL, conversation, cards[i].activity())
		if err != nil && private && statusOf(err) == http.StatusNotFound && i == skip {
			// The chat we remembered is gone (the app was removed and added
			// again): open a new one.
			if ferr := a.refs.forgetChat(dest); ferr == nil {
				ref.Conversation = ""
				if conversation, err = a.personalChat(ctx, dest, id, ref); err == nil {
					_, err = a.api.post(ctx, ref.ServiceURL, conversation, cards[i].activity())
				}
			}
		}
		if err != nil {
			return classify(fmt.Errorf("sending to %s: %w", dest, err))
		}
		if err := sent(i + 1); err != nil {
			return err
		}
	}
	return nil
}

// personalChat is the person's 1:1 chat with the bot, created with the Bot
// Connector (and remembered) when there is none yet.
func (a *Adapter) personalChat(ctx context.Context, dest, user string, ref domain.ConversationRef) (string, error) {
	if ref.Conversation != "" {
		return ref.Conversation, nil
	}
	conv, err := a.api.createPersonal(ctx, ref.ServiceURL, ref.Tenant, user)
	if err != nil {
		return "", err
	}
	ref.Conversation = conv
	if err := a.refs.remember(dest, ref); err != nil {
		a.log.WithError(err).Warn("teams: cannot keep the 1:1 chat's reference; it will be opened again next time")
	}
	return conv, nil
}
