package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/importer"
)

// runImport is `safeload import FILE` (FILE "-" reads standard input): the
// file is checked whole and written in one transaction, or not at all.
func (c *cli) runImport(args []string) int {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: safeload import FILE\n\nLoads teams, people and cases from a YAML or JSON file (see deploy/examples/team.yaml).\nFILE - reads standard input.")
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return c.fail(exitUsage, "import needs exactly one FILE")
	}
	path := fs.Arg(0)
	cfg, code, ok := c.config()
	if !ok {
		return code
	}
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(c.stdin)
		path = "stdin"
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return c.fail(exitFailed, "cannot read %s: %v", path, unwrapPathError(err))
	}
	st, err := openStore(cfg, nil, false)
	if err != nil {
		return c.fail(exitFailed, "%v", err)
	}
	sum, err := importer.Import(st, data, path, &cfg.Policy)
	if cerr := st.Close(); err == nil && cerr != nil {
		err = cerr
	}
	var bad *importer.Error
	if errors.As(err, &bad) {
		return c.fail(exitFailed, "%s was not imported, and nothing was changed. Please fix:\n%v", path, bad)
	} else if err != nil {
		return c.fail(exitFailed, "import of %s failed, and nothing was changed: %s", path, storeErrorText(err))
	}
	fmt.Fprintln(c.stdout, sum)
	return exitOK
}

// runExport is `safeload export [--format csv|json]`, to standard output.
func (c *cli) runExport(args []string) int {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	format := fs.String("format", "csv", "csv (one row per member) or json (the same, with team figures and queues)")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: safeload export [--format csv|json]\n\nWrites every team's workload today to standard output.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return c.fail(exitUsage, "export takes no file: it writes to standard output (redirect it with > FILE)")
	}
	if *format != "csv" && *format != "json" {
		return c.fail(exitUsage, "--format %q is not csv or json", *format)
	}
	cfg, code, ok := c.config()
	if !ok {
		return code
	}
	if _, err := os.Stat(cfg.DB); err != nil && cfg.Store.Kind != "etcd" {
		return c.fail(exitFailed, "there is no store at %s (SAFELOAD_DB): %v", cfg.DB, unwrapPathError(err))
	}
	// Read-only: an export never changes the store and may run beside other readers.
	st, err := openStore(cfg, nil, true)
	if err != nil {
		return c.fail(exitFailed, "%v", err)
	}
	defer st.Close()
	today := domain.DateOf(time.Now().In(cfg.TZ))
	if err := importer.Export(st, c.stdout, *format, &cfg.Policy, today); err != nil {
		return c.fail(exitFailed, "export failed: %s", storeErrorText(err))
	}
	return exitOK
}

// storeErrorText is a domain error's plain message, or the error itself.
func storeErrorText(err error) string {
	if domain.ErrorCode(err) != domain.EINTERNAL {
		return domain.ErrorMessage(err)
	}
	return err.Error()
}

// unwrapPathError drops the path an *fs.PathError repeats.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
