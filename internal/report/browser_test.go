package report_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/safeload/safeload/internal/chart"
	"github.com/safeload/safeload/internal/report"
)

// browser finds Chromium, or skips naming it; with SAFELOAD_REQUIRE_BROWSER=1
// (as CI sets) a missing browser fails the test instead.
func browser(t *testing.T) string {
	t.Helper()
	path, err := report.FindBrowser()
	if err != nil {
		if os.Getenv("SAFELOAD_REQUIRE_BROWSER") == "1" {
			t.Fatalf("SAFELOAD_REQUIRE_BROWSER=1: %v", err)
		}
		t.Skipf("skipped: %v", err)
	}
	return path
}

// TestReportInARealBrowser opens the report in headless Chromium with the
// network off, checks that the page asked for nothing beyond its own file
// and that its charts are drawn (in the page and in a screenshot), and
// prints it to PDF.
func TestReportInARealBrowser(t *testing.T) {
	path := browser(t)
	f := newFixture(t)
	from, to := report.LastFullQuarter(f.clock.Now(), london)
	var page bytes.Buffer
	if err := report.Render(&page, build(t, f, from, to)); err != nil {
		t.Fatal(err)
	}
	html := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(html, page.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	b := &report.Browser{Path: path}
	v, err := b.Visit(context.Background(), html, report.VisitOptions{Width: 1100, Height: 2200, Screenshot: true, PDF: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Requests) > 0 {
		t.Fatalf("the page asked the network for %q", v.Requests)
	}
	if v.Charts != 2 {
		t.Errorf("%d charts drawn in the page, want 2", v.Charts)
	}
	img, err := png.Decode(bytes.NewReader(v.Screenshot))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if got := img.Bounds().Size(); got.X != 1100 || got.Y != 2200 {
		t.Fatalf("screenshot is %v", got)
	}
	// The charts are drawn: the load line (blue) and the RAG columns
	// (green and orange) are on the screen; the tables have no such
	// colours.
	for name, c := range map[string]color.RGBA{"the load line": chart.Blue, "green columns": chart.Green, "amber columns": chart.Amber} {
		if n := count(img, c); n < 150 {
			t.Errorf("%s: %d pixels in the screenshot; the chart is not drawn", name, n)
		}
	}
	// SAFELOAD_REPORT_KEEP=DIR keeps the screenshot and the PDF to look at.
	if keep := os.Getenv("SAFELOAD_REPORT_KEEP"); keep != "" {
		_ = os.WriteFile(filepath.Join(keep, "report-screenshot.png"), v.Screenshot, 0o644)
		_ = os.WriteFile(filepath.Join(keep, "report.pdf"), v.PDF, 0o644)
		_ = os.WriteFile(filepath.Join(keep, "report.html"), page.Bytes(), 0o644)
	}
	// The check sees a request when there is one: the same page with an
	// image from elsewhere is caught.
	leaky := filepath.Join(filepath.Dir(html), "leaky.html")
	if err := os.WriteFile(leaky, bytes.Replace(page.Bytes(), []byte("</body>"), []byte(`<img src="http://example.org/pixel.png" alt=""></body>`), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	lv, err := b.Visit(context.Background(), leaky, report.VisitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lv.Requests) != 1 || lv.Requests[0] != "http://example.org/pixel.png" {
		t.Fatalf("a page with an outside image: requests %q", lv.Requests)
	}
	doc := v.PDF
	pages := len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(doc, -1))
	if !bytes.HasPrefix(doc, []byte("%PDF-")) || pages < 2 || pages > 12 {
		t.Fatalf("the PDF has %d pages (%d bytes); want an A4 document of a few pages", pages, len(doc))
	}
	if mb := regexp.MustCompile(`/MediaBox\s*\[\s*0\s+0\s+59[45]\.?\d*\s+84[12]\.?\d*`); !mb.Match(doc) {
		t.Errorf("the PDF's pages are not A4 (595 × 842 points)")
	}
}

// TestPrintNamesTheMissingBrowser: with no Chromium, printing says which
// browser is missing and how to get one.
func TestPrintNamesTheMissingBrowser(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := report.FindBrowser()
	if !errors.Is(err, report.ErrNoBrowser) || !strings.Contains(err.Error(), "chromium") || !strings.Contains(err.Error(), "apt-get install chromium") {
		t.Fatalf("got %v", err)
	}
	b := &report.Browser{Path: filepath.Join(t.TempDir(), "chromium")}
	_, err = b.PrintPDF(context.Background(), filepath.Join(t.TempDir(), "x.html"))
	if err == nil || !strings.Contains(err.Error(), "chromium") {
		t.Fatalf("a browser that is not there: %v", err)
	}
}

func count(img image.Image, c color.RGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if absDiff(r>>8, c.R) < 20 && absDiff(g>>8, c.G) < 20 && absDiff(bl>>8, c.B) < 20 {
				n++
			}
		}
	}
	return n
}

func absDiff(a uint32, b uint8) int {
	d := int(a) - int(b)
	if d < 0 {
		return -d
	}
	return d
}
