package discord

import (
	"context"
	"time"

	"github.com/bwmarrin/discordgo"
)

// RunGateway receives interactions over Discord's gateway, for a server that
// cannot expose a public URL (DISCORD_GATEWAY=true), and answers them by
// the same path as HTTP interactions, through the REST callback. It keeps
// trying to connect until ctx ends (discordgo reconnects by itself once
// connected), then closes the connection and waits for answers in flight.
func (a *Adapter) RunGateway(ctx context.Context) error {
	s := a.session
	removers := []func(){
		s.AddHandler(func(_ *discordgo.Session, ic *discordgo.InteractionCreate) {
			if ic.Interaction != nil {
				a.onGateway(ic.Interaction)
			}
		}),
		s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Connect) { a.setConnected(true) }),
		s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Disconnect) { a.setConnected(false) }),
	}
	defer func() {
		for _, r := range removers {
			r()
		}
	}()
	wait := time.Second
	for {
		err := s.Open()
		if err == nil {
			break
		}
		a.log.WithError(err).WithField("retry_in", wait).Warn("cannot connect to the Discord gateway")
		if !sleep(ctx, wait) {
			return nil
		}
		wait = min(wait*2, time.Minute)
	}
	a.log.Info("connected to the Discord gateway")
	<-ctx.Done()
	if err := s.Close(); err != nil {
		a.log.WithError(err).Warn("closing the Discord gateway")
	}
	a.setConnected(false)
	a.Wait()
	return nil
}

// onGateway answers one interaction that came over the gateway.
func (a *Adapter) onGateway(in *discordgo.Interaction) {
	first, later := a.answer(context.Background(), in)
	follow := a.finish(later)
	if err := a.session.InteractionRespond(in, first); err != nil {
		a.log.WithError(err).WithField("interaction", in.ID).Error("cannot answer a gateway interaction")
		follow(false)
		return
	}
	follow(true)
}

// Connected reports whether the gateway connection is up (for /healthz).
func (a *Adapter) Connected() bool {
	a.gwMu.Lock()
	defer a.gwMu.Unlock()
	return a.connected
}

func (a *Adapter) setConnected(up bool) {
	a.gwMu.Lock()
	a.connected = up
	a.gwMu.Unlock()
}

// Drain waits for ctx to end, then for every answer still being finished:
// serve runs it in HTTP mode so follow-ups are not cut off at shutdown.
func (a *Adapter) Drain(ctx context.Context) error {
	<-ctx.Done()
	a.Wait()
	return nil
}
