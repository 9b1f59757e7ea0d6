package daemon

import (
	"context"
	"time"

	"github.com/inferno-llm/inferno/config"
	"github.com/inferno-llm/inferno/daemon/internal/probe"
	"github.com/inferno-llm/inferno/report"
)

// ResolveProbe is /probe's door: a configured target's name or a URL the
// module allows (with the module's API and model), and the module's
// workload.
func ResolveProbe(cfg *config.Config, moduleName, target string) (*config.Target, *config.Workload, error) {
	return probe.Resolve(cfg, moduleName, target)
}

// probeWindows is the daemon as /probe uses it: a probe waits for a slot
// in the same bounded queue as API runs.
type probeWindows struct{ *Daemon }

func (p probeWindows) Reserve() error { return p.reservePending() }

func (p probeWindows) Run(ctx context.Context, id string, t *config.Target, w *config.Workload, g config.Global, archive bool, deadline time.Duration) *report.Report {
	return p.execute(ctx, &windowJob{ID: id, Trigger: "probe", Target: t, Workload: w,
		Global: g, Archive: archive, Deadline: deadline, pending: true})
}
