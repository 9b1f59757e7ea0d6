package schema

import (
	"encoding/json"
	"errors"
	"math"

	units "github.com/dustin/go-humanize"
	"go.yaml.in/yaml/v3"
)

// ByteSize is a size in bytes, written as a number or with a unit
// (500MB, 10GiB, 1.5TB).
type ByteSize int64

// UnmarshalYAML parses a scalar such as "10GiB".
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New("want a size such as 10GiB, got " + map[yaml.Kind]string{yaml.SequenceNode: "a list", yaml.MappingNode: "a mapping"}[n.Kind])
	}
	v, err := units.ParseBytes(n.Value)
	if err != nil || v > math.MaxInt64 {
		// The value is not quoted back: it may be a misplaced secret.
		return errors.New("not a size (want e.g. 500MB, 10GiB, 1TB, or a number of bytes; never negative)")
	}
	*b = ByteSize(v)
	return nil
}

func (b ByteSize) String() string { return units.IBytes(uint64(b)) }

// MarshalYAML writes the size with a unit.
func (b ByteSize) MarshalYAML() (any, error) { return b.String(), nil }

// MarshalJSON writes the size with a unit, as reports show config.
func (b ByteSize) MarshalJSON() ([]byte, error) { return json.Marshal(b.String()) }
