package simulator

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// seen is what a test handler saw of each request before the simulator
// took its stamp: the stamp, whether the kernel gave it, and when the
// handler started.
type seen struct {
	stamp, handler time.Time
	kernel, ok     bool
}

// stampedServer serves sim through StampArrivals on a listener that
// accepts only when gate is closed (nil: at once), and records what each
// request's handler saw.
func stampedServer(t *testing.T, sim *Server, gate chan struct{}) (*httptest.Server, func() []seen) {
	t.Helper()
	var mu sync.Mutex
	var log []seen
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stamp, kernel, ok := stampOf(r)
		mu.Lock()
		log = append(log, seen{stamp: stamp, handler: time.Now(), kernel: kernel, ok: ok})
		mu.Unlock()
		sim.ServeHTTP(w, r)
	}))
	ln := StampArrivals(srv.Config, srv.Listener)
	if gate != nil {
		ln = &gatedListener{Listener: ln, gate: gate}
	}
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, func() []seen { mu.Lock(); defer mu.Unlock(); return append([]seen(nil), log...) }
}

type gatedListener struct {
	net.Listener
	gate chan struct{}
}

func (l *gatedListener) Accept() (net.Conn, error) {
	<-l.gate
	return l.Listener.Accept()
}

// A request whose bytes arrive while the server is busy elsewhere (here:
// not yet accepting) is stamped with its arrival on the socket, before the
// server could read it, and gets its first token at that arrival + TTFT by
// the simulator's own record, not at its handler's start + TTFT.
func TestArrivalStampedBeforeTheServerReads(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("kernel receive timestamps are Linux's")
	}
	// The kernel turns receive timestamps on for the machine a moment
	// after the first socket asks (deferred work), and off when the last
	// closes: a warm server that holds them on, until a request comes
	// stamped, makes sure the measured one is.
	// Polled under a deadline, not a count of tries: a busy machine runs
	// the deferred work late.
	warm, warmLog := stampedServer(t, New(Config{}), nil)
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp, err := http.Post(warm.URL+"/health", "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if l := warmLog(); l[len(l)-1].kernel {
			break
		}
		if time.Now().After(deadline) {
			t.Skip("no kernel receive timestamp in 10 s of requests: this kernel gives none on TCP")
		}
		time.Sleep(10 * time.Millisecond)
	}
	http.DefaultClient.CloseIdleConnections()

	// The TTFT (and the wait before the server accepts) is the margin the
	// verdict below allows the handler to reach its first flush: a second,
	// which no scheduling stall on a loaded machine comes near, while a
	// simulator that timed the TTFT from the handler's start is late by
	// the whole TTFT.
	const ttft = time.Second
	firsts := make(chan time.Duration, 1)
	gate := make(chan struct{})
	srv, log := stampedServer(t, New(Config{TTFT: ttft, ITL: time.Millisecond, OnFirstToken: func(d time.Duration) { firsts <- d }}), gate)

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"prompt":"a","max_tokens":2,"ignore_eos":true}`
	fmt.Fprintf(conn, "POST /v1/completions HTTP/1.1\r\nHost: sim\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	written := time.Now()
	// The server accepts only once the request has waited a whole TTFT.
	time.Sleep(ttft)
	opened := time.Now()
	close(gate)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	got := log()
	if len(got) != 1 || !got[0].ok {
		t.Fatalf("handler saw %+v, want one stamped request", got)
	}
	s := got[0]
	if !s.kernel {
		t.Fatalf("stamp %v is the read's, not the kernel's", s.stamp)
	}
	if !s.stamp.Before(opened) {
		t.Errorf("stamped %v after the listener opened (%v): not the arrival on the socket", s.stamp.Sub(written), opened.Sub(written))
	}
	d := <-firsts
	waited := s.handler.Sub(s.stamp) // at least ttft
	if d < ttft || d >= waited+ttft {
		t.Errorf("first token %v after arrival, handler started %v after it: want ≥ %v and before the handler's start + TTFT", d, waited, ttft)
	}
}

// On one keep-alive connection each request gets its own stamp, taken
// after the previous response ended: after a body with bytes beyond its
// JSON for the server to drain, an error answer that leaves all of it
// (more than net/http drains, too), and a request the server answers
// itself without a handler (OPTIONS *).
func TestArrivalStampPerRequest(t *testing.T) {
	srv, log := stampedServer(t, New(Config{TTFT: time.Millisecond, ITL: time.Millisecond}), nil)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	defer client.CloseIdleConnections()
	var prevEnds []time.Time // per handled request, when the request before it ended
	var end time.Time
	for _, tt := range []struct {
		path     string
		trailing int
		status   int
	}{
		{"/v1/completions", 0, 200},
		{"/v1/completions", 10 << 10, 200},
		{"/v1/nope", 10 << 10, 404},
		{"/v1/completions", 0, 200},
		{"/v1/completions", 100 << 10, 200},
		{"/v1/completions", -(20 << 10), 400}, // invalid JSON
		{"/v1/completions", 0, 200},
		{"/v1/nope", 400 << 10, 404}, // more left than net/http drains: it closes the connection
		{"/v1/completions", 0, 200},
		{"*", 0, 200}, // OPTIONS *, answered by net/http itself
		{"/v1/completions", 0, 200},
	} {
		var body string
		if tt.trailing < 0 {
			body = `{"prompt":` + strings.Repeat("x", -tt.trailing)
		} else {
			body = `{"prompt":"a","max_tokens":2,"ignore_eos":true}` + strings.Repeat(" ", tt.trailing)
		}
		req, _ := http.NewRequest(http.MethodPost, srv.URL+tt.path, strings.NewReader(body))
		if tt.path == "*" {
			req, _ = http.NewRequest(http.MethodOptions, srv.URL, nil)
			req.URL.Opaque = "*"
		} else {
			prevEnds = append(prevEnds, end)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Fatalf("%s: status %d, want %d", tt.path, resp.StatusCode, tt.status)
		}
		end = time.Now()
	}
	got := log()
	if len(got) != len(prevEnds) {
		t.Fatalf("%d requests handled, want %d", len(got), len(prevEnds))
	}
	for i, s := range got {
		if !s.ok {
			t.Fatalf("request %d unstamped", i)
		}
		if i > 0 && !s.stamp.After(prevEnds[i]) {
			t.Errorf("request %d stamped %v before the previous response ended: a stale stamp", i, prevEnds[i].Sub(s.stamp))
		}
		if s.stamp.After(s.handler) {
			t.Errorf("request %d stamped after its handler started", i)
		}
	}
}

// A body that arrives after its headers starts the TTFT clock when it
// arrives, by the simulator's own record: the first token comes a TTFT
// after the body was sent, not after the headers were.
func TestArrivalOfALateBody(t *testing.T) {
	const ttft = 50 * time.Millisecond
	firsts := make(chan time.Duration, 1)
	srv, _ := stampedServer(t, New(Config{TTFT: ttft, ITL: time.Millisecond, OnFirstToken: func(d time.Duration) { firsts <- d }}), nil)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"prompt":"a","max_tokens":2,"ignore_eos":true}`
	fmt.Fprintf(conn, "POST /v1/completions HTTP/1.1\r\nHost: sim\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
	headers := time.Now()
	time.Sleep(4 * ttft) // the body comes later than a whole TTFT
	bodySent := time.Now()
	io.WriteString(conn, body)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := br.ReadString('\n'); err != nil { // the first chunk's size line: a token is out
		t.Fatal(err)
	}
	firstSeen := time.Now()
	resp.Body.Close()
	if d := <-firsts; d < ttft {
		t.Errorf("first token %v after the request's arrival, want at least the TTFT %v", d, ttft)
	}
	if since := firstSeen.Sub(bodySent); since < ttft {
		t.Errorf("first token seen %v after the body was sent (%v after the headers): want at least the TTFT %v", since, firstSeen.Sub(headers), ttft)
	}
}

// Faults that take the connection over still work through StampArrivals.
func TestArrivalStampedReset(t *testing.T) {
	srv, _ := stampedServer(t, New(Config{Fault: FaultReset}), nil)
	resp, err := http.Post(srv.URL+"/v1/completions", "application/json", strings.NewReader(`{"prompt":"x","max_tokens":4}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); err == nil || !strings.Contains(err.Error(), "reset") {
		t.Errorf("reset stream read: %v, want a connection reset", err)
	}
}
