package config

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// MaxMappingKeys and MaxConfigKeys bound the keys of a config file: in any
// one mapping, and in the whole file (aliases counted each time they are
// used, as the decoder expands them). yaml.v3's decoder checks a mapping
// for duplicate keys by comparing every pair, so 150,000 labels of one
// target took 81 s of CPU in --config.check and at every reload; at these
// caps the worst file takes about 2 s. A real config has a few thousand
// keys. They are constants, not limits: fields, because the limits:
// section is itself inside the file being counted.
const (
	MaxMappingKeys = 10_000
	MaxConfigKeys  = 100_000
)

// checkKeyCounts walks the parsed document once (linear, unlike the
// decoder's duplicate check) and refuses a mapping or a file with too
// many keys, naming the mapping's field and line.
func checkKeyCounts(root *yaml.Node, file string) error {
	total := 0
	expanding := map[*yaml.Node]bool{} // aliases being expanded, against cycles
	var walk func(n *yaml.Node, path string, line int) error
	walk = func(n *yaml.Node, path string, line int) error {
		if line == 0 {
			line = n.Line
		}
		switch n.Kind {
		case yaml.AliasNode:
			if n.Alias == nil || expanding[n.Alias] {
				return nil // the decoder reports a cycle
			}
			expanding[n.Alias] = true
			defer delete(expanding, n.Alias)
			return walk(n.Alias, path, line)
		case yaml.MappingNode:
			keys := len(n.Content) / 2
			if keys > MaxMappingKeys {
				return &Error{File: file, Line: line, Field: path,
					Err: fmt.Errorf("%d keys, over the limit of %d keys in one mapping", keys, MaxMappingKeys)}
			}
			total += keys
			if total > MaxConfigKeys {
				return &Error{File: file, Line: line, Field: path,
					Err: fmt.Errorf("the file has more than %d keys, the limit of a config file (counted up to here)", MaxConfigKeys)}
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				key := n.Content[i]
				p := key.Value
				if path != "" {
					p = path + "." + key.Value
				}
				if err := walk(n.Content[i+1], p, key.Line); err != nil {
					return err
				}
			}
		case yaml.SequenceNode:
			for i, item := range n.Content {
				if err := walk(item, fmt.Sprintf("%s[%d]", path, i), 0); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(root, "", 0)
}
