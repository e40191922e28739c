package slack

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// Socket Mode: the same requests as the HTTP endpoints, arriving over a
// WebSocket that the bot opens itself, so a council can run it behind its
// firewall with no public URL. The acknowledgement of an envelope is the
// immediate answer; the rest follows through response_url as over HTTP.

// maxReconnectWait caps the wait between attempts to reconnect.
const maxReconnectWait = 5 * time.Minute

func (a *Adapter) runSocket(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	smc := socketmode.New(a.api, socketmode.OptionLog(socketLog{a.log}))
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		a.keepConnected(ctx, smc)
	}()
	for {
		select {
		case <-ctx.Done():
			a.connected.Store(false)
			<-stopped
			return nil
		case evt := <-smc.Events:
			a.onSocketEvent(ctx, smc, evt)
		}
	}
}

// keepConnected runs the connection; slack-go reconnects after a drop or a
// "disconnect" by itself, and returns only on a failure it will not retry
// (a bad token): this keeps trying, slower and slower, and says so.
func (a *Adapter) keepConnected(ctx context.Context, smc *socketmode.Client) {
	wait := time.Second
	for {
		err := smc.RunContext(ctx)
		if ctx.Err() != nil {
			return
		}
		a.connected.Store(false)
		a.log.WithError(err).WithField("retry_in", wait.String()).Error("slack: Socket Mode connection failed")
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, maxReconnectWait)
	}
}

func (a *Adapter) onSocketEvent(ctx context.Context, smc *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnected:
		a.connected.Store(true)
		a.log.Info("slack: Socket Mode connected")
		return
	case socketmode.EventTypeConnecting, socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth, socketmode.EventTypeDisconnect:
		if a.connected.Swap(false) {
			a.log.WithField("event", string(evt.Type)).Warn("slack: Socket Mode connection lost; reconnecting")
		}
		return
	}
	if evt.Request == nil || evt.Request.EnvelopeID == "" {
		return
	}
	var in inbound
	ok := false
	switch data := evt.Data.(type) {
	case slackgo.SlashCommand:
		in, ok = fromCommand(data)
	case slackgo.InteractionCallback:
		in, ok = fromInteraction(data)
	}
	envelope := evt.Request.EnvelopeID
	if !ok {
		a.ack(ctx, smc, envelope, nil) // an event we do not handle: Slack must not resend it
		return
	}
	if in.req.InteractionID == "" {
		in.req.InteractionID = envelope
	}
	a.inflight.Add()
	go func() {
		defer a.inflight.Done()
		first, then := a.respond(ctx, in)
		a.ack(ctx, smc, envelope, first)
		if then != nil {
			then()
		}
	}()
}

func (a *Adapter) ack(ctx context.Context, smc *socketmode.Client, envelope string, payload json.RawMessage) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	var p any
	if payload != nil {
		p = payload
	}
	if err := smc.AckCtx(ctx, envelope, p); err != nil {
		a.log.WithError(err).WithField("envelope", envelope).Error("slack: could not acknowledge a Socket Mode request")
	}
}

// socketLog sends slack-go's Socket Mode debug lines to our log.
type socketLog struct{ l logrus.FieldLogger }

func (s socketLog) Output(_ int, msg string) error {
	s.l.WithField("component", "slack-socketmode").Debug(strings.TrimSpace(msg))
	return nil
}
