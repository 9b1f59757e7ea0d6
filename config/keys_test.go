package config

import (
	"fmt"
	"strings"
	"testing"

	"github.com/inferno-llm/inferno/internal/strictyaml"
)

// TestKeyCounts: a file under the size limit whose mappings or alias
// expansions are larger than a config can be is refused before it is
// decoded, naming the field and line. The files are generated: they are
// megabytes.
func TestKeyCounts(t *testing.T) {
	// target writes a target with n labels; its labels: key is on line
	// first+3.
	target := func(b *strings.Builder, i, n int) {
		fmt.Fprintf(b, "  - name: t%d\n    url: http://127.0.0.1:1/v1\n    model: m\n    labels:\n", i)
		for k := range n {
			fmt.Fprintf(b, "      k%d: v\n", k)
		}
	}
	file := func(targets, labels int) []byte {
		var b strings.Builder
		b.WriteString("global: {report_dir: /tmp/reports}\ntargets:\n")
		for i := range targets {
			target(&b, i, labels)
		}
		return []byte(b.String())
	}
	// The sequence alias bomb: ten levels of ten aliases each, 570 bytes
	// that expand to ten billion values.
	var bomb strings.Builder
	bomb.WriteString("global: {report_dir: /tmp/reports}\nx:\n  - &a0 [a, a, a, a, a, a, a, a, a, a]\n")
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&bomb, "  - &a%d [%s]\n", i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", "))
	}
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"150,000 labels", file(1, 150_000), "big.yml:6: targets[0].labels: 150000 keys, over the limit of 10000 keys in one mapping"},
		{"the most labels allowed", file(1, strictyaml.MaxMappingKeys), ""},
		{"10 targets of 10,000 labels", file(10, 10_000), ""},
		{"nested sequence aliases", []byte(bomb.String()), "big.yml:4: x[5][7][0][7][0][7]: the document expands to more than 1000000 values (aliases counted each time they are used)"},
		{"a cycle of aliases ends", []byte("global: &g {report_dir: /tmp/reports, x: [*g]}\n"), "big.yml:1: global.x[0].x[0]: an alias that contains itself"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.b) > MaxFileSize {
				t.Fatalf("the file is %d bytes, over the size limit: it tests that instead", len(tt.b))
			}
			_, err := Load(tt.b, "big.yml")
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v\nwant %q", err, tt.want)
			}
		})
	}
}

// TestInlineMappingKeys: an API body's mapping is held to the same cap
// however high limits.max_body_keys is raised.
func TestInlineMappingKeys(t *testing.T) {
	cfg, err := Load([]byte(strings.Replace(apiConfig, "max_body_keys: 200", "max_body_keys: 1000000", 1)), "api.yml")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(`{"name":"x","url":"http://127.0.0.1:1/v1","model":"m","labels":{`)
	for k := range strictyaml.MaxMappingKeys + 1 {
		if k > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"k%d":"v"`, k)
	}
	b.WriteString("}}")
	_, err = inlineTarget(cfg, []byte(b.String()))
	if want := "labels: 10001 keys, over the limit of 10000 keys in one mapping"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want %q", err, want)
	}
}
