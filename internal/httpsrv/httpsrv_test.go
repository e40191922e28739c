package httpsrv

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

func serve(t *testing.T, l Limits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		fmt.Fprint(w, "ok")
	})
	srv, lln := New(h, ln, l)
	go func() { _ = srv.Serve(lln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// A client that sends its body slowly is cut off at the read deadline
// instead of holding its connection for ever.
func TestSlowBodyIsTimedOut(t *testing.T) {
	addr := serve(t, Limits{Read: 200 * time.Millisecond})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc")
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	_, err = io.ReadAll(c)
	if err != nil {
		t.Fatalf("the server did not close the slow connection: %v", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("slow body held the connection for %s", took)
	}
}

// Held connections beyond the cap are not accepted until one closes.
func TestConnectionCap(t *testing.T) {
	addr := serve(t, Limits{MaxConns: 2, ReadHeader: time.Minute, Read: time.Minute})
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprint(c, "POST / HTTP/1.1\r\nHost: x\r\n") // headers never finished
		held = append(held, c)
	}
	client := &http.Client{Timeout: 300 * time.Millisecond}
	if _, err := client.Get("http://" + addr); err == nil {
		t.Fatal("a third connection was served while two were held at a cap of 2")
	}
	held[0].Close()
	client.Timeout = 5 * time.Second
	resp, err := client.Get("http://" + addr)
	if err != nil {
		t.Fatalf("after one held connection closed: %v", err)
	}
	resp.Body.Close()
	held[1].Close()
}
