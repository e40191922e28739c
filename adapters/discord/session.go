package discord

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// NewSession is a discordgo session for the bot token whose REST calls go
// to apiURL (DISCORD_API_URL, "" for Discord's own). discordgo's endpoints
// are package variables; rather than change them for the whole process (and
// every test running beside this one), each session's HTTP client rewrites
// Discord's base URL to its own. The session never sleeps on a 429 itself:
// it returns a *discordgo.RateLimitError, so the outbox can wait without
// holding anything up.
func NewSession(token, apiURL string, base *http.Client) (*discordgo.Session, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, errors.New("discord: no bot token")
	}
	if !strings.HasPrefix(token, "Bot ") {
		token = "Bot " + token
	}
	s, err := discordgo.New(token)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 20 * time.Second}
	if base != nil {
		c := *base
		client = &c
	}
	if apiURL != "" {
		to, err := url.Parse(apiURL)
		if err != nil || (to.Scheme != "http" && to.Scheme != "https") || to.Host == "" {
			return nil, fmt.Errorf("discord: DISCORD_API_URL %q is not an http(s) URL", apiURL)
		}
		if !strings.HasSuffix(to.Path, "/") {
			to.Path += "/"
		}
		next := client.Transport
		if next == nil {
			next = http.DefaultTransport
		}
		client.Transport = &rebase{from: discordgo.EndpointAPI, to: to.String(), next: next}
	}
	s.Client = client
	s.ShouldRetryOnRateLimit = false
	// 5xx is the outbox's to retry, with its backoff, not discordgo's at once.
	s.MaxRestRetries = 0
	s.StateEnabled = false
	s.Identify.Intents = discordgo.IntentsNone // interactions need no intents
	return s, nil
}

// rebase sends requests for Discord's API base URL to another one.
type rebase struct {
	from, to string
	next     http.RoundTripper
}

func (r *rebase) RoundTrip(req *http.Request) (*http.Response, error) {
	u := req.URL.String()
	if !strings.HasPrefix(u, r.from) {
		return r.next.RoundTrip(req)
	}
	nu, err := url.Parse(r.to + strings.TrimPrefix(u, r.from))
	if err != nil {
		return nil, err
	}
	out := req.Clone(req.Context())
	out.URL = nu
	out.Host = nu.Host
	return r.next.RoundTrip(out)
}
