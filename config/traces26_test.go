package config

import (
	"strings"
	"testing"
)

// A public trace's workload names no arrival: it replays at the trace's
// own times; an arrival given still wins.
func TestTraceDatasetReplaysByDefault(t *testing.T) {
	const synth = "dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}\n    arrival: {kind: poisson, rate: 2}"
	if !strings.Contains(good, synth) {
		t.Fatal("the good config changed shape")
	}
	for _, tc := range []struct{ text, kind string }{
		{"dataset: {kind: mooncake, path: ../dataset/testdata/mooncake.jsonl}\n    arrival: {compression_ratio: 2}", "replay"},
		{"dataset: {kind: azure, path: ../dataset/testdata/azure_conv.csv}\n    arrival: {workload_range: [0, 2]}", "replay"},
		{"dataset: {kind: burstgpt, path: ../dataset/testdata/burstgpt.csv}\n    arrival: {rate: 3}", "poisson"},
	} {
		cfg, err := Load([]byte(strings.Replace(good, synth, tc.text, 1)), "good.yml")
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.Workload("w").Arrival.Kind; got != tc.kind {
			t.Errorf("%s: arrival %q, want %q", tc.text, got, tc.kind)
		}
	}
}
