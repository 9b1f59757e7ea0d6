package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// precheck catches what yaml.v3 lets through silently: a second document
// (ignored), NaN and infinities (every report then fails to encode as
// JSON), and a fraction where a whole number belongs (2.5 requests
// decoded as 2), and more keys than the decoder can check in good time
// (keys.go). Syntax errors are left to the decoder, which words them.
func precheck(b []byte, file string) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil || len(doc.Content) == 0 {
		return nil
	}
	var second yaml.Node
	if err := dec.Decode(&second); err == nil {
		line := second.Line
		if len(second.Content) > 0 {
			line = second.Content[0].Line
		}
		return &Error{File: file, Line: line, Err: errors.New("a second YAML document (after ---): a config file is one document")}
	} else if !errors.Is(err, io.EOF) {
		return nil
	}
	if err := checkKeyCounts(doc.Content[0], file); err != nil {
		return err
	}
	return checkNumbers(doc.Content[0], reflect.TypeOf(Config{}), "", file)
}

var intKinds = map[reflect.Kind]bool{reflect.Int: true, reflect.Int8: true, reflect.Int16: true, reflect.Int32: true, reflect.Int64: true,
	reflect.Uint: true, reflect.Uint8: true, reflect.Uint16: true, reflect.Uint32: true, reflect.Uint64: true}

// checkNumbers walks the document beside the Go type it decodes into (t,
// nil where unknown) and refuses non-finite numbers anywhere and
// fractions in integer fields.
func checkNumbers(n *yaml.Node, t reflect.Type, path, file string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() != "!!float" {
			return nil
		}
		f, err := strconv.ParseFloat(strings.NewReplacer(".nan", "NaN", ".NaN", "NaN", ".NAN", "NaN", ".inf", "Inf", ".Inf", "Inf", ".INF", "Inf").Replace(n.Value), 64)
		if err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
			return &Error{File: file, Line: n.Line, Field: path, Err: errors.New("must be a finite number (NaN and infinities cannot be reported)")}
		}
		if t != nil && intKinds[t.Kind()] && err == nil && f != math.Trunc(f) {
			return &Error{File: file, Line: n.Line, Field: path, Err: errors.New("must be a whole number")}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i].Value, n.Content[i+1]
			p := key
			if path != "" {
				p = path + "." + key
			}
			if err := checkNumbers(val, fieldType(t, key), p, file); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i, item := range n.Content {
			if err := checkNumbers(item, elem, fmt.Sprintf("%s[%d]", path, i), file); err != nil {
				return err
			}
		}
	}
	return nil
}

// fieldType is the type a mapping key decodes into: a struct field by its
// yaml tag (inline structs included) or a map's values.
func fieldType(t reflect.Type, key string) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return nil
	}
	switch t.Kind() {
	case reflect.Map:
		return t.Elem()
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if strings.Contains(opts, "inline") {
				if ft := fieldType(f.Type, key); ft != nil {
					return ft
				}
				continue
			}
			if name == key {
				return f.Type
			}
		}
	}
	return nil
}

// goDurationKeys are fields of dataset types decoded as time.Duration,
// which yaml.v3 parses with Go's notation: it has no d, w or y.
var goDurationKeys = map[string]bool{"ramp_duration": true, "duration": true, "step_duration": true}

// normalizeDurations rewrites, in place and on the same line, values such
// as 7d of goDurationKeys into Go's notation (168h0m0s), so every duration
// takes the units the README lists and errors keep their line numbers.
func normalizeDurations(b []byte) []byte {
	var doc yaml.Node
	if yaml.Unmarshal(b, &doc) != nil || len(doc.Content) == 0 {
		return b
	}
	type edit struct {
		line, col int
		old, new  string
	}
	var edits []edit
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		for i, child := range n.Content {
			if n.Kind == yaml.MappingNode && i%2 == 1 && goDurationKeys[n.Content[i-1].Value] && child.Kind == yaml.ScalarNode {
				if _, err := time.ParseDuration(child.Value); err != nil {
					if d, err := model.ParseDuration(child.Value); err == nil {
						col := child.Column - 1
						if child.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
							col++
						}
						edits = append(edits, edit{child.Line, col, child.Value, time.Duration(d).String()})
					}
				}
			}
			walk(child)
		}
	}
	walk(doc.Content[0])
	if len(edits) == 0 {
		return b
	}
	lines := bytes.Split(b, []byte("\n"))
	sort.Slice(edits, func(i, j int) bool {
		if edits[i].line != edits[j].line {
			return edits[i].line > edits[j].line
		}
		return edits[i].col > edits[j].col
	})
	for _, e := range edits {
		if e.line < 1 || e.line > len(lines) {
			continue
		}
		l := lines[e.line-1]
		// Columns count characters; only rewrite where they are bytes too.
		if e.col < 0 || e.col+len(e.old) > len(l) || string(l[e.col:e.col+len(e.old)]) != e.old {
			continue
		}
		lines[e.line-1] = append(append(append([]byte{}, l[:e.col]...), e.new...), l[e.col+len(e.old):]...)
	}
	return bytes.Join(lines, []byte("\n"))
}

var typeError = regexp.MustCompile("cannot unmarshal !!(\\w+)(?: `[^`]*`)? into (\\S+)")
var unknownField = regexp.MustCompile(`field (\S+) not found in type \S+`)

// humanize words yaml.v3's type errors for a person, without the value:
// a misplaced secret must not be echoed, not even its first characters.
func humanize(msg string) string {
	msg = typeError.ReplaceAllStringFunc(msg, func(s string) string {
		m := typeError.FindStringSubmatch(s)
		return fmt.Sprintf("want %s, got %s", goTypeName(m[2]), yamlTagName(m[1]))
	})
	return unknownField.ReplaceAllString(msg, "unknown field $1 (check its spelling and indentation)")
}

func yamlTagName(tag string) string {
	switch tag {
	case "str":
		return "text"
	case "int":
		return "a whole number"
	case "float":
		return "a number"
	case "bool":
		return "true or false"
	case "map":
		return "a mapping"
	case "seq":
		return "a list"
	case "null":
		return "nothing"
	}
	return "a " + tag
}

func goTypeName(t string) string {
	switch {
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "a whole number"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case t == "bool":
		return "true or false"
	case t == "string":
		return "text"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case t == "time.Duration":
		return "a duration such as 30s"
	}
	return "a mapping"
}
