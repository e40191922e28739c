package discord_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/adapters/discord"
	"github.com/safeload/safeload/adapters/discord/discordtest"
)

// countingReader counts how much of a body the server read.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// An interaction body bigger than Discord ever sends is refused before it
// is read on, signed or not.
func TestOversizedBodyRefusedBeforeReading(t *testing.T) {
	h := &counting{}
	f := newFixture(t, func(c *discord.Config) { c.Handler = h })
	ts := strconv.FormatInt(f.clock.Now().Unix(), 10)
	big := bytes.Repeat([]byte("x"), 4<<20)
	for name, length := range map[string]int64{"declared": int64(len(big)), "chunked": -1} {
		t.Run(name, func(t *testing.T) {
			req := discordtest.SignedRequest(f.http.URL, f.key, ts, big)
			body := &countingReader{r: bytes.NewReader(big)}
			req.Body = io.NopCloser(body)
			req.ContentLength = length
			w := httptest.NewRecorder()
			f.adapter.ServeHTTP(w, req)
			if w.Code != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413", w.Code)
			}
			if body.n > 65<<10 {
				t.Fatalf("the server read %d bytes of a refused body", body.n)
			}
		})
	}
	if h.n.Load() != 0 {
		t.Fatal("an oversized body reached the engine")
	}
}

// A masked link typed by a person (in a concern, say) reaches Discord as
// the characters typed, not as a link that hides where it goes.
func TestMaskedLinksInTextAreNotLinks(t *testing.T) {
	f := newFixture(t)
	f.enqueue(t, channelItem("Concern: [the rota](https://evil.example/x) is too much"))
	if _, err := f.loop().RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := f.messages()
	if len(got) != 1 {
		t.Fatalf("%d messages", len(got))
	}
	if c := got[0].Payload.Content; !strings.Contains(c, `\[the rota\]\(https://evil.example/x\)`) {
		t.Fatalf("content %q still has a masked link", c)
	}
}

// A signed interaction sent again within its five minutes runs once.
func TestReplayedInteractionRunsOnce(t *testing.T) {
	h := &counting{}
	f := newFixture(t, func(c *discord.Config) { c.Handler = h })
	id, token := f.next()
	body := discordtest.SlashCommand(id, appID, token, guild, people["alice"], "capacity", "show", nil)
	for i := 0; i < 3; i++ {
		f.interact(body, token)
		f.clock.Advance(time.Minute)
	}
	if n := h.n.Load(); n != 1 {
		t.Fatalf("the interaction ran %d times", n)
	}
}
