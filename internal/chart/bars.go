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

// Bar is one practitioner's line on a team chart.
type Bar struct {
	Name string
	// Percent is the load % (rounded to one decimal); NoCapacity says
	// there is none to give (capacity 0), when the bar is drawn to the end
	// of the axis if there is any load.
	Percent    float64
	NoCapacity bool
	Load       float64
	RAG        domain.RAG
}

// Label is the bar's figure in words: "104.0 % amber".
func (b Bar) Label() string {
	if b.NoCapacity {
		if b.Load > 0 {
			return fmt.Sprintf("%.1f points, no capacity, %s", b.Load, b.RAG)
		}
		return fmt.Sprintf("no capacity, %s", b.RAG)
	}
	return fmt.Sprintf("%.1f %% %s", b.Percent, b.RAG)
}

// BarsOf turns a team's workloads (in board order) into bars.
func BarsOf(ws []domain.Workload) []Bar {
	out := make([]Bar, 0, len(ws))
	for _, w := range ws {
		out = append(out, Bar{Name: w.Name, Percent: w.Percent, NoCapacity: !w.HasPercent(), Load: w.Load, RAG: w.RAG})
	}
	return out
}

// TeamChart is a team's load % as one horizontal bar per practitioner, in
// the order of the capacity board (worst first), against the bands.
type TeamChart struct {
	Title string // e.g. "North CIN: team load 92.4 %"
	Bars  []Bar
	Bands Bands
}

// Geometry is where a PNG's parts were drawn, in pixels from the top left,
// so tests can look at the picture where it matters.
type Geometry struct {
	// Bars holds each bar's rectangle (X0, Y0 top-left; X1, Y1 bottom-right),
	// in the order of TeamChart.Bars.
	Bars []Rect
	// Lines holds the x pixel of the Room, Amber and Red band lines, and
	// LinesTop/LinesBottom their vertical extent.
	Lines                 [3]float64
	LinesTop, LinesBottom float64
	Width, Height         int
}

// Rect is a rectangle in pixels.
type Rect struct{ X0, Y0, X1, Y1 float64 }

const (
	barRow     = 30  // points per practitioner
	barChrome  = 120 // title, axis, band labels
	teamWidth  = 600 // points: 800 pixels at 96 DPI
	maxBarAxis = 150 // the axis ends here unless someone is further over
)

// axisMax is where the x axis ends: past the red line with room for the
// labels, and past the longest bar.
func (t TeamChart) axisMax() float64 {
	hi := math.Max(maxBarAxis, t.Bands.Red+40)
	for _, b := range t.Bars {
		switch {
		case b.NoCapacity && b.Load > 0:
			hi = math.Max(hi, t.noCapacityBar()+60)
		case !b.NoCapacity && b.Percent+45 > hi:
			hi = b.Percent + 45
		}
	}
	return math.Ceil(hi/10) * 10
}

// noCapacityBar is how long the bar of a load with no capacity is drawn:
// past the red line, as it is red, with no figure to give.
func (t TeamChart) noCapacityBar() float64 { return t.Bands.Red + 10 }

// Alt says what the chart shows in words, for screen readers and for
// anyone whose client does not show the picture.
func (t TeamChart) Alt() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Bar chart: %s. One bar per practitioner, load as a percentage of capacity, with lines at %s %%, %s %% and %s %%.",
		strings.TrimSuffix(t.Title, "."), num(t.Bands.Room), num(t.Bands.Amber), num(t.Bands.Red))
	if len(t.Bars) == 0 {
		b.WriteString(" Nobody carries cases yet.")
		return b.String()
	}
	for i, bar := range t.Bars {
		sep := ";"
		if i == 0 {
			sep = ""
		}
		fmt.Fprintf(&b, "%s %s %s", sep, bar.Name, bar.Label())
	}
	b.WriteString(".")
	return b.String()
}

func num(f float64) string {
	if f == math.Trunc(f) {
		return fmt.Sprintf("%.0f", f)
	}
	return fmt.Sprintf("%.1f", f)
}

func (t TeamChart) size() (w, h vg.Length) {
	return vg.Points(teamWidth), vg.Points(float64(barChrome + barRow*max(len(t.Bars), 1)))
}

func (t TeamChart) plot(geo *Geometry) *plot.Plot {
	p := plot.New()
	sans(p)
	p.Title.Text = t.Title
	p.X.Label.Text = "load, % of capacity"
	p.X.Min, p.X.Max = 0, t.axisMax()
	n := len(t.Bars)
	p.Y.Min, p.Y.Max = -0.6, float64(max(n, 1))+0.4
	var ticks []plot.Tick
	for i, b := range t.Bars {
		ticks = append(ticks, plot.Tick{Value: float64(n - 1 - i), Label: b.Name})
	}
	if n == 0 {
		ticks = append(ticks, plot.Tick{Value: 0, Label: "nobody yet"})
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Tick.Length = 0
	p.Y.Tick.Label.Font.Size = vg.Points(11)
	p.X.Tick.Marker = percentTicks{step: 10}
	p.Add(&teamBars{t: t, geo: geo})
	return p
}

// PNG draws the chart for chat.
func (t TeamChart) PNG() (Image, Geometry, error) {
	var geo Geometry
	w, h := t.size()
	data, err := renderPNG(t.plot(&geo), w, h)
	if err != nil {
		return Image{}, geo, err
	}
	geo.Width, geo.Height = int(math.Round(w.Points()*DPI/72)), int(math.Round(h.Points()*DPI/72))
	return Image{Data: data, ContentType: "image/png", Alt: t.Alt(), Width: geo.Width, Height: geo.Height}, geo, nil
}

// SVG draws the chart for the report.
func (t TeamChart) SVG() (Image, error) {
	w, h := t.size()
	data, err := renderSVG(t.plot(nil), w, h)
	return Image{Data: data, ContentType: "image/svg+xml", Alt: t.Alt(), Width: int(w.Points()), Height: int(h.Points())}, err
}

// percentTicks labels the x axis every step, with minor ticks between.
type percentTicks struct{ step float64 }

func (pt percentTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for v := math.Ceil(lo/pt.step) * pt.step; v <= hi+1e-9; v += pt.step {
		label := ""
		if math.Mod(v, 2*pt.step) == 0 {
			label = num(v) + " %"
		}
		out = append(out, plot.Tick{Value: v, Label: label})
	}
	return out
}

// teamBars draws the bars, their patterns and labels, and the band lines.
type teamBars struct {
	t   TeamChart
	geo *Geometry
}

func (tb *teamBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	return 0, tb.t.axisMax(), -0.6, float64(max(len(tb.t.Bars), 1)) + 0.4
}

func (tb *teamBars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	_, full := tb.t.size()
	n := len(tb.t.Bars)
	half := 0.32
	type label struct {
		at  vg.Point
		txt string
	}
	var labels []label
	for i, b := range tb.t.Bars {
		y := float64(n - 1 - i)
		v := b.Percent
		if b.NoCapacity {
			v = 0
			if b.Load > 0 {
				v = tb.t.noCapacityBar()
			}
		}
		x0, x1 := trX(0), trX(math.Min(v, tb.t.axisMax()))
		y0, y1 := trY(y-half), trY(y+half)
		if x1-x0 < 1 {
			x1 = x0 + 1
		}
		rect := []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
		c.FillPolygon(RAGColour(b.RAG), rect)
		hatch(&c, b.RAG, x0, y0, x1, y1)
		labels = append(labels, label{vg.Point{X: x1 + 5, Y: (y0 + y1) / 2}, b.Label()})
		if tb.geo != nil {
			px0, py0 := pixels(vg.Point{X: x0, Y: y1}, full)
			px1, py1 := pixels(vg.Point{X: x1, Y: y0}, full)
			tb.geo.Bars = append(tb.geo.Bars, Rect{X0: px0, Y0: py0, X1: px1, Y1: py1})
		}
	}
	// The band lines run from the bottom to the top row, which is kept
	// free for their labels.
	top, bottom := trY(float64(n)-0.5), c.Min.Y
	small := textStyle(p, 9, Ink)
	small.YAlign = draw.YCenter
	for k, band := range []struct {
		at    float64
		style draw.LineStyle
		align draw.XAlignment
		dx    vg.Length
		dy    vg.Length
	}{
		// Centred over their lines, the 95 and 100 labels at two heights
		// so they never overlap.
		{tb.t.Bands.Room, draw.LineStyle{Color: Grey, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(2), vg.Points(3)}}, draw.XCenter, 0, 7},
		{tb.t.Bands.Amber, draw.LineStyle{Color: Grey, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(6), vg.Points(3)}}, draw.XCenter, 0, 19},
		{tb.t.Bands.Red, draw.LineStyle{Color: Ink, Width: vg.Points(2)}, draw.XCenter, 0, 7},
	} {
		x := trX(band.at)
		c.StrokeLine2(band.style, x, bottom, x, top)
		s := small
		s.XAlign = band.align
		boxedText(&c, s, vg.Point{X: x + band.dx, Y: top + band.dy}, num(band.at)+" %")
		if tb.geo != nil {
			px, pyTop := pixels(vg.Point{X: x, Y: top}, full)
			_, pyBottom := pixels(vg.Point{X: x, Y: bottom}, full)
			tb.geo.Lines[k] = px
			tb.geo.LinesTop, tb.geo.LinesBottom = pyTop, pyBottom
		}
	}
	sty := textStyle(p, 10, Ink)
	for _, l := range labels {
		boxedText(&c, sty, l.at, l.txt)
	}
}

// hatch draws a rating's pattern over a bar: none for green, diagonal
// stripes for amber, a cross-hatch for red.
func hatch(c *draw.Canvas, r domain.RAG, x0, y0, x1, y1 vg.Length) {
	if r != domain.Amber && r != domain.Red {
		return
	}
	sty := draw.LineStyle{Color: hatchInk, Width: vg.Points(1.2)}
	gap := 7.0
	if r == domain.Red {
		// Two directions: thinner and wider apart, so the bar stays red.
		sty.Width, gap = vg.Points(1), 11
	}
	for _, dir := range []float64{1, -1} {
		if dir < 0 && r != domain.Red {
			break
		}
		for _, seg := range diagonals(x0.Points(), y0.Points(), x1.Points(), y1.Points(), gap, dir) {
			c.StrokeLine2(sty, vg.Points(seg[0]), vg.Points(seg[1]), vg.Points(seg[2]), vg.Points(seg[3]))
		}
	}
}

// diagonals are the segments of the 45° lines (rising for dir 1, falling
// for -1) gap apart that fall inside the rectangle.
func diagonals(x0, y0, x1, y1, gap, dir float64) [][4]float64 {
	var out [][4]float64
	// A rising line is x − y = k, a falling one x + y = k.
	var kmin, kmax float64
	if dir > 0 {
		kmin, kmax = x0-y1, x1-y0
	} else {
		kmin, kmax = x0+y0, x1+y1
	}
	for k := math.Ceil(kmin/gap) * gap; k <= kmax; k += gap {
		// On the line, x = k + dir·y; find where it is inside [x0,x1]×[y0,y1].
		lo, hi := y0, y1
		ya, yb := (x0-k)*dir, (x1-k)*dir
		if ya > yb {
			ya, yb = yb, ya
		}
		lo, hi = math.Max(lo, ya), math.Min(hi, yb)
		if hi-lo < 0.5 {
			continue
		}
		out = append(out, [4]float64{k + dir*lo, lo, k + dir*hi, hi})
	}
	return out
}
