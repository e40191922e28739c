// Package chart draws the pictures of the digest and the quarterly report
// with gonum/plot: a team's load % as one horizontal bar per practitioner
// against the RAG bands, and teams' load % week by week. Each chart renders
// to PNG (for chat) or SVG (inline in the report) and says what it shows in
// words (alt text).
//
// Colour is never the only carrier of meaning: every bar also has a fill
// pattern (plain, striped, cross-hatched) and a written label ("104.0 %
// amber"), and every line its own dash and marker shape, so a reader who
// cannot tell orange from red reads the same chart.
//
// It imports the domain for RAG only, and nothing of chat platforms or
// stores.
package chart

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"regexp"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/safeload/safeload/internal/domain"
)

// DPI is the resolution of the PNGs: crisp in a chat client's preview at
// about 800 pixels wide, and well under a megabyte.
const DPI = 96

// The Okabe–Ito palette, chosen to stay distinct for the common kinds of
// colour blindness.
var (
	Green     = color.RGBA{0x00, 0x9E, 0x73, 0xFF} // bluish green
	Amber     = color.RGBA{0xE6, 0x9F, 0x00, 0xFF} // orange
	Red       = color.RGBA{0xD5, 0x5E, 0x00, 0xFF} // vermilion
	Blue      = color.RGBA{0x00, 0x72, 0xB2, 0xFF}
	SkyBlue   = color.RGBA{0x56, 0xB4, 0xE9, 0xFF}
	Purple    = color.RGBA{0xCC, 0x79, 0xA7, 0xFF} // reddish purple
	Yellow    = color.RGBA{0xF0, 0xE4, 0x42, 0xFF}
	Ink       = color.RGBA{0x22, 0x22, 0x22, 0xFF} // text and the 110 % line
	Grey      = color.RGBA{0x55, 0x55, 0x55, 0xFF} // the 95 % and 100 % lines
	hatchInk  = color.RGBA{0xFF, 0xFF, 0xFF, 0xFF} // the pattern drawn over a bar
	lineCycle = []color.RGBA{Blue, Red, Green, Purple, Amber, SkyBlue, Ink}
)

// RAGColour is the fill of a rating's bar.
func RAGColour(r domain.RAG) color.RGBA {
	switch r {
	case domain.Red:
		return Red
	case domain.Amber:
		return Amber
	}
	return Green
}

// Bands are the load % lines drawn on every chart: below Room a
// practitioner is green with room, from Amber amber, from Red red.
type Bands struct{ Room, Amber, Red float64 }

// BandsOf takes the bands from a policy.
func BandsOf(p *domain.Policy) Bands {
	return Bands{Room: p.LoadBands.GreenRoomBelow, Amber: p.LoadBands.AmberFrom, Red: p.LoadBands.RedFrom}
}

// Image is a rendered chart: the bytes, their media type and what the
// picture shows in words.
type Image struct {
	Data        []byte
	ContentType string // image/png or image/svg+xml
	Alt         string
	Width       int // pixels (PNG) or points (SVG)
	Height      int
}

// sans sets every text of a plot in Liberation Sans, which reads better
// than the default serif at chat sizes.
func sans(p *plot.Plot) {
	for _, s := range []*font.Font{&p.Title.TextStyle.Font, &p.X.Label.TextStyle.Font, &p.Y.Label.TextStyle.Font,
		&p.X.Tick.Label.Font, &p.Y.Tick.Label.Font, &p.Legend.TextStyle.Font} {
		s.Variant = "Sans"
	}
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Title.TextStyle.Color = Ink
}

// textStyle is a plain sans-serif style of size pt.
func textStyle(p *plot.Plot, pt float64, c color.Color) draw.TextStyle {
	s := p.X.Tick.Label
	s.Font = font.Font{Typeface: "Liberation", Variant: "Sans", Size: vg.Points(pt)}
	s.Color = c
	s.XAlign, s.YAlign = draw.XLeft, draw.YCenter
	s.Rotation = 0
	return s
}

// renderPNG draws p on a w×h point canvas at DPI.
func renderPNG(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	// Fast compression: a digest draws a chart per team inside the team's
	// transaction, and the files stay far under a megabyte.
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, c.Image()); err != nil {
		return nil, fmt.Errorf("chart: encoding the PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// fontFamily is vgsvg's font description; the report's reader may not have
// Liberation Sans, so their own sans-serif stands in.
var fontFamily = regexp.MustCompile(`font-family:Liberation Sans;?`)

// svgHeader is vgsvg's opening tag.
var svgHeader = regexp.MustCompile(`<svg width="[^"]*" height="[^"]*" viewBox="([^"]*)"\s+xmlns="[^"]*"\s+xmlns:xlink="[^"]*"`)

// renderSVG draws p on a w×h point canvas as SVG, without the XML prelude,
// for inlining in HTML.
func renderSVG(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	c := vgsvg.New(w, h)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart: writing the SVG: %w", err)
	}
	out := buf.Bytes()
	if i := bytes.Index(out, []byte("<svg")); i > 0 {
		out = out[i:]
	}
	out = fontFamily.ReplaceAll(out, []byte(`font-family:'Liberation Sans',Arial,Helvetica,sans-serif;`))
	// Inline in HTML an SVG needs no namespaces, and it scales with the
	// page: the fixed size gives way to the view box alone.
	out = svgHeader.ReplaceAll(out, []byte(`<svg viewBox="$1" class="chart"`))
	return out, nil
}

// pixels turns a point on a canvas of height h (points, origin bottom-left)
// into PNG pixel coordinates (origin top-left).
func pixels(pt vg.Point, h vg.Length) (x, y float64) {
	s := float64(DPI) / 72
	return pt.X.Points() * s, (h - pt.Y).Points() * s
}

// boxedText writes txt at pt on a white ground, so a line or a bar behind
// it never makes it hard to read.
func boxedText(c *draw.Canvas, sty draw.TextStyle, pt vg.Point, txt string) {
	r := sty.Rectangle(txt)
	pad := vg.Points(1.5)
	min := vg.Point{X: pt.X + r.Min.X - pad, Y: pt.Y + r.Min.Y - pad}
	max := vg.Point{X: pt.X + r.Max.X + pad, Y: pt.Y + r.Max.Y + pad}
	c.FillPolygon(color.White, []vg.Point{min, {X: max.X, Y: min.Y}, max, {X: min.X, Y: max.Y}})
	c.FillText(sty, pt, txt)
}
