package config

import (
	"fmt"
	"strings"
	"testing"
)

// TestKeyCounts: a file under the size limit with more keys than the
// decoder's pairwise duplicate check can take in good time is refused
// before it is decoded, naming the mapping's field and line. The files
// are generated: they are megabytes.
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
	// An anchor of 9,000 labels used by 12 targets: 108,000 keys once
	// the decoder expands the aliases.
	var aliased strings.Builder
	aliased.WriteString("global: {report_dir: /tmp/reports}\nlabels: &l\n")
	for k := range 9000 {
		fmt.Fprintf(&aliased, "  k%d: v\n", k)
	}
	aliased.WriteString("targets:\n")
	for i := range 12 {
		fmt.Fprintf(&aliased, "  - {name: t%d, url: 'http://127.0.0.1:1/v1', model: m, labels: *l}\n", i)
	}
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"150,000 labels", file(1, 150_000), "big.yml:6: targets[0].labels: 150000 keys, over the limit of 10000 keys in one mapping"},
		{"the most labels allowed", file(1, MaxMappingKeys), ""},
		{"10 targets of 10,000 labels", file(10, 10_000), "big.yml:90042: targets[9].labels: the file has more than 100000 keys, the limit of a config file (counted up to here)"},
		{"aliases count each time", []byte(aliased.String()), "big.yml:9014: targets[10].labels: the file has more than 100000 keys"},
		{"a cycle of aliases ends", []byte("global: &g {report_dir: /tmp/reports, x: [*g]}\n"), "global: unknown field x"},
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
	for k := range MaxMappingKeys + 1 {
		if k > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"k%d":"v"`, k)
	}
	b.WriteString("}}")
	_, err = cfg.InlineTarget([]byte(b.String()))
	if want := "labels: 10001 keys, over the limit of 10000 keys in one mapping"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want %q", err, want)
	}
}
