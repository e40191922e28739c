package discord

import (
	"bytes"
	"crypto/ed25519"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
)

// MaxSkew is how far an interaction's X-Signature-Timestamp may be from our
// clock, either way, before the request is refused as a replay.
const MaxSkew = 5 * time.Minute

// Verify reports whether sigHex (X-Signature-Ed25519) is key's Ed25519
// signature of timestamp followed by body, as Discord signs interactions,
// by discordgo's own check. A missing timestamp never verifies. It never
// panics, whatever it is given.
func Verify(key ed25519.PublicKey, timestamp string, body []byte, sigHex string) bool {
	if len(key) != ed25519.PublicKeySize {
		return false // ed25519.Verify would panic
	}
	r := &http.Request{Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body))}
	r.Header.Set("X-Signature-Ed25519", sigHex)
	r.Header.Set("X-Signature-Timestamp", timestamp)
	return discordgo.VerifyInteraction(r, key)
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
