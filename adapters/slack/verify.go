package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Slack's request-signing headers.
const (
	HeaderSignature = "X-Slack-Signature"
	HeaderTimestamp = "X-Slack-Request-Timestamp"
)

// maxSkew is how far a request's timestamp may be from now: Slack says five minutes.
const maxSkew = 5 * time.Minute

// Why a request was refused; none of them says which part was wrong to the
// caller, only to the log.
var (
	errUnsigned     = errors.New("signature or timestamp header missing")
	errBadTimestamp = errors.New("timestamp is not a Unix time")
	errStale        = errors.New("timestamp more than five minutes from now")
	errBadSignature = errors.New("signature does not match")
)

// Sign is Slack's v0 signature of a request body sent at timestamp (Unix
// seconds, as in the X-Slack-Request-Timestamp header).
func Sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + timestamp + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// Verifier checks that a request comes from Slack. slack-go's
// SecretsVerifier reads the wall clock; this one takes the clock, so a test
// can check Slack's published example at its own timestamp.
type Verifier struct {
	Secret string
	Now    func() time.Time
}

// Check verifies the signature of body against the request's headers.
func (v Verifier) Check(h http.Header, body []byte) error {
	ts, sig := h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if ts == "" || sig == "" || v.Secret == "" {
		return errUnsigned
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errBadTimestamp
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	if d := now().Sub(time.Unix(sec, 0)); d > maxSkew || d < -maxSkew {
		return errStale
	}
	if !signatureMatches(v.Secret, ts, body, sig) {
		return errBadSignature
	}
	return nil
}

// macState is one signing secret's HMAC with the buffers a check needs,
// reused from request to request.
type macState struct {
	secret string
	mac    hash.Hash
	buf    []byte // "v0:timestamp:", then the expected signature
	sig    []byte // the signature received
}

var macs = sync.Pool{New: func() any { return new(macState) }}

// signatureMatches says whether sig is Sign(secret, timestamp, body),
// compared in constant time, as hmac.Equal([]byte(sig), []byte(Sign(…)))
// would, without building the strings.
func signatureMatches(secret, timestamp string, body []byte, sig string) bool {
	st := macs.Get().(*macState)
	defer macs.Put(st)
	if st.mac == nil || st.secret != secret {
		st.secret, st.mac = secret, hmac.New(sha256.New, []byte(secret))
	} else {
		st.mac.Reset()
	}
	st.buf = append(append(append(st.buf[:0], "v0:"...), timestamp...), ':')
	st.mac.Write(st.buf)
	st.mac.Write(body)
	st.buf = hex.AppendEncode(append(st.buf[:0], "v0="...), st.mac.Sum(st.sig[:0]))
	st.sig = append(st.sig[:0], sig...)
	return hmac.Equal(st.sig, st.buf)
}
