package slack

import (
	"bytes"
	"crypto/hmac"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/safeload/safeload/adapters/slack/fakeslack"
)

// Slack's published example of a signed request.
const (
	exampleSecret    = "8f742231b10e8888abcd99yyyzzz85a5"
	exampleTimestamp = "1531420618"
	exampleBody      = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	exampleSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func exampleHeader(ts, sig string) http.Header {
	h := http.Header{}
	if ts != "" {
		h.Set(HeaderTimestamp, ts)
	}
	if sig != "" {
		h.Set(HeaderSignature, sig)
	}
	return h
}

func TestVerifierAcceptsSlacksExample(t *testing.T) {
	sent := time.Unix(1531420618, 0)
	v := Verifier{Secret: exampleSecret, Now: func() time.Time { return sent.Add(90 * time.Second) }}
	if got := Sign(exampleSecret, exampleTimestamp, []byte(exampleBody)); got != exampleSignature {
		t.Fatalf("Sign = %s, want %s", got, exampleSignature)
	}
	if got := fakeslack.Sign(exampleSecret, exampleTimestamp, []byte(exampleBody)); got != exampleSignature {
		t.Fatalf("the fake signs as Slack does: %s", got)
	}
	if err := v.Check(exampleHeader(exampleTimestamp, exampleSignature), []byte(exampleBody)); err != nil {
		t.Fatalf("Slack's example refused: %v", err)
	}
	for i := range len(exampleBody) {
		altered := []byte(exampleBody)
		altered[i] ^= 0x01
		if v.Check(exampleHeader(exampleTimestamp, exampleSignature), altered) == nil {
			t.Fatalf("a body altered at byte %d was accepted", i)
		}
	}
	for name, tc := range map[string]struct {
		h   http.Header
		now time.Time
		err error
	}{
		"no signature":          {exampleHeader(exampleTimestamp, ""), sent, errUnsigned},
		"no timestamp":          {exampleHeader("", exampleSignature), sent, errUnsigned},
		"wrong signature":       {exampleHeader(exampleTimestamp, "v0="+strings.Repeat("0", 64)), sent, errBadSignature},
		"not v0":                {exampleHeader(exampleTimestamp, strings.Replace(exampleSignature, "v0=", "v1=", 1)), sent, errBadSignature},
		"other timestamp":       {exampleHeader("1531420619", exampleSignature), sent, errBadSignature},
		"five minutes and more": {exampleHeader(exampleTimestamp, exampleSignature), sent.Add(5*time.Minute + time.Second), errStale},
		"from the future":       {exampleHeader(exampleTimestamp, exampleSignature), sent.Add(-6 * time.Minute), errStale},
		"garbled timestamp":     {exampleHeader("yesterday", exampleSignature), sent, errBadTimestamp},
	} {
		v := Verifier{Secret: exampleSecret, Now: func() time.Time { return tc.now }}
		if err := v.Check(tc.h, []byte(exampleBody)); err != tc.err {
			t.Errorf("%s: got %v, want %v", name, err, tc.err)
		}
	}
	if (Verifier{Now: func() time.Time { return sent }}).Check(exampleHeader(exampleTimestamp, exampleSignature), []byte(exampleBody)) == nil {
		t.Fatal("without a signing secret nothing may pass")
	}
}

// TestVerifierAgreesWithSlackGo checks our verifier against slack-go's on
// fresh requests (slack-go's reads the wall clock, so only now works there).
func TestVerifierAgreesWithSlackGo(t *testing.T) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	body := []byte(exampleBody)
	for _, sig := range []string{Sign(exampleSecret, ts, body), Sign("other", ts, body)} {
		h := exampleHeader(ts, sig)
		ours := Verifier{Secret: exampleSecret}.Check(h, body)
		sv, err := slackgo.NewSecretsVerifier(h, exampleSecret)
		if err == nil {
			_, _ = sv.Write(body)
			err = sv.Ensure()
		}
		if (ours == nil) != (err == nil) {
			t.Fatalf("ours: %v, slack-go: %v", ours, err)
		}
	}
}

func FuzzVerifier(f *testing.F) {
	f.Add([]byte(exampleBody), exampleTimestamp, exampleSignature)
	f.Add([]byte(""), "", "v0=")
	v := Verifier{Secret: exampleSecret, Now: func() time.Time { return time.Unix(1531420618, 0) }}
	f.Fuzz(func(t *testing.T, body []byte, ts, sig string) {
		err := v.Check(exampleHeader(ts, sig), body)
		if err == nil && (ts != exampleTimestamp || sig != exampleSignature || !bytes.Equal(body, []byte(exampleBody))) {
			t.Fatalf("accepted a forged request: ts=%q sig=%q body=%q", ts, sig, body)
		}
	})
}

// signatureMatches accepts exactly the signature Sign makes, whatever
// secrets, timestamps and bodies came before it through the same pool.
func TestSignatureMatchesIsSign(t *testing.T) {
	secrets := []string{testSecret, "another secret", "x"}
	bodies := [][]byte{nil, []byte("a=1"), bytes.Repeat([]byte("token=x&text=hello+world&"), 40)}
	for i := 0; i < 60; i++ {
		secret, body, ts := secrets[i%3], bodies[(i/3)%3], strconv.Itoa(1531420618+i)
		good := Sign(secret, ts, body)
		for _, sig := range []string{good, good[:len(good)-1], good + "0", strings.ToUpper(good), Sign(secrets[(i+1)%3], ts, body),
			Sign(secret, ts+"1", body), "", "v0="} {
			want := hmac.Equal([]byte(sig), []byte(good))
			if got := signatureMatches(secret, ts, body, sig); got != want {
				t.Fatalf("secret %q, ts %s, body %d bytes, signature %q: %v, want %v", secret, ts, len(body), sig, got, want)
			}
		}
	}
}
