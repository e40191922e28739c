package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/sirupsen/logrus"
	"golang.org/x/time/rate"
)

// Issuer is the issuer of every token the Bot Framework signs for a bot.
const Issuer = "https://api.botframework.com"

// DefaultOpenIDURL is the Bot Framework's OpenID metadata, which names the
// keys its tokens are signed with.
const DefaultOpenIDURL = "https://login.botframework.com/v1/.well-known/openidconfiguration"

// maxSkew is how far past its expiry a token is still taken, for clocks
// that disagree.
const maxSkew = 5 * time.Minute

// metadataRetry is how long after a failed fetch of the metadata the next
// request waits before fetching it again, so an outage there is not
// hammered by every request.
const metadataRetry = 10 * time.Second

// Why a request was refused. The caller only ever gets 401; the log says
// which.
var (
	errNoToken      = errors.New("no Bearer token in the Authorization header")
	errNoKeys       = errors.New("the signing keys could not be fetched from the OpenID metadata")
	errServiceURL   = errors.New("the token's serviceurl claim does not match the activity's serviceUrl")
	errTenant       = errors.New("the activity comes from another tenant")
	errNoServiceURL = errors.New("the token carries no serviceurl claim")
)

// claims are a Bot Framework token's claims.
type claims struct {
	jwt.RegisteredClaims
	ServiceURL string `json:"serviceurl"`
}

// Verifier checks the Bot Framework's tokens. The keys come from the
// OpenID metadata's jwks_uri and are cached; a token signed with a key
// not in the cache makes the cache refresh (at most once in five
// minutes), which is how Microsoft's key rotations are followed.
type Verifier struct {
	AppID     string
	OpenIDURL string
	Client    *http.Client
	Now       func() time.Time
	Log       logrus.FieldLogger

	// Retry is how long after a failed fetch of the metadata the next
	// request waits to fetch it again (default metadataRetry).
	Retry time.Duration

	ctx context.Context // ends the key cache's refreshing

	mu       sync.Mutex
	keys     keyfunc.Keyfunc
	failedAt time.Time
	lastErr  error
}

// Check verifies the Authorization header's token: signature by a key of
// the metadata, issuer, audience (the bot's app ID), expiry (with five
// minutes of skew). It returns the token's service URL, which the caller
// must compare with the activity's.
func (v *Verifier) Check(ctx context.Context, authorization string) (string, error) {
	raw, ok := strings.CutPrefix(authorization, "Bearer ")
	if !ok || strings.TrimSpace(raw) == "" {
		return "", errNoToken
	}
	keys, err := v.keyfunc(ctx)
	if err != nil {
		return "", err
	}
	var c claims
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(v.AppID),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(maxSkew),
		jwt.WithTimeFunc(v.Now),
	)
	if _, err := p.ParseWithClaims(strings.TrimSpace(raw), &c, keys.KeyfuncCtx(ctx)); err != nil {
		return "", err
	}
	if c.ServiceURL == "" {
		return "", errNoServiceURL
	}
	return c.ServiceURL, nil
}

// ready is false after the keys could not be fetched, until they are.
func (v *Verifier) ready() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.keys != nil || v.failedAt.IsZero()
}

// sameServiceURL compares service URLs as the Bot Framework writes them,
// with or without the final slash.
func sameServiceURL(a, b string) bool {
	return a != "" && strings.TrimRight(a, "/") == strings.TrimRight(b, "/")
}

// keyfunc builds the key cache from the metadata the first time it is
// needed (and again after a failure), so a start-up while Microsoft is
// unreachable does not stop the bot.
func (v *Verifier) keyfunc(ctx context.Context) (keyfunc.Keyfunc, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.keys != nil {
		return v.keys, nil
	}
	retry := v.Retry
	if retry == 0 {
		retry = metadataRetry
	}
	if !v.failedAt.IsZero() && time.Since(v.failedAt) < retry {
		return nil, fmt.Errorf("%w: %v", errNoKeys, v.lastErr)
	}
	keys, err := v.load(ctx)
	if err != nil {
		v.failedAt, v.lastErr = time.Now(), err
		return nil, fmt.Errorf("%w: %v", errNoKeys, err)
	}
	v.keys, v.failedAt = keys, time.Time{}
	return keys, nil
}

func (v *Verifier) load(ctx context.Context) (keyfunc.Keyfunc, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.OpenIDURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := v.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", v.OpenIDURL, resp.Status)
	}
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&meta); err != nil {
		return nil, fmt.Errorf("OpenID metadata at %s: %w", v.OpenIDURL, err)
	}
	if meta.JWKSURI == "" {
		return nil, fmt.Errorf("OpenID metadata at %s has no jwks_uri", v.OpenIDURL)
	}
	noErrorFirst := false
	log := v.Log
	return keyfunc.NewDefaultOverrideCtx(v.ctx, []string{meta.JWKSURI}, keyfunc.Override{
		Client:                    v.Client,
		HTTPTimeout:               10 * time.Second,
		NoErrorReturnFirstHTTPReq: &noErrorFirst,
		RefreshInterval:           12 * time.Hour,
		RefreshUnknownKID:         rate.NewLimiter(rate.Every(5*time.Minute), 1),
		RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
			return func(_ context.Context, err error) {
				log.WithError(err).WithField("url", u).Warn("teams: refreshing the signing keys failed")
			}
		},
	})
}
