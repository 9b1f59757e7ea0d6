package config

import (
	"os"
	"path/filepath"
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
	if _, err := Load([]byte(strings.Replace(good, synth,
		"dataset: {kind: sharegpt, path: ../dataset/testdata/sharegpt.json, tokenizer: 'hf:acme/model@v2', max_input_tokens: 512, truncate_input: true}", 1)), "good.yml"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, dataset, want string }{
		{"unknown tokenizer", "{kind: synthetic, input_tokens: 8, output_tokens: 4, tokenizer: gpt2}",
			`bad.yml:11: workloads[0].dataset.tokenizer: tokenizer: want cl100k_base or o200k_base`},
		{"bad hub tokenizer", "{kind: synthetic, input_tokens: 8, output_tokens: 4, tokenizer: 'hf:nobody'}",
			`workloads[0].dataset.tokenizer: tokenizer "hf:nobody": hub repo "nobody": want owner/name`},
		{"limit without tokenizer", "{kind: sharegpt, path: x.json, max_input_tokens: 10}",
			`workloads[0].dataset.max_input_tokens: needs dataset.tokenizer`},
		{"negative limit", "{kind: sharegpt, path: ../dataset/testdata/sharegpt.json, tokenizer: cl100k_base, max_input_tokens: -1}",
			`workloads[0].dataset.max_input_tokens: must not be negative`},
		{"limit on synthetic", "{kind: synthetic, input_tokens: 8, output_tokens: 4, tokenizer: cl100k_base, max_input_tokens: 10}",
			`workloads[0].dataset.max_input_tokens: applies to data files`},
		{"truncate without limit", "{kind: sharegpt, path: ../dataset/testdata/sharegpt.json, tokenizer: cl100k_base, truncate_input: true}",
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
	cfg, err = Load([]byte(good), "good.yml")
	if err != nil {
		t.Fatal(err)
	}
	w, err := inlineWorkload(cfg, []byte(`{"dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":4,"tokenizer":"cl100k_base","prefix_tokens":8,"prefixes":2,"turns":2},"arrival":{"kind":"concurrency","concurrency":1},"requests":2}`))
	if err != nil || w.Dataset.Tokenizer != dataset.TokenizerRef("cl100k_base") || w.Dataset.Turns != 2 {
		t.Fatalf("%+v %v", w, err)
	}
	// A tokenizer.json is a local file: an API body may not name one,
	// whether it exists or not, and the answer is the same either way.
	for _, path := range []string{"/etc/hostname.json", "/no/such/tokenizer.json"} {
		_, err := inlineWorkload(cfg, []byte(`{"dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":4,"tokenizer":"`+path+`"},"arrival":{"kind":"concurrency","concurrency":1},"requests":2}`))
		if err == nil || !strings.Contains(err.Error(), "dataset.tokenizer: an API body may not name a local file") || strings.Contains(err.Error(), path) {
			t.Errorf("inline tokenizer %s: %v", path, err)
		}
	}
}

// A capacity workload ends by itself, takes its search settings from the
// arrival, and rejects a request cap or a duration, which it would ignore.
func TestCapacityWorkload(t *testing.T) {
	const arrival = "arrival: {kind: poisson, rate: 2}\n    requests: 5"
	_, err := Load([]byte(strings.Replace(good, arrival,
		"arrival: {kind: capacity, rate: 2, step_duration: 5s, max_steps: 6, slo_objective: 0.9}\n    slo: {ttft: 300ms}", 1)), "good.yml")
	if err == nil {
		t.Fatal("a capacity workload was accepted as a /probe module's workload")
	}
	if !strings.Contains(err.Error(), "has no request cap") {
		t.Fatalf("error %v", err)
	}
	noModule := strings.Split(good, "modules:")[0]
	cfg, err := Load([]byte(strings.Replace(noModule, arrival,
		"arrival: {kind: capacity, rate: 2, step_duration: 5s, max_steps: 6, slo_objective: 0.9}\n    slo: {ttft: 300ms}", 1)), "good.yml")
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Workload("w").Arrival
	if a.Kind != "capacity" || a.StepDuration.D().Seconds() != 5 || a.MaxSteps != 6 || a.Objective != 0.9 || a.Rate != 2 {
		t.Fatalf("arrival %+v", a)
	}
	for _, tc := range []struct{ arrival, want string }{
		{"arrival: {kind: capacity}\n    requests: 5", "workloads[0]: a capacity search runs arrival.max_steps steps"},
		{"arrival: {kind: capacity}\n    duration: 1m", "leave requests and duration unset"},
		{"arrival: {kind: capacity, slo_objective: 95}", "workloads[0].arrival: arrival capacity: slo_objective must be a share between 0 and 1"},
		{"arrival: {kind: capacity, max_steps: 1000}", "max_steps must be from 1 to 100"},
		{"arrival: {kind: capacity, step_duration: -1s}", "arrival.step_duration: not a duration (want e.g. 500ms, 1.5s, 30s, 5m, 1h30m, 7d; never negative)"},
		{"arrival: {kind: capacity, rate: -3}", "rate, the first step's requests per second, must not be negative"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			_, err := Load([]byte(strings.Replace(noModule, arrival, tc.arrival, 1)), "bad.yml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v\nwant an error containing %q", err, tc.want)
			}
		})
	}
	shared := strings.Replace(strings.Replace(noModule, arrival, "arrival: {kind: capacity}", 1), "    workload: w\n", "    workload: w\n    load_share: true\n", 1)
	if _, err := Load([]byte(shared), "bad.yml"); err == nil || !strings.Contains(err.Error(), "schedules[0].load_share: a capacity search runs on one replica") {
		t.Fatalf("load_share capacity schedule: %v", err)
	}
}

// The README's workload snippets (tokenizers, prefixes, capacity) load as
// written, beside a target for their schedules.
func TestReadmeWorkloadSnippets(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, block := range strings.Split(string(b), "```yaml\n")[1:] {
		snippet, _, _ := strings.Cut(block, "```")
		if !strings.HasPrefix(snippet, "workloads:") {
			continue
		}
		n++
		cfg := "targets:\n  - {name: vllm, url: 'http://127.0.0.1:8000/v1', model: m}\n" + snippet
		if _, err := Load([]byte(cfg), "README snippet"); err != nil {
			t.Errorf("%v\n%s", err, snippet)
		}
	}
	if n < 2 {
		t.Fatalf("%d workload snippets in the README, want the prefix and capacity ones", n)
	}
}
