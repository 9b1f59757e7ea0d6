package config

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

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

var linePrefix = regexp.MustCompile(`^line (\d+): `)

// withField adds the path of the field at the error's line, so a type
// error says which field it is about, not only where.
func withField(e *Error, b []byte) error {
	m := linePrefix.FindStringSubmatch(e.Err.Error())
	if m == nil {
		return e
	}
	line, _ := strconv.Atoi(m[1])
	var doc yaml.Node
	if yaml.Unmarshal(b, &doc) != nil || len(doc.Content) == 0 {
		return e
	}
	if path := fieldAt(doc.Content[0], line, ""); path != "" {
		e.Line, e.Field = line, path
		e.Err = errors.New(strings.TrimPrefix(e.Err.Error(), m[0]))
	}
	return e
}

// fieldAt returns the path of the deepest key or item starting at line.
func fieldAt(n *yaml.Node, line int, path string) string {
	switch n.Kind {
	case yaml.MappingNode:
		var onLine []string // keys starting at line
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			p := key.Value
			if path != "" {
				p = path + "." + key.Value
			}
			// A flow collection on the key's own line is reported as the key:
			// the line cannot tell which of its parts is wrong.
			if val.Line != line || (val.Kind != yaml.ScalarNode && val.Style&yaml.FlowStyle == 0) {
				if found := fieldAt(val, line, p); found != "" {
					return found
				}
			}
			if key.Line == line {
				onLine = append(onLine, p)
			}
		}
		switch {
		case len(onLine) == 1:
			return onLine[0]
		case len(onLine) > 1 && path != "":
			return path
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			if found := fieldAt(item, line, p); found != "" {
				return found
			}
			if item.Line == line && item.Kind == yaml.ScalarNode {
				return p
			}
		}
	}
	return ""
}
