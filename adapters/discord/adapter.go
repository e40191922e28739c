package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/sirupsen/logrus"

	"github.com/safeload/safeload/adapters/internal/inflight"
	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/internal/lograte"
	"github.com/safeload/safeload/internal/replay"
	"github.com/safeload/safeload/prompts"
)

// Config is what the adapter needs. Handler, Token and AppID are required;
// PublicKey only for HTTP interactions.
type Config struct {
	Handler engine.Handler
	// PublicKey is the application's Ed25519 key (DISCORD_PUBLIC_KEY).
	PublicKey ed25519.PublicKey
	// Token is the bot token (DISCORD_BOT_TOKEN), with or without "Bot ".
	Token string
	// AppID is the application ID (DISCORD_APP_ID).
	AppID string
	// APIURL is the REST base URL including the version (DISCORD_API_URL);
	// "" is Discord's own.
	APIURL string
	// HTTPClient, when set, is the client REST calls are made with (its
	// Transport is wrapped to honour APIURL).
	HTTPClient *http.Client
	Clock      clock.Clock
	Log        logrus.FieldLogger
	Prompts    *prompts.Set
	// Deadline is how long an interaction waits for the engine before it is
	// deferred (answered "thinking…" and finished by follow-up). Discord
	// drops an interaction not answered within 3 s; default 2 s.
	Deadline time.Duration
}

// Adapter is the Discord adapter: an http.Handler for POST
// /discord/interactions, a gateway client, and a delivery.Sender.
type Adapter struct {
	cfg Config
	// session carries the gateway and every answer to an interaction;
	// outbox posts messages. Each has its own rate limiter, so a rate
	// limit on posting (even a global one, which discordgo waits out on
	// every later call) never makes an interaction miss its 3 seconds:
	// Discord does not count interaction answers against it.
	session *discordgo.Session
	outbox  *discordgo.Session
	render  renderer
	log     logrus.FieldLogger

	// work counts answers still being finished after the first response
	// (deferred engine runs, follow-ups), so shutdown and tests can wait.
	work inflight.Counter

	sendMu sync.Mutex
	dms    map[string]string // user ID → DM channel ID
	posted map[string]int    // outbox message key → Discord messages already posted

	// replays drops an interaction seen before (by its id).
	replays replay.Guard
	// badSigs rate-limits the warning about refused signatures (Discord
	// itself sends bad ones to check they are refused).
	badSigs lograte.Limiter

	gwMu      sync.Mutex
	connected bool
}

var (
	_ http.Handler        = (*Adapter)(nil)
	_ delivery.Sender     = (*Adapter)(nil)
	_ delivery.PartSender = (*Adapter)(nil)
)

// followupTTL bounds a deferred answer: an interaction token lasts 15 minutes.
const followupTTL = 14 * time.Minute

// New builds the adapter and its REST session.
func New(cfg Config) (*Adapter, error) {
	if cfg.Handler == nil {
		return nil, errors.New("discord: no handler")
	}
	if cfg.Token == "" {
		return nil, errors.New("discord: DISCORD_BOT_TOKEN is not set")
	}
	if cfg.PublicKey != nil && len(cfg.PublicKey) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("discord: DISCORD_PUBLIC_KEY must be %d bytes", ed25519.PublicKeySize)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Log == nil {
		cfg.Log = logrus.StandardLogger()
	}
	if cfg.Deadline <= 0 {
		cfg.Deadline = 2 * time.Second
	}
	s, err := NewSession(cfg.Token, cfg.APIURL, cfg.HTTPClient)
	if err != nil {
		return nil, err
	}
	out, err := NewSession(cfg.Token, cfg.APIURL, cfg.HTTPClient)
	if err != nil {
		return nil, err
	}
	return &Adapter{
		cfg: cfg, session: s, outbox: out, render: renderer{prompts: cfg.Prompts},
		log: cfg.Log,
		dms: map[string]string{}, posted: map[string]int{},
	}, nil
}

// Wait blocks until every answer still being finished has been sent.
func (a *Adapter) Wait() { a.work.Wait() }

func (a *Adapter) say(name, fallback string, data any) string {
	return a.render.say(name, fallback, data)
}

// maxBody bounds an interaction's body; real ones are a few kilobytes, so
// anything bigger is refused before more of it is read.
const maxBody = 64 << 10

// ServeHTTP answers POST /discord/interactions. A missing or bad signature,
// or a timestamp more than five minutes off, gets 401 before anything else
// is read or done.
func (a *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if r.ContentLength > maxBody {
		http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
		return
	}
	ts := r.Header.Get("X-Signature-Timestamp")
	if ts == "" || a.cfg.PublicKey == nil || !Verify(a.cfg.PublicKey, ts, body, r.Header.Get("X-Signature-Ed25519")) {
		if ok, n := a.badSigs.Allow(a.cfg.Clock.Now()); ok {
			a.log.WithFields(logrus.Fields{"remote": r.RemoteAddr, "suppressed": n}).Warn("interaction refused: bad signature")
		}
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return
	}
	if !fresh(ts, a.cfg.Clock.Now()) {
		if ok, n := a.badSigs.Allow(a.cfg.Clock.Now()); ok {
			a.log.WithFields(logrus.Fields{"remote": r.RemoteAddr, "timestamp": ts, "suppressed": n}).Warn("interaction refused: stale timestamp")
		}
		http.Error(w, "stale request timestamp", http.StatusUnauthorized)
		return
	}
	var in discordgo.Interaction
	if err := json.Unmarshal(body, &in); err != nil {
		http.Error(w, "malformed interaction", http.StatusBadRequest)
		return
	}
	first, later := a.answer(r.Context(), &in)
	// Counted before the answer goes, so that Wait, once the answer is
	// read, also waits for what follows it.
	follow := a.finish(later)
	out, err := json.Marshal(first)
	if err != nil {
		a.log.WithError(err).Error("cannot encode interaction response")
		http.Error(w, "internal error", http.StatusInternalServerError)
		follow(false)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(out)))
	_, _ = w.Write(out)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	// Follow-ups must reach Discord after the answer they follow.
	follow(true)
}

// finish counts the rest of an answer for Wait at once, and returns the
// function that starts it in the background (or, given false, drops it)
// once the first response is on its way.
func (a *Adapter) finish(later func(context.Context)) func(start bool) {
	if later == nil {
		return func(bool) {}
	}
	a.work.Add()
	return func(start bool) {
		if !start {
			a.work.Done()
			return
		}
		go func() {
			defer a.work.Done()
			ctx, cancel := context.WithTimeout(context.Background(), followupTTL)
			defer cancel()
			later(ctx)
		}()
	}
}

// answer is the one code path of HTTP and gateway interactions: it returns
// the first response, due within 3 seconds, and what must follow it (nil
// when nothing does).
func (a *Adapter) answer(ctx context.Context, in *discordgo.Interaction) (*discordgo.InteractionResponse, func(context.Context)) {
	switch in.Type {
	case discordgo.InteractionPing:
		return &discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong}, nil
	case discordgo.InteractionApplicationCommand, discordgo.InteractionMessageComponent:
	case discordgo.InteractionApplicationCommandAutocomplete:
		return &discordgo.InteractionResponse{Type: discordgo.InteractionApplicationCommandAutocompleteResult,
			Data: &discordgo.InteractionResponseData{Choices: []*discordgo.ApplicationCommandOptionChoice{}}}, nil
	default:
		return a.privateText(a.say("discord.unsupported", "safeload cannot answer that kind of interaction.", nil)), nil
	}
	req, refusal := a.request(in)
	if refusal != "" {
		return a.privateText(refusal), nil
	}
	if !a.replays.First(in.ID, a.cfg.Clock.Now()) {
		// A signed interaction sent again within its signature's five
		// minutes: answered, and nothing runs twice.
		a.log.WithField("interaction", in.ID).Warn("repeated interaction dropped")
		return a.privateText(a.say("discord.replay", "That request was already handled.", nil)), nil
	}
	// The handler logs and counts each request (cmd wraps the engine);
	// the adapter logs only what is its own doing.
	log := a.log.WithFields(logrus.Fields{"interaction": in.ID, "user": string(req.Caller)})
	button := in.Type == discordgo.InteractionMessageComponent
	resp, inTime, done := engine.AnswerWithin(ctx, a.cfg.Handler, req, a.cfg.Deadline)
	if inTime {
		return a.respond(in, resp, button)
	}
	// Too slow for Discord's 3 seconds: acknowledge now, answer later. A
	// command is deferred privately, so a refusal never shows in the
	// channel; a button press is deferred without changing its message.
	log.Info("engine slow: interaction deferred")
	first := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral}}
	if button {
		first = &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}
	}
	return first, func(ctx context.Context) {
		var resp engine.Response
		select {
		case resp = <-done:
		case <-ctx.Done():
			log.Error("engine did not answer before the interaction token expired")
			return
		}
		a.followDeferred(ctx, in, resp, button)
	}
}

// request reads who, where and what from an interaction. A refusal is the
// private answer for something the engine cannot be asked.
func (a *Adapter) request(in *discordgo.Interaction) (engine.Request, string) {
	var u *discordgo.User
	if in.Member != nil && in.Member.User != nil {
		u = in.Member.User
	} else {
		u = in.User
	}
	req := engine.Request{Platform: platform, Channel: domain.ChannelID(platform + ":" + in.ChannelID), InteractionID: in.ID,
		Direct: in.GuildID == ""}
	if u == nil || u.ID == "" {
		return req, a.say("discord.no_user", "safeload could not tell who you are; please try again.", nil)
	}
	req.Caller = domain.PersonID(platform + ":" + u.ID)
	req.CallerName = displayName(u)
	if in.Type == discordgo.InteractionMessageComponent {
		req.Action = in.MessageComponentData().CustomID
		return req, ""
	}
	command, text, err := translate(in.ApplicationCommandData())
	if err != nil {
		name := err.Error()
		var unknown *errUnknownCommand
		if errors.As(err, &unknown) {
			name = unknown.name
		}
		return req, a.say("discord.unknown_command", "I don't know "+name+".", map[string]any{"Name": name})
	}
	req.Command, req.Text = command, text
	return req, ""
}

func (a *Adapter) privateText(text string) *discordgo.InteractionResponse {
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: text, Flags: discordgo.MessageFlagsEphemeral,
			AllowedMentions: allowUsers()}}
}

// part is one Discord message of the answer, with whether only the caller
// sees it and whether it updates the pressed message.
type part struct {
	Outgoing
	private bool
	replace bool
}

// parts renders the engine's messages, the message that replaces the
// pressed one first (Discord allows an update only as the first response).
func (a *Adapter) parts(resp engine.Response, button bool) []part {
	var first, rest []part
	for _, m := range resp.Messages {
		outs, err := a.render.Render(m)
		if err != nil {
			a.log.WithError(err).Error("cannot render message")
			outs = []Outgoing{{Content: a.say("error.internal", "Something went wrong on our side.", nil)}}
			m = domain.Message{Audience: domain.ToCaller}
		}
		for i, o := range outs {
			p := part{Outgoing: o, private: m.Audience != domain.ToChannel}
			if button && m.Replace && i == 0 && len(first) == 0 {
				p.replace = true
				first = append(first, p)
				continue
			}
			rest = append(rest, p)
		}
	}
	all := append(first, rest...)
	if len(all) == 0 {
		all = []part{{Outgoing: Outgoing{Content: a.say("common.ok", "Done.", nil)}, private: true}}
	}
	return all
}

// respond builds the first response from the engine's answer; any further
// Discord messages follow through the interaction webhook.
func (a *Adapter) respond(in *discordgo.Interaction, resp engine.Response, button bool) (*discordgo.InteractionResponse, func(context.Context)) {
	ps := a.parts(resp, button)
	first := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: responseData(ps[0])}
	if ps[0].replace {
		first.Type = discordgo.InteractionResponseUpdateMessage
	}
	rest := ps[1:]
	if len(rest) == 0 {
		return first, nil
	}
	return first, func(ctx context.Context) {
		for _, p := range rest {
			a.followup(ctx, in, p)
		}
	}
}

// followDeferred finishes a deferred answer: the deferred message (the
// private "thinking…" of a command, or the pressed message of a button) is
// edited into the first fitting part; everything else follows.
func (a *Adapter) followDeferred(ctx context.Context, in *discordgo.Interaction, resp engine.Response, button bool) {
	ps := a.parts(resp, button)
	edit := -1
	for i, p := range ps {
		if (button && p.replace) || (!button && p.private) {
			edit = i
			break
		}
	}
	if edit >= 0 {
		a.editOriginal(ctx, in, ps[edit].Outgoing)
	} else if !button {
		a.editOriginal(ctx, in, Outgoing{Content: a.say("discord.posted", "Posted in the channel.", nil)})
	}
	for i, p := range ps {
		if i != edit {
			a.followup(ctx, in, p)
		}
	}
}

func (a *Adapter) editOriginal(ctx context.Context, in *discordgo.Interaction, o Outgoing) {
	content := o.Content
	embeds, components := o.Embeds, o.Components
	if embeds == nil {
		embeds = []*discordgo.MessageEmbed{}
	}
	if components == nil {
		components = []discordgo.MessageComponent{}
	}
	edit := &discordgo.WebhookEdit{Content: &content, Embeds: &embeds, Components: &components, AllowedMentions: allowUsers()}
	err := retry(ctx, func() error {
		_, err := a.session.WebhookMessageEdit(a.appID(in), in.Token, "@original", edit, discordgo.WithContext(ctx))
		return err
	})
	if err != nil {
		a.log.WithError(err).WithField("interaction", in.ID).Error("cannot edit the deferred answer")
	}
}

func (a *Adapter) followup(ctx context.Context, in *discordgo.Interaction, p part) {
	params := &discordgo.WebhookParams{Content: p.Content, Embeds: p.Embeds, Components: p.Components, AllowedMentions: allowUsers()}
	if p.private {
		params.Flags = discordgo.MessageFlagsEphemeral
	}
	err := retry(ctx, func() error {
		_, err := a.session.WebhookExecute(a.appID(in), in.Token, true, params, discordgo.WithContext(ctx))
		return err
	})
	if err != nil {
		a.log.WithError(err).WithField("interaction", in.ID).Error("cannot send a follow-up message")
	}
}

func (a *Adapter) appID(in *discordgo.Interaction) string {
	if in.AppID != "" {
		return in.AppID
	}
	return a.cfg.AppID
}

// retry makes a few attempts at a follow-up, waiting as a 429 asks; the
// interaction token will not outlive a longer wait anyway.
func retry(ctx context.Context, fn func() error) error {
	return delivery.Retry(ctx, 5, 0, classify, fn)
}

// sleep waits for d, or less if ctx ends first; it reports whether it
// waited the whole time.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func responseData(p part) *discordgo.InteractionResponseData {
	d := &discordgo.InteractionResponseData{Content: p.Content, Embeds: p.Embeds, Components: p.Components, AllowedMentions: allowUsers()}
	if p.replace {
		// An update replaces all of the message: no embeds or buttons
		// means none, so a pressed proposal loses its buttons.
		if d.Embeds == nil {
			d.Embeds = []*discordgo.MessageEmbed{}
		}
		if d.Components == nil {
			d.Components = []discordgo.MessageComponent{}
		}
		return d
	}
	if p.private {
		d.Flags = discordgo.MessageFlagsEphemeral
	}
	return d
}

// allowUsers lets messages notify the people they mention, never @everyone
// or a role, whatever someone typed into a concern.
func allowUsers() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{discordgo.AllowedMentionTypeUsers}}
}
