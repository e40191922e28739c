package discord

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/domain"
)

// Discord's JSON error code that decides where a message goes.
const codeUnknownChannel = discordgo.ErrCodeUnknownChannel

// Send delivers one outbox message to dest, "discord:<id>": a channel post
// for a channel, a DM for a person. The outbox writes both with the same
// prefix, so the message's audience decides; a message with none (an admin
// notice) is tried as a channel and, when Discord knows no such channel, as
// a DM. A message too big for one Discord message goes as several; if a
// later one fails, the retry carries on after those already posted.
func (a *Adapter) Send(ctx context.Context, dest string, msg domain.Message) error {
	key := partsKey(dest, msg)
	a.sendMu.Lock()
	done := a.posted[key]
	a.sendMu.Unlock()
	err := a.SendParts(ctx, dest, msg, done, func(n int) error {
		a.sendMu.Lock()
		a.posted[key] = n
		a.sendMu.Unlock()
		return nil
	})
	a.sendMu.Lock()
	if err == nil || delivery.IsPermanent(err) {
		delete(a.posted, key)
	}
	a.sendMu.Unlock()
	return err
}

// SendParts is Send for the outbox loop, which keeps the count of parts
// posted in the store: a restart carries on where the last run stopped.
func (a *Adapter) SendParts(ctx context.Context, dest string, msg domain.Message, skip int, posted func(int) error) error {
	id, ok := strings.CutPrefix(dest, platform+":")
	if !ok || id == "" {
		return delivery.Permanent(fmt.Errorf("discord: %q is not a Discord destination", dest))
	}
	outs, err := a.render.Render(msg)
	if err != nil {
		return delivery.Permanent(err)
	}
	return a.sendFrom(ctx, id, msg, outs, skip, posted)
}

// sendFrom posts outs[done:] to id, calling posted after each part.
func (a *Adapter) sendFrom(ctx context.Context, id string, msg domain.Message, outs []Outgoing, done int, posted func(int) error) error {
	var err error
	channel, dm := id, msg.Audience == domain.ToPerson
	if dm {
		if channel, err = a.dmChannel(ctx, id); err != nil {
			return classify(err)
		}
	}
	for i := done; i < len(outs); i++ {
		err := a.postPart(ctx, channel, outs[i], i, msg.Image)
		if err != nil && apiCode(err) == codeUnknownChannel {
			switch {
			case dm: // a DM channel we remembered is gone: open it again
				a.forgetDM(id)
				if channel, err = a.dmChannel(ctx, id); err == nil {
					err = a.postPart(ctx, channel, outs[i], i, msg.Image)
				}
			case msg.Audience == "" && i == 0: // not a channel: a person
				if channel, err = a.dmChannel(ctx, id); err == nil {
					dm = true
					err = a.postPart(ctx, channel, outs[i], i, msg.Image)
				}
			}
		}
		if err != nil {
			return classify(err)
		}
		if err := posted(i + 1); err != nil {
			return err
		}
	}
	return nil
}

func partsKey(dest string, msg domain.Message) string {
	b, _ := json.Marshal(msg)
	sum := sha256.Sum256(b)
	return dest + "\x00" + string(sum[:])
}

func (a *Adapter) post(ctx context.Context, channel string, o Outgoing) error {
	_, err := a.outbox.ChannelMessageSendComplex(channel, &discordgo.MessageSend{
		Content: o.Content, Embeds: o.Embeds, Components: o.Components, AllowedMentions: allowUsers(),
	}, discordgo.WithContext(ctx))
	return err
}

// dmChannel opens (or finds) the DM channel with a user.
func (a *Adapter) dmChannel(ctx context.Context, user string) (string, error) {
	a.sendMu.Lock()
	ch, ok := a.dms[user]
	a.sendMu.Unlock()
	if ok {
		return ch, nil
	}
	c, err := a.outbox.UserChannelCreate(user, discordgo.WithContext(ctx))
	if err != nil {
		return "", err
	}
	a.sendMu.Lock()
	a.dms[user] = c.ID
	a.sendMu.Unlock()
	return c.ID, nil
}

func (a *Adapter) forgetDM(user string) {
	a.sendMu.Lock()
	delete(a.dms, user)
	a.sendMu.Unlock()
}

func apiCode(err error) int {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil {
		return re.Message.Code
	}
	return 0
}

// classify turns a discordgo error into the outbox's terms: a 429 waits as
// long as Discord asks; 401, 403, 404 and 400 cannot get better by trying
// again; anything else (5xx, network) is retried with backoff.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) {
		wait := time.Second
		if rl.RateLimit != nil && rl.TooManyRequests != nil && rl.RetryAfter > 0 {
			// discordgo truncates retry_after to whole milliseconds (64.57
			// s becomes 64.569 s): a millisecond more never retries early.
			wait = rl.RetryAfter + time.Millisecond
		}
		return &delivery.RetryAfterError{After: wait, Err: err}
	}
	if errors.Is(err, discordgo.ErrUnauthorized) {
		return delivery.Permanent(err)
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Op == "parse" {
		return delivery.Permanent(err) // an ID that makes no URL never will
	}
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		switch re.Response.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusBadRequest:
			return delivery.Permanent(err)
		case http.StatusTooManyRequests:
			return &delivery.RetryAfterError{After: time.Second, Err: err}
		}
	}
	return err
}
