package config

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	promconfig "github.com/prometheus/common/config"
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
	path := fieldAt(doc.Content[0], line, "")
	if ne := (*nodeError)(nil); errors.As(e.Err, &ne) {
		if p := valueAt(doc.Content[0], ne.line, ne.column, ""); p != "" {
			path = p
		}
	}
	if path != "" {
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

// lineOf is the line of a field path such as "global.report_dir" or
// "targets[2].url" in the document, or 0 if it is not there (a default).
func lineOf(n *yaml.Node, path string) int {
	if n == nil || path == "" {
		return 0
	}
	line := 0
	for _, part := range strings.Split(path, ".") {
		name, index := part, -1
		if i := strings.IndexByte(part, '['); i > 0 && strings.HasSuffix(part, "]") {
			name = part[:i]
			index, _ = strconv.Atoi(part[i+1 : len(part)-1])
		}
		if n.Kind != yaml.MappingNode {
			return line
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == name {
				line, next = n.Content[i].Line, n.Content[i+1]
			}
		}
		if next == nil {
			return line
		}
		if index >= 0 {
			if next.Kind != yaml.SequenceNode || index >= len(next.Content) {
				return line
			}
			next = next.Content[index]
			line = next.Line
		}
		n = next
	}
	return line
}

// httpClientError finds the target whose http_client failed to decode.
// prometheus/common validates that block while it is decoded and its
// errors carry no line, so decode each target's block alone to say where.
func httpClientError(b []byte, file string) *Error {
	var doc yaml.Node
	if yaml.Unmarshal(b, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "targets" {
			continue
		}
		for j, item := range root.Content[i+1].Content {
			if item.Kind != yaml.MappingNode {
				continue
			}
			for k := 0; k+1 < len(item.Content); k += 2 {
				if item.Content[k].Value != "http_client" {
					continue
				}
				var hc promconfig.HTTPClientConfig
				if err := item.Content[k+1].Decode(&hc); err != nil {
					return &Error{File: file, Line: item.Content[k].Line, Field: fmt.Sprintf("targets[%d].http_client", j), Err: err}
				}
			}
		}
	}
	return nil
}

// valueAt returns the path of the value that starts at line and column.
func valueAt(n *yaml.Node, line, column int, path string) string {
	var children []*yaml.Node
	var paths []string
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if path != "" {
				p = path + "." + p
			}
			children, paths = append(children, n.Content[i+1]), append(paths, p)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			children, paths = append(children, item), append(paths, fmt.Sprintf("%s[%d]", path, i))
		}
	}
	for i, c := range children {
		if c.Line == line && c.Column == column {
			return paths[i]
		}
		if c.Line <= line {
			if p := valueAt(c, line, column, paths[i]); p != "" {
				return p
			}
		}
	}
	return ""
}
