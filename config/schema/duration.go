package schema

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// Duration is the schema's one duration: Prometheus' notation (30s, 5m,
// 7d, 1w) or Go's (1.5s, 1h30m), in a file, an API body or a flag.
type Duration time.Duration

// D converts to time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string {
	if time.Duration(d)%time.Millisecond != 0 {
		// Finer than Prometheus' notation can write.
		return time.Duration(d).String()
	}
	return model.Duration(d).String()
}

// ParseDuration reads either notation; negative durations are refused.
// The error never quotes the value: it may be a misplaced secret.
func ParseDuration(s string) (time.Duration, error) {
	if d, err := model.ParseDuration(s); err == nil {
		return time.Duration(d), nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return d, nil
	}
	return 0, errors.New("not a duration (want e.g. 500ms, 1.5s, 30s, 5m, 1h30m, 7d; never negative)")
}

// Set parses a flag's value.
func (d *Duration) Set(s string) error {
	v, err := ParseDuration(s)
	*d = Duration(v)
	return err
}

// UnmarshalYAML parses a scalar such as "30s".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New("want a duration such as 30s")
	}
	return d.Set(n.Value)
}

// MarshalYAML writes the Prometheus notation.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalJSON writes the Prometheus notation, as reports show config.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }
