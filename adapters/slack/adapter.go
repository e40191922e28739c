package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"
	slackgo "github.com/slack-go/slack"

	"github.com/safeload/safeload/adapters/internal/inflight"
	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/internal/lograte"
	"github.com/safeload/safeload/internal/replay"
	"github.com/safeload/safeload/prompts"
)

// DefaultAnswerWithin is how long a request waits for the engine before it
// is acknowledged and finished through response_url: Slack drops what is
// not answered within 3 seconds, and the answer still has to travel.
const DefaultAnswerWithin = 2500 * time.Millisecond

// Config is what the adapter needs from the process.
type Config struct {
	BotToken string // xoxb-…: the Web API (posts, DMs, updates)
	// SigningSecret checks the HTTP endpoints; without it they refuse every
	// request.
	SigningSecret string
	// AppToken (xapp-…) switches on Socket Mode.
	AppToken string
	// APIURL is the base of the Web API (SLACK_API_URL); "" is Slack's.
	APIURL  string
	Handler engine.Handler
	Prompts *prompts.Set
	Log     logrus.FieldLogger
	// Clock judges request timestamps; nil is the wall clock.
	Clock clock.Clock
	// AnswerWithin defaults to DefaultAnswerWithin.
	AnswerWithin time.Duration
	// HTTPClient calls the Web API and response_url; nil is a client with a
	// 10 s timeout.
	HTTPClient *http.Client
}

// Adapter is one Slack app connected to the engine.
type Adapter struct {
	cfg    Config
	api    *slackgo.Client
	http   *http.Client
	verify Verifier
	render renderer
	// views keeps the rendered answers of views shared by a team.
	views  renderCache
	log    logrus.FieldLogger
	sender *Sender

	inflight inflight.Counter
	// replays drops a signed request seen before (by trigger_id).
	replays replay.Guard
	// badSigs rate-limits the warning about refused signatures.
	badSigs   lograte.Limiter
	connected atomic.Bool
}

// New checks the configuration and the adapter's prompts, so a broken
// prompt stops start-up rather than a practitioner's request.
func New(cfg Config) (*Adapter, error) {
	if cfg.BotToken == "" {
		return nil, errors.New("SLACK_BOT_TOKEN is not set")
	}
	if cfg.Handler == nil || cfg.Prompts == nil {
		return nil, errors.New("slack: a handler and prompts are needed")
	}
	for _, name := range []string{"slack.working", "slack.continued", "slack.continues"} {
		if _, err := cfg.Prompts.Check(name, map[string]any{"Title": "T", "Part": 2, "Of": 3}); err != nil {
			return nil, fmt.Errorf("prompt %s: %w", name, err)
		}
	}
	if cfg.Log == nil {
		cfg.Log = logrus.StandardLogger()
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.AnswerWithin <= 0 {
		cfg.AnswerWithin = DefaultAnswerWithin
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	opts := []slackgo.Option{slackgo.OptionHTTPClient(cfg.HTTPClient)}
	if cfg.APIURL != "" {
		// slack-go appends the method name to the URL as it is.
		if !strings.HasSuffix(cfg.APIURL, "/") {
			cfg.APIURL += "/"
		}
		opts = append(opts, slackgo.OptionAPIURL(cfg.APIURL))
	}
	if cfg.AppToken != "" {
		opts = append(opts, slackgo.OptionAppLevelToken(cfg.AppToken))
	}
	a := &Adapter{
		cfg:    cfg,
		api:    slackgo.New(cfg.BotToken, opts...),
		http:   cfg.HTTPClient,
		verify: Verifier{Secret: cfg.SigningSecret, Now: cfg.Clock.Now},
		render: renderer{p: cfg.Prompts},
		log:    cfg.Log,
	}
	a.sender = &Sender{a: a, dms: map[string]string{}, progress: map[string]int{}}
	return a, nil
}

// Routes are the HTTP endpoints Slack posts to.
func (a *Adapter) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"/slack/commands":     a.CommandsHandler(),
		"/slack/interactions": a.InteractionsHandler(),
	}
}

// Sender delivers the outbox to Slack.
func (a *Adapter) Sender() *Sender { return a.sender }

// SocketMode reports whether the adapter connects out over Socket Mode.
func (a *Adapter) SocketMode() bool { return a.cfg.AppToken != "" }

// Connected reports whether the Socket Mode connection is up (always true in
// HTTP mode, which has no connection to lose).
func (a *Adapter) Connected() bool { return !a.SocketMode() || a.connected.Load() }

// Wait blocks until every answer still being finished through response_url
// has been sent.
func (a *Adapter) Wait() { a.inflight.Wait() }

// Run holds Socket Mode open until ctx ends, when configured; in either mode
// it then waits (a bounded time) for answers still being finished, so the
// store is not closed under them.
func (a *Adapter) Run(ctx context.Context) error {
	var err error
	if a.SocketMode() {
		err = a.runSocket(ctx)
	} else {
		<-ctx.Done()
	}
	done := make(chan struct{})
	go func() { a.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		a.log.Warn("slack: answers still in flight at shutdown")
	}
	return err
}
