package h1

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

// rawServer is a loopback TCP server that answers each request with
// whatever bytes its script writes, counting the connections it accepts.
type rawServer struct {
	addr     string
	accepts  atomic.Int64
	requests atomic.Int64
	stop     chan struct{} // closed at the test's end: scripts blocked on it return
}

// script answers a request: n counts the requests on this connection and
// all the requests the server saw, both from 0. It returns whether the
// server reads another request on the connection.
type script func(c net.Conn, req *http.Request, n, all int) (keep bool)

func startRaw(t testing.TB, s script) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &rawServer{addr: ln.Addr().String(), stop: make(chan struct{})}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			srv.accepts.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for n := 0; ; n++ {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					if !s(c, req, n, int(srv.requests.Add(1)-1)) {
						return
					}
				}
			})
		}
	})
	t.Cleanup(func() {
		close(srv.stop)
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return srv
}

// answer is a script writing one fixed response.
func answer(raw string, keep bool) script {
	return func(c net.Conn, _ *http.Request, _, _ int) bool {
		c.Write([]byte(raw))
		return keep
	}
}

const headerLimit = 64 << 10

// errTestCause is the cause of the tests' request timeouts.
var errTestCause = errors.New("the request's own timeout")

// transports are the two under comparison, configured alike.
func transports() []struct {
	name string
	rt   http.RoundTripper
} {
	return []struct {
		name string
		rt   http.RoundTripper
	}{
		{"h1", &Transport{MaxResponseHeaderBytes: headerLimit, MaxIdleConnsPerHost: 16}},
		{"net/http", &http.Transport{DisableCompression: true, MaxResponseHeaderBytes: headerLimit, MaxIdleConnsPerHost: 16}},
	}
}

// errClass is what the prober can tell apart about a failure.
func errClass(err error) string {
	var ne net.Error
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, errTestCause):
		// net/http reports a deadline with a cause as the cause alone
		return "deadline"
	case errors.Is(err, ErrHeaderTooLarge), strings.Contains(err.Error(), "server response headers exceeded"):
		return "header too large"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected EOF"
	case errors.Is(err, io.EOF):
		return "EOF"
	case strings.Contains(err.Error(), "malformed"):
		return "malformed"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return "other: " + err.Error()
}

// outcome is what a client sees of one exchange.
type outcome struct {
	status int
	header http.Header
	body   string
	path   string // of the final request, after redirects
	err    string // errClass of the request's or the body's error
}

func fetch(ctx context.Context, rt http.RoundTripper, method, url string) outcome {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return outcome{err: "build: " + err.Error()}
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return outcome{err: errClass(err)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return outcome{status: resp.StatusCode, header: resp.Header, body: string(b), path: resp.Request.URL.Path, err: errClass(err)}
}

func sameOutcome(a, b outcome) bool {
	if a.status != b.status || a.body != b.body || a.path != b.path || a.err != b.err || len(a.header) != len(b.header) {
		return false
	}
	for k, v := range a.header {
		if strings.Join(v, "\n") != strings.Join(b.header[k], "\n") {
			return false
		}
	}
	return true
}

// TestDifferential sends the same requests to the same raw answers
// through internal/h1 and net/http's transport: status, headers, body and
// the kind of error must agree, and be what the answer calls for.
func TestDifferential(t *testing.T) {
	tests := []struct {
		name   string
		method string
		path   string
		script script
		want   outcome // status, body and error class
	}{
		{name: "content-length", script: answer("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello", true),
			want: outcome{status: 200, body: "hello"}},
		{name: "chunked", script: answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", true),
			want: outcome{status: 200, body: "hello world"}},
		{name: "close-delimited", script: answer("HTTP/1.1 200 OK\r\n\r\nuntil the close", false),
			want: outcome{status: 200, body: "until the close"}},
		{name: "HTTP/1.0 close-delimited", script: answer("HTTP/1.0 200 OK\r\n\r\nold", false),
			want: outcome{status: 200, body: "old"}},
		{name: "connection close", script: answer("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", false),
			want: outcome{status: 200, body: "ok"}},
		{name: "HEAD with content-length", method: http.MethodHead, script: answer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true),
			want: outcome{status: 200}},
		{name: "100 and 103 first", script: answer("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true),
			want: outcome{status: 200, body: "ok"}},
		{name: "204", script: answer("HTTP/1.1 204 No Content\r\n\r\n", true), want: outcome{status: 204}},
		{name: "304", script: answer("HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n", true), want: outcome{status: 304}},
		{name: "redirect followed", path: "/a", script: func(c net.Conn, req *http.Request, _, _ int) bool {
			if req.URL.Path == "/a" {
				c.Write([]byte("HTTP/1.1 302 Found\r\nLocation: /b\r\nContent-Length: 0\r\n\r\n"))
			} else {
				c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone"))
			}
			return true
		}, want: outcome{status: 200, body: "done", path: "/b"}},
		{name: "malformed status line", script: answer("HTTP/1.1 abc OK\r\n\r\n", false), want: outcome{err: "malformed"}},
		{name: "malformed header", script: answer("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", false), want: outcome{err: "malformed"}},
		{name: "closed before the response", script: answer("", false), want: outcome{err: "EOF"}},
		{name: "truncated body", script: answer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", false),
			want: outcome{status: 200, body: "abc", err: "unexpected EOF"}},
		{name: "truncated chunked body", script: answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", false),
			want: outcome{status: 200, body: "abc", err: "unexpected EOF"}},
		{name: "header flood", script: func(c net.Conn, _ *http.Request, _, _ int) bool {
			c.Write([]byte("HTTP/1.1 200 OK\r\n"))
			line := []byte("X-Flood: " + strings.Repeat("a", 1000) + "\r\n")
			for i := 0; i < 10*headerLimit/len(line); i++ { // bounded: ten times the limit
				if _, err := c.Write(line); err != nil {
					break
				}
			}
			return false
		}, want: outcome{err: "header too large"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []outcome
			for _, tr := range transports() {
				srv := startRaw(t, tt.script)
				method := tt.method
				if method == "" {
					method = http.MethodGet
				}
				path := tt.path
				if path == "" {
					path = "/"
				}
				o := fetch(context.Background(), tr.rt, method, "http://"+srv.addr+path)
				if o.status != tt.want.status || o.body != tt.want.body || o.err != tt.want.err || (tt.want.path != "" && o.path != tt.want.path) {
					t.Errorf("%s: status %d body %q path %q error %q; want %d %q %q %q",
						tr.name, o.status, o.body, o.path, o.err, tt.want.status, tt.want.body, tt.want.path, tt.want.err)
				}
				got = append(got, o)
			}
			if !sameOutcome(got[0], got[1]) {
				t.Errorf("h1 %+v\nnet/http %+v", got[0], got[1])
			}
		})
	}
}

// TestResetMidBody: a connection reset after the headers fails the
// body's read with ECONNRESET, as net/http's does, which the prober
// reports as "connection reset mid-stream".
func TestResetMidBody(t *testing.T) {
	for _, tr := range transports() {
		t.Run(tr.name, func(t *testing.T) {
			reset, stop := make(chan struct{}), make(chan struct{})
			srv := startRaw(t, func(c net.Conn, _ *http.Request, _, _ int) bool {
				c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc"))
				select { // until the client has the headers: a reset drops what it has not read
				case <-reset:
				case <-stop:
				}
				c.(*net.TCPConn).SetLinger(0)
				return false
			})
			t.Cleanup(func() { close(stop) }) // runs before the server's cleanup
			req, _ := http.NewRequest(http.MethodGet, "http://"+srv.addr, nil)
			resp, err := tr.rt.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			close(reset)
			b, err := io.ReadAll(resp.Body)
			if !strings.HasPrefix("abc", string(b)) {
				t.Errorf("body %q", b)
			}
			if !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("body error %v (%s), want ECONNRESET", err, errClass(err))
			}
		})
	}
}

// httptraceHooks records the order of a request's trace hooks.
func httptraceHooks(events *[]string) *httptrace.ClientTrace {
	var mu sync.Mutex
	add := func(s string) { mu.Lock(); *events = append(*events, s); mu.Unlock() }
	return &httptrace.ClientTrace{
		GetConn:      func(string) { add("GetConn") },
		DNSStart:     func(httptrace.DNSStartInfo) { add("DNSStart") },
		DNSDone:      func(httptrace.DNSDoneInfo) { add("DNSDone") },
		ConnectStart: func(_, _ string) { add("ConnectStart") },
		ConnectDone: func(_, _ string, err error) {
			if err == nil {
				add("ConnectDone")
			}
		},
		GotConn: func(i httptrace.GotConnInfo) {
			if i.Reused && i.WasIdle {
				add("GotConn reused")
			} else {
				add("GotConn new")
			}
		},
		WroteHeaders:         func() { add("WroteHeaders") },
		WroteRequest:         func(httptrace.WroteRequestInfo) { add("WroteRequest") },
		GotFirstResponseByte: func() { add("GotFirstResponseByte") },
	}
}
