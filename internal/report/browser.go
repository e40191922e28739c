package report

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Browsers are the names a Chromium goes by on PATH, Debian's first.
var Browsers = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "headless_shell"}

// ErrNoBrowser is returned when no Chromium is installed.
var ErrNoBrowser = errors.New("no Chromium browser found")

// FindBrowser finds a Chromium on PATH. Its error names what it looked for
// and how to get one.
func FindBrowser() (string, error) {
	for _, name := range Browsers {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: printing to PDF needs headless Chromium, and none of %s is on PATH (on Debian or Ubuntu: apt-get install chromium); or write the report as .html",
		ErrNoBrowser, strings.Join(Browsers, ", "))
}

// Browser opens local pages in a headless Chromium, driven over the
// DevTools protocol (chromedp), with a profile of its own that it throws
// away and the network off: every request goes to a proxy on a loopback
// port where nothing listens.
type Browser struct {
	Path string
	// Timeout bounds one visit (default one minute).
	Timeout time.Duration
}

// Visit is what a page did in the browser.
type Visit struct {
	// Requests are the URLs the page asked for beyond its own file.
	Requests []string
	// Charts counts the page's charts (svg.chart) drawn at least 200
	// pixels wide with their shapes in them.
	Charts int
	// Screenshot is a PNG of the top of the page, when asked for.
	Screenshot []byte
	// PDF is the page printed (A4, as its print styles ask), when asked for.
	PDF []byte
}

// VisitOptions say what to take from a visit.
type VisitOptions struct {
	Width, Height int // the window, for the screenshot (default 1100 × 1600)
	Screenshot    bool
	PDF           bool
}

// drawnCharts is the page's count of drawn charts.
const drawnCharts = `Array.from(document.querySelectorAll('svg.chart')).filter(s => s.getBoundingClientRect().width >= 200 && s.querySelectorAll('path').length >= 10).length`

// Visit opens the page at htmlPath and takes what o asks for.
func (b *Browser) Visit(ctx context.Context, htmlPath string, o VisitOptions) (*Visit, error) {
	abs, err := filepath.Abs(htmlPath)
	if err != nil {
		return nil, err
	}
	profile, err := os.MkdirTemp("", "safeload-chromium-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(profile)
	if o.Width == 0 {
		o.Width, o.Height = 1100, 1600
	}
	timeout := b.Timeout
	if timeout == 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(b.Path), chromedp.UserDataDir(profile), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(o.Width, o.Height),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		// The network is off: nothing listens on port 9 of loopback.
		chromedp.ProxyServer("http://127.0.0.1:9"), chromedp.Flag("proxy-bypass-list", "<-loopback>"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	tctx, cancelTab := chromedp.NewContext(actx)
	defer cancelTab()

	page := (&url.URL{Scheme: "file", Path: abs}).String()
	v := &Visit{}
	var mu sync.Mutex
	if err := chromedp.Listen(tctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Request != nil && e.Request.URL != page {
			mu.Lock()
			v.Requests = append(v.Requests, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		return nil, browserError(b.Path, err)
	}
	enable := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{})
		return err
	})
	if err := chromedp.Do(tctx, enable, chromedp.EmulateViewport(int64(o.Width), int64(o.Height)), chromedp.Navigate(page)); err != nil {
		return nil, browserError(b.Path, err)
	}
	if v.Charts, err = chromedp.Run(tctx, chromedp.Evaluate[int](drawnCharts)); err != nil {
		return nil, browserError(b.Path, err)
	}
	if o.Screenshot {
		if v.Screenshot, err = chromedp.Run(tctx, chromedp.CaptureScreenshot()); err != nil {
			return nil, browserError(b.Path, err)
		}
	}
	if o.PDF {
		if v.PDF, err = chromedp.Run(tctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPreferCSSPageSize(), chromedp.PDFPrintBackground())); err != nil {
			return nil, browserError(b.Path, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	return v, nil
}

// PrintPDF prints the page at htmlPath and returns the PDF.
func (b *Browser) PrintPDF(ctx context.Context, htmlPath string) ([]byte, error) {
	v, err := b.Visit(ctx, htmlPath, VisitOptions{PDF: true})
	if err != nil {
		return nil, err
	}
	if len(v.PDF) < 5 || string(v.PDF[:5]) != "%PDF-" {
		return nil, fmt.Errorf("%s printed something that is not a PDF", filepath.Base(b.Path))
	}
	return v.PDF, nil
}

func browserError(path string, err error) error {
	return fmt.Errorf("headless %s: %w", filepath.Base(path), err)
}
