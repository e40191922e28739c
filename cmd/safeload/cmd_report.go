package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/safeload/safeload/internal/atomicfile"
	"github.com/safeload/safeload/internal/audit"
	"github.com/safeload/safeload/internal/digestrun"
	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/report"
)

// dateFlags parses --from and --to; a missing one takes its default.
func dateFlags(from, to string, defFrom, defTo domain.Date) (domain.Date, domain.Date, error) {
	f, t := defFrom, defTo
	var err error
	if from != "" {
		if f, err = domain.ParseDate(from); err != nil {
			return "", "", fmt.Errorf("--from %q is not a date like 2026-07-01", from)
		}
	}
	if to != "" {
		if t, err = domain.ParseDate(to); err != nil {
			return "", "", fmt.Errorf("--to %q is not a date like 2026-09-30", to)
		}
	}
	if f != "" && t != "" && f > t {
		return "", "", fmt.Errorf("--from %s is after --to %s", f, t)
	}
	return f, t, nil
}

// openReadOnly opens the configured store (the bbolt file or etcd) for
// reading beside a running serve.
func (c *cli) openReadOnly(cfg *Config) (backend, int, bool) {
	if _, err := os.Stat(cfg.DB); err != nil && cfg.Store.Kind != "etcd" {
		return nil, c.fail(exitFailed, "there is no store at %s (SAFELOAD_DB): %v", cfg.DB, unwrapPathError(err)), false
	}
	st, err := openStore(cfg, nil, true)
	if err != nil {
		return nil, c.fail(exitFailed, "%v", err), false
	}
	return st, 0, true
}

// runReport is `safeload report [--from] [--to] [--team ID] --out FILE`:
// the quarterly report as one self-contained HTML page, or as PDF printed
// by headless Chromium.
func (c *cli) runReport(args []string) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fromS := fs.String("from", "", "first day, YYYY-MM-DD (default: the first day of the last full quarter, or of --to's quarter)")
	toS := fs.String("to", "", "last day, YYYY-MM-DD (default: the last day of the last full quarter, or today after --from)")
	teamID := fs.String("team", "", "only this team (its ID); default every team and the service as a whole")
	out := fs.String("out", "", "the file to write: FILE.html, or FILE.pdf (needs Chromium)")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: safeload report [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--team ID] --out FILE.html|FILE.pdf\n\nWrites the quarterly report on caseloads: one HTML file that needs no network, or a PDF of it.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return c.fail(exitUsage, "report: unexpected %q (the file goes after --out)", fs.Arg(0))
	}
	ext := strings.ToLower(filepath.Ext(*out))
	switch {
	case *out == "":
		fs.Usage()
		return c.fail(exitUsage, "report: --out FILE is required (FILE.html or FILE.pdf)")
	case ext != ".html" && ext != ".htm" && ext != ".pdf":
		return c.fail(exitUsage, "report: --out %s: the file must end in .html or .pdf", *out)
	}
	cfg, code, ok := c.config()
	if !ok {
		return code
	}
	now := time.Now().In(cfg.TZ)
	// With neither date, the last full quarter; from a date alone, up to
	// today; up to a date alone, from the start of its quarter.
	defFrom, defTo := report.LastFullQuarter(now, cfg.TZ)
	if *fromS != "" {
		defTo = domain.DateOf(now)
	}
	if to, err := domain.ParseDate(*toS); err == nil && *fromS == "" {
		defFrom = report.QuarterStart(to)
	}
	from, to, err := dateFlags(*fromS, *toS, defFrom, defTo)
	if err != nil {
		return c.fail(exitUsage, "report: %v", err)
	}
	var browser *report.Browser
	if ext == ".pdf" {
		path, err := report.FindBrowser()
		if err != nil {
			return c.fail(exitFailed, "report: %v", err)
		}
		browser = &report.Browser{Path: path}
	}
	st, code, ok := c.openReadOnly(cfg)
	if !ok {
		return code
	}
	defer st.Close()
	var r *report.Report
	err = st.View(func(tx domain.Tx) error {
		if *teamID != "" {
			if _, err := digestrun.Teams(tx, *teamID); err != nil {
				return err
			}
		}
		var err error
		r, err = report.Build(tx, report.Options{From: from, To: to, Team: *teamID, Policy: &cfg.Policy, Loc: cfg.TZ, AckWithin: cfg.AckWithin, Now: now})
		return err
	})
	if err != nil {
		return c.fail(exitFailed, "report: %s", storeErrorText(err))
	}
	var page bytes.Buffer
	if err := report.Render(&page, r); err != nil {
		return c.fail(exitFailed, "report: %v", err)
	}
	if browser != nil {
		if err := c.printPDF(browser, page.Bytes(), *out); err != nil {
			return c.fail(exitFailed, "report: printing %s: %v", *out, err)
		}
	} else if err := atomicfile.WriteFile(*out, page.Bytes()); err != nil {
		return c.fail(exitFailed, "report: writing %s: %v", *out, err)
	}
	fmt.Fprintf(c.stdout, "Wrote the report for %s to %s (%s) to %s.\n", from, to, reportScope(r), *out)
	return exitOK
}

func reportScope(r *report.Report) string {
	if len(r.Teams) == 1 {
		return r.Teams[0].Name
	}
	return fmt.Sprintf("%d teams", len(r.Teams))
}

// printPDF writes the page to a temporary file and has the browser print
// it to out.
func (c *cli) printPDF(b *report.Browser, page []byte, out string) error {
	dir, err := os.MkdirTemp("", "safeload-report-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	html := filepath.Join(dir, "report.html")
	if err := os.WriteFile(html, page, 0o600); err != nil {
		return err
	}
	pdf, err := b.PrintPDF(c.ctx, html)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(out, pdf)
}

// runAudit is `safeload audit [--from] [--to] [--team ID] [--format csv|json]`:
// the audit log, one row per action.
func (c *cli) runAudit(args []string) int {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fromS := fs.String("from", "", "first day, YYYY-MM-DD (default: the beginning)")
	toS := fs.String("to", "", "last day, YYYY-MM-DD (default: today)")
	teamID := fs.String("team", "", "only this team (its ID)")
	format := fs.String("format", "csv", "csv or json")
	withText := fs.Bool("with-concern-text", false, "include what concerns and declines say (admins only, with --as)")
	as := fs.String("as", "", "who is asking (e.g. slack:U01): needed for --with-concern-text, which only an admin may use")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: safeload audit [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--team ID] [--format csv|json] [--with-concern-text --as ADMIN]\n\nWrites the audit log to standard output: one row per action (when, who, team, action, case, details).\nWhat practitioners wrote about themselves is left out unless an admin asks for it.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return c.fail(exitUsage, "audit takes no file: it writes to standard output (redirect it with > FILE)")
	}
	if *format != "csv" && *format != "json" {
		return c.fail(exitUsage, "audit: --format %q is not csv or json", *format)
	}
	if *withText && *as == "" {
		return c.fail(exitUsage, "audit: --with-concern-text shows what people wrote about themselves: say who you are with --as ID (an admin)")
	}
	cfg, code, ok := c.config()
	if !ok {
		return code
	}
	from, to, err := dateFlags(*fromS, *toS, "", domain.DateOf(time.Now().In(cfg.TZ)))
	if err != nil {
		return c.fail(exitUsage, "audit: %v", err)
	}
	st, code, ok := c.openReadOnly(cfg)
	if !ok {
		return code
	}
	defer st.Close()
	var rows []audit.Row
	err = st.View(func(tx domain.Tx) error {
		if *withText {
			if err := audit.MustBeAdmin(tx, domain.PersonID(*as), cfg.Admins); err != nil {
				return err
			}
		}
		if *teamID != "" {
			if _, err := digestrun.Teams(tx, *teamID); err != nil {
				return err
			}
		}
		var err error
		rows, err = audit.Rows(tx, audit.Query{From: from, To: to, Team: *teamID, Loc: cfg.TZ, WithText: *withText})
		return err
	})
	if err != nil {
		return c.fail(exitFailed, "audit: %s", storeErrorText(err))
	}
	if err := audit.Write(c.stdout, *format, rows); err != nil {
		return c.fail(exitFailed, "audit: %v", err)
	}
	return exitOK
}

// demoReport writes the report of the quarter so far (up to now) to a
// temporary file that outlives the demo, and returns its path.
func (a *app) demoReport(now time.Time) (string, error) {
	loc := a.cfg.TZ
	now = now.In(loc)
	from := report.QuarterStart(domain.DateOf(now))
	var r *report.Report
	err := a.store.View(func(tx domain.Tx) error {
		var err error
		r, err = report.Build(tx, report.Options{From: from, To: domain.DateOf(now), Policy: &a.cfg.Policy, Loc: loc, AckWithin: a.cfg.AckWithin, Now: now})
		return err
	})
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp("", "safeload-demo-report-*.html")
	if err != nil {
		return "", err
	}
	if err := report.Render(f, r); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), f.Close()
}
