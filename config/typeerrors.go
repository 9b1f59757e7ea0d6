package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// typeErrorLine is one of yaml.v3's type errors: the line, the tag of the
// value found (the value itself, quoted in backticks, is dropped: it may
// be a misplaced secret) and the Go type it could not go into.
var typeErrorLine = regexp.MustCompile("^line (\\d+): cannot unmarshal !!(\\w+)(?: `[^`]*`)? into (\\S+)")

// describeTypeError words the first of yaml.v3's type errors by the schema: the
// path and line of the field itself (inside a flow mapping too, where the
// line alone cannot tell which part is wrong), what the field wants in
// words and what it got. The Go type in yaml.v3's message is not enough:
// prometheus/common decodes through unexported types such as config.plain
// (a Secret or a BasicAuth alike), so what the field wants comes from the
// field's own type, found by walking the document beside root. It returns
// nil where the first error is not a type mismatch (an unknown field).
func describeTypeError(te *yaml.TypeError, b []byte, root reflect.Type, file string) *Error {
	if len(te.Errors) == 0 {
		return nil
	}
	var doc yaml.Node
	if yaml.Unmarshal(b, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	line, field, msg, ok := describeOne(te.Errors[0], doc.Content[0], root)
	if !ok {
		return nil
	}
	for _, other := range te.Errors[1:] {
		if l, f, m, ok := describeOne(other, doc.Content[0], root); ok && f != "" {
			msg += fmt.Sprintf("; line %d: %s: %s", l, f, m)
		} else {
			msg += "; " + humanize(other)
		}
	}
	return &Error{File: file, Line: line, Field: field, Err: errors.New(msg)}
}

// describeOne words one type error; field is empty where the whole
// document is of the wrong kind.
func describeOne(yamlMsg string, top *yaml.Node, root reflect.Type) (line int, field, msg string, ok bool) {
	m := typeErrorLine.FindStringSubmatch(yamlMsg)
	if m == nil {
		return 0, "", "", false
	}
	line, _ = strconv.Atoi(m[1])
	tag, goName := "!!"+m[2], m[3]
	found := []typedNode{{"", top.ShortTag(), root, top.Line}}
	valuesOnLine(top, root, line, "", &found)
	var t reflect.Type
	var misfits []typedNode
	for _, f := range found {
		if f.line == line && f.tag == tag && !fits(tag, f.t) {
			misfits = append(misfits, f)
		}
	}
	if len(misfits) == 1 {
		field, t = misfits[0].path, misfits[0].t
	} else {
		if field = fieldAt(top, line, ""); field == "" {
			return 0, "", "", false
		}
		for _, f := range found {
			if f.path == field {
				t = f.t
			}
		}
	}
	return line, field, fmt.Sprintf("want %s, got %s", wantName(goName, t), yamlTagName(m[2])), true
}

type typedNode struct {
	path, tag string
	t         reflect.Type // nil where the schema has no such field
	line      int
}

// valuesOnLine collects the values (of mapping keys and list items) that
// start at line, with their paths and the Go types they decode into.
func valuesOnLine(n *yaml.Node, t reflect.Type, line int, path string, found *[]typedNode) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			p := key.Value
			if path != "" {
				p = path + "." + key.Value
			}
			ft := fieldType(t, key.Value)
			if val.Line == line {
				*found = append(*found, typedNode{p, val.ShortTag(), ft, line})
			}
			if val.Line <= line {
				valuesOnLine(val, ft, line, p, found)
			}
		}
	case yaml.SequenceNode:
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			if item.Line == line {
				*found = append(*found, typedNode{p, item.ShortTag(), elem, line})
			}
			if item.Line <= line {
				valuesOnLine(item, elem, line, p, found)
			}
		}
	}
}

// wantName says what a field wants: from yaml.v3's Go type name where it
// is a plain one (an unmarshaler that decodes a string says string), else
// from the field's type.
func wantName(goName string, t reflect.Type) string {
	switch {
	case goName == "string", goName == "bool", goName == "time.Duration",
		strings.HasPrefix(goName, "int"), strings.HasPrefix(goName, "uint"), strings.HasPrefix(goName, "float"),
		strings.HasPrefix(goName, "[]"), strings.HasPrefix(goName, "map["):
		return goTypeName(goName)
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "another kind of value"
	}
	if t == reflect.TypeOf(time.Duration(0)) || t == reflect.TypeOf(Duration(0)) {
		return "a duration such as 30s"
	}
	switch t.Kind() {
	case reflect.String:
		return "text"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return "another kind of value"
}

// fits reports whether a value of the YAML tag decodes into t as yaml.v3
// decodes it, so that of several values on one line (a flow mapping and
// its parts) the one that does not fit is blamed. An unknown type fits
// nothing.
func fits(tag string, t reflect.Type) bool {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return false
	}
	if tag == "!!null" {
		return true
	}
	switch t.Kind() {
	case reflect.Map, reflect.Struct:
		return tag == "!!map"
	case reflect.Slice, reflect.Array:
		return tag == "!!seq"
	case reflect.String:
		return tag != "!!map" && tag != "!!seq"
	case reflect.Bool:
		return tag == "!!bool"
	case reflect.Float32, reflect.Float64:
		return tag == "!!int" || tag == "!!float"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return tag == "!!int"
	}
	return false
}

// WantName says in words what a value of type t is (text, a whole
// number, a list, a mapping, ...), for errors about API bodies that must
// not show Go type names.
func WantName(t reflect.Type) string { return wantName("", t) }
