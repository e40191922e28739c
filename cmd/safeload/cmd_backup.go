package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/safeload/safeload/internal/store"
)

// The admin socket lets `safeload backup` reach a running serve, whose
// bbolt lock keeps any second process out of the store. It is a unix socket
// beside the store, readable by the store's owner only.
func (a *app) adminSocket() string {
	if a.cfg.AdminSocket != "" {
		return a.cfg.AdminSocket
	}
	return a.cfg.DB + ".sock"
}

func (a *app) listenAdmin() (net.Listener, error) {
	path := a.adminSocket()
	if conn, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
		conn.Close()
		return nil, fmt.Errorf("%s is in use by another safeload", path)
	}
	_ = os.Remove(path) // a stale socket from a killed process
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// serveAdmin answers one line per connection: "backup <absolute path>".
func (a *app) serveAdmin(ctx context.Context, ln net.Listener) {
	go func() { <-ctx.Done(); ln.Close() }()
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Minute))
			line, err := bufio.NewReader(conn).ReadString('\n')
			if err != nil {
				return
			}
			verb, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
			if verb != "backup" || !filepath.IsAbs(arg) {
				fmt.Fprintln(conn, "error: expected: backup /absolute/path")
				return
			}
			if err := a.store.Backup(arg); err != nil {
				a.log.WithError(err).Error("backup failed")
				fmt.Fprintln(conn, "error:", err)
				return
			}
			a.log.WithField("file", arg).Info("backup written")
			fmt.Fprintln(conn, "ok")
		}()
	}
}

// runBackup writes a consistent copy of the store: directly when no serve
// holds it, through serve's admin socket when one does.
func (c *cli) runBackup(args []string) int {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		return c.fail(exitUsage, "usage: safeload backup FILE")
	}
	cfg, code, ok := c.config()
	if !ok {
		return code
	}
	dst, err := filepath.Abs(args[0])
	if err != nil {
		return c.fail(exitUsage, "backup: %v", err)
	}
	if cfg.Store.Kind == "etcd" {
		return c.backupEtcd(cfg, dst)
	}
	if same(dst, cfg.DB) {
		return c.fail(exitUsage, "backup: %s is the store itself; choose another file", args[0])
	}
	st, err := store.Open(cfg.DB, store.Options{Timeout: 300 * time.Millisecond, ReadOnly: true})
	if err == nil {
		defer st.Close()
		if err := st.Backup(dst); err != nil {
			return c.fail(exitFailed, "%v", err)
		}
		fmt.Fprintf(c.stdout, "backup written to %s\n", dst)
		return exitOK
	}
	if !strings.Contains(err.Error(), "another safeload process") {
		return c.fail(exitFailed, "%v", err)
	}
	sock := cfg.AdminSocket
	if sock == "" {
		sock = cfg.DB + ".sock"
	}
	conn, derr := net.DialTimeout("unix", sock, 2*time.Second)
	if derr != nil {
		return c.fail(exitFailed, "%v, and its admin socket %s does not answer: %v", err, sock, derr)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "backup %s\n", dst)
	answer, rerr := bufio.NewReader(conn).ReadString('\n')
	if rerr != nil && !errors.Is(rerr, os.ErrDeadlineExceeded) && answer == "" {
		return c.fail(exitFailed, "backup through the running safeload: %v", rerr)
	}
	if strings.TrimSpace(answer) != "ok" {
		return c.fail(exitFailed, "backup through the running safeload: %s", strings.TrimSpace(answer))
	}
	fmt.Fprintf(c.stdout, "backup written to %s (through the running safeload)\n", dst)
	return exitOK
}

func same(a, b string) bool {
	ab, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && ab == bb
}

// runCheck verifies a store or a backup: bbolt's consistency check, the
// schema version, and that every record can be read.
func (c *cli) runCheck(args []string) int {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		return c.fail(exitUsage, "usage: safeload check FILE")
	}
	if _, err := os.Stat(args[0]); err != nil {
		return c.fail(exitFailed, "check: %v", err)
	}
	st, err := store.Open(args[0], store.Options{Timeout: 300 * time.Millisecond, ReadOnly: true})
	if err != nil {
		return c.fail(exitFailed, "check %s: %v", args[0], err)
	}
	defer st.Close()
	problems := st.Check()
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(c.stderr, "safeload: check %s: %v\n", args[0], p)
		}
		return c.fail(exitFailed, "check %s: %d problem(s) found", args[0], len(problems))
	}
	stats, err := st.Stats()
	if err != nil {
		return c.fail(exitFailed, "check %s: %v", args[0], err)
	}
	fmt.Fprintf(c.stdout, "%s is sound: schema %d, %d teams, %d messages waiting in the outbox\n", args[0], store.SchemaVersion, stats.Teams, stats.OutboxDepth)
	return exitOK
}
