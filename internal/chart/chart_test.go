package chart

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/safeload/safeload/internal/domain"
)

var bands = Bands{Room: 95, Amber: 100, Red: 110}

func decode(t *testing.T, data []byte) image.Image {
	t.Helper()
	if len(data) == 0 || len(data) >= 1<<20 {
		t.Fatalf("PNG is %d bytes, want more than 0 and under 1 MiB", len(data))
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the PNG does not decode: %v", err)
	}
	return img
}

func near(a color.Color, b color.RGBA) bool {
	r, g, bl, _ := a.RGBA()
	d := func(x uint32, y uint8) float64 { return math.Abs(float64(x>>8) - float64(y)) }
	return d(r, b.R) < 24 && d(g, b.G) < 24 && d(bl, b.B) < 24
}

// share is the fraction of the pixels of row y between x0 and x1 that are
// near colour c.
func share(img image.Image, y, x0, x1 int, c color.RGBA) float64 {
	n, hit := 0, 0
	for x := x0; x < x1; x++ {
		n++
		if near(img.At(x, y), c) {
			hit++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(hit) / float64(n)
}

// areaShare is share over the inside of a rectangle.
func areaShare(img image.Image, r Rect, c color.RGBA) float64 {
	var sum float64
	n := 0
	for y := int(r.Y0) + 2; y < int(r.Y1)-1; y++ {
		sum += share(img, y, int(r.X0)+2, int(r.X1)-2, c)
		n++
	}
	return sum / float64(max(n, 1))
}

func TestTeamChartDrawsEveryPractitionerAndTheBands(t *testing.T) {
	bars := []Bar{
		{Name: "Cy Cole", Percent: 121.3, RAG: domain.Red},
		{Name: "Alice Adams", Percent: 104, RAG: domain.Amber},
		{Name: "Bo Brown", Percent: 97.1, RAG: domain.Green},
		{Name: "Dee Dunn", Percent: 40.2, RAG: domain.Green},
	}
	tc := TeamChart{Title: "North: team load 90.7 %", Bars: bars, Bands: bands}
	im, geo, err := tc.PNG()
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, im.Data)
	if got := img.Bounds().Size(); got.X != geo.Width || got.Y != geo.Height || got.X < 600 || got.X > 1200 {
		t.Fatalf("image is %v, geometry says %dx%d; want about 800 pixels wide", got, geo.Width, geo.Height)
	}
	if len(geo.Bars) != len(bars) {
		t.Fatalf("drew %d bars, want %d", len(geo.Bars), len(bars))
	}
	unit := (geo.Bars[0].X1 - geo.Bars[0].X0) / bars[0].Percent
	for i, b := range bars {
		r := geo.Bars[i]
		y := int((r.Y0 + r.Y1) / 2)
		// A bar is filled with its rating's colour (amber and red under a
		// pattern that leaves most of it coloured).
		if got := areaShare(img, r, RAGColour(b.RAG)); got < 0.55 {
			t.Errorf("%s: only %.0f %% of the bar is %s", b.Name, got*100, b.RAG)
		}
		if got := (r.X1 - r.X0) / unit; math.Abs(got-b.Percent) > 0.5 {
			t.Errorf("%s: bar is %.1f %% long, want %.1f", b.Name, got, b.Percent)
		}
		if i > 0 && r.Y0 <= geo.Bars[i-1].Y0 {
			t.Errorf("%s is not below %s: bars must keep the board's order", b.Name, bars[i-1].Name)
		}
		// The green bar has no pattern; amber and red have theirs.
		patterned := share(img, y, int(r.X0)+2, int(r.X1)-2, color.RGBA{0xFF, 0xFF, 0xFF, 0xFF}) > 0.05
		if patterned != (b.RAG != domain.Green) {
			t.Errorf("%s (%s): patterned = %v", b.Name, b.RAG, patterned)
		}
	}
	for k, want := range []float64{95, 100, 110} {
		x := int(math.Round(geo.Lines[k]))
		if got := (geo.Lines[k] - geo.Bars[0].X0) / unit; math.Abs(got-want) > 0.5 {
			t.Errorf("band line %d is at %.1f %%, want %.0f", k, got, want)
		}
		dark := 0
		for y := int(geo.LinesTop) + 1; y < int(geo.LinesBottom)-1; y++ {
			for dx := -1; dx <= 1; dx++ {
				if r, g, b, _ := img.At(x+dx, y).RGBA(); r>>8 < 140 && g>>8 < 140 && b>>8 < 140 {
					dark++
					break
				}
			}
		}
		// The dotted 95 % line is at least a third ink; the solid 110 % all.
		if span := geo.LinesBottom - geo.LinesTop; float64(dark) < span/3 {
			t.Errorf("band line at %.0f %%: %d dark pixels over %.0f", want, dark, span)
		}
	}
	for _, want := range []string{"Cy Cole 121.3 % red", "Alice Adams 104.0 % amber", "Dee Dunn 40.2 % green", "95 %, 100 % and 110 %", "team load 90.7 %"} {
		if !strings.Contains(im.Alt, want) {
			t.Errorf("alt text %q lacks %q", im.Alt, want)
		}
	}
}

func TestTeamChartOfFortyStaysSmall(t *testing.T) {
	var bars []Bar
	for i := range 40 {
		p := float64(60 + i*2)
		rag := domain.Green
		switch {
		case p >= 110:
			rag = domain.Red
		case p >= 100:
			rag = domain.Amber
		}
		bars = append(bars, Bar{Name: fmt.Sprintf("Practitioner %02d", i), Percent: p, RAG: rag})
	}
	bars = append(bars, Bar{Name: "On leave", NoCapacity: true, RAG: domain.Green}, Bar{Name: "No capacity", NoCapacity: true, Load: 8, RAG: domain.Red})
	im, geo, err := TeamChart{Title: "Big team", Bars: bars, Bands: bands}.PNG()
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, im.Data)
	if len(geo.Bars) != len(bars) || img.Bounds().Dy() != geo.Height {
		t.Fatalf("%d bars in a %v image", len(geo.Bars), img.Bounds())
	}
	last := geo.Bars[len(bars)-1]
	if areaShare(img, last, Red) < 0.55 {
		t.Error("a load with no capacity is not drawn as a red bar")
	}
	if !strings.Contains(im.Alt, "No capacity 8.0 points, no capacity, red") {
		t.Errorf("alt: %s", im.Alt)
	}
}

func TestEmptyTeamChart(t *testing.T) {
	im, geo, err := TeamChart{Title: "New team", Bands: bands}.PNG()
	if err != nil {
		t.Fatal(err)
	}
	decode(t, im.Data)
	if len(geo.Bars) != 0 || !strings.Contains(im.Alt, "Nobody carries cases yet") {
		t.Errorf("bars %d, alt %q", len(geo.Bars), im.Alt)
	}
}

func TestTrendChart(t *testing.T) {
	var weeks []string
	start := time.Date(2026, 9, 7, 0, 0, 0, 0, time.UTC)
	for i := range 12 {
		weeks = append(weeks, start.AddDate(0, 0, 7*i).Format("2 Jan"))
	}
	a := Series{Name: "North", Percent: make([]float64, 12), Has: make([]bool, 12)}
	b := Series{Name: "South", Percent: make([]float64, 12), Has: make([]bool, 12)}
	for i := range 12 {
		a.Percent[i], a.Has[i] = 80+float64(i)*3, i > 1
		b.Percent[i], b.Has[i] = 101-float64(i), true
	}
	tr := TrendChart{Title: "Your teams", Weeks: weeks, Series: []Series{a, b}, Bands: bands}
	im, err := tr.PNG()
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, im.Data)
	if img.Bounds().Dx() != im.Width || img.Bounds().Dy() != im.Height {
		t.Errorf("image %v, says %dx%d", img.Bounds(), im.Width, im.Height)
	}
	// Both series' colours are drawn.
	count := map[color.RGBA]int{}
	bnd := img.Bounds()
	for y := bnd.Min.Y; y < bnd.Max.Y; y++ {
		for x := bnd.Min.X; x < bnd.Max.X; x++ {
			for _, c := range []color.RGBA{Blue, Red} {
				if near(img.At(x, y), c) {
					count[c]++
				}
			}
		}
	}
	if count[Blue] < 300 || count[Red] < 300 {
		t.Errorf("series pixels: blue %d, vermilion %d", count[Blue], count[Red])
	}
	for _, want := range []string{"North (circles): 21 Sep 86.0 %, 28 Sep 89.0 %", "no figures for the other weeks", "South (squares): 7 Sep 101.0 %", "week of 7 Sep to the week of 23 Nov"} {
		if !strings.Contains(im.Alt, want) {
			t.Errorf("alt %q lacks %q", im.Alt, want)
		}
	}
	svg, err := tr.SVG()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(svg.Data, []byte("<svg")) || bytes.Contains(svg.Data, []byte("http://www.w3.org/1999/xlink")) && bytes.Contains(svg.Data, []byte("xlink:href")) {
		t.Errorf("SVG does not start with <svg or links out: %.200s", svg.Data)
	}
}
