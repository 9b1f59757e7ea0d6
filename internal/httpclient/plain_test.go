package httpclient

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	promconfig "github.com/prometheus/common/config"
)

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
