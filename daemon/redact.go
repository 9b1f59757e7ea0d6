package daemon

import (
	promconfig "github.com/prometheus/common/config"

	"github.com/inferno-llm/inferno/config"
	"github.com/inferno-llm/inferno/redact"
	"github.com/inferno-llm/inferno/window"
)

// redactedConfig is the config as / and /config show it: URL passwords,
// secret-looking query values and extra_body keys read <secret>
// (http_client's own secrets already marshal so).
func redactedConfig(c *config.Config) *config.Config {
	out := *c
	out.Global.HFEndpoint = redact.URL(c.Global.HFEndpoint)
	out.Targets = make([]*config.Target, len(c.Targets))
	for i, t := range c.Targets {
		rt := *t
		rt.URL = redact.URL(t.URL)
		rt.HTTP.HTTPHeaders = redactedHeaders(t.HTTP.HTTPHeaders)
		out.Targets[i] = &rt
	}
	out.Workloads = make([]*config.Workload, len(c.Workloads))
	for i, w := range c.Workloads {
		out.Workloads[i] = window.RedactedWorkload(w)
	}
	return &out
}

// redactedHeaders shows a header's plain values as <secret>: they are
// where an API key goes as often as in secrets, and a header name says
// nothing reliable about its value.
func redactedHeaders(h *promconfig.Headers) *promconfig.Headers {
	if h == nil {
		return nil
	}
	out := &promconfig.Headers{Headers: make(map[string]promconfig.Header, len(h.Headers))}
	for name, v := range h.Headers {
		rv := v
		if len(v.Values) > 0 {
			rv.Values = make([]string, len(v.Values))
			for i := range rv.Values {
				rv.Values[i] = redact.Secret
			}
		}
		out.Headers[name] = rv
	}
	return out
}
