package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/safeload/safeload/internal/clock"
	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
	"github.com/safeload/safeload/internal/lograte"
	"github.com/safeload/safeload/internal/replay"
	"github.com/safeload/safeload/prompts"
)

// Config is what the adapter needs from the process.
type Config struct {
	// AppID is the bot's Microsoft app (client) ID (TEAMS_APP_ID): the
	// audience of every token it accepts.
	AppID string
	// AppPassword is its client secret (TEAMS_APP_PASSWORD).
	AppPassword string
	// TenantID is the council's tenant (TEAMS_TENANT_ID); activities from
	// any other tenant are refused.
	TenantID string
	// OpenIDURL is where the signing keys are found; "" is DefaultOpenIDURL.
	OpenIDURL string
	// TokenURL is where the bot gets its token; "" is DefaultTokenURL for
	// the tenant.
	TokenURL string
	Handler  engine.Handler
	// Store keeps the conversation references.
	Store   domain.Store
	Prompts *prompts.Set
	Log     logrus.FieldLogger
	// Clock judges token expiry; nil is the wall clock.
	Clock clock.Clock
	// HTTPClient makes every outgoing call; nil is a client with a 15 s timeout.
	HTTPClient *http.Client
	// Refused, when set, is told each refused request's reason: "token",
	// "keys", "serviceurl" or "tenant" (for a metric).
	Refused func(reason string)
}

// Adapter is the Teams bot: an http.Handler for POST /teams/messages and a
// delivery.Sender for the outbox.
type Adapter struct {
	cfg    Config
	verify *Verifier
	api    *connector
	render renderer
	refs   *refs
	log    logrus.FieldLogger
	stop   context.CancelFunc

	// work counts replies still being sent after a request was answered.
	work sync.WaitGroup
	// lastServiceURL is the service URL of the latest verified activity,
	// for reaching someone whose own reference has none.
	lastServiceURL atomic.Value

	mu sync.Mutex
	// posted counts the cards of a split outbox message already sent, so
	// a retry after a failure half-way does not send them again.
	posted map[string]int

	// replays drops an activity seen before (by its id).
	replays replay.Guard
	// badTokens rate-limits the warning about refused requests.
	badTokens lograte.Limiter
}

var (
	_ http.Handler    = (*Adapter)(nil)
	_ delivery.Sender = (*Adapter)(nil)
)

// New checks the configuration and the adapter's prompts, so a broken
// prompt stops start-up rather than a practitioner's request.
func New(cfg Config) (*Adapter, error) {
	switch {
	case cfg.AppID == "":
		return nil, errors.New("TEAMS_APP_ID is not set")
	case cfg.AppPassword == "":
		return nil, errors.New("TEAMS_APP_PASSWORD is not set")
	case cfg.TenantID == "":
		return nil, errors.New("TEAMS_TENANT_ID is not set")
	case cfg.Handler == nil || cfg.Prompts == nil || cfg.Store == nil:
		return nil, errors.New("teams: a handler, prompts and a store are needed")
	}
	if cfg.OpenIDURL == "" {
		cfg.OpenIDURL = DefaultOpenIDURL
	}
	if cfg.TokenURL == "" {
		cfg.TokenURL = strings.ReplaceAll(DefaultTokenURL, "{tenant}", url.PathEscape(cfg.TenantID))
	}
	for setting, u := range map[string]string{"TEAMS_OPENID_URL": cfg.OpenIDURL, "TEAMS_TOKEN_URL": cfg.TokenURL} {
		if err := CheckURL(u); err != nil {
			return nil, fmt.Errorf("%s: %w", setting, err)
		}
	}
	for _, name := range []string{"teams.continued", "teams.continues", "teams.rag", "teams.picture_too_large", "teams.picture_missing"} {
		if _, err := cfg.Prompts.Check(name, map[string]any{"Title": "T", "Part": 2, "Of": 3, "Dot": "🔴", "RAG": "red",
			"Name": "north-load.png", "KB": 2048, "MaxKB": 1024}); err != nil {
			return nil, fmt.Errorf("prompt %s: %w", name, err)
		}
	}
	if cfg.Log == nil {
		cfg.Log = logrus.StandardLogger()
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	ctx, stop := context.WithCancel(context.Background())
	a := &Adapter{
		cfg:    cfg,
		verify: &Verifier{AppID: cfg.AppID, OpenIDURL: cfg.OpenIDURL, Client: cfg.HTTPClient, Now: cfg.Clock.Now, Log: cfg.Log, ctx: ctx},
		api:    newConnector(cfg.HTTPClient, cfg.AppID, cfg.AppPassword, cfg.TokenURL),
		refs:   &refs{st: cfg.Store, cache: map[string]domain.ConversationRef{}},
		log:    cfg.Log,
		stop:   stop,
		posted: map[string]int{},
	}
	a.render = renderer{p: cfg.Prompts, name: a.name}
	return a, nil
}

// CheckURL accepts an absolute http(s) URL.
func CheckURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}

// Routes are the adapter's HTTP endpoints.
func (a *Adapter) Routes() map[string]http.Handler {
	return map[string]http.Handler{"/teams/messages": a}
}

// Wait blocks until every reply still being sent has gone.
func (a *Adapter) Wait() { a.work.Wait() }

// Close stops refreshing the signing keys and waits for replies in flight.
func (a *Adapter) Close() {
	a.stop()
	a.Wait()
}

// Run holds the adapter until ctx ends, then closes it: serve's life of a
// platform with no connection of its own.
func (a *Adapter) Run(ctx context.Context) error {
	<-ctx.Done()
	done := make(chan struct{})
	go func() { a.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		a.log.Warn("teams: replies still in flight at shutdown")
	}
	return nil
}

// maxBody bounds an activity; Teams' messages are at most about 28 KB.
const maxBody = 1 << 20

// ServeHTTP answers POST /teams/messages. The token is checked before
// anything else is done: a request without a valid Bot Framework token, with
// a service URL other than its token's, or from another tenant, gets 401
// and changes nothing.
func (a *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	serviceURL, err := a.verify.Check(r.Context(), r.Header.Get("Authorization"))
	if err != nil {
		a.refuse(w, r, err)
		return
	}
	var act Activity
	if err := json.Unmarshal(body, &act); err != nil {
		http.Error(w, "malformed activity", http.StatusBadRequest)
		return
	}
	if !sameServiceURL(serviceURL, act.ServiceURL) {
		a.refuse(w, r, errServiceURL)
		return
	}
	if !strings.EqualFold(act.tenant(), a.cfg.TenantID) {
		a.refuse(w, r, errTenant)
		return
	}
	if act.From == nil || act.From.ID == "" || act.Conversation == nil || act.Conversation.ID == "" {
		http.Error(w, "activity without a sender or a conversation", http.StatusBadRequest)
		return
	}
	a.lastServiceURL.Store(act.ServiceURL)
	a.remember(&act)
	if act.Type != "message" {
		// conversationUpdate (the bot added to a team or chat), typing,
		// reactions…: nothing to answer; the references are kept.
		w.WriteHeader(http.StatusOK)
		return
	}
	req, ok := request(&act)
	if !ok {
		w.WriteHeader(http.StatusOK)
		return
	}
	if !a.replays.First(act.ID, a.cfg.Clock.Now()) {
		// An activity sent again (a replay while its token is valid, or a
		// redelivery): acknowledged, and nothing runs twice.
		a.log.WithField("request_id", act.ID).Warn("teams: repeated activity dropped")
		w.WriteHeader(http.StatusOK)
		return
	}
	start := time.Now()
	// The engine's work is one transaction: it finishes even if Teams hangs up.
	// The engine answers a panic of its own as an internal error.
	resp := a.cfg.Handler.Handle(context.WithoutCancel(r.Context()), req)
	a.logResponse(&act, resp, start)
	// Counted before the answer goes, so that Wait, once the answer is
	// read, also waits for the replies.
	a.work.Add(1)
	w.WriteHeader(http.StatusOK)
	go func() {
		defer a.work.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		a.reply(ctx, &act, req, resp)
	}()
}

// refuse answers 401. Anyone can send a bad token, so the warning is
// logged at most once a minute, with how many were left out; the metric
// counts every one.
func (a *Adapter) refuse(w http.ResponseWriter, r *http.Request, why error) {
	if ok, n := a.badTokens.Allow(a.cfg.Clock.Now()); ok {
		a.log.WithFields(logrus.Fields{"remote": r.RemoteAddr, "reason": why.Error(), "suppressed": n}).Warn("teams: request refused")
	}
	if a.cfg.Refused != nil {
		a.cfg.Refused(refusalKind(why))
	}
	http.Error(w, "unauthorized", http.StatusUnauthorized)
}

// refusalKind names a refusal for the metric.
func refusalKind(err error) string {
	switch {
	case errors.Is(err, errServiceURL):
		return "serviceurl"
	case errors.Is(err, errTenant):
		return "tenant"
	case errors.Is(err, errNoKeys):
		return "keys"
	}
	return "token"
}

// Ready reports whether the adapter can check requests: false while the
// signing keys cannot be fetched from the OpenID metadata.
func (a *Adapter) Ready() bool { return a.verify.ready() }

// remember keeps where the sender and the channel can be reached later.
func (a *Adapter) remember(act *Activity) {
	tenant := act.tenant()
	person := domain.ConversationRef{ServiceURL: act.ServiceURL, Tenant: tenant, Name: act.From.Name}
	if act.personal() {
		person.Conversation = act.Conversation.ID
	}
	if err := a.refs.remember(platform+":"+act.From.ID, person); err != nil {
		a.log.WithError(err).Error("teams: cannot keep the sender's conversation reference")
	}
	if act.personal() {
		return
	}
	ch := act.channel()
	name := ""
	if act.ChannelData != nil && act.ChannelData.Channel != nil {
		name = act.ChannelData.Channel.Name
	}
	if err := a.refs.remember(platform+":"+ch, domain.ConversationRef{ServiceURL: act.ServiceURL, Conversation: ch, Tenant: tenant, Name: name}); err != nil {
		a.log.WithError(err).Error("teams: cannot keep the channel's conversation reference")
	}
}

// reply sends the engine's answer: a card that replaces the pressed one is
// an update of it; what is for the channel goes to the conversation the
// command was typed in; everything private goes to the person's 1:1 chat
// with the bot, never to a channel. A message that cannot be sent after a
// few tries goes to the outbox, which keeps trying.
func (a *Adapter) reply(ctx context.Context, act *Activity, req engine.Request, resp engine.Response) {
	pressed := req.Action != "" && act.ReplyToID != ""
	replaced := false
	for _, m := range resp.Messages {
		// dest is where the message goes if the outbox must take it over.
		dest := string(req.Caller)
		if m.Audience == domain.ToChannel && !act.personal() {
			dest = string(req.Channel)
		} else if m.Audience == domain.ToPerson && m.To != "" {
			dest = m.To
		}
		for i, c := range a.render.render(m) {
			var err error
			switch {
			case c.Replace && pressed && !replaced:
				replaced = true
				err = a.try(ctx, func() error {
					return a.api.update(ctx, act.ServiceURL, act.Conversation.ID, act.ReplyToID, c.activity())
				})
			case m.Audience == domain.ToPerson && m.To != "":
				err = a.try(ctx, func() error { return a.deliver(ctx, m.To, true, []outCard{c}) })
			case m.Audience == domain.ToChannel || act.personal():
				err = a.try(ctx, func() error {
					_, err := a.api.post(ctx, act.ServiceURL, act.Conversation.ID, c.activity())
					return err
				})
			default: // private to the caller, who typed in a channel or group chat
				err = a.try(ctx, func() error { return a.deliver(ctx, string(req.Caller), true, []outCard{c}) })
			}
			if err != nil {
				a.log.WithError(err).WithFields(logrus.Fields{"request_id": act.ID, "part": i + 1}).
					Warn("teams: reply not sent; the outbox takes it over")
				a.enqueue(dest, m)
				break
			}
		}
	}
}

// enqueue puts a reply that could not be sent into the outbox, addressed
// as privately as it was meant.
func (a *Adapter) enqueue(dest string, m domain.Message) {
	m.Replace = false
	if m.Audience != domain.ToChannel {
		m.Audience, m.To = domain.ToPerson, dest
	}
	err := a.cfg.Store.Update(func(tx domain.Tx) error {
		return tx.Enqueue(&domain.OutboxItem{Dest: dest, Kind: "reply", Message: m})
	})
	if err != nil {
		a.log.WithError(err).WithField("dest", dest).Error("teams: a reply could not be sent nor kept in the outbox")
	}
}

// try makes a few attempts at a reply, waiting as a 429 asks (up to 10 s);
// the outbox takes over after that.
func (a *Adapter) try(ctx context.Context, fn func() error) error {
	return delivery.Retry(ctx, 3, 10*time.Second, classify, fn)
}

// name is how a person mentioned by the engine is shown: their name in the
// store, else as Teams last named them, else their ID.
func (a *Adapter) name(p domain.PersonID) string {
	var name string
	_ = a.cfg.Store.View(func(tx domain.Tx) error {
		if pr, err := tx.Person(p); err == nil && pr.Name != "" {
			name = pr.Name
		}
		return nil
	})
	if name == "" {
		if ref, ok, err := a.refs.get(string(p)); err == nil && ok {
			name = ref.Name
		}
	}
	if name == "" {
		name = strings.TrimPrefix(string(p), platform+":")
	}
	return name
}

// logResponse notes how a request went (the engine's own wrapper logs the
// request itself). Never the request's text.
func (a *Adapter) logResponse(act *Activity, resp engine.Response, start time.Time) {
	outcome := "ok"
	if resp.Code != "" {
		outcome = resp.Code
	}
	a.log.WithFields(logrus.Fields{
		"request_id": act.ID, "team": resp.Team, "command": resp.Name, "outcome": outcome,
		"latency_ms": time.Since(start).Milliseconds(),
	}).Debug("teams: answered")
}
