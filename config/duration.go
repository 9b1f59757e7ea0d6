package config

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// Duration is a duration in Prometheus' notation (30s, 5m, 1h30m, 7d).
// Its own YAML decoding reports the line of a bad value, which
// prometheus/common's model.Duration cannot.
type Duration time.Duration

// D converts to time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return model.Duration(d).String() }

// UnmarshalYAML parses a scalar such as "30s".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &nodeError{n.Line, n.Column, fmt.Sprintf("want a duration such as 30s, got a %s", kindName(n.Kind))}
	}
	v, err := model.ParseDuration(n.Value)
	if err != nil {
		// The value is not quoted back: it may be a misplaced secret.
		return &nodeError{n.Line, n.Column, "not a duration (want e.g. 500ms, 30s, 5m, 1h, 7d; never negative)"}
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the Prometheus notation.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalJSON writes the Prometheus notation, as reports show config.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	}
	return "value"
}

// nodeError is an error about one value, where it stands: a flow mapping
// such as slo: {ttft: 500ms, tpot: 5x} has several values on a line, and
// the column tells which field is wrong.
type nodeError struct {
	line, column int
	msg          string
}

func (e *nodeError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }
