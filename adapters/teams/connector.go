package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/safeload/safeload/adapters/internal/textcut"
	"github.com/safeload/safeload/internal/delivery"
)

// BotScope is what the bot's token is asked for: the Bot Connector.
const BotScope = "https://api.botframework.com/.default"

// DefaultTokenURL is where a single-tenant bot gets its token; {tenant} is
// TEAMS_TENANT_ID.
const DefaultTokenURL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"

// connector calls the Bot Connector REST API (v3) with the bot's token,
// which clientcredentials fetches and caches until it expires.
type connector struct {
	http   *http.Client
	tokens oauth2.TokenSource
	// botID is the bot as the Bot Connector knows it, "28:<app ID>".
	botID string
}

func newConnector(client *http.Client, appID, password, tokenURL string) *connector {
	cc := clientcredentials.Config{ClientID: appID, ClientSecret: password, TokenURL: tokenURL,
		Scopes: []string{BotScope}, AuthStyle: oauth2.AuthStyleInParams}
	// The token source outlives any one request: it must not carry one's context.
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, client)
	return &connector{http: client, tokens: cc.TokenSource(ctx), botID: "28:" + appID}
}

// apiError is a Bot Connector answer other than 2xx.
type apiError struct {
	Method, URL string
	Status      int
	RetryAfter  time.Duration
	Body        string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.URL, e.Status, http.StatusText(e.Status), e.Body)
}

// statusOf is the HTTP status of a Bot Connector error, 0 for none.
func statusOf(err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// classify turns an error into delivery's terms: a 429 waits as long as
// Retry-After asks; a 5xx, a timeout or a network error is retried with
// backoff; other 4xx answers, and a token refused for the bot's
// credentials, cannot get better by trying again.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var ae *apiError
	if errors.As(err, &ae) {
		switch {
		case ae.Status == http.StatusTooManyRequests:
			wait := ae.RetryAfter
			if wait <= 0 {
				wait = time.Second
			}
			return &delivery.RetryAfterError{After: wait, Err: err}
		case ae.Status >= 500, ae.Status == http.StatusRequestTimeout:
			return err
		default:
			return delivery.Permanent(err)
		}
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		if s := re.Response.StatusCode; s == http.StatusBadRequest || s == http.StatusUnauthorized {
			return delivery.Permanent(fmt.Errorf("the bot's token was refused (check TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_TENANT_ID): %w", err))
		}
	}
	return err
}

// retryAfter reads Retry-After as seconds or as an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(h, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// do makes one call; out, when set, receives the JSON answer.
func (c *connector) do(ctx context.Context, method, serviceURL, path string, in, out any) error {
	tok, err := c.tokens.Token()
	if err != nil {
		return fmt.Errorf("getting the bot's token: %w", err)
	}
	base, err := url.Parse(strings.TrimRight(serviceURL, "/") + "/")
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return delivery.Permanent(fmt.Errorf("service URL %q is not an http(s) URL", serviceURL))
	}
	target := base.String() + path
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return delivery.Permanent(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return delivery.Permanent(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	if in != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return &apiError{Method: method, URL: target, Status: resp.StatusCode,
			RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now()), Body: clip(string(raw), 300)}
	}
	if out != nil && len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: answer is not JSON: %w", method, target, err)
		}
	}
	return nil
}

func clip(s string, n int) string { return textcut.FirstFit(s, n) }

func conversationPath(conversation string) string {
	return "v3/conversations/" + url.PathEscape(conversation) + "/activities"
}

// post sends an activity into a conversation (a channel, a thread, a chat)
// and returns its ID.
func (c *connector) post(ctx context.Context, serviceURL, conversation string, act *Activity) (string, error) {
	var res struct {
		ID string `json:"id"`
	}
	err := c.do(ctx, http.MethodPost, serviceURL, conversationPath(conversation), act, &res)
	return res.ID, err
}

// update replaces an activity the bot sent (a pressed card).
func (c *connector) update(ctx context.Context, serviceURL, conversation, activityID string, act *Activity) error {
	a := *act
	a.ID = activityID
	return c.do(ctx, http.MethodPut, serviceURL, conversationPath(conversation)+"/"+url.PathEscape(activityID), &a, nil)
}

// createPersonal opens (or finds: the Bot Connector answers with the same
// conversation) the 1:1 chat between the bot and a person.
func (c *connector) createPersonal(ctx context.Context, serviceURL, tenant, user string) (string, error) {
	in := map[string]any{
		"bot":         Account{ID: c.botID},
		"members":     []Account{{ID: user}},
		"isGroup":     false,
		"tenantId":    tenant,
		"channelData": ChannelData{Tenant: &IDRef{ID: tenant}},
	}
	var res struct {
		ID string `json:"id"`
	}
	if err := c.do(ctx, http.MethodPost, serviceURL, "v3/conversations", in, &res); err != nil {
		return "", err
	}
	if res.ID == "" {
		return "", fmt.Errorf("creating the 1:1 chat with %s: no conversation in the answer", user)
	}
	return res.ID, nil
}
