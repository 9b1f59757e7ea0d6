// Package strictyaml decodes a YAML (or JSON) document into Go values
// strictly: every error names the file, line and field it is about,
// unknown and repeated keys are refused, and a document is bounded
// before it is decoded. It knows nothing of any one schema: the config
// package tells it, through Hooks, what its own types need.
package strictyaml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// The config's one decoder: every door that reads text (a config file, a
// workload file, an API body: JSON is YAML) parses it once into a node tree
// and decodes that tree here, so every error carries the line and the field
// it is about, found from the node rather than from a dependency's wording.
// yaml.v3's own decoder is used only for leaves that bring their own
// unmarshaler (prometheus/common's http_client).

// MaxMappingKeys and MaxNodes bound a document before it is decoded:
// the keys of one mapping, and every node visited with aliases expanded as
// the decoder expands them (ten levels of nested sequence aliases in 570
// bytes would otherwise expand to billions). A real config has a few
// thousand nodes.
const (
	MaxMappingKeys = 10_000
	MaxNodes       = 1_000_000
	maxDepth       = 100
)

// Error is a decoding (or validation) error with its place in the file.
type Error struct {
	File  string
	Line  int
	Field string
	Err   error
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %v", loc, e.Field, e.Err)
	}
	return fmt.Sprintf("%s: %v", loc, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Hooks are what a schema tells the decoder about its own types.
type Hooks struct {
	// Durations are the types, besides time.Duration, read as a duration
	// by ParseDuration (time.ParseDuration when nil).
	Durations     []reflect.Type
	ParseDuration func(string) (time.Duration, error)
	// Defaults sets the defaults of a newly allocated value (a pointer)
	// before the text decodes over it: an absent field keeps them.
	Defaults func(v any)
	// At tells a decoded struct (a pointer) the line of its mapping, for
	// the errors of its validation.
	At func(v any, line int)
	// UntrustedKey says why a key at path is refused in an untrusted
	// document, or "".
	UntrustedKey func(path, key string) string
}

// Decoder decodes one document: File names it in errors.
type Decoder struct {
	File string
	// Untrusted refuses aliases, merge keys and the keys
	// Hooks.UntrustedKey refuses.
	Untrusted bool
	// MaxKeys bounds the keys of an untrusted document in all (0: no bound
	// beyond MaxMappingKeys in one mapping).
	MaxKeys int
	// Lines, if not nil, records where each field of the decoded structs
	// and lists stands, for the errors of validation after decoding (see
	// LineOf).
	Lines map[string]int
	Hooks *Hooks
}

// Parse parses text that must hold one YAML document and bounds it
// before anything decodes it.
func (s Decoder) Parse(b []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var doc, second yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: s.File, Err: errors.New("the document is empty")}
		}
		return nil, &Error{File: s.File, Err: err}
	}
	if len(doc.Content) == 0 {
		return nil, &Error{File: s.File, Err: errors.New("the document is empty")}
	}
	// The parser goes on from where the first document ended.
	if err := dec.Decode(&second); err == nil {
		line := second.Line
		if len(second.Content) > 0 {
			line = second.Content[0].Line
		}
		return nil, &Error{File: s.File, Line: line, Err: errors.New("a second YAML document (after ---): one document is read")}
	} else if !errors.Is(err, io.EOF) {
		return nil, &Error{File: s.File, Err: err}
	}
	root := doc.Content[0]
	if err := s.bound(root); err != nil {
		return nil, err
	}
	return root, nil
}

// bound walks the tree once, expanding aliases, and refuses it past the
// node budget, a mapping past MaxMappingKeys, or for an untrusted body an
// alias or more keys than allowed.
func (s Decoder) bound(root *yaml.Node) error {
	nodes, keys := 0, 0
	expanding := map[*yaml.Node]bool{}
	var walk func(n *yaml.Node, path string, depth, line int) error
	walk = func(n *yaml.Node, path string, depth, line int) error {
		if line == 0 {
			line = n.Line
		}
		nodes++
		if nodes > MaxNodes {
			return &Error{File: s.File, Line: line, Field: path,
				Err: fmt.Errorf("the document expands to more than %d values (aliases counted each time they are used)", MaxNodes)}
		}
		if depth > maxDepth {
			return &Error{File: s.File, Line: line, Field: path, Err: fmt.Errorf("nested more than %d levels deep (or an alias that contains itself)", maxDepth)}
		}
		switch n.Kind {
		case yaml.AliasNode:
			if s.Untrusted {
				return &Error{File: s.File, Line: line, Field: path, Err: errors.New("YAML aliases are not accepted here")}
			}
			if n.Alias == nil {
				return nil
			}
			if expanding[n.Alias] {
				return &Error{File: s.File, Line: line, Field: path, Err: errors.New("an alias that contains itself")}
			}
			expanding[n.Alias] = true
			defer delete(expanding, n.Alias)
			return walk(n.Alias, path, depth+1, line)
		case yaml.MappingNode:
			if len(n.Content)/2 > MaxMappingKeys {
				return &Error{File: s.File, Line: line, Field: path,
					Err: fmt.Errorf("%d keys, over the limit of %d keys in one mapping", len(n.Content)/2, MaxMappingKeys)}
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				keys++
				if s.MaxKeys > 0 && keys > s.MaxKeys {
					return &Error{File: s.File, Line: n.Content[i].Line, Err: fmt.Errorf("more than %d keys (limits.max_body_keys)", s.MaxKeys)}
				}
				if err := walk(n.Content[i+1], join(path, n.Content[i].Value), depth+1, n.Content[i].Line); err != nil {
					return err
				}
			}
		case yaml.SequenceNode:
			for i, item := range n.Content {
				if err := walk(item, fmt.Sprintf("%s[%d]", path, i), depth+1, 0); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(root, "", 0, 0)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Decode decodes n into v (a pointer), strictly: unknown and repeated
// keys, values of the wrong kind and fractions where a whole number
// belongs are errors naming the field and line.
func (s Decoder) Decode(n *yaml.Node, v any) error {
	return s.value(n, reflect.ValueOf(v).Elem(), "")
}

// obsoleteUnmarshaler is yaml.v2's interface, which prometheus/common's
// types implement; yaml.v3 still honours it.
type obsoleteUnmarshaler interface {
	UnmarshalYAML(unmarshal func(any) error) error
}

var (
	durationType    = reflect.TypeFor[time.Duration]()
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	obsoleteType    = reflect.TypeFor[obsoleteUnmarshaler]()
)

func (s Decoder) hooks() *Hooks {
	if s.Hooks == nil {
		return &Hooks{}
	}
	return s.Hooks
}

// isDuration reports whether values of type t are read as durations.
func (s Decoder) isDuration(t reflect.Type) bool {
	return t == durationType || slices.Contains(s.hooks().Durations, t)
}

func (s Decoder) fail(n *yaml.Node, path string, format string, args ...any) error {
	return &Error{File: s.File, Line: n.Line, Field: path, Err: fmt.Errorf(format, args...)}
}

func (s Decoder) value(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return s.fail(n, path, "unknown alias")
		}
		return s.value(n.Alias, v, path)
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		// Nothing: pointers, maps and lists become empty; anything else
		// keeps its default.
		switch v.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
			v.SetZero()
		}
		return nil
	}
	if s.isDuration(v.Type()) {
		d, err := s.duration(n, path)
		v.SetInt(int64(d))
		return err
	}
	if v.CanAddr() {
		switch p := v.Addr(); {
		case p.Type().Implements(unmarshalerType):
			if err := s.known(n, v.Type(), path); err != nil {
				return err
			}
			if err := p.Interface().(yaml.Unmarshaler).UnmarshalYAML(n); err != nil {
				return s.fail(n, path, "%v", err)
			}
			return nil
		case p.Type().Implements(obsoleteType):
			if err := s.known(n, v.Type(), path); err != nil {
				return err
			}
			if err := n.Decode(p.Interface()); err != nil {
				if ue := (*url.Error)(nil); errors.As(err, &ue) {
					// Its text holds the URL, which may hold a password.
					return s.fail(n, path, "not a valid URL")
				}
				return s.fail(n, path, "%v", err)
			}
			return nil
		}
	}
	switch v.Kind() {
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		if h := s.hooks(); h.Defaults != nil {
			h.Defaults(elem.Interface())
		}
		if err := s.value(n, elem.Elem(), path); err != nil {
			return err
		}
		v.Set(elem)
		return nil
	case reflect.Struct:
		return s.structure(n, v, path)
	case reflect.Map:
		return s.mapping(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return s.fail(n, path, "want a list, got %s", nodeName(n))
		}
		out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			if item.ShortTag() == "!!null" && v.Type().Elem().Kind() == reflect.Pointer {
				return s.fail(item, fmt.Sprintf("%s[%d]", path, i), "empty entry")
			}
			s.record(fmt.Sprintf("%s[%d]", path, i), item.Line)
			if err := s.value(item, out.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		v.Set(out)
		return nil
	case reflect.Interface:
		x, err := s.freeForm(n, path)
		if err != nil {
			return err
		}
		if x != nil {
			v.Set(reflect.ValueOf(x))
		}
		return nil
	}
	return s.scalar(n, v, path)
}

// structure decodes a mapping into a struct by the fields' yaml tags,
// inline structs included; a merge key (<<: *base) supplies the keys the
// mapping does not set itself.
func (s Decoder) structure(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.MappingNode {
		return s.fail(n, path, "want a mapping, got %s", nodeName(n))
	}
	if h := s.hooks(); h.At != nil {
		h.At(v.Addr().Interface(), n.Line)
	}
	fields := fieldsOf(v.Type())
	return s.entries(n, path, func(key, val *yaml.Node) error {
		p := join(path, key.Value)
		idx, ok := fields[key.Value]
		if !ok {
			return s.fail(key, p, "unknown field %s (check its spelling and indentation)", key.Value)
		}
		s.record(p, key.Line)
		return s.value(val, v.FieldByIndex(idx), p)
	})
}

// mapping decodes a mapping into a map with text keys.
func (s Decoder) mapping(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.MappingNode {
		return s.fail(n, path, "want a mapping, got %s", nodeName(n))
	}
	if v.Type().Key().Kind() != reflect.String {
		return s.fail(n, path, "unsupported map key type %s", v.Type().Key())
	}
	out := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	err := s.entries(n, path, func(key, val *yaml.Node) error {
		if val.ShortTag() == "!!null" && v.Type().Elem().Kind() == reflect.Pointer {
			return s.fail(key, join(path, key.Value), "empty entry")
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		s.record(join(path, key.Value), key.Line)
		if err := s.value(val, elem, join(path, key.Value)); err != nil {
			return err
		}
		out.SetMapIndex(reflect.ValueOf(key.Value).Convert(v.Type().Key()), elem)
		return nil
	})
	if err == nil {
		v.Set(out)
	}
	return err
}

// entries calls f for each key of a mapping, once: keys given twice are
// an error, and a merge key (<<: *base, or a list of them, the first
// winning) supplies the keys the mapping does not set itself, as yaml.v3
// merges them (merges within merged mappings included).
func (s Decoder) entries(n *yaml.Node, path string, f func(key, val *yaml.Node) error) error {
	pairs, err := s.flatten(n, path)
	for i := 0; err == nil && i < len(pairs); i += 2 {
		err = f(pairs[i], pairs[i+1])
	}
	return err
}

// flatten lists a mapping's keys and values, merged ones first.
func (s Decoder) flatten(n *yaml.Node, path string) ([]*yaml.Node, error) {
	own := make(map[string]bool, len(n.Content)/2)
	var merged []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := n.Content[i]
		if key.Kind != yaml.ScalarNode {
			return nil, s.fail(key, path, "want text keys, got %s", nodeName(key))
		}
		if key.ShortTag() == "!!merge" {
			if s.Untrusted {
				return nil, s.fail(key, join(path, key.Value), "merge keys are not accepted here")
			}
			sources, err := s.mergeSources(n.Content[i+1], join(path, key.Value))
			if err != nil {
				return nil, err
			}
			merged = append(merged, sources...)
			continue
		}
		if own[key.Value] {
			return nil, s.fail(key, join(path, key.Value), "given twice in one mapping")
		}
		if h := s.hooks(); s.Untrusted && h.UntrustedKey != nil {
			if why := h.UntrustedKey(path, key.Value); why != "" {
				return nil, s.fail(key, join(path, key.Value), "%s", why)
			}
		}
		own[key.Value] = true
	}
	var out []*yaml.Node
	for _, src := range merged {
		pairs, err := s.flatten(src, path)
		if err != nil {
			return nil, err
		}
		for i := 0; i+1 < len(pairs); i += 2 {
			if k := pairs[i].Value; !own[k] {
				own[k] = true
				out = append(out, pairs[i], pairs[i+1])
			}
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].ShortTag() != "!!merge" {
			out = append(out, n.Content[i], n.Content[i+1])
		}
	}
	return out, nil
}

// mergeSources are the mappings a merge key names: one, or a list of them.
func (s Decoder) mergeSources(n *yaml.Node, path string) ([]*yaml.Node, error) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		return []*yaml.Node{n}, nil
	case yaml.SequenceNode:
		var out []*yaml.Node
		for _, item := range n.Content {
			for item.Kind == yaml.AliasNode && item.Alias != nil {
				item = item.Alias
			}
			if item.Kind != yaml.MappingNode {
				return nil, s.fail(item, path, "a merge (<<) takes a mapping or a list of mappings, got %s in the list", nodeName(item))
			}
			out = append(out, item)
		}
		return out, nil
	}
	return nil, s.fail(n, path, "a merge (<<) takes a mapping or a list of mappings, got %s", nodeName(n))
}

// fieldsOf indexes a struct's fields by their yaml names, inline structs'
// fields included.
func fieldsOf(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if strings.Contains(opts, "inline") && f.Type.Kind() == reflect.Struct {
			for k, idx := range fieldsOf(f.Type) {
				out[k] = append([]int{i}, idx...)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = []int{i}
	}
	return out
}

// known checks a value decoded by a type's own unmarshaler (yaml.v3
// decodes those leniently from a node, and words its errors by Go's
// types) against the type's shape: unknown keys, and values of the wrong
// kind, are refused here by field and line, as anywhere else.
func (s Decoder) known(n *yaml.Node, t reflect.Type, path string) error {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil
	}
	custom := reflect.PointerTo(t).Implements(obsoleteType) || reflect.PointerTo(t).Implements(unmarshalerType)
	if custom && n.Kind == yaml.ScalarNode {
		return nil // its own text form: a URL, a TLS version, a check
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) && t.Kind() != reflect.Struct {
		return nil // ours, which words its own errors (a size)
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return s.fail(n, path, "want a mapping, got %s", nodeName(n))
		}
		fields := fieldsOf(t)
		inlineMap := inlineMapType(t)
		return s.entries(n, path, func(key, val *yaml.Node) error {
			s.record(join(path, key.Value), key.Line)
			idx, ok := fields[key.Value]
			if !ok {
				if inlineMap != nil {
					return s.known(val, inlineMap.Elem(), join(path, key.Value))
				}
				return s.fail(key, join(path, key.Value), "unknown field %s (check its spelling and indentation)", key.Value)
			}
			return s.known(val, t.FieldByIndex(idx).Type, join(path, key.Value))
		})
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return s.fail(n, path, "want a mapping, got %s", nodeName(n))
		}
		return s.entries(n, path, func(key, val *yaml.Node) error {
			return s.known(val, t.Elem(), join(path, key.Value))
		})
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			return s.fail(n, path, "want a list, got %s", nodeName(n))
		}
		for i, item := range n.Content {
			if err := s.known(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Interface:
		return nil
	}
	if s.isDuration(t) {
		_, err := s.duration(n, path)
		return err
	}
	return s.scalar(n, reflect.New(t).Elem(), path)
}

// inlineMapType is the type of a struct's inline map (which takes every
// key its fields do not), or nil.
func inlineMapType(t reflect.Type) reflect.Type {
	for i := range t.NumField() {
		f := t.Field(i)
		if _, opts, _ := strings.Cut(f.Tag.Get("yaml"), ","); strings.Contains(opts, "inline") && f.Type.Kind() == reflect.Map {
			return f.Type
		}
	}
	return nil
}

// freeForm decodes a value of no fixed type (extra_body) as yaml.v3
// would, keeping every key and value exactly as written.
func (s Decoder) freeForm(n *yaml.Node, path string) (any, error) {
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		out := reflect.New(reflect.TypeFor[[]any]()).Elem()
		if n.Kind == yaml.MappingNode {
			out = reflect.New(reflect.TypeFor[map[string]any]()).Elem()
		}
		err := s.value(n, out, path)
		return out.Interface(), err
	}
	var x any
	if err := n.Decode(&x); err != nil {
		return nil, s.fail(n, path, "not a valid %s (%s)", strings.TrimPrefix(n.ShortTag(), "!!"), "its text does not fit its tag")
	}
	if f, ok := x.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
		return nil, s.fail(n, path, "must be a finite number (NaN and infinities cannot be reported)")
	}
	return x, nil
}

// scalar decodes text, numbers and booleans. Errors never quote the
// value: it may be a misplaced secret.
func (s Decoder) scalar(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.ScalarNode {
		return s.fail(n, path, "want %s, got %s", WantName(v.Type()), nodeName(n))
	}
	tag := n.ShortTag()
	switch v.Kind() {
	case reflect.String:
		text := n.Value
		if tag == "!!binary" {
			if n.Decode(&text) != nil {
				return s.fail(n, path, "not valid base64")
			}
		}
		v.SetString(text)
		return nil
	case reflect.Bool:
		// YAML 1.1's words, as yaml.v3 takes them for a bool field.
		b, ok := yaml11Bools[n.Value]
		if tag == "!!bool" {
			ok = n.Decode(&b) == nil
		}
		if !ok || (tag != "!!bool" && tag != "!!str") {
			return s.fail(n, path, "want true or false, got %s", nodeName(n))
		}
		v.SetBool(b)
		return nil
	case reflect.Float32, reflect.Float64:
		var f float64
		if (tag != "!!float" && tag != "!!int") || n.Decode(&f) != nil {
			return s.fail(n, path, "want a number, got %s", nodeName(n))
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return s.fail(n, path, "must be a finite number (NaN and infinities cannot be reported)")
		}
		v.SetFloat(f)
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		f, err := s.whole(n, path)
		if err != nil {
			return err
		}
		if f < math.MinInt64 || f >= math.MaxInt64 || v.OverflowInt(int64(f)) {
			return s.fail(n, path, "out of range")
		}
		v.SetInt(int64(f))
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if tag == "!!int" {
			// Whole uint64 range, beyond float64's exact integers (seeds).
			if u, err := strconv.ParseUint(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil && !v.OverflowUint(u) {
				v.SetUint(u)
				return nil
			}
		}
		f, err := s.whole(n, path)
		if err != nil {
			return err
		}
		if f < 0 || f >= math.MaxUint64 || v.OverflowUint(uint64(f)) {
			return s.fail(n, path, "out of range")
		}
		v.SetUint(uint64(f))
		return nil
	}
	return s.fail(n, path, "unsupported field type %s", v.Type())
}

var yaml11Bools = map[string]bool{"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"n": false, "N": false, "no": false, "No": false, "NO": false, "off": false, "Off": false, "OFF": false}

// whole reads a whole number, written as an integer or as a float
// without a fraction (1e3).
func (s Decoder) whole(n *yaml.Node, path string) (float64, error) {
	switch n.ShortTag() {
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			return float64(i), nil
		}
		return 0, s.fail(n, path, "out of range")
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, s.fail(n, path, "must be a finite number (NaN and infinities cannot be reported)")
		}
		if f != math.Trunc(f) {
			return 0, s.fail(n, path, "must be a whole number")
		}
		return f, nil
	}
	return 0, s.fail(n, path, "want a whole number, got %s", nodeName(n))
}

func (s Decoder) duration(n *yaml.Node, path string) (time.Duration, error) {
	if n.Kind != yaml.ScalarNode {
		return 0, s.fail(n, path, "want a duration such as 30s, got %s", nodeName(n))
	}
	parse := s.hooks().ParseDuration
	if parse == nil {
		parse = time.ParseDuration
	}
	d, err := parse(n.Value)
	if err != nil {
		return 0, s.fail(n, path, "%v", err)
	}
	return d, nil
}

// nodeName words what a node holds for an error, without its value.
func nodeName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.ShortTag() {
	case "!!int":
		return "a whole number"
	case "!!float":
		return "a number"
	case "!!bool":
		return "true or false"
	case "!!null":
		return "nothing"
	}
	return "text"
}

// WantName is what a value of Go type t is, worded for a person (text, a
// whole number, a list, a mapping...): errors about API bodies say it
// rather than a Go type name.
func WantName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "text"
	case reflect.Bool:
		return "true or false"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return "a whole number"
}

func (s Decoder) record(path string, line int) {
	if s.Lines != nil {
		s.Lines[path] = line
	}
}

// LineOf is the line of a field path such as "global.report_dir" or
// "targets[2].url" in the Lines of a decode, or of the nearest enclosing
// field the text has; 0 for a default.
func LineOf(lines map[string]int, path string) int {
	for path != "" {
		if l := lines[path]; l > 0 {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return 0
		}
		path = path[:i]
	}
	return 0
}
