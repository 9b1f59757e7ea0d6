package httpclient

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	promconfig "github.com/prometheus/common/config"
)

// TestNewAuth checks that what a config asks for reaches the
// server whichever transport builds it: the tuned one for inline and file
// secrets, prometheus/common's for what only it reproduces.
func TestNewAuth(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		tls     bool
		cfg     func(*promconfig.HTTPClientConfig)
		tuned   bool
		auth    string
		header  string // X-Extra
		wantErr bool
	}{
		{name: "plain", cfg: func(*promconfig.HTTPClientConfig) {}, tuned: true},
		{name: "bearer inline", tuned: true, auth: "Bearer inline-key", cfg: func(c *promconfig.HTTPClientConfig) {
			c.Authorization = &promconfig.Authorization{Credentials: "inline-key"}
		}},
		{name: "bearer file", tuned: true, auth: "Bearer from-file", cfg: func(c *promconfig.HTTPClientConfig) {
			c.Authorization = &promconfig.Authorization{Type: "Bearer", CredentialsFile: keyFile}
		}},
		{name: "basic", tuned: true, auth: "Basic dTpw", cfg: func(c *promconfig.HTTPClientConfig) {
			c.BasicAuth = &promconfig.BasicAuth{Username: "u", Password: "p"}
		}},
		{name: "tls insecure", tls: true, tuned: true, cfg: func(c *promconfig.HTTPClientConfig) {
			c.TLSConfig = promconfig.TLSConfig{InsecureSkipVerify: true}
		}},
		{name: "headers go through prometheus/common", header: "v", cfg: func(c *promconfig.HTTPClientConfig) {
			c.HTTPHeaders = &promconfig.Headers{Headers: map[string]promconfig.Header{"X-Extra": {Values: []string{"v"}}}}
		}},
		{name: "ca file goes through prometheus/common", tls: true, wantErr: true, cfg: func(c *promconfig.HTTPClientConfig) {
			c.TLSConfig = promconfig.TLSConfig{CAFile: filepath.Join(t.TempDir(), "missing.pem")}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got http.Header
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() })
			srv := httptest.NewUnstartedServer(h)
			if tt.tls {
				srv.StartTLS()
			} else {
				srv.Start()
			}
			defer srv.Close()
			cfg := promconfig.DefaultHTTPClientConfig
			tt.cfg(&cfg)
			if tunable(cfg) != tt.tuned {
				t.Errorf("tunable = %v, want %v", !tt.tuned, tt.tuned)
			}
			client, err := New(cfg, "test")
			if err == nil {
				var resp *http.Response
				resp, err = client.Get(srv.URL)
				if err == nil {
					resp.Body.Close()
				}
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if a := got.Get("Authorization"); a != tt.auth {
				t.Errorf("Authorization %q, want %q", a, tt.auth)
			}
			if ua := got.Get("User-Agent"); ua != "inferno" {
				t.Errorf("User-Agent %q", ua)
			}
			if x := got.Get("X-Extra"); x != tt.header {
				t.Errorf("X-Extra %q, want %q", x, tt.header)
			}
		})
	}
}

// TestTunedTransportSettings pins what the tuning is for: an idle pool
// above any window's concurrency, no compression, small buffers.
func TestTunedTransportSettings(t *testing.T) {
	tr := newTunedTransport()
	if tr.MaxIdleConnsPerHost < 4096 || tr.MaxIdleConns != 0 {
		t.Errorf("idle pool %d per host, %d in all: below a 4096-stream window", tr.MaxIdleConnsPerHost, tr.MaxIdleConns)
	}
	if !tr.DisableCompression {
		t.Error("compression on: gzip would hold tokens back")
	}
	if tr.ReadBufferSize <= 0 || tr.ReadBufferSize >= 4<<10 || tr.WriteBufferSize <= 0 || tr.WriteBufferSize >= 4<<10 {
		t.Errorf("buffers %d/%d: not below net/http's 4 KiB", tr.ReadBufferSize, tr.WriteBufferSize)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// The user agent is set without copying a request that carries it (a
// copy would live as long as the stream), and without touching the
// caller's request when it does not.
func TestUserAgentCopiesOnlyWhenNeeded(t *testing.T) {
	for _, ua := range []string{UserAgent, "", "curl/8", UserAgent + ", x"} {
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
		if ua != "" {
			req.Header.Set("User-Agent", ua)
		}
		var seen *http.Request
		userAgent{roundTripFunc(func(r *http.Request) (*http.Response, error) { seen = r; return nil, nil })}.RoundTrip(req)
		if got := seen.Header.Get("User-Agent"); got != UserAgent {
			t.Errorf("%q: sent User-Agent %q", ua, got)
		}
		if copied := seen != req; copied != (ua != UserAgent) {
			t.Errorf("%q: copied %v", ua, copied)
		}
		if got := req.Header.Get("User-Agent"); got != ua {
			t.Errorf("%q: the caller's request now says %q", ua, got)
		}
	}
}

// TestTunedPathKnowsEveryClientField: the tuned transport builds its
// round trippers itself, so a field prometheus/common adds to
// HTTPClientConfig (or its TLS and proxy parts) would be silently ignored
// there. Every field must be listed here as handled by the tuned path or
// as one that sends the target to prometheus/common's client (tunable);
// a new one fails this test until it is placed.
func TestTunedPathKnowsEveryClientField(t *testing.T) {
	handled := map[string]string{
		// tunedRoundTripper and withRedirects
		"BasicAuth": "tuned", "Authorization": "tuned", "TLSConfig": "tuned", "FollowRedirects": "tuned",
		"EnableHTTP2": "tuned", "ProxyConfig": "tuned", "ProxyURL": "tuned", "NoProxy": "tuned",
		"ProxyFromEnvironment": "tuned", "ProxyConnectHeader": "tuned",
		"CA": "tuned", "Cert": "tuned", "Key": "tuned", "ServerName": "tuned", "InsecureSkipVerify": "tuned",
		"MinVersion": "tuned", "MaxVersion": "tuned",
		// Validate turns a bearer token into authorization
		"BearerToken": "tuned",
		// tunable refuses them: prometheus/common's client handles them
		"OAuth2": "std", "BearerTokenFile": "std", "HTTPHeaders": "std",
		"CAFile": "std", "CertFile": "std", "KeyFile": "std", "CARef": "std", "CertRef": "std", "KeyRef": "std",
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[promconfig.HTTPClientConfig](), reflect.TypeFor[promconfig.ProxyConfig](),
		reflect.TypeFor[promconfig.TLSConfig]()} {
		for f := range typ.Fields() {
			if !f.IsExported() {
				continue
			}
			if _, ok := handled[f.Name]; !ok {
				t.Errorf("%s.%s is new in prometheus/common: handle it in tunedRoundTripper, or refuse it in tunable", typ.Name(), f.Name)
			}
		}
	}
}

// TestTransportPolicy: the client says which transport a target's
// requests take, and std sends every target through prometheus/common's.
func TestTransportPolicy(t *testing.T) {
	for _, tc := range []struct {
		url, policy, want string
		cfg               promconfig.HTTPClientConfig
	}{
		{"http://127.0.0.1:8000/v1", TransportFast, TransportH1, promconfig.DefaultHTTPClientConfig},
		{"https://127.0.0.1:8443/v1", TransportFast, TransportTuned, promconfig.DefaultHTTPClientConfig},
		{"http://127.0.0.1:8000/v1", TransportStd, TransportCommon, promconfig.DefaultHTTPClientConfig},
		{"http://127.0.0.1:8000/v1", TransportFast, TransportCommon, promconfig.HTTPClientConfig{
			HTTPHeaders: &promconfig.Headers{Headers: map[string]promconfig.Header{"X-A": {Values: []string{"1"}}}}}},
	} {
		if _, got, err := NewForTarget(tc.cfg, "t", tc.url, tc.policy); err != nil || got != tc.want {
			t.Errorf("%s under %s: %q, %v; want %q", tc.url, tc.policy, got, err, tc.want)
		}
	}
}
