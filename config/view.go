package config

import "go.yaml.in/yaml/v3"

// AsSchema returns a workload as the config file spells it: maps keyed by
// the YAML schema's names (first_turn_only, extra_body), durations as
// 30s, unset optional fields left out. Reports archive a window's
// workload in this form, so run.config reads like the config that made it
// rather than like Go (FirstTurnOnly, ExtraBody) and can be pasted back
// into a config file or a runs API body.
func (w *Workload) AsSchema() map[string]any {
	b, err := yaml.Marshal(w)
	if err != nil {
		return nil
	}
	var out map[string]any
	if yaml.Unmarshal(b, &out) != nil {
		return nil
	}
	return out
}
