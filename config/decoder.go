package config

import (
	"fmt"
	"reflect"

	"go.yaml.in/yaml/v3"

	"github.com/inferno-llm/inferno/config/schema"
	"github.com/inferno-llm/inferno/internal/strictyaml"
)

// Every door that reads text (a config file, a workload file, an API
// body) decodes it with strictyaml, told here what the schema's own
// types need.

// hooks are the schema's types as the decoder must know them: Duration,
// the defaults an absent field keeps (a target's http_client), the lines
// definitions' errors point at, and the keys an API body may not hold.
var hooks = &strictyaml.Hooks{
	Durations:     []reflect.Type{reflect.TypeFor[Duration]()},
	ParseDuration: schema.ParseDuration,
	Defaults:      applyDefaults,
	At: func(v any, line int) {
		if ls, ok := v.(lineSetter); ok {
			ls.setLine(line)
		}
	},
	UntrustedKey: untrustedKey,
}

// lineSetter is implemented by definitions whose validation errors point
// at their line.
type lineSetter interface{ setLine(int) }

// defaulter is implemented by types with defaults that an absent field
// keeps (a target's http_client).
type defaulter interface{ setDefaults() }

func applyDefaults(v any) {
	if d, ok := v.(defaulter); ok {
		d.setDefaults()
	}
}

// decoder decodes the text of file, recording the lines of its fields in
// lines (if not nil).
func decoder(file string, lines map[string]int) strictyaml.Decoder {
	return strictyaml.Decoder{File: file, Lines: lines, Hooks: hooks}
}

// parseDocument parses a file's one YAML document, refusing a file over
// MaxFileSize before it is parsed.
func parseDocument(file string, b []byte) (*yaml.Node, error) {
	return parseDocumentWith(decoder(file, nil), b)
}

func parseDocumentWith(d strictyaml.Decoder, b []byte) (*yaml.Node, error) {
	if len(b) > MaxFileSize {
		return nil, &Error{File: d.File, Err: fmt.Errorf("the file is over %d MiB, the limit of a config file", MaxFileSize>>20)}
	}
	return d.Parse(b)
}
