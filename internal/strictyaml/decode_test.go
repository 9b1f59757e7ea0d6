package strictyaml

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// doc is a small schema with each kind of field the decoder handles.
type doc struct {
	Name    string            `yaml:"name"`
	Count   int               `yaml:"count"`
	Ratio   float64           `yaml:"ratio"`
	On      bool              `yaml:"on"`
	Wait    time.Duration     `yaml:"wait"`
	Labels  map[string]string `yaml:"labels"`
	Items   []*item           `yaml:"items"`
	Extra   any               `yaml:"extra"`
	Seconds seconds           `yaml:"seconds"`
}

type item struct {
	ID   uint8 `yaml:"id"`
	line int
	def  bool
}

// seconds is a schema's own duration type, known through Hooks.
type seconds int64

var testHooks = &Hooks{
	Durations: []reflect.Type{reflect.TypeFor[seconds]()},
	Defaults: func(v any) {
		if it, ok := v.(*item); ok {
			it.def = true
		}
	},
	At: func(v any, line int) {
		if it, ok := v.(*item); ok {
			it.line = line
		}
	},
	UntrustedKey: func(path, key string) string {
		if key == "secret_file" {
			return "no files here"
		}
		return ""
	},
}

func decode(text string, untrusted bool) (*doc, map[string]int, error) {
	d := Decoder{File: "t.yml", Untrusted: untrusted, Lines: map[string]int{}, Hooks: testHooks}
	root, err := d.Parse([]byte(text))
	if err != nil {
		return nil, nil, err
	}
	var v doc
	return &v, d.Lines, d.Decode(root, &v)
}

func TestDecode(t *testing.T) {
	v, lines, err := decode("name: x\ncount: 1e3\nratio: 0.5\non: yes\nwait: 2s\nseconds: 1m\nlabels: {a: b}\nitems:\n  - id: 7\nextra: {k: [1, two]}\n", false)
	if err != nil {
		t.Fatal(err)
	}
	if v.Name != "x" || v.Count != 1000 || v.Ratio != 0.5 || !v.On || v.Wait != 2*time.Second || v.Seconds != seconds(time.Minute) ||
		v.Labels["a"] != "b" || len(v.Items) != 1 || v.Items[0].ID != 7 || !v.Items[0].def || v.Items[0].line != 9 {
		t.Errorf("decoded %+v %+v", v, v.Items)
	}
	if got := LineOf(lines, "items[0].id.nothing"); got != 9 {
		t.Errorf("LineOf = %d, want 9", got)
	}
}

// TestDecodeErrors: every error names the file, the line and the field,
// and never quotes the value.
func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		text      string
		untrusted bool
		want      string
	}{
		{"nam: x\n", false, "t.yml:1: nam: unknown field nam (check its spelling and indentation)"},
		{"name: x\nname: y\n", false, "t.yml:2: name: given twice in one mapping"},
		{"count: 1.5\n", false, "t.yml:1: count: must be a whole number"},
		{"items:\n  - id: 300\n", false, "t.yml:2: items[0].id: out of range"},
		{"wait: [1]\n", false, "t.yml:1: wait: want a duration such as 30s, got a list"},
		{"ratio: .nan\n", false, "t.yml:1: ratio: must be a finite number (NaN and infinities cannot be reported)"},
		{"labels: &l {a: b}\nextra: *l\n", true, "t.yml:2: extra: YAML aliases are not accepted here"},
		{"extra: {<<: {a: b}}\n", true, "t.yml:1: extra.<<: merge keys are not accepted here"},
		{"extra: {secret_file: /etc/passwd}\n", true, "t.yml:1: extra.secret_file: no files here"},
		{"a: 1\n---\nb: 2\n", false, "t.yml:3: a second YAML document (after ---): one document is read"},
	} {
		_, _, err := decode(tc.text, tc.untrusted)
		var e *Error
		if err == nil || err.Error() != tc.want || !errors.As(err, &e) {
			t.Errorf("%q: got %v, want %q", tc.text, err, tc.want)
		}
	}
}

// TestParseJSON: JSON's own escapes, which YAML lacks, are read, and
// repeated keys are refused as in YAML.
func TestParseJSON(t *testing.T) {
	d := Decoder{File: "body"}
	root, err := d.ParseJSON([]byte(`{"name":"a\/b \ud83d\ude00","count":2}`))
	if err != nil {
		t.Fatal(err)
	}
	var v doc
	if err := d.Decode(root, &v); err != nil || v.Name != "a/b 😀" || v.Count != 2 {
		t.Errorf("decoded %+v, %v", v, err)
	}
	root, err = d.ParseJSON([]byte(`{"count":1,"count":2}`))
	if err == nil {
		err = d.Decode(root, &v)
	}
	if err == nil || !strings.Contains(err.Error(), "count: given twice") {
		t.Errorf("a repeated key: %v", err)
	}
}

// FuzzDecode: any text decodes or fails with an *Error that names the
// file, as YAML and, when it is valid, as JSON.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("name: x\ncount: 3\nitems: [{id: 1}]\nextra: {a: [1, {b: c}]}\n"))
	f.Add([]byte(`{"name":"x","labels":{"a":"b"},"wait":"1s"}`))
	f.Add([]byte("labels: &l {a: b}\nextra: {<<: *l, c: d}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, untrusted := range []bool{false, true} {
			d := Decoder{File: "fuzz.yml", Untrusted: untrusted, MaxKeys: 200, Lines: map[string]int{}, Hooks: testHooks}
			for _, parse := range []func([]byte) (*yaml.Node, error){d.Parse, d.ParseJSON} {
				root, err := parse(b)
				if err == nil {
					var v doc
					err = d.Decode(root, &v)
				}
				var e *Error
				if err != nil && (!errors.As(err, &e) || !strings.HasPrefix(err.Error(), "fuzz.yml")) {
					t.Fatalf("error does not name the file: %v", err)
				}
			}
		}
	})
}
