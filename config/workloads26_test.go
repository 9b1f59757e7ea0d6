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
		{"dataset: {kind: mooncake, path: ../traces/testdata/mooncake.jsonl}\n    arrival: {compression_ratio: 2}", "replay"},
		{"dataset: {kind: azure, path: ../traces/testdata/azure_conv.csv}\n    arrival: {workload_range: [0, 2]}", "replay"},
		{"dataset: {kind: burstgpt, path: ../traces/testdata/burstgpt.csv}\n    arrival: {rate: 3}", "poisson"},
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

// A model mix: weights default to 1; every mistake is named by field.
func TestModelMixSettings(t *testing.T) {
	const synth = "dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}"
	cfg, err := Load([]byte(strings.Replace(good, synth, synth+"\n    models: [{name: a}, {name: b, weight: 3}]", 1)), "good.yml")
	if err != nil {
		t.Fatal(err)
	}
	if m := cfg.Workload("w").Models; len(m) != 2 || m[0].Weight != 1 || m[1].Weight != 3 {
		t.Fatalf("decoded %+v", m)
	}
	for _, tc := range []struct{ models, want string }{
		{"[{name: a}, {name: a}]", `workloads[0].models[1].name: model "a" is listed twice`},
		{"[{name: a, weight: -1}]", `workloads[0].models[0].weight: want a positive weight, got -1`},
		{"[{weight: 2}]", `workloads[0].models[0].name: want a model name`},
	} {
		_, err := Load([]byte(strings.Replace(good, synth, synth+"\n    models: "+tc.models, 1)), "bad.yml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("models %s: got %v, want %q", tc.models, err, tc.want)
		}
	}
}

// Images: bounded where they enter, each mistake named by file, line and
// field.
func TestImageSettings(t *testing.T) {
	const synth = "dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}"
	cfg, err := Load([]byte(strings.Replace(good, synth, "dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4, images: 2}", 1)), "good.yml")
	if err != nil {
		t.Fatal(err)
	}
	if size, err := cfg.Workload("w").Dataset.ImageDimensions(); err != nil || size.W != 512 || size.H != 512 {
		t.Errorf("default size %v, %v", size, err)
	}
	for _, tc := range []struct{ dataset, want string }{
		{"{kind: synthetic, input_tokens: 8, output_tokens: 4, images: 1, image_size: 5000x10}",
			`bad.yml:11: workloads[0].dataset.image_size: image size 5000x10 is over the limit of 4096 pixels a side`},
		{"{kind: synthetic, input_tokens: 8, output_tokens: 4, images: 1, image_size: big}", `workloads[0].dataset.image_size: image size "big": want WIDTHxHEIGHT`},
		{"{kind: synthetic, input_tokens: 8, output_tokens: 4, images: 40}", `workloads[0].dataset.images: 40 images a request is over the limit of 32`},
		{"{kind: synthetic, input_tokens: 8, output_tokens: 4, images: -1}", `workloads[0].dataset.images: must not be negative`},
		{"{kind: synthetic, input_tokens: 8, output_tokens: 4, image_size: 64x64}", `workloads[0].dataset.image_size: needs dataset.images`},
		{"{kind: synthetic, input_tokens: 8, output_tokens: 4, images: 32, image_size: 2048x2048}", `over limits.max_prompt_bytes`},
	} {
		_, err := Load([]byte(strings.Replace(good, synth, "dataset: "+tc.dataset, 1)), "bad.yml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.dataset, err, tc.want)
		}
	}
}
