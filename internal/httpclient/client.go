// Package httpclient builds the prober's HTTP clients from
// prometheus/common's client config, and picks the transport a target's
// requests take: the streaming HTTP/1.1 transport (internal/h1) for plain
// HTTP, a net/http transport tuned for thousands of streams for the rest,
// or prometheus/common's own client untouched.
package httpclient

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/inferno-llm/inferno/internal/h1"

	promconfig "github.com/prometheus/common/config"
)

// New builds a client from prometheus/common's HTTP client config
// (bearer or basic auth, TLS, extra headers, proxy), the ecosystem's way of
// describing how to reach a target. Timeouts are per request, through
// contexts, so the client itself has none.
func New(cfg promconfig.HTTPClientConfig, name string) (*http.Client, error) {
	c, _, err := NewForTarget(cfg, name, "", TransportFast)
	return c, err
}

// Transport policies: fast routes plain-HTTP targets to the streaming
// HTTP/1.1 transport (as Fortio does) and the rest to a tuned net/http
// transport; std sends everything through prometheus/common's client.
const (
	TransportFast = "fast"
	TransportStd  = "std"
)

// Transport descriptions, as reports record which one ran.
const (
	TransportH1     = "h1"             // internal/h1 (bodies over 64 KiB go to net/http)
	TransportTuned  = "net/http"       // net/http, tuned for many streams
	TransportCommon = "net/http (std)" // prometheus/common's client, untouched
)

// NewForTarget builds the client for a target at rawURL under a transport
// policy, and says which transport its requests take.
func NewForTarget(cfg promconfig.HTTPClientConfig, name, rawURL, policy string) (*http.Client, string, error) {
	if err := cfg.Validate(); err != nil {
		return nil, "", fmt.Errorf("http client config for %s: %w", name, err)
	}
	if policy != TransportStd && tunable(cfg) {
		rt, err := tunedRoundTripper(cfg)
		if err != nil {
			return nil, "", fmt.Errorf("http client config for %s: %w", name, err)
		}
		used := TransportTuned
		if u, err := url.Parse(rawURL); err == nil && u.Scheme == "http" && cfg.ProxyURL.URL == nil && !cfg.ProxyFromEnvironment {
			used = TransportH1
		}
		return withRedirects(&http.Client{Transport: rt}, cfg), used, nil
	}
	// Compression stays off (prometheus/common's default): a gzipped event
	// stream would be buffered by the decompressor and distort timings.
	rt, err := promconfig.NewRoundTripperFromConfig(cfg, name, promconfig.WithUserAgent(UserAgent))
	if err != nil {
		return nil, "", fmt.Errorf("http client config for %s: %w", name, err)
	}
	return withRedirects(&http.Client{Transport: rt}, cfg), TransportCommon, nil
}

// withRedirects applies follow_redirects: when off, a 3xx is the answer
// (a failed request naming its Location), as prometheus/common's own
// client does.
func withRedirects(c *http.Client, cfg promconfig.HTTPClientConfig) *http.Client {
	if !cfg.FollowRedirects {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return c
}

// MaxIdleConnsPerHost is the idle pool of the prober's tuned transport: at
// least any window's concurrency, so a closed loop or an open loop's ebb
// never closes a connection it will want again a moment later.
// prometheus/common keeps 1,000 per host, which at 4,096 streams churned
// connections, each paying a dial inside some request's TTFT.
const MaxIdleConnsPerHost = 1 << 16

// Buffer sizes of the tuned transport. A request is written once (its
// body bypasses the writer's buffer when larger), and the response body
// passes through to the SSE reader's own buffer; net/http's 4 KiB each
// are most of a stream's memory at thousands in flight.
const (
	transportWriteBuffer = 1 << 10
	transportReadBuffer  = 2 << 10
)

// tunable reports whether the tuned transport reproduces everything cfg
// asks for with prometheus/common's own parts: inline or file secrets,
// immutable TLS, no OAuth2 and no extra headers (whose stripping on
// redirects only prometheus/common's chain does). Anything else is built
// by prometheus/common as it is.
func tunable(cfg promconfig.HTTPClientConfig) bool {
	t := cfg.TLSConfig
	if cfg.OAuth2 != nil || cfg.HTTPHeaders != nil || cfg.BearerToken != "" || cfg.BearerTokenFile != "" {
		return false
	}
	if t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" || t.CARef != "" || t.CertRef != "" || t.KeyRef != "" {
		return false // files are reloaded by prometheus/common's TLS round tripper
	}
	if a := cfg.Authorization; a != nil && a.CredentialsRef != "" {
		return false
	}
	if b := cfg.BasicAuth; b != nil && (b.UsernameRef != "" || b.PasswordRef != "") {
		return false
	}
	return true
}

// tunedRoundTripper is prometheus/common's round tripper for cfg on a
// transport tuned for thousands of keep-alive streams: the same proxy,
// TLS, HTTP/2 and auth, a larger idle pool and smaller buffers. Plain-HTTP
// requests without a proxy go to internal/h1, which does their I/O on the
// caller's goroutine; the rest to a tuned net/http transport.
func tunedRoundTripper(cfg promconfig.HTTPClientConfig) (http.RoundTripper, error) {
	tlsConfig, err := promconfig.NewTLSConfig(&cfg.TLSConfig)
	if err != nil {
		return nil, err
	}
	tr := newTunedTransport()
	tr.Proxy, tr.ProxyConnectHeader, tr.TLSClientConfig = cfg.Proxy(), cfg.GetProxyConnectHeader(), tlsConfig
	if cfg.EnableHTTP2 {
		tr.Protocols = &http.Protocols{}
		tr.Protocols.SetHTTP1(true)
		tr.Protocols.SetHTTP2(true)
		tr.HTTP2 = &http.HTTP2Config{SendPingTimeout: time.Minute}
	}
	var rt http.RoundTripper = &plainRouter{
		plain:    newPlainTransport(),
		fallback: tr,
		proxy:    tr.Proxy,
	}
	if a := cfg.Authorization; a != nil {
		rt = promconfig.NewAuthorizationCredentialsRoundTripper(a.Type, secret(a.Credentials, a.CredentialsFile), rt)
	}
	if b := cfg.BasicAuth; b != nil {
		rt = promconfig.NewBasicAuthRoundTripper(secret(promconfig.Secret(b.Username), b.UsernameFile), secret(b.Password, b.PasswordFile), rt)
	}
	return userAgent{rt}, nil
}

// UserAgent is the User-Agent of every request the prober sends.
const UserAgent = "inferno"

// userAgent sets UserAgent as prometheus/common's round tripper does, but
// copies the request only when it does not carry it already: the prober's
// own requests do (postJSON, the warm-up), and a copy per request would
// live as long as its stream. (prometheus/common's authorization and
// basic-auth round trippers still copy each request they add a header
// to: about 1 KiB more a stream for targets with credentials.)
type userAgent struct{ rt http.RoundTripper }

func (u userAgent) RoundTrip(req *http.Request) (*http.Response, error) {
	if v := req.Header.Values("User-Agent"); len(v) != 1 || v[0] != UserAgent {
		req = req.Clone(req.Context())
		req.Header.Set("User-Agent", UserAgent)
	}
	return u.rt.RoundTrip(req)
}

func (u userAgent) CloseIdleConnections() {
	if c, ok := u.rt.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// newTunedTransport dials as prometheus/common does, without conntrack:
// its dialer metrics go to the default registry, which Inferno does not
// serve, and its wrapper would hide the socket internal/h1 looks at.
func newTunedTransport() *http.Transport {
	return &http.Transport{
		MaxIdleConnsPerHost: MaxIdleConnsPerHost,
		IdleConnTimeout:     5 * time.Minute, // prometheus/common's default
		// Compression stays off: a gzipped event stream would be
		// buffered by the decompressor and distort timings.
		DisableCompression:    true,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		WriteBufferSize:       transportWriteBuffer,
		ReadBufferSize:        transportReadBuffer,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		// The same limit as internal/h1's, so a target's header limit
		// does not depend on its scheme.
		MaxResponseHeaderBytes: h1.DefaultMaxResponseHeaderBytes,
	}
}

// newPlainTransport is the streaming HTTP/1.1 transport for plain-HTTP
// targets, tuned as newTunedTransport.
func newPlainTransport() *h1.Transport {
	return &h1.Transport{
		MaxIdleConnsPerHost: MaxIdleConnsPerHost,
		IdleConnTimeout:     5 * time.Minute,
		// A chunk-size line (extensions and all) must fit in it, as in the
		// tuned transport's: 1 KiB less would save memory but refuse
		// lines that transport takes.
		ReadBufferSize: transportReadBuffer,
	}
}

// plainRouter sends plain-HTTP requests that go to their target directly
// to the streaming transport, which needs no goroutine per connection
// (net/http's runs two beside the caller: most of a stream's memory at
// thousands in flight), and everything else (https, which may negotiate
// HTTP/2, and proxied requests) to the tuned net/http transport.
type plainRouter struct {
	plain    *h1.Transport
	fallback *http.Transport
	proxy    func(*http.Request) (*url.URL, error)
}

// maxPlainBody is the largest request body internal/h1 is given. h1 writes
// the whole request before it reads: a server that answers early (a 413,
// a 401) and stops reading would block a body larger than the two
// sockets' buffers can hold, where net/http, writing and reading at once,
// sees the answer. 64 KiB (a prompt of some 16k tokens) fits in any
// kernel's default buffers; a larger body goes to net/http.
const maxPlainBody = 64 << 10

func (r *plainRouter) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && req.ContentLength >= 0 && req.ContentLength <= maxPlainBody && r.direct(req) {
		return r.plain.RoundTrip(req)
	}
	return r.fallback.RoundTrip(req)
}

// direct reports whether req goes to its target without a proxy. A
// proxy function's error is left to net/http, which reports it.
func (r *plainRouter) direct(req *http.Request) bool {
	if r.proxy == nil {
		return true
	}
	u, err := r.proxy(req)
	return err == nil && u == nil
}

// CloseIdleConnections closes both transports' idle connections (the
// daemon does between windows, through the http.Client).
func (r *plainRouter) CloseIdleConnections() {
	r.plain.CloseIdleConnections()
	r.fallback.CloseIdleConnections()
}

// secret is prometheus/common's reading of an inline or file secret (nil
// for neither, which its round trippers treat as empty).
func secret(text promconfig.Secret, file string) promconfig.SecretReader {
	switch {
	case text != "":
		return promconfig.NewInlineSecret(string(text))
	case file != "":
		return promconfig.NewFileSecret(file)
	}
	return nil
}
