package config

import (
	"strings"
	"testing"

	"github.com/inferno-llm/inferno/dataset"
)

// Tokenizer, prefix and multi-turn settings: accepted where they make
// sense, each mistake named by file, line and field.
func TestTokenizerSettings(t *testing.T) {
	const synth = "dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}"
	cfg, err := Load([]byte(strings.Replace(good, synth,
		"dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4, tokenizer: o200k_base, prefix_tokens: 32, prefixes: 4, turns: 3}", 1)), "good.yml")
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Workload("w").Dataset
	if d.Tokenizer != "o200k_base" || d.PrefixTokens != 32 || d.Prefixes != 4 || d.Turns != 3 {
		t.Fatalf("decoded %+v", d)
	}
	spec, err := cfg.Workload("w").Spec(cfg.Global)
	if err != nil || spec.Tokenizer != "o200k_base" || spec.Synthetic.Prefixes != 4 || spec.Hub != nil {
		t.Fatalf("spec %+v, %v", spec, err)
	}
	hub, err := Load([]byte(strings.Replace(good, synth,
		"dataset: {kind: sharegpt, path: x.json, tokenizer: 'hf:acme/model@v2', max_input_tokens: 512, truncate_input: true}", 1)), "good.yml")
	if err != nil {
		t.Fatal(err)
	}
	if spec, err := hub.Workload("w").Spec(hub.Global); err != nil || spec.Hub == nil || spec.MaxInputTokens != 512 || !spec.TruncateInput {
		t.Fatalf("an hf: tokenizer needs the hub settings: %+v, %v", spec, err)
	}
	for _, tc := range []struct{ name, dataset, want string }{
		{"unknown tokenizer", "{kind: synthetic, input_tokens: 8, output_tokens: 4, tokenizer: gpt2}",
			`bad.yml:10: workloads[0].dataset.tokenizer: tokenizer "gpt2": want cl100k_base or o200k_base`},
		{"bad hub tokenizer", "{kind: synthetic, input_tokens: 8, output_tokens: 4, tokenizer: 'hf:nobody'}",
			`workloads[0].dataset.tokenizer: tokenizer "hf:nobody": hub repo "nobody": want owner/name`},
		{"limit without tokenizer", "{kind: sharegpt, path: x.json, max_input_tokens: 10}",
			`workloads[0].dataset.max_input_tokens: needs dataset.tokenizer`},
		{"negative limit", "{kind: sharegpt, path: x.json, tokenizer: cl100k_base, max_input_tokens: -1}",
			`workloads[0].dataset.max_input_tokens: must not be negative`},
		{"limit on synthetic", "{kind: synthetic, input_tokens: 8, output_tokens: 4, tokenizer: cl100k_base, max_input_tokens: 10}",
			`workloads[0].dataset.max_input_tokens: applies to data files`},
		{"truncate without limit", "{kind: sharegpt, path: x.json, tokenizer: cl100k_base, truncate_input: true}",
			`workloads[0].dataset.truncate_input: needs max_input_tokens`},
		{"prefixes without length", "{kind: synthetic, input_tokens: 8, output_tokens: 4, prefixes: 3}",
			`workloads[0].dataset: synthetic: prefixes 3 needs prefix_tokens`},
		{"negative turns", "{kind: synthetic, input_tokens: 8, output_tokens: 4, turns: -2}",
			`workloads[0].dataset: synthetic: prefix_tokens, prefixes and turns must not be negative`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load([]byte(strings.Replace(good, synth, "dataset: "+tc.dataset, 1)), "bad.yml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v\nwant an error containing %q", err, tc.want)
			}
		})
	}
	// The runs API's inline workloads take the same fields.
	w, err := InlineWorkload([]byte(`{"dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":4,"tokenizer":"cl100k_base","prefix_tokens":8,"prefixes":2,"turns":2},"arrival":{"kind":"concurrency","concurrency":1},"requests":2}`))
	if err != nil || w.Dataset.Tokenizer != dataset.TokenizerRef("cl100k_base") || w.Dataset.Turns != 2 {
		t.Fatalf("%+v %v", w, err)
	}
}
