package prober

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	promconfig "github.com/prometheus/common/config"

	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/result"
)

// sendTransport is the transport sendURL's client uses: nil is net/http's
// default, which the send tests' expectations were written against.
var sendTransport http.RoundTripper

// TestSendThroughPlainTransport runs the send tests again through the
// tuned client's transport, whose plain-HTTP requests go to internal/h1: a
// failure, a timeout or a cancellation must get the same outcome and
// reason as through net/http's.
func TestSendThroughPlainTransport(t *testing.T) {
	rt, err := tunedRoundTripper(promconfig.DefaultHTTPClientConfig)
	if err != nil {
		t.Fatal(err)
	}
	sendTransport = rt
	defer func() { sendTransport = nil }()
	t.Run("outcomes", TestSendOutcomes)
	t.Run("connection errors", TestSendConnectionErrors)
	t.Run("cancellation", TestSendCancellation)
	t.Run("timestamps", TestSendTimestamps)
}

// TestPlainRouter checks which requests the tuned client sends through
// internal/h1 (whose bodies are its own type): plain HTTP without a proxy;
// https and proxied requests stay with net/http's transport.
func TestPlainRouter(t *testing.T) {
	var served atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served.Add(1); w.Write([]byte("ok")) })
	plainSrv := httptest.NewServer(h)
	defer plainSrv.Close()
	tlsSrv := httptest.NewTLSServer(h)
	defer tlsSrv.Close()
	proxy, _ := url.Parse(plainSrv.URL) // the test server answers a proxied request itself

	direct := promconfig.DefaultHTTPClientConfig
	direct.TLSConfig.InsecureSkipVerify = true
	proxied := direct
	proxied.ProxyURL = promconfig.URL{URL: proxy}
	tests := []struct {
		name  string
		cfg   promconfig.HTTPClientConfig
		url   string
		body  int // bytes of a POST body; 0: a GET
		plain bool
	}{
		{"plain http", direct, plainSrv.URL, 0, true},
		{"plain http, a prompt", direct, plainSrv.URL, maxPlainBody, true},
		// A server may answer a body this large before reading it all:
		// net/http writes and reads at once, h1 does not.
		{"plain http, a body beyond maxPlainBody", direct, plainSrv.URL, maxPlainBody + 1, false},
		{"https", direct, tlsSrv.URL, 0, false},
		{"proxied http", proxied, "http://inferno.invalid/x", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, err := tunedRoundTripper(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			client := &http.Client{Transport: rt}
			var resp *http.Response
			if tt.body > 0 {
				resp, err = client.Post(tt.url, "text/plain", strings.NewReader(strings.Repeat("x", tt.body)))
			} else {
				resp, err = client.Get(tt.url)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if b, _ := io.ReadAll(resp.Body); string(b) != "ok" {
				t.Errorf("body %q", b)
			}
			if plain := fmt.Sprintf("%T", resp.Body) == "*h1.body"; plain != tt.plain {
				t.Errorf("body %T: through internal/h1 %v, want %v", resp.Body, plain, tt.plain)
			}
		})
	}
	if served.Load() != int64(len(tests)) {
		t.Errorf("servers saw %d requests, want %d", served.Load(), len(tests))
	}
}

// TestWarmDistinctPlainConnections: warm-up holds each HEAD inside GotConn
// until all have a connection, so n warm requests through internal/h1 open
// n connections, all left idle for the window.
func TestWarmDistinctPlainConnections(t *testing.T) {
	var mu sync.Mutex
	conns := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns[r.RemoteAddr] = true
		mu.Unlock()
	}))
	defer srv.Close()
	client, err := NewHTTPClient(promconfig.DefaultHTTPClientConfig, "warm")
	if err != nil {
		t.Fatal(err)
	}
	api, _ := LookupAPI("openai-chat")
	w := &Window{Target: &Target{URL: srv.URL, Model: "m", API: api, Client: client}, RequestTimeout: 5 * time.Second}
	const n = 8
	if got := w.warmConnections(context.Background(), n); got != n {
		t.Fatalf("warmed %d connections, want %d", got, n)
	}
	if len(conns) != n {
		t.Errorf("server saw %d connections, want %d", len(conns), n)
	}
	// The window's requests then reuse them: no new connection.
	res := &result.Result{Intended: time.Now()}
	w.Target.send(context.Background(), dataset.Prompt{Messages: []dataset.Message{{Role: "user", Content: "hi"}}}, Params{MaxTokens: 1}, time.Second, time.Now(), false, res)
	if !res.Conn.Reused || len(conns) != n {
		t.Errorf("request after warm-up: reused %v, server connections %d (want a reused one of %d)", res.Conn.Reused, len(conns), n)
	}
}
