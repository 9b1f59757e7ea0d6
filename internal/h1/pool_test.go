package h1

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const okAnswer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

// get sends a GET and reads the body to its end.
func get(t *testing.T, rt http.RoundTripper, ctx context.Context, url string) error {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	return err
}

// TestCancellation: a request whose context ends while it waits for the
// headers or mid-body returns an error carrying the context's error (and
// the cause, for internal/h1), and its connection is not reused.
func TestCancellation(t *testing.T) {
	tests := []struct {
		name string
		// answer writes a first response that stalls, and signals when
		// the client can be cancelled.
		answer  string
		midBody bool
		cancel  bool // mid-body: end the context after the first body byte
		ctx     func(ready <-chan struct{}) (context.Context, context.CancelFunc)
		want    string
	}{
		{name: "cancel while waiting for headers", want: "canceled",
			ctx: func(ready <-chan struct{}) (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				go func() { <-ready; cancel() }()
				return ctx, cancel
			}},
		{name: "cancel mid-body", answer: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n", midBody: true, cancel: true, want: "canceled",
			ctx: func(ready <-chan struct{}) (context.Context, context.CancelFunc) {
				return context.WithCancel(context.Background())
			}},
		{name: "request timeout before headers", want: "deadline",
			ctx: func(<-chan struct{}) (context.Context, context.CancelFunc) {
				return context.WithTimeoutCause(context.Background(), 50*time.Millisecond, errTestCause)
			}},
		// The deadline passes when the test says (after the first body
		// byte), not on a timer a busy machine could beat.
		{name: "request timeout mid-body", answer: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\na", midBody: true, cancel: true, want: "deadline",
			ctx: func(<-chan struct{}) (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancelCause(context.Background())
				return deadlineOnCancel{ctx}, func() { cancel(errTestCause) }
			}},
	}
	for _, tt := range tests {
		for _, tr := range transports() {
			t.Run(tt.name+"/"+tr.name, func(t *testing.T) {
				ready, stop := make(chan struct{}), make(chan struct{})
				srv := startRaw(t, func(c net.Conn, _ *http.Request, _, all int) bool {
					if all > 0 {
						c.Write([]byte(okAnswer))
						return true
					}
					c.Write([]byte(tt.answer))
					close(ready)
					<-stop
					return false
				})
				t.Cleanup(func() { close(stop) })
				ctx, cancel := tt.ctx(ready)
				defer cancel()
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+srv.addr, nil)
				resp, err := tr.rt.RoundTrip(req)
				if tt.midBody {
					if err != nil {
						t.Fatalf("headers: %v", err)
					}
					var b [1]byte
					if _, err := io.ReadFull(resp.Body, b[:]); err != nil {
						t.Fatalf("first body byte: %v", err)
					}
					<-ready
					if tt.cancel {
						cancel()
					}
					_, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				if got := errClass(err); got != tt.want {
					t.Errorf("error %v: %s, want %s", err, got, tt.want)
				}
				if _, ok := tr.rt.(*Transport); ok && tt.want == "deadline" && !errors.Is(err, errTestCause) {
					t.Errorf("error %v does not carry the context's cause", err)
				}
				if err := get(t, tr.rt, context.Background(), "http://"+srv.addr); err != nil {
					t.Fatalf("request after: %v", err)
				}
				if n := srv.accepts.Load(); n != 2 {
					t.Errorf("%d connections for two requests: the cancelled one's was reused", n)
				}
			})
		}
	}
}

// TestReuse: sequential requests share one connection; rounds of
// concurrent ones open as many connections as the first round held at
// once, and no more.
func TestReuse(t *testing.T) {
	const n = 8
	for _, tr := range transports() {
		t.Run("sequential/"+tr.name, func(t *testing.T) {
			srv := startRaw(t, answer(okAnswer, true))
			for range n {
				if err := get(t, tr.rt, context.Background(), "http://"+srv.addr); err != nil {
					t.Fatal(err)
				}
			}
			if a := srv.accepts.Load(); a != 1 {
				t.Errorf("%d connections for %d sequential requests, want 1", a, n)
			}
		})
		t.Run("concurrent/"+tr.name, func(t *testing.T) {
			// Each round's answers wait until all n requests of the round
			// arrived, so a round holds n connections at once.
			var mu sync.Mutex
			arrived := map[int]chan struct{}{}
			barrier := func(all int) {
				mu.Lock()
				round := all / n
				ch, ok := arrived[round]
				if !ok {
					ch = make(chan struct{})
					arrived[round] = ch
				}
				if all%n == n-1 {
					close(ch)
				}
				mu.Unlock()
				<-ch
			}
			srv := startRaw(t, func(c net.Conn, _ *http.Request, _, all int) bool {
				barrier(all)
				c.Write([]byte(okAnswer))
				return true
			})
			for range 3 {
				var wg sync.WaitGroup
				errs := make(chan error, n)
				for range n {
					wg.Go(func() { errs <- get(t, tr.rt, context.Background(), "http://"+srv.addr) })
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					if err != nil {
						t.Fatal(err)
					}
				}
			}
			if a := srv.accepts.Load(); a != n {
				t.Errorf("%d connections for 3 rounds of %d concurrent requests, want %d", a, n, n)
			}
		})
	}
}

// TestIdleConnections: what makes the next request open a new
// connection, and what does not.
func TestIdleConnections(t *testing.T) {
	tests := []struct {
		name    string
		tr      *Transport
		between func(tr *Transport, resp *http.Response) // after the first response's headers
		accepts int64
	}{
		{name: "body read to its end", tr: &Transport{}, accepts: 1,
			between: func(_ *Transport, resp *http.Response) { io.ReadAll(resp.Body); resp.Body.Close() }},
		{name: "body closed before its end", tr: &Transport{}, accepts: 2,
			between: func(_ *Transport, resp *http.Response) { resp.Body.Read(make([]byte, 1)); resp.Body.Close() }},
		{name: "idle timeout passed", tr: &Transport{IdleConnTimeout: time.Nanosecond}, accepts: 2,
			between: func(_ *Transport, resp *http.Response) {
				io.ReadAll(resp.Body)
				resp.Body.Close()
				time.Sleep(time.Millisecond) // a lower bound: later is as good
			}},
		{name: "CloseIdleConnections", tr: &Transport{}, accepts: 2,
			between: func(tr *Transport, resp *http.Response) {
				io.ReadAll(resp.Body)
				resp.Body.Close()
				tr.CloseIdleConnections()
			}},
		{name: "request asked to close", tr: &Transport{}, accepts: 2,
			between: func(_ *Transport, resp *http.Response) {
				resp.Request.Close = true
				io.ReadAll(resp.Body)
				resp.Body.Close()
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startRaw(t, answer("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", true))
			req, _ := http.NewRequest(http.MethodGet, "http://"+srv.addr, nil)
			if tt.name == "request asked to close" {
				req.Close = true
			}
			resp, err := tt.tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			tt.between(tt.tr, resp)
			if err := get(t, tt.tr, context.Background(), "http://"+srv.addr); err != nil {
				t.Fatal(err)
			}
			if a := srv.accepts.Load(); a != tt.accepts {
				t.Errorf("%d connections, want %d", a, tt.accepts)
			}
		})
	}
}

// TestMaxIdleConnsPerHost: a full pool closes what comes back.
func TestMaxIdleConnsPerHost(t *testing.T) {
	srv := startRaw(t, answer(okAnswer, true))
	tr := &Transport{MaxIdleConnsPerHost: 1}
	var resps []*http.Response
	for range 3 {
		req, _ := http.NewRequest(http.MethodGet, "http://"+srv.addr, nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resps = append(resps, resp)
	}
	for _, resp := range resps {
		io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	tr.mu.Lock()
	idle := len(tr.idle["http://"+srv.addr])
	tr.mu.Unlock()
	if idle != 1 {
		t.Errorf("%d idle connections, want 1", idle)
	}
}

// TestTraceHooks: the hooks measure/trace.go and Target.OpenConnection use
// are called in net/http's order, the DNS ones for a host name.
func TestTraceHooks(t *testing.T) {
	for _, tr := range transports() {
		t.Run(tr.name, func(t *testing.T) {
			srv := startRaw(t, answer(okAnswer, true))
			_, port, _ := net.SplitHostPort(srv.addr)
			var events []string
			ctx := httptrace.WithClientTrace(context.Background(), httptraceHooks(&events))
			for range 2 {
				if err := get(t, tr.rt, ctx, "http://localhost:"+port); err != nil {
					t.Fatal(err)
				}
			}
			// localhost may resolve to ::1 first, where nothing listens:
			// failed connects are left out of the record, and the repeated
			// ConnectStart folded.
			compact := slices.Compact(slices.Clone(events))
			want := []string{"GetConn", "DNSStart", "DNSDone", "ConnectStart", "ConnectDone", "GotConn new", "WroteHeaders", "WroteRequest", "GotFirstResponseByte",
				"GetConn", "GotConn reused", "WroteHeaders", "WroteRequest", "GotFirstResponseByte"}
			if !slices.Equal(compact, want) {
				t.Errorf("hooks\n%v\nwant\n%v", events, want)
			}
		})
	}
}

// TestHeaderLimitCountsRawBytes: the limit holds for one endless header
// line too, which never gives the parser a line to count.
func TestHeaderLimitCountsRawBytes(t *testing.T) {
	srv := startRaw(t, func(c net.Conn, _ *http.Request, _, _ int) bool {
		c.Write([]byte("HTTP/1.1 200 OK\r\nX-Long: "))
		chunk := bytes.Repeat([]byte("a"), 4096)
		for range 4 * headerLimit / len(chunk) {
			if _, err := c.Write(chunk); err != nil {
				break
			}
		}
		return false
	})
	tr := &Transport{MaxResponseHeaderBytes: headerLimit}
	err := get(t, tr, context.Background(), "http://"+srv.addr)
	if !errors.Is(err, ErrHeaderTooLarge) || !strings.Contains(err.Error(), fmt.Sprint(headerLimit)) {
		t.Errorf("error %v, want ErrHeaderTooLarge naming the limit", err)
	}
}

// TestCloseDuringRead: Close from another goroutine fails a Read blocked
// on the body (the prober's drain relies on it).
func TestCloseDuringRead(t *testing.T) {
	stop := make(chan struct{})
	srv := startRaw(t, func(c net.Conn, _ *http.Request, _, _ int) bool {
		c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"))
		<-stop
		return false
	})
	t.Cleanup(func() { close(stop) })
	req, _ := http.NewRequest(http.MethodGet, "http://"+srv.addr, nil)
	resp, err := (&Transport{}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	stopTimer := time.AfterFunc(10*time.Millisecond, func() { resp.Body.Close() })
	defer stopTimer.Stop()
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Error("read of a closed body succeeded")
	}
}

// TestReadAfterEOF: a body read to its end keeps answering io.EOF (the
// prober drains a body whose stream already ended), even once its
// connection carries another request.
func TestReadAfterEOF(t *testing.T) {
	srv := startRaw(t, answer(okAnswer, true))
	tr := &Transport{}
	req, _ := http.NewRequest(http.MethodGet, "http://"+srv.addr, nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(resp.Body); err != nil || string(b) != "ok" {
		t.Fatalf("body %q, %v", b, err)
	}
	if err := get(t, tr, context.Background(), "http://"+srv.addr); err != nil {
		t.Fatal(err)
	}
	if n, err := resp.Body.Read(make([]byte, 8)); n != 0 || err != io.EOF {
		t.Errorf("read after the end: %d, %v; want 0, EOF", n, err)
	}
	if a := srv.accepts.Load(); a != 1 {
		t.Errorf("%d connections, want 1", a)
	}
}

// Answers without a body (204, HEAD, a 503 with Content-Length: 0) give
// their connection back to the pool inside RoundTrip: nothing of the
// request may touch it after that, since another request may own it
// (run under -race).
func TestEmptyAnswersConcurrently(t *testing.T) {
	srv := startRaw(t, func(c net.Conn, _ *http.Request, _, _ int) bool {
		c.Write([]byte("HTTP/1.1 204 No Content\r\n\r\n"))
		return true
	})
	tr := &Transport{MaxIdleConnsPerHost: 8}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				req, _ := http.NewRequest(http.MethodGet, "http://"+srv.addr, nil)
				resp, err := tr.RoundTrip(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	if n := srv.requests.Load(); n != 160 {
		t.Errorf("server saw %d requests, want 160", n)
	}
}

// deadlineOnCancel is a context whose deadline passes when it is
// cancelled: Err says DeadlineExceeded, Cause the cancel's cause.
type deadlineOnCancel struct{ context.Context }

func (d deadlineOnCancel) Err() error {
	if d.Context.Err() != nil {
		return context.DeadlineExceeded
	}
	return nil
}
