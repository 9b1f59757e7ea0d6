package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A standalone window is one defined outside a config file's schedules:
// `inferno run`'s flags, or a workload file it is given. It is validated
// as a config file's own definitions are (local files allowed and checked
// readable: the command line is the operator's own), under the limits of
// the config it comes from, DefaultLimits for flags.

// DefaultConfig is a config with every default and no definitions: the
// global settings and limits of a window defined by flags.
func DefaultConfig() *Config {
	c := defaults()
	c.file = "command line"
	return &c
}

// Standalone validates one target and one workload under base's global
// settings and limits. Errors are *Error with source as the file and
// fields as a config file would have them (targets[0].url,
// workloads[0].arrival.rate, global.hf_endpoint), so a caller can name
// the flag a field came from.
func Standalone(base *Config, source string, t *Target, w *Workload) error {
	c := &Config{Global: base.Global, Limits: base.Limits, API: base.API, file: source,
		Targets: []*Target{t}, Workloads: []*Workload{w}}
	// A file's numbers are checked as YAML before decoding; flags arrive
	// as Go values, so theirs are checked here (a NaN temperature would
	// fail every request's encoding, a NaN rate every schedule).
	if field := nonFinite(reflect.ValueOf(t), "targets[0]"); field != "" {
		return &Error{File: source, Field: field, Err: errors.New("must be a finite number (NaN and infinities cannot be reported)")}
	}
	if field := nonFinite(reflect.ValueOf(w), "workloads[0]"); field != "" {
		return &Error{File: source, Field: field, Err: errors.New("must be a finite number (NaN and infinities cannot be reported)")}
	}
	if err := c.validate(); err != nil {
		return err
	}
	return c.checkFiles()
}

// LoadWorkloadFile reads a file given to `inferno run --workload-file`:
// either a whole config file (it has targets, workloads or any other
// top-level key of one; whole is true) or a single workload, written as
// one item of a config's workloads list. A single workload is validated
// under DefaultLimits and returned as the config's only workload; its
// errors name the file, the line and the field within the workload.
func LoadWorkloadFile(path string) (cfg *Config, whole bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, fmt.Errorf("read workload file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, false, fmt.Errorf("read workload file: %w", err)
	}
	if len(b) > MaxFileSize {
		return nil, false, &Error{File: path, Err: fmt.Errorf("the file is over %d MiB, the limit of a config file", MaxFileSize>>20)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, false, &Error{File: path, Err: yamlError(err)}
	}
	if isWholeConfig(&doc) {
		cfg, err := Load(b, path)
		return cfg, true, err
	}
	cfg, err = Load(wrapWorkload(b, workloadName(&doc, path)), path)
	if err != nil {
		return nil, false, unwrapWorkloadError(err)
	}
	return cfg, false, nil
}

// configKeys are the top-level keys of a config file; a workload has none
// of them.
var configKeys = map[string]bool{"global": true, "simulator": true, "targets": true, "workloads": true,
	"schedules": true, "modules": true, "api": true, "limits": true}

func isWholeConfig(doc *yaml.Node) bool {
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return false
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if configKeys[root.Content[i].Value] {
			return true
		}
	}
	return false
}

// workloadShift is the lines wrapWorkload puts before the workload.
const workloadShift = 2

// wrapWorkload makes a workload the only item of a config's workloads
// list, indenting it as a block under "-", so the config's decoding,
// defaults and validation apply to it unchanged. A leading document
// marker is kept as a comment, so lines keep their numbers (plus the
// shift).
// A workload without a name takes its file's (with what a name may not
// hold replaced), appended last so no line moves.
func wrapWorkload(b []byte, name string) []byte {
	var out bytes.Buffer
	out.WriteString("workloads:\n-\n")
	for i, line := range strings.Split(string(b), "\n") {
		if i == 0 && strings.TrimRight(line, " \r") == "---" {
			line = "#---"
		}
		if line != "" {
			out.WriteString("  ")
		}
		out.WriteString(line)
		out.WriteByte('\n')
	}
	if name != "" {
		fmt.Fprintf(&out, "  name: %s\n", name)
	}
	return out.Bytes()
}

// workloadName is the name for a workload file that gives none, empty
// when it gives one (or is not a mapping: its own error says so).
func workloadName(doc *yaml.Node, path string) string {
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return ""
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "name" {
			return ""
		}
	}
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	name := strings.Trim(notNameChar.ReplaceAllString(base, "_"), "._-")
	if len(name) > 63 {
		name = name[:63]
	}
	if !namePattern.MatchString(name) {
		return "workload-file"
	}
	return name
}

var notNameChar = regexp.MustCompile(`[^A-Za-z0-9._-]`)

var lineNumber = regexp.MustCompile(`line (\d+)`)

// unwrapWorkloadError gives an error of a wrapped workload the file's own
// line numbers and the field's path within the workload.
func unwrapWorkloadError(err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	fixed := *e
	if fixed.Line > workloadShift {
		fixed.Line -= workloadShift
	}
	fixed.Field = strings.TrimPrefix(strings.TrimPrefix(fixed.Field, "workloads[0]"), ".")
	if fixed.Field == "workloads" {
		fixed.Field = ""
	}
	msg := lineNumber.ReplaceAllStringFunc(e.Err.Error(), func(s string) string {
		n, _ := strconv.Atoi(strings.TrimPrefix(s, "line "))
		return fmt.Sprintf("line %d", max(n-workloadShift, 1))
	})
	fixed.Err = errors.New(msg)
	return &fixed
}

// nonFinite returns the schema path of the first NaN or infinite number
// in v (struct fields by their YAML names, map keys, list indexes), or "".
func nonFinite(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return ""
		}
		return nonFinite(v.Elem(), path)
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return path
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			p := path
			switch {
			case name == "-":
				continue
			case strings.Contains(opts, "inline"):
			case name != "":
				p = path + "." + name
			default:
				p = path + "." + strings.ToLower(f.Name)
			}
			if bad := nonFinite(v.Field(i), p); bad != "" {
				return bad
			}
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			if bad := nonFinite(v.MapIndex(k), fmt.Sprintf("%s.%v", path, k)); bad != "" {
				return bad
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if bad := nonFinite(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); bad != "" {
				return bad
			}
		}
	}
	return ""
}
