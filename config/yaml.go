package config

import (
	"bytes"

	"go.yaml.in/yaml/v3"
)

// recordLines finds where each target, workload, schedule and module
// starts, so validation errors can point at it. It walks the document's
// node tree rather than hooking UnmarshalYAML: a custom unmarshaler's
// node.Decode would lose the decoder's strict known-fields check.
func (c *Config) recordLines(b []byte) {
	var doc yaml.Node
	if yaml.NewDecoder(bytes.NewReader(b)).Decode(&doc) != nil || len(doc.Content) == 0 {
		return
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i].Value, root.Content[i+1]
		switch key {
		case "targets":
			for j, item := range val.Content {
				if j < len(c.Targets) && c.Targets[j] != nil {
					c.Targets[j].line = item.Line
				}
			}
		case "workloads":
			for j, item := range val.Content {
				if j < len(c.Workloads) && c.Workloads[j] != nil {
					c.Workloads[j].line = item.Line
				}
			}
		case "schedules":
			for j, item := range val.Content {
				if j < len(c.Schedules) && c.Schedules[j] != nil {
					c.Schedules[j].line = item.Line
				}
			}
		case "modules":
			for j := 0; j+1 < len(val.Content); j += 2 {
				if m := c.Modules[val.Content[j].Value]; m != nil {
					m.line = val.Content[j].Line
				}
			}
		}
	}
}
