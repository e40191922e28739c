package chart

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one line of a trend chart: a team's load % each week, with
// Has false for a week it has no figure (no snapshot, or no capacity).
type Series struct {
	Name    string
	Percent []float64
	Has     []bool
}

// TrendChart is load % week by week, one line per series, against the
// bands. Weeks labels the x axis ("6 Oct"); every series has one value per
// week.
type TrendChart struct {
	Title  string
	Weeks  []string
	Series []Series
	Bands  Bands
}

const (
	trendWidth  = 600
	trendHeight = 330
)

// The markers and dashes that tell the lines apart without colour.
var (
	shapes = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PlusGlyph{},
		draw.CrossGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}}
	dashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)},
		{vg.Points(8), vg.Points(3), vg.Points(2), vg.Points(3)}}
)

// SeriesStyle is the colour, marker and dash of the i-th series, the same
// in the PNG, the SVG and the report's legend.
func SeriesStyle(i int) (color.RGBA, draw.GlyphDrawer, []vg.Length) {
	return lineCycle[i%len(lineCycle)], shapes[i%len(shapes)], dashes[i%len(dashes)]
}

// ShapeName names the i-th series' marker in words, for the alt text and
// the legend table.
func ShapeName(i int) string {
	return []string{"circles", "squares", "triangles", "plus signs", "crosses", "rings", "boxes", "pyramids"}[i%len(shapes)]
}

// Line is one series in words: its name, its marker, and its figures
// ("7 Sep 82.0 %") for the weeks that have one.
type Line struct {
	Name    string
	Shape   string
	Figures []string
	// Gaps says some weeks have no figure.
	Gaps bool
}

// Lines are the series in words, for alt text.
func (t TrendChart) Lines() []Line {
	out := make([]Line, 0, len(t.Series))
	for i, s := range t.Series {
		l := Line{Name: s.Name, Shape: ShapeName(i)}
		for w, week := range t.Weeks {
			if w < len(s.Has) && s.Has[w] {
				l.Figures = append(l.Figures, fmt.Sprintf("%s %.1f %%", week, s.Percent[w]))
			}
		}
		l.Gaps = len(l.Figures) < len(t.Weeks)
		out = append(out, l)
	}
	return out
}

// FirstWeek and LastWeek label the first and last weeks shown.
func (t TrendChart) FirstWeek() string {
	if len(t.Weeks) == 0 {
		return ""
	}
	return t.Weeks[0]
}

// LastWeek labels the last week shown.
func (t TrendChart) LastWeek() string {
	if len(t.Weeks) == 0 {
		return ""
	}
	return t.Weeks[len(t.Weeks)-1]
}

// Alt says what the chart shows in words.
func (t TrendChart) Alt() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Line chart: %s. Load as a percentage of capacity each week from the week of %s to the week of %s, with lines at %s %%, %s %% and %s %%.",
		strings.TrimSuffix(t.Title, "."), t.FirstWeek(), t.LastWeek(), num(t.Bands.Room), num(t.Bands.Amber), num(t.Bands.Red))
	if len(t.Series) == 0 {
		b.WriteString(" There are no teams to show.")
	}
	for _, l := range t.Lines() {
		switch {
		case len(l.Figures) == 0:
			fmt.Fprintf(&b, " %s (%s): no figures.", l.Name, l.Shape)
		case l.Gaps:
			fmt.Fprintf(&b, " %s (%s): %s; no figures for the other weeks.", l.Name, l.Shape, strings.Join(l.Figures, ", "))
		default:
			fmt.Fprintf(&b, " %s (%s): %s.", l.Name, l.Shape, strings.Join(l.Figures, ", "))
		}
	}
	return b.String()
}

func (t TrendChart) axis() (lo, hi float64) {
	lo, hi = math.Min(60, t.Bands.Room-20), t.Bands.Red+20
	for _, s := range t.Series {
		for w, v := range s.Percent {
			if w < len(s.Has) && s.Has[w] {
				lo, hi = math.Min(lo, v-5), math.Max(hi, v+5)
			}
		}
	}
	// Room above the lines for the legend, a row per series.
	hi += 4 * float64(len(t.Series))
	return math.Max(0, math.Floor(lo/10)*10), math.Ceil(hi/10) * 10
}

func (t TrendChart) plot() (*plot.Plot, error) {
	p := plot.New()
	sans(p)
	p.Title.Text = t.Title
	p.Y.Label.Text = "team load, % of capacity"
	p.Y.Min, p.Y.Max = t.axis()
	p.X.Min, p.X.Max = -0.5, float64(max(len(t.Weeks), 1))-0.5
	var ticks []plot.Tick
	for i, w := range t.Weeks {
		ticks = append(ticks, plot.Tick{Value: float64(i), Label: w})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Tick.Label.Font.Size = vg.Points(9)
	p.Y.Tick.Marker = percentTicks{step: 10}
	p.Add(bandLines{b: t.Bands})
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.ThumbnailWidth = vg.Points(30)
	for i, s := range t.Series {
		c, shape, dash := SeriesStyle(i)
		// A gap in the figures is a gap in the line: each run of weeks
		// with figures is its own line.
		var run plotter.XYs
		var first *plotter.Line
		flush := func() error {
			if len(run) == 0 {
				return nil
			}
			l, pts, err := plotter.NewLinePoints(run)
			if err != nil {
				return err
			}
			l.Color, l.Width, l.Dashes = c, vg.Points(2), dash
			pts.Color, pts.Shape, pts.Radius = c, shape, vg.Points(3.5)
			p.Add(l, pts)
			if first == nil {
				first = l
				p.Legend.Add(s.Name, l, pts)
			}
			run = nil
			return nil
		}
		for w := range t.Weeks {
			if w < len(s.Has) && s.Has[w] {
				run = append(run, plotter.XY{X: float64(w), Y: s.Percent[w]})
				continue
			}
			if err := flush(); err != nil {
				return nil, err
			}
		}
		if err := flush(); err != nil {
			return nil, err
		}
	}
	p.Add(bandLines{b: t.Bands, labels: true})
	return p, nil
}

// PNG draws the chart for chat.
func (t TrendChart) PNG() (Image, error) {
	p, err := t.plot()
	if err != nil {
		return Image{}, err
	}
	data, err := renderPNG(p, vg.Points(trendWidth), vg.Points(trendHeight))
	return Image{Data: data, ContentType: "image/png", Alt: t.Alt(),
		Width: trendWidth * DPI / 72, Height: trendHeight * DPI / 72}, err
}

// SVG draws the chart for the report.
func (t TrendChart) SVG() (Image, error) {
	p, err := t.plot()
	if err != nil {
		return Image{}, err
	}
	data, err := renderSVG(p, vg.Points(trendWidth), vg.Points(trendHeight))
	return Image{Data: data, ContentType: "image/svg+xml", Alt: t.Alt(), Width: trendWidth, Height: trendHeight}, err
}

// bandLines draws the three bands across a trend chart, labelled at the
// right.
type bandLines struct {
	b Bands
	// labels draws only the labels, over the series drawn before.
	labels bool
}

func (bl bandLines) Plot(c draw.Canvas, p *plot.Plot) {
	_, trY := p.Transforms(&c)
	small := textStyle(p, 8.5, Ink)
	small.XAlign, small.YAlign = draw.XRight, draw.YBottom
	for k, band := range []struct {
		at    float64
		style draw.LineStyle
	}{
		{bl.b.Room, draw.LineStyle{Color: Grey, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(2), vg.Points(3)}}},
		{bl.b.Amber, draw.LineStyle{Color: Grey, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(6), vg.Points(3)}}},
		{bl.b.Red, draw.LineStyle{Color: Ink, Width: vg.Points(1.5)}},
	} {
		if band.at < p.Y.Min || band.at > p.Y.Max {
			continue
		}
		y := trY(band.at)
		if !bl.labels {
			c.StrokeLine2(band.style, c.Min.X, y, c.Max.X, y)
			continue
		}
		boxedText(&c, small, vg.Point{X: c.Max.X - 2, Y: y + 1}, []string{"room below ", "amber from ", "red from "}[k]+num(band.at)+" %")
	}
}

func (bl bandLines) DataRange() (xmin, xmax, ymin, ymax float64) {
	return math.Inf(1), math.Inf(-1), bl.b.Room, bl.b.Red
}
