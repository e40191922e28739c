package domain

import "strings"

// Image is a picture attached to a message, with what it shows in words
// for anyone who cannot see it.
type Image struct {
	Name string `json:"name"` // a file name, e.g. "north-cin-load-2026-11-23.png"
	Type string `json:"type"` // its media type, e.g. "image/png"
	Alt  string `json:"alt"`
	Data []byte `json:"data"`
}

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
