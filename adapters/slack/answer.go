package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	slackgo "github.com/slack-go/slack"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
)

const (
	// maxResponseURLPosts is how often Slack lets one response_url be used.
	maxResponseURLPosts = 5
	// maxAckBytes keeps an immediate answer under Socket Mode's 20 KB; a
	// larger one goes through response_url instead.
	maxAckBytes = 19 * 1024
)

// inbound is one slash command or button press, from HTTP or Socket Mode.
type inbound struct {
	req         engine.Request
	team        string // the Slack workspace, for logs
	channel     string // Slack's channel ID, for Web API fallbacks
	user        string // Slack's user ID
	responseURL string
	button      bool
	// ts is the pressed message's timestamp, for chat.update when
	// response_url cannot be used.
	ts string
}

func fromCommand(sc slackgo.SlashCommand) (inbound, bool) {
	if sc.UserID == "" || sc.ChannelID == "" || sc.Command == "" {
		return inbound{}, false
	}
	return inbound{
		req: engine.Request{
			Platform:      "slack",
			Channel:       domain.ChannelID("slack:" + sc.ChannelID),
			Caller:        domain.PersonID("slack:" + sc.UserID),
			CallerName:    sc.UserName,
			Command:       strings.TrimPrefix(sc.Command, "/"),
			Text:          sc.Text,
			InteractionID: sc.TriggerID,
			Direct:        isDM(sc.ChannelID),
		},
		team: sc.TeamID, channel: sc.ChannelID, user: sc.UserID, responseURL: sc.ResponseURL,
	}, true
}

// isDM: Slack's direct-message channel IDs start with D.
func isDM(channel string) bool { return strings.HasPrefix(channel, "D") }

// fromInteraction reads a button press; anything else is not for safeload.
func fromInteraction(cb slackgo.InteractionCallback) (inbound, bool) {
	if cb.Type != slackgo.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) == 0 || cb.User.ID == "" {
		return inbound{}, false
	}
	act := cb.ActionCallback.BlockActions[0]
	action := act.Value // the engine's full ID (see actionID)
	if action == "" {
		action = act.ActionID
	}
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	name := cb.User.Name
	if name == "" {
		name = cb.User.Username
	}
	id := cb.TriggerID
	if id == "" {
		id = act.ActionTs
	}
	return inbound{
		req: engine.Request{
			Platform:      "slack",
			Channel:       domain.ChannelID("slack:" + channel),
			Caller:        domain.PersonID("slack:" + cb.User.ID),
			CallerName:    name,
			Action:        action,
			InteractionID: id,
			Direct:        isDM(channel),
		},
		team: cb.Team.ID, channel: channel, user: cb.User.ID, responseURL: cb.ResponseURL,
		button: true, ts: cb.Container.MessageTs,
	}, true
}

// respond runs a request under the 3-second rule. The engine races a timer:
// when it wins, a slash command's first message is the immediate answer;
// when it loses, the immediate answer is "working on it" (nothing for a
// button) and the result follows through response_url. first is the
// immediate answer's JSON, nil when there is nothing to answer at once.
// then must be called, after the immediate answer is on its way, to send
// the rest; it is nil when there is no rest (the usual case).
func (a *Adapter) respond(ctx context.Context, in inbound) (first json.RawMessage, then func()) {
	start := time.Now()
	if !a.replays.First(in.req.InteractionID, a.cfg.Clock.Now()) {
		// A signed request sent again (a replay within the signature's
		// five minutes): acknowledged, and nothing runs twice.
		a.log.WithField("request_id", in.req.InteractionID).Warn("slack: repeated request dropped")
		return nil, nil
	}
	ctx = context.WithoutCancel(ctx) // the work outlives the HTTP request
	a.inflight.Add()
	resp, inTime, done := engine.AnswerWithin(ctx, a.cfg.Handler, in.req, a.cfg.AnswerWithin)
	switch {
	case inTime:
		a.logResponse(in, resp, start, false)
		var outs []outMsg
		var ack json.RawMessage
		cached := false
		if key := cacheKey(resp); key != "" {
			outs, ack = a.views.render(key, resp.Messages, func() []outMsg { return a.outs(resp) })
			cached = true
		} else {
			outs = a.outs(resp)
		}
		if len(outs) > 0 && !in.button && !outs[0].Replace && outs[0].Audience != domain.ToPerson {
			if !cached {
				ack = outs[0].ack()
			}
			if first = ack; first != nil {
				outs = outs[1:]
			}
		}
		if len(outs) == 0 {
			a.inflight.Done() // the immediate answer is all there is
			return first, nil
		}
		return first, func() {
			defer a.inflight.Done()
			a.followUp(ctx, in, outs)
		}
	default:
		if !in.button {
			first = ackJSON(&slackgo.WebhookMessage{ResponseType: slackgo.ResponseTypeEphemeral, Text: a.cfg.Prompts.Say("slack.working", nil)})
		}
		return first, func() {
			defer a.inflight.Done()
			resp := <-done
			a.logResponse(in, resp, start, true)
			a.followUp(ctx, in, a.outs(resp))
		}
	}
}

// ackJSON is an immediate answer as it is sent, marshalled once both to
// measure it and to send it; nil when it is too large for an immediate
// answer, which then goes through response_url.
func ackJSON(w *slackgo.WebhookMessage) json.RawMessage {
	b, err := marshalWebhook(w)
	if err != nil || len(b) >= maxAckBytes {
		return nil
	}
	return b
}

func (a *Adapter) outs(resp engine.Response) []outMsg {
	var out []outMsg
	for _, m := range resp.Messages {
		out = append(out, a.render.render(m)...)
	}
	return out
}

// followUp sends messages after the immediate answer: through response_url
// while Slack allows it (five times), else, or when it fails, through the
// Web API.
func (a *Adapter) followUp(ctx context.Context, in inbound, outs []outMsg) {
	if len(outs) == 0 {
		return // a deferred answer with no messages
	}
	posts := 0
	log := a.log.WithFields(logrus.Fields{"request_id": in.req.InteractionID, "slack_team": in.team})
	for _, o := range outs {
		if o.Audience != domain.ToPerson && in.responseURL != "" && posts < maxResponseURLPosts {
			posts++
			err := slackgo.PostWebhookCustomHTTPContext(ctx, in.responseURL, a.http, o.webhook())
			if err == nil {
				continue
			}
			log.WithError(redactURL(err)).Warn("slack: response_url failed; answering through the Web API")
		}
		if err := a.viaAPI(ctx, in, o); err != nil {
			log.WithError(err).Error("slack: could not send an answer")
		}
	}
}

func (a *Adapter) viaAPI(ctx context.Context, in inbound, o outMsg) error {
	var err error
	switch {
	case o.Audience == domain.ToPerson && o.To != "":
		// The engine puts messages for others in the outbox; this is only
		// for a reply addressed to someone privately.
		err = a.sender.sendParts(ctx, o.To, []outMsg{o})
	case o.Replace && in.ts != "":
		_, _, _, err = a.api.UpdateMessageContext(ctx, in.channel, in.ts, o.options()...)
	case o.Audience == domain.ToChannel:
		_, _, err = a.api.PostMessageContext(ctx, in.channel, o.options()...)
	default:
		_, err = a.api.PostEphemeralContext(ctx, in.channel, in.user, o.options()...)
	}
	return err
}

// logResponse notes how Slack was answered (the engine's own wrapper logs
// the request itself): a deferred answer is a warning, since it means the
// engine took longer than Slack allows. Never the request's text.
func (a *Adapter) logResponse(in inbound, resp engine.Response, start time.Time, deferred bool) {
	if !deferred && !debugOn(a.log) {
		return // nothing would be written: spare building the entry
	}
	outcome := "ok"
	if resp.Code != "" {
		outcome = resp.Code
	}
	e := a.log.WithFields(logrus.Fields{
		"request_id": in.req.InteractionID, "slack_team": in.team, "team": resp.Team,
		"command": resp.Name, "outcome": outcome, "latency_ms": time.Since(start).Milliseconds(),
		"deferred": deferred,
	})
	if deferred {
		e.Warn("slack: answered late, through response_url")
		return
	}
	e.Debug("slack: answered")
}

// redactURL keeps a response_url out of the log: it is a credential (it
// posts into the channel for 30 minutes), and Go's HTTP errors quote the
// URL they failed on. The host is enough to diagnose.
func redactURL(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	host := "?"
	if u, perr := url.Parse(ue.URL); perr == nil {
		host = u.Host
	}
	return fmt.Errorf("%s https://%s/…: %w", ue.Op, host, ue.Err)
}

// debugOn says whether l writes debug entries; true when it cannot tell.
func debugOn(l logrus.FieldLogger) bool {
	switch l := l.(type) {
	case *logrus.Logger:
		return l.IsLevelEnabled(logrus.DebugLevel)
	case *logrus.Entry:
		return l.Logger == nil || l.Logger.IsLevelEnabled(logrus.DebugLevel)
	}
	return true
}
