//go:build unix && !aix

package h1

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// opaqueConn hides its connection's file descriptor, so the staleness
// check cannot look at the socket and the retry is what saves a request
// sent on a connection the server closed.
type opaqueConn struct{ c net.Conn }

func (o opaqueConn) Read(p []byte) (int, error)         { return o.c.Read(p) }
func (o opaqueConn) Write(p []byte) (int, error)        { return o.c.Write(p) }
func (o opaqueConn) Close() error                       { return o.c.Close() }
func (o opaqueConn) LocalAddr() net.Addr                { return o.c.LocalAddr() }
func (o opaqueConn) RemoteAddr() net.Addr               { return o.c.RemoteAddr() }
func (o opaqueConn) SetDeadline(t time.Time) error      { return o.c.SetDeadline(t) }
func (o opaqueConn) SetReadDeadline(t time.Time) error  { return o.c.SetReadDeadline(t) }
func (o opaqueConn) SetWriteDeadline(t time.Time) error { return o.c.SetWriteDeadline(t) }

// TestStaleIdleConnection: the server closes a connection after its
// response, without saying so. The next request must not fail where it
// need not: the staleness check discards the connection; where it cannot
// look, an idempotent request is sent again on a fresh connection, and a
// POST fails (the server may have read it: net/http's rule).
func TestStaleIdleConnection(t *testing.T) {
	dialer := &net.Dialer{}
	tests := []struct {
		name     string
		wrap     func(net.Conn) net.Conn
		body     func() io.Reader // nil: no body
		header   string           // set on the request, if any
		wantErr  bool
		requests int64 // the server saw
	}{
		{name: "staleness check", wrap: func(c net.Conn) net.Conn { return c }, requests: 2},
		{name: "retried GET", wrap: func(c net.Conn) net.Conn { return opaqueConn{c} }, requests: 2},
		{name: "staleness check before a POST", wrap: func(c net.Conn) net.Conn { return c },
			body: func() io.Reader { return strings.NewReader("payload") }, requests: 2},
		{name: "POST not sent again", wrap: func(c net.Conn) net.Conn { return opaqueConn{c} },
			body: func() io.Reader { return strings.NewReader("payload") }, wantErr: true, requests: 1},
		{name: "POST with an Idempotency-Key sent again", wrap: func(c net.Conn) net.Conn { return opaqueConn{c} },
			body: func() io.Reader { return strings.NewReader("payload") }, header: "Idempotency-Key", requests: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			closed := make(chan struct{}, 1)
			srv := startRaw(t, func(c net.Conn, req *http.Request, _, _ int) bool {
				c.Write([]byte(okAnswer))
				closed <- struct{}{}
				return false // closed after the answer, though it did not say so
			})
			tr := &Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				c, err := dialer.DialContext(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				return tt.wrap(c), nil
			}}
			for i := range 2 {
				var body io.Reader
				method := http.MethodGet
				if tt.body != nil {
					body, method = tt.body(), http.MethodPost
				}
				req, _ := http.NewRequest(method, "http://"+srv.addr, body)
				if tt.header != "" {
					req.Header.Set(tt.header, "k1")
				}
				resp, err := tr.RoundTrip(req)
				if i == 0 {
					if err != nil {
						t.Fatal(err)
					}
					io.ReadAll(resp.Body)
					resp.Body.Close()
					<-closed
					// The server's close reaches the client's socket soon
					// after; the check needs it there to see it.
					waitClosed(t, tr, "http://"+srv.addr, tt.name)
					continue
				}
				if (err != nil) != tt.wantErr {
					t.Fatalf("second request: error %v, want one: %v", err, tt.wantErr)
				}
				if err == nil {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if string(b) != "ok" {
						t.Errorf("body %q", b)
					}
				}
			}
			if r := srv.requests.Load(); r != tt.requests {
				t.Errorf("server saw %d requests, want %d", r, tt.requests)
			}
		})
	}
}

// waitClosed waits until the idle connection's peer close is visible to
// a read on the socket (a bounded wait on the kernel, not on time).
func waitClosed(t *testing.T, tr *Transport, key, _ string) {
	t.Helper()
	tr.mu.Lock()
	list := tr.idle[key]
	tr.mu.Unlock()
	if len(list) != 1 {
		t.Fatalf("%d idle connections, want 1", len(list))
	}
	c := list[0].nc
	tcp, ok := c.(*net.TCPConn)
	if !ok {
		if o, isOpaque := c.(opaqueConn); isOpaque {
			tcp = o.c.(*net.TCPConn)
		}
	}
	raw, err := tcp.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	// Blocks in the poller until the socket is readable: the FIN.
	raw.Read(func(fd uintptr) bool { return !peekFD(fd) })
}

// A POST the server read on a kept-alive connection and then dropped
// without a word is a failure, never sent a second time: the server may
// be generating it (a second generation would double the load and hide
// the failure). A GET in the same place is sent again.
func TestDroppedRequestNotResent(t *testing.T) {
	for _, tc := range []struct {
		method   string
		wantErr  bool
		requests int64
	}{
		{http.MethodPost, true, 2},
		{http.MethodGet, false, 3},
	} {
		t.Run(tc.method, func(t *testing.T) {
			srv := startRaw(t, func(c net.Conn, req *http.Request, n, all int) bool {
				if n == 1 {
					return false // read the second request, then close without answering
				}
				c.Write([]byte(okAnswer))
				return true
			})
			tr := &Transport{}
			for i := range 2 {
				req, _ := http.NewRequest(tc.method, "http://"+srv.addr, strings.NewReader("payload"))
				resp, err := tr.RoundTrip(req)
				if i == 0 {
					if err != nil {
						t.Fatal(err)
					}
					io.ReadAll(resp.Body)
					resp.Body.Close()
					continue
				}
				if (err != nil) != tc.wantErr {
					t.Fatalf("second request: error %v, want one: %v", err, tc.wantErr)
				}
				if err == nil {
					io.ReadAll(resp.Body)
					resp.Body.Close()
				}
			}
			if r := srv.requests.Load(); r != tc.requests {
				t.Errorf("server saw %d requests, want %d", r, tc.requests)
			}
		})
	}
}
