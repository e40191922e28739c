package teams

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/safeload/safeload/adapters/teams/faketeams"
)

// storeSum is a digest of the whole store file.
func (h *harness) storeSum(t *testing.T) [32]byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := h.st.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b.Bytes())
}

// TestRefusals: every request that is not from the Bot Framework for this
// bot and tenant gets 401, reaches neither the engine nor Teams, and leaves
// the store as it was, byte for byte.
func TestRefusals(t *testing.T) {
	h := newHarness(t)
	// A team exists, so a command that got through would change something.
	h.skipBot = false
	if code := h.send(t, h.activity(h.Person("admin"), "caseload setup North CIN", false), ""); code != http.StatusOK {
		t.Fatalf("setup: %d", code)
	}
	var reasons []string
	h.ad.cfg.Refused = func(reason string) { reasons = append(reasons, reason) }
	now := h.clock.Now()
	forged := faketeams.UnpublishedKey()
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": Issuer, "aud": testAppID,
		"serviceurl": h.fake.ServiceURL(), "exp": now.Add(time.Hour).Unix()})
	hs.Header["kid"] = "key-1"
	hsToken, _ := hs.SignedString([]byte("guessable"))
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"iss": Issuer, "aud": testAppID,
		"serviceurl": h.fake.ServiceURL(), "exp": now.Add(time.Hour).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	valid := h.fake.Token(now, faketeams.Claims{})

	tests := []struct {
		name   string
		header string
		edit   func(*Activity)
	}{
		{"no Authorization header", "-", nil},
		{"not a Bearer token", "Basic " + valid, nil},
		{"garbage", "Bearer not.a.jwt", nil},
		{"signature by a key not in the metadata, same key ID", "Bearer " + h.fake.Token(now, faketeams.Claims{Key: forged, KID: "key-1"}), nil},
		{"signature by an unknown key ID", "Bearer " + h.fake.Token(now, faketeams.Claims{Key: forged, KID: "forged"}), nil},
		{"HS256 with a guessed secret", "Bearer " + hsToken, nil},
		{"alg none", "Bearer " + none, nil},
		{"tampered payload", "Bearer " + tamper(valid), nil},
		{"wrong issuer", "Bearer " + h.fake.Token(now, faketeams.Claims{Issuer: "https://sts.windows.net/evil/"}), nil},
		{"wrong audience", "Bearer " + h.fake.Token(now, faketeams.Claims{Audience: "00000000-0000-0000-0000-000000000000"}), nil},
		{"expired more than 5 minutes ago", "Bearer " + h.fake.Token(now, faketeams.Claims{Expires: now.Add(-5*time.Minute - time.Second)}), nil},
		{"serviceurl claim of another service", "Bearer " + h.fake.Token(now, faketeams.Claims{ServiceURL: "https://smba.trafficmanager.net/evil/"}), nil},
		{"activity's serviceUrl differs from the token's", "", func(a *Activity) { a.ServiceURL = "https://smba.trafficmanager.net/emea/" }},
		{"another tenant", "", func(a *Activity) {
			a.ChannelData.Tenant.ID = "99999999-9999-4999-8999-999999999999"
			a.Conversation.TenantID = "99999999-9999-4999-8999-999999999999"
		}},
		{"no tenant", "", func(a *Activity) { a.ChannelData.Tenant = nil; a.Conversation.TenantID = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, calls := h.storeSum(t), len(h.fake.Calls())
			act := h.activity(h.Person("admin"), "caseload case add C-900 cin", false)
			if tt.edit != nil {
				tt.edit(act)
			}
			code := h.sendHeader(t, act, tt.header)
			if code != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", code)
			}
			if h.storeSum(t) != before {
				t.Fatal("a refused request changed the store")
			}
			if n := len(h.fake.Calls()); n != calls {
				t.Fatalf("a refused request reached Teams (%d calls)", n-calls)
			}
		})
	}
	// Each refusal is counted with its reason; anyone can send them, so the
	// log has one line a minute, which says how many it left out.
	if got := strings.Join(reasons, " "); len(reasons) != len(tests) || !strings.Contains(got, "tenant") ||
		!strings.Contains(got, "serviceurl") || !strings.Contains(got, "token") {
		t.Fatalf("refusals counted: %q", got)
	}
	if n := strings.Count(h.logText(), "request refused"); n != 1 {
		t.Fatalf("%d warnings for %d refusals within a minute, want 1:\n%s", n, len(tests), h.logText())
	}
	h.clock.Advance(time.Minute)
	if code := h.sendHeader(t, h.activity(h.Person("admin"), "capacity", false), "Bearer not.a.jwt"); code != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", code)
	}
	if log := h.logText(); strings.Count(log, "request refused") != 2 || !strings.Contains(log, fmt.Sprintf("suppressed=%d", len(tests)-1)) {
		t.Fatalf("a minute later, one more warning saying how many were left out:\n%s", log)
	}

	// Within the five minutes of skew, an expired token still counts.
	now = h.clock.Now()
	code := h.sendHeader(t, h.activity(h.Person("admin"), "caseload case add C-901 cin", false),
		"Bearer "+h.fake.Token(now, faketeams.Claims{Expires: now.Add(-4 * time.Minute)}))
	if code != http.StatusOK {
		t.Fatalf("a token expired 4 minutes ago: status %d, want 200", code)
	}
}

// sendHeader posts an activity with the Authorization header as given
// ("-" for none, "" for a valid one).
func (h *harness) sendHeader(t *testing.T, act *Activity, header string) int {
	t.Helper()
	switch header {
	case "":
		return h.send(t, act, "")
	case "-":
		return h.sendRaw(t, act, "")
	}
	return h.sendRaw(t, act, header)
}

func tamper(token string) string {
	parts := strings.Split(token, ".")
	claims, _ := jwt.NewParser().DecodeSegment(parts[1])
	claims = bytes.Replace(claims, []byte(testAppID), []byte("1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5e"), 1)
	parts[1] = base64.RawURLEncoding.EncodeToString(claims)
	return strings.Join(parts, ".")
}

// TestKeyRotation: a token signed with a key published after the cache was
// filled makes the cache refresh once, and is then taken.
func TestKeyRotation(t *testing.T) {
	h := newHarness(t)
	if code := h.send(t, h.activity(h.Person("eve"), "capacity", true), ""); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if n := h.fake.KeySetFetches(); n != 1 {
		t.Fatalf("key set fetched %d times, want 1", n)
	}
	if code := h.send(t, h.activity(h.Person("eve"), "capacity", true), ""); code != http.StatusOK || h.fake.KeySetFetches() != 1 {
		t.Fatalf("the keys must be cached: status %d, %d fetches", code, h.fake.KeySetFetches())
	}
	h.fake.RotateKey()
	if code := h.send(t, h.activity(h.Person("eve"), "capacity", true), ""); code != http.StatusOK {
		t.Fatalf("after rotation: status %d", code)
	}
	if n := h.fake.KeySetFetches(); n != 2 {
		t.Fatalf("key set fetched %d times after a rotation, want 2", n)
	}
}

// TestKeysUnreachable: while the OpenID metadata cannot be fetched every
// request is refused (nothing can be checked) and the adapter says it is
// not ready; once it can, requests are taken again.
func TestKeysUnreachable(t *testing.T) {
	h := newHarness(t)
	h.ad.verify.Retry = -1 // fetch again on every request
	good := h.ad.verify.OpenIDURL
	h.ad.verify.OpenIDURL = h.srv.URL + "/no-such-metadata"
	if code := h.send(t, h.activity(h.Person("eve"), "capacity", true), ""); code != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", code)
	}
	if h.ad.Ready() {
		t.Fatal("ready without keys")
	}
	if !strings.Contains(h.logText(), "signing keys could not be fetched") {
		t.Fatalf("log:\n%s", h.logText())
	}
	h.ad.verify.OpenIDURL = good
	if code := h.send(t, h.activity(h.Person("eve"), "capacity", true), ""); code != http.StatusOK {
		t.Fatalf("status %d once the metadata is back", code)
	}
	if !h.ad.Ready() {
		t.Fatal("not ready with keys")
	}
}

// TestGroupChat: in a group chat the bot answers the group with what is for
// the channel and each person privately in their 1:1 chat.
func TestGroupChat(t *testing.T) {
	h := newHarness(t)
	group := "19:group-abc@thread.v2"
	act := h.activity(h.Person("eve"), "caseload setup Group", false)
	act.ChannelData.Channel, act.ChannelData.Team = nil, nil
	act.Conversation = &Conversation{ID: group, ConversationType: "groupChat", TenantID: testTenant, IsGroup: true}
	if code := h.send(t, act, ""); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	out := h.shownSince(t, 0)
	if len(out) != 1 || !out[0].Private || out[0].To != string(h.Person("eve")) {
		t.Fatalf("a refusal in a group chat: %+v", out)
	}
	act = h.activity(h.Person("admin"), "caseload setup Group", false)
	act.ChannelData.Channel, act.ChannelData.Team = nil, nil
	act.Conversation = &Conversation{ID: group, ConversationType: "groupChat", TenantID: testTenant, IsGroup: true}
	from := len(h.fake.Calls())
	h.send(t, act, "")
	out = h.shownSince(t, from)
	if len(out) != 1 || out[0].Private || out[0].To != "teams:"+group {
		t.Fatalf("set-up in a group chat: %+v", out)
	}
}
