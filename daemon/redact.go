package daemon

import (
	"github.com/inferno-llm/inferno/config"
	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/window"
)

// redactedConfig is the config as / and /config show it: URL passwords,
// secret-looking query values and extra_body keys read <secret>
// (http_client's own secrets already marshal so).
func redactedConfig(c *config.Config) *config.Config {
	out := *c
	out.Global.HFEndpoint = report.RedactURL(c.Global.HFEndpoint)
	out.Targets = make([]*config.Target, len(c.Targets))
	for i, t := range c.Targets {
		rt := *t
		rt.URL = report.RedactURL(t.URL)
		out.Targets[i] = &rt
	}
	out.Workloads = make([]*config.Workload, len(c.Workloads))
	for i, w := range c.Workloads {
		out.Workloads[i] = window.RedactedWorkload(w)
	}
	return &out
}
