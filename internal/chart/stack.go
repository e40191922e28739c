package chart

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/safeload/safeload/internal/domain"
)

// RAGWeek is one week's count of practitioners of each colour; Has is
// false for a week with no figures.
type RAGWeek struct {
	Label             string
	Green, Amber, Red int
	Has               bool
}

// RAGChart is the number of practitioners of each colour week by week, as
// stacked columns (green at the bottom, red on top), each colour with its
// pattern as on the team chart.
type RAGChart struct {
	Title string
	Weeks []RAGWeek
}

const (
	ragWidth  = 600
	ragHeight = 260
)

// Alt says what the chart shows in words.
func (t RAGChart) Alt() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Stacked column chart: %s. For each week, the number of practitioners rated green (plain, bottom), amber (striped, middle) and red (cross-hatched, top).",
		strings.TrimSuffix(t.Title, "."))
	for _, w := range t.Weeks {
		if !w.Has {
			fmt.Fprintf(&b, " %s: no figures.", w.Label)
			continue
		}
		fmt.Fprintf(&b, " %s: %d green, %d amber, %d red.", w.Label, w.Green, w.Amber, w.Red)
	}
	return b.String()
}

func (t RAGChart) plot() *plot.Plot {
	p := plot.New()
	sans(p)
	p.Title.Text = t.Title
	p.Y.Label.Text = "practitioners"
	hi := 1
	var ticks []plot.Tick
	for i, w := range t.Weeks {
		hi = max(hi, w.Green+w.Amber+w.Red)
		ticks = append(ticks, plot.Tick{Value: float64(i), Label: w.Label})
	}
	p.X.Min, p.X.Max = -0.6, float64(max(len(t.Weeks), 1))-0.4
	p.Y.Min, p.Y.Max = 0, float64(hi)*1.15+0.5
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Tick.Label.Font.Size = vg.Points(9)
	p.Y.Tick.Marker = countTicks{}
	p.Add(&stackBars{t: t})
	p.Legend.Top, p.Legend.Left = true, true
	for _, r := range []domain.RAG{domain.Green, domain.Amber, domain.Red} {
		p.Legend.Add(string(r), swatch{r})
	}
	return p
}

// SVG draws the chart for the report.
func (t RAGChart) SVG() (Image, error) {
	data, err := renderSVG(t.plot(), vg.Points(ragWidth), vg.Points(ragHeight))
	return Image{Data: data, ContentType: "image/svg+xml", Alt: t.Alt(), Width: ragWidth, Height: ragHeight}, err
}

// PNG draws the chart as a picture.
func (t RAGChart) PNG() (Image, error) {
	data, err := renderPNG(t.plot(), vg.Points(ragWidth), vg.Points(ragHeight))
	return Image{Data: data, ContentType: "image/png", Alt: t.Alt(), Width: ragWidth * DPI / 72, Height: ragHeight * DPI / 72}, err
}

// countTicks labels whole numbers only, about five of them.
type countTicks struct{}

func (countTicks) Ticks(lo, hi float64) []plot.Tick {
	step := math.Max(1, math.Ceil((hi-lo)/5))
	var out []plot.Tick
	for v := math.Ceil(lo); v <= hi; v += step {
		out = append(out, plot.Tick{Value: v, Label: fmt.Sprintf("%.0f", v)})
	}
	return out
}

type stackBars struct{ t RAGChart }

func (s *stackBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	return -0.6, float64(max(len(s.t.Weeks), 1)) - 0.4, 0, 1
}

func (s *stackBars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	label := textStyle(p, 8, Ink)
	label.XAlign, label.YAlign = draw.XCenter, draw.YBottom
	for i, w := range s.t.Weeks {
		if !w.Has {
			continue
		}
		x0, x1 := trX(float64(i)-0.35), trX(float64(i)+0.35)
		base := 0
		for _, part := range []struct {
			n int
			r domain.RAG
		}{{w.Green, domain.Green}, {w.Amber, domain.Amber}, {w.Red, domain.Red}} {
			if part.n == 0 {
				continue
			}
			y0, y1 := trY(float64(base)), trY(float64(base+part.n))
			c.FillPolygon(RAGColour(part.r), []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
			hatch(&c, part.r, x0, y0, x1, y1)
			base += part.n
		}
		c.FillText(label, vg.Point{X: (x0 + x1) / 2, Y: trY(float64(base)) + 2}, fmt.Sprintf("%d/%d/%d", w.Green, w.Amber, w.Red))
	}
}

// swatch is a legend entry: the colour with its pattern.
type swatch struct{ r domain.RAG }

func (s swatch) Thumbnail(c *draw.Canvas) {
	pts := []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y}}
	c.FillPolygon(RAGColour(s.r), pts)
	hatch(c, s.r, c.Min.X, c.Min.Y, c.Max.X, c.Max.Y)
}
