package discord_test

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safeload/safeload/adapters/discord"
	"github.com/safeload/safeload/adapters/discord/discordtest"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/engine"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// RFC 8032 §7.1, TEST 2: a one-byte message, 0x72.
const (
	rfcSecret = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"
	rfcPublic = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
	rfcSig    = "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
)

func TestVerifyRFC8032Test2(t *testing.T) {
	pub := ed25519.PublicKey(unhex(t, rfcPublic))
	// The signature is over timestamp+body, so the one-byte message can be
	// given as a timestamp with an empty body; a request with no timestamp
	// at all is never valid.
	if !discord.Verify(pub, "r", nil, rfcSig) {
		t.Fatal("RFC 8032 test 2 does not verify")
	}
	if discord.Verify(pub, "", []byte("r"), rfcSig) {
		t.Fatal("a request without a timestamp verified")
	}
	for name, tc := range map[string]struct{ ts, body, sig string }{
		"other body":        {"", "s", rfcSig},
		"timestamp added":   {"1", "r", rfcSig},
		"flipped bit":       {"r", "", "93" + rfcSig[2:]},
		"upper-case hex ok": {"r", "", strings.ToUpper(rfcSig)},
	} {
		want := name == "upper-case hex ok"
		if got := discord.Verify(pub, tc.ts, []byte(tc.body), tc.sig); got != want {
			t.Errorf("%s: Verify = %v, want %v", name, got, want)
		}
	}
	// Our own signer makes the same signature from the secret key.
	priv := ed25519.NewKeyFromSeed(unhex(t, rfcSecret))
	if got := discordtest.Sign(priv, "", []byte("r")); got != rfcSig {
		t.Fatalf("Sign = %s, want %s", got, rfcSig)
	}
}

func TestVerifyGeneratedKey(t *testing.T) {
	pub, priv := newKey(t)
	other, _ := newKey(t)
	body := []byte(`{"type":1}`)
	sig := discordtest.Sign(priv, "1700000000", body)
	for _, tc := range []struct {
		name      string
		key       ed25519.PublicKey
		ts, body  string
		sig       string
		wantValid bool
	}{
		{"valid", pub, "1700000000", string(body), sig, true},
		{"tampered body", pub, "1700000000", `{"type":2}`, sig, false},
		{"other timestamp", pub, "1700000001", string(body), sig, false},
		{"bad signature", pub, "1700000000", string(body), strings.Repeat("ab", 64), false},
		{"other key", other, "1700000000", string(body), sig, false},
		{"not hex", pub, "1700000000", string(body), "zz" + sig[2:], false},
		{"short", pub, "1700000000", string(body), sig[:126], false},
		{"empty", pub, "1700000000", string(body), "", false},
		{"no key", nil, "1700000000", string(body), sig, false},
		{"short key", pub[:31], "1700000000", string(body), sig, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := discord.Verify(tc.key, tc.ts, []byte(tc.body), tc.sig); got != tc.wantValid {
				t.Fatalf("Verify = %v, want %v", got, tc.wantValid)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	pub := ed25519.PublicKey(unhex(f, rfcPublic))
	f.Add("", []byte("r"), rfcSig)
	f.Add("1700000000", []byte(`{"type":1}`), "00")
	f.Fuzz(func(t *testing.T, ts string, body []byte, sig string) {
		ok := discord.Verify(pub, ts, body, sig)
		if ok && !(ts+string(body) == "r" && strings.EqualFold(sig, rfcSig)) {
			t.Fatalf("accepted a forgery: %q %q %q", ts, body, sig)
		}
	})
}

// counting is an engine that must not be reached by refused requests.
type counting struct{ n atomic.Int32 }

func (c *counting) Handle(_ context.Context, r engine.Request) engine.Response {
	c.n.Add(1)
	return engine.Response{}
}

func TestSignedRequestsOnly(t *testing.T) {
	h := &counting{}
	f := newFixture(t, func(c *discord.Config) { c.Handler = h })
	id, token := f.next()
	body := discordtest.SlashCommand(id, appID, token, guild, people["admin"], "caseload", "setup",
		[]discordtest.Option{{Name: "name", Type: 3, Value: "North CIN"}})
	now := f.clock.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	_, otherKey := newKey(t)

	tampered := discordtest.SignedRequest(f.http.URL, f.key, ts, body)
	tampered.Body = io.NopCloser(strings.NewReader(strings.Replace(string(body), "North", "South", 1)))
	tampered.ContentLength = -1
	noSig := discordtest.SignedRequest(f.http.URL, f.key, ts, body)
	noSig.Header.Del("X-Signature-Ed25519")
	noTS := discordtest.SignedRequest(f.http.URL, f.key, ts, body)
	noTS.Header.Del("X-Signature-Timestamp")
	badSig := discordtest.SignedRequest(f.http.URL, f.key, ts, body)
	badSig.Header.Set("X-Signature-Ed25519", strings.Repeat("0", 128))

	for name, req := range map[string]*http.Request{
		"no signature":           noSig,
		"no timestamp":           noTS,
		"bad signature":          badSig,
		"tampered body":          tampered,
		"other key":              discordtest.SignedRequest(f.http.URL, otherKey, ts, body),
		"six minutes old":        discordtest.SignedRequest(f.http.URL, f.key, strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10), body),
		"six minutes ahead":      discordtest.SignedRequest(f.http.URL, f.key, strconv.FormatInt(now.Add(6*time.Minute).Unix(), 10), body),
		"timestamp not a number": discordtest.SignedRequest(f.http.URL, f.key, now.Format(time.RFC3339), body),
	} {
		t.Run(name, func(t *testing.T) {
			if status, b := f.do(req); status != http.StatusUnauthorized {
				t.Fatalf("status %d (%s), want 401", status, b)
			}
		})
	}
	if n := h.n.Load(); n != 0 {
		t.Fatalf("the engine was asked %d times by refused requests", n)
	}
	if got := f.discord.Requests(); len(got) != 0 {
		t.Fatalf("refused requests reached Discord: %v", got)
	}

	// Within five minutes either way is fine.
	for _, skew := range []time.Duration{-4 * time.Minute, 4 * time.Minute} {
		ts := strconv.FormatInt(now.Add(skew).Unix(), 10)
		if status, b := f.do(discordtest.SignedRequest(f.http.URL, f.key, ts, discordtest.Ping(appID))); status != http.StatusOK {
			t.Fatalf("skew %s: status %d (%s)", skew, status, b)
		}
	}
}

func TestPing(t *testing.T) {
	h := &counting{}
	f := newFixture(t, func(c *discord.Config) { c.Handler = h })
	status, b := f.post(discordtest.Ping(appID))
	if status != http.StatusOK || strings.TrimSpace(string(b)) != `{"type":1}` {
		t.Fatalf("PING answered %d %s, want 200 {\"type\":1}", status, b)
	}
	if h.n.Load() != 0 {
		t.Fatal("a PING reached the engine")
	}
}

// FuzzInteraction: whatever a correctly signed body holds, the handler
// answers (200 or 400) and never panics.
func FuzzInteraction(f *testing.F) {
	fx := newFixture(f, func(c *discord.Config) {
		c.Handler = handlerFunc(func(_ context.Context, r engine.Request) engine.Response {
			return engine.Response{Messages: []domain.Message{{Audience: domain.ToChannel, Title: r.Text, Text: r.Action}}}
		})
	})
	f.Add(discordtest.Ping(appID))
	f.Add(discordtest.SlashCommand("1", appID, "t", guild, people["meg"], "allocate", "propose",
		[]discordtest.Option{{Name: "ref", Type: 3, Value: "C-1"}, {Name: "user", Type: 6, Value: "42"}, {Name: "override", Type: 5, Value: "yes"}}))
	f.Add(discordtest.Press("2", appID, "t", discordtest.Place{ChannelID: "9"}, people["bo"], discordtest.Message{ID: "3"}, "accept:1"))
	f.Add([]byte(`{"type":2,"data":{"name":"allocate","options":[null]}}`))
	f.Add([]byte(`{"type":3,"data":null,"user":{"id":"1"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ts := strconv.FormatInt(fx.clock.Now().Unix(), 10)
		rec := httptest.NewRecorder()
		fx.adapter.ServeHTTP(rec, discordtest.SignedRequest("http://x/discord/interactions", fx.key, ts, body))
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		fx.adapter.Wait()
	})
}
