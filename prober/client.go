package prober

import (
	"fmt"
	"net/http"

	promconfig "github.com/prometheus/common/config"
)

// NewHTTPClient builds a client from prometheus/common's HTTP client config
// (bearer or basic auth, TLS, extra headers, proxy), the ecosystem's way of
// describing how to reach a target. Timeouts are per request, through
// contexts, so the client itself has none.
func NewHTTPClient(cfg promconfig.HTTPClientConfig, name string) (*http.Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("http client config for %s: %w", name, err)
	}
	// Compression stays off (prometheus/common's default): a gzipped event
	// stream would be buffered by the decompressor and distort timings.
	rt, err := promconfig.NewRoundTripperFromConfig(cfg, name, promconfig.WithUserAgent("inferno"))
	if err != nil {
		return nil, fmt.Errorf("http client config for %s: %w", name, err)
	}
	return &http.Client{Transport: rt}, nil
}
