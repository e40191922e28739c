package discord

import (
	"crypto/ed25519"
	"encoding/hex"
	"strconv"
	"time"
)

// MaxSkew is how far an interaction's X-Signature-Timestamp may be from our
// clock, either way, before the request is refused as a replay.
const MaxSkew = 5 * time.Minute

// Verify reports whether sigHex (X-Signature-Ed25519) is key's Ed25519
// signature of timestamp followed by body, as Discord signs interactions.
// It never panics, whatever it is given.
func Verify(key ed25519.PublicKey, timestamp string, body []byte, sigHex string) bool {
	if len(key) != ed25519.PublicKeySize {
		return false
	}
	sig, err := hex.DecodeString(sigHex)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return false
	}
	msg := make([]byte, 0, len(timestamp)+len(body))
	msg = append(msg, timestamp...)
	msg = append(msg, body...)
	return ed25519.Verify(key, msg, sig)
}

// fresh reports whether a Unix-seconds timestamp is within MaxSkew of now.
func fresh(timestamp string, now time.Time) bool {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return false
	}
	d := now.Sub(time.Unix(sec, 0))
	return d <= MaxSkew && d >= -MaxSkew
}
