package domain

import "strings"

// Image is a picture attached to a message, with what it shows in words
// for anyone who cannot see it.
//
// A chart is kept as what it is drawn from (Kind and Spec) and drawn into
// Data only when the message is sent: drawing takes tens of milliseconds,
// too long to spend inside the transaction that builds a thousand digests,
// and the figures are a fraction of the picture's size in the outbox.
type Image struct {
	Name string `json:"name"` // a file name, e.g. "north-cin-load-2026-11-23.png"
	Type string `json:"type"` // its media type, e.g. "image/png"
	Alt  string `json:"alt"`
	Data []byte `json:"data,omitempty"`
	// Kind names the drawing ("team", "trend") and Spec holds its figures;
	// both are empty for a picture whose Data is given.
	Kind string `json:"kind,omitempty"`
	Spec []byte `json:"spec,omitempty"`
}

// Drawn reports whether the picture's bytes are there.
func (i *Image) Drawn() bool { return len(i.Data) > 0 }

// AltWithin is the alt text in at most n characters: a longer one is cut
// at a word and ends with " …" (the message beside the picture carries
// every figure).
func (i *Image) AltWithin(n int) string {
	r := []rune(i.Alt)
	if len(r) <= n {
		return i.Alt
	}
	cut := string(r[:max(n-2, 0)])
	if k := strings.LastIndexByte(cut, ' '); k > n/2 {
		cut = cut[:k]
	}
	return cut + " …"
}
