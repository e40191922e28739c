// Package httpsrv builds the HTTP server serve listens with: every phase of
// a request has a deadline and the number of open connections is capped,
// so slow or held connections cannot exhaust file descriptors or memory.
// It knows nothing of the routes it serves.
package httpsrv

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Limits bound one server. Zero fields take the defaults.
type Limits struct {
	// ReadHeader, Read, Write and Idle are the http.Server timeouts. Read
	// covers the whole body: chat platforms send a few kilobytes at once.
	ReadHeader, Read, Write, Idle time.Duration
	// MaxConns caps the connections open at once; more wait to be accepted.
	MaxConns int
	// MaxHeaderBytes bounds the request headers.
	MaxHeaderBytes int
}

// Defaults suit chat platforms' webhooks: Slack and Discord wait 3 s for an
// answer, so nothing they send takes long to read or answer.
var Defaults = Limits{
	ReadHeader:     5 * time.Second,
	Read:           10 * time.Second,
	Write:          20 * time.Second,
	Idle:           60 * time.Second,
	MaxConns:       512,
	MaxHeaderBytes: 64 << 10,
}

func (l Limits) withDefaults() Limits {
	d := Defaults
	for _, f := range []struct{ got, into *time.Duration }{
		{&l.ReadHeader, &d.ReadHeader}, {&l.Read, &d.Read}, {&l.Write, &d.Write}, {&l.Idle, &d.Idle},
	} {
		if *f.got > 0 {
			*f.into = *f.got
		}
	}
	if l.MaxConns > 0 {
		d.MaxConns = l.MaxConns
	}
	if l.MaxHeaderBytes > 0 {
		d.MaxHeaderBytes = l.MaxHeaderBytes
	}
	return d
}

// New returns a server for h with the limits' timeouts, and ln wrapped so
// that at most MaxConns connections are open at once.
func New(h http.Handler, ln net.Listener, l Limits) (*http.Server, net.Listener) {
	l = l.withDefaults()
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeader,
		ReadTimeout:       l.Read,
		WriteTimeout:      l.Write,
		IdleTimeout:       l.Idle,
		MaxHeaderBytes:    l.MaxHeaderBytes,
	}
	return srv, LimitListener(ln, l.MaxConns)
}

// LimitListener accepts at most n connections open at the same time; the
// others wait in the kernel's backlog until one closes.
func LimitListener(ln net.Listener, n int) net.Listener {
	return &limitListener{Listener: ln, sem: make(chan struct{}, n), done: make(chan struct{})}
}

type limitListener struct {
	net.Listener
	sem       chan struct{}
	closeOnce sync.Once
	done      chan struct{}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
}

func (l *limitListener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
