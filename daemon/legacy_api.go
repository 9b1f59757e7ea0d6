package daemon

import (
	"context"

	"github.com/inferno-llm/inferno/config"
	"github.com/inferno-llm/inferno/daemon/internal/legacyapi"
)

// The old tool's API (legacyapi) runs its tests as this daemon's windows.

// ResolveLegacyBody is the old tool's door: its register body, resolved
// as the register routes resolve it (id names the target).
func ResolveLegacyBody(cfg *config.Config, id string, body []byte) (*config.Target, *config.Workload, error) {
	return legacyapi.Resolve(cfg, id, body)
}

// legacyDaemon is the daemon as the old API sees it.
type legacyDaemon struct{ *Daemon }

func (l legacyDaemon) TryStartRun(id string, t *config.Target, w *config.Workload, trigger string) error {
	_, err := l.Daemon.TryStartRun(id, t, w, trigger)
	return err
}

func (l legacyDaemon) Run(id string) (status, errText string, ok bool) {
	run := l.run(id)
	if run == nil {
		return "", "", false
	}
	v := run.View()
	return v.Status, v.Error, true
}

// Runs lists the runs in memory, then those only the index has.
func (l legacyDaemon) Runs(ctx context.Context) ([]legacyapi.Started, error) {
	var out []legacyapi.Started
	seen := map[string]bool{}
	for _, run := range l.runs.list() {
		v := run.View()
		seen[v.ID] = true
		out = append(out, legacyapi.Started{ID: v.ID, Created: v.Created})
	}
	if l.index == nil {
		return out, nil
	}
	briefs, err := l.index.Briefs(ctx, -1)
	if err != nil {
		return nil, err
	}
	for _, b := range briefs {
		if !seen[b.ID] {
			out = append(out, legacyapi.Started{ID: b.ID, Created: b.StartedAt})
		}
	}
	return out, nil
}
