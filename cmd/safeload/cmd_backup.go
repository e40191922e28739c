package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/safeload/safeload/internal/backup"
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

// listenAdmin opens the admin socket. Whatever already sits at its path is
// removed only when it is a socket nobody answers on (left by a killed
// serve); anything else is a configuration mistake, never deleted.
func (a *app) listenAdmin() (net.Listener, error) {
	path := a.adminSocket()
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket; refusing to replace it (set SAFELOAD_ADMIN_SOCKET to a new path)", path)
		}
		if conn, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
			conn.Close()
			return nil, fmt.Errorf("%s is in use by another safeload", path)
		}
		if err := os.Remove(path); err != nil { // a stale socket from a killed process
			return nil, err
		}
	}
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

// serveAdmin answers one line per connection: "backup", with "ok SIZE" and
// a consistent copy of the store of exactly SIZE bytes, or "error: why".
// The process that asked writes the file itself, so serve never writes
// outside its store and a backup can never replace it. serveAdmin returns
// when ctx ends and every connection is closed.
func (a *app) serveAdmin(ctx context.Context, ln net.Listener) {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conn.Close()
			defer context.AfterFunc(ctx, func() { conn.Close() })()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Minute))
			line, err := bufio.NewReader(io.LimitReader(conn, 1024)).ReadString('\n')
			if err != nil {
				return
			}
			if strings.TrimSpace(line) != "backup" {
				fmt.Fprintln(conn, "error: expected: backup")
				return
			}
			n, err := a.store.Snapshot(conn, func(size int64) error {
				_, err := fmt.Fprintf(conn, "ok %d\n", size)
				return err
			})
			if err != nil {
				a.log.WithError(err).Error("backup stream failed")
				return
			}
			a.log.WithField("bytes", n).Info("backup streamed")
		}()
	}
}

// runBackup writes a consistent copy of the store: read directly when no
// serve holds it, streamed through serve's admin socket when one does. Either
// way this process writes the file.
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
	if err := backup.CheckTarget(dst, cfg.DB); err != nil {
		return c.fail(exitUsage, "backup: %v", err)
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
	sock := (&app{cfg: cfg}).adminSocket()
	conn, derr := net.DialTimeout("unix", sock, 2*time.Second)
	if derr != nil {
		return c.fail(exitFailed, "%v, and its admin socket %s does not answer: %v", err, sock, derr)
	}
	defer conn.Close()
	if _, err := fmt.Fprintln(conn, "backup"); err != nil {
		return c.fail(exitFailed, "backup through the running safeload: %v", err)
	}
	r := bufio.NewReader(conn)
	answer, rerr := r.ReadString('\n')
	var size int64
	if _, err := fmt.Sscanf(answer, "ok %d\n", &size); err != nil || size <= 0 {
		if rerr != nil && answer == "" {
			return c.fail(exitFailed, "backup through the running safeload: %v", rerr)
		}
		return c.fail(exitFailed, "backup through the running safeload: %s", strings.TrimSpace(answer))
	}
	err = backup.Write(dst, cfg.DB, size, func(w io.Writer) (int64, error) {
		return io.Copy(w, io.LimitReader(r, size))
	})
	if err != nil {
		return c.fail(exitFailed, "backup through the running safeload: %v", err)
	}
	fmt.Fprintf(c.stdout, "backup written to %s (through the running safeload)\n", dst)
	return exitOK
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
