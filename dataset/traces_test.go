package dataset

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/tokenizer"
	"github.com/inferno-llm/inferno/traces"
)

// traceWant is what a fixture records, written out by hand from the file.
type traceWant struct {
	offsets []float64 // seconds from the first request
	input   []int
	output  []int
}

var traceFixtures = []struct {
	kind, path string
	want       traceWant
}{
	{"mooncake", "../traces/testdata/mooncake.jsonl", traceWant{
		offsets: []float64{0, 0.25, 0.25, 1.83, 2.4},
		input:   []int{1100, 700, 1300, 90, 520},
		output:  []int{12, 5, 9, 3, 7},
	}},
	{"azure", "../traces/testdata/azure_conv.csv", traceWant{
		offsets: []float64{0, 4.314579, 4.521011, 5.82341},
		input:   []int{374, 396, 879, 91},
		output:  []int{44, 109, 25, 7},
	}},
	{"burstgpt", "../traces/testdata/burstgpt.csv", traceWant{
		offsets: []float64{0, 40, 113, 114},
		input:   []int{472, 1087, 417, 1360},
		output:  []int{18, 1, 276, 185}, // a failed request's 0 asks for 1
	}},
}

// TestTraceReplayTimesAndLengths: every request is due at its trace time ÷
// the compression ratio and, under cl100k_base, its prompt is exactly its
// recorded input length.
func TestTraceReplayTimesAndLengths(t *testing.T) {
	tok, err := tokenizer.Load(context.Background(), "cl100k_base", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, ratio := range []float64{1, 4} {
		for _, f := range traceFixtures {
			t.Run(f.kind, func(t *testing.T) {
				spec := Spec{Dataset: f.kind, Path: f.path, Seed: 7, Tokenizer: "cl100k_base",
					Arrival: ArrivalSpec{Kind: "replay", CompressionRatio: ratio}}
				arr, src, err := spec.build(context.Background(), tok)
				if err != nil {
					t.Fatal(err)
				}
				for i := range f.want.input {
					at, ok := arr.Next()
					if !ok {
						t.Fatalf("the arrival ended after %d requests, want %d", i, len(f.want.input))
					}
					want := time.Duration(math.Round(f.want.offsets[i] / ratio * 1e9))
					if d := at - want; d < -time.Microsecond || d > time.Microsecond {
						t.Errorf("request %d due at %v, want %v", i, at, want)
					}
					c, ok := src.Next()
					if !ok {
						t.Fatalf("the source ended after %d requests", i)
					}
					turn := c.Turns[0]
					n, err := tokenizer.Count(tok, turn.Messages[0].Content)
					if err != nil {
						t.Fatal(err)
					}
					if n != f.want.input[i] || turn.InputTokens != f.want.input[i] {
						t.Errorf("request %d: prompt of %d tokens (intended %d), want %d", i, n, turn.InputTokens, f.want.input[i])
					}
					if turn.MaxTokens != f.want.output[i] {
						t.Errorf("request %d: max_tokens %d, want %d", i, turn.MaxTokens, f.want.output[i])
					}
				}
				if _, ok := arr.Next(); ok {
					t.Error("the arrival goes on past the trace")
				}
				if _, ok := src.Next(); ok {
					t.Error("the source goes on past the trace")
				}
			})
		}
	}
}

// TestMooncakeSharedBlocks: requests holding a hash id hold the same 512
// tokens at that block; blocks of different ids differ.
func TestMooncakeSharedBlocks(t *testing.T) {
	tok, err := tokenizer.Load(context.Background(), "cl100k_base", nil)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := traces.Load("mooncake", "../traces/testdata/mooncake.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	_, src, err := NewTraceReplay(recs, ArrivalSpec{Kind: "replay"}, SourceOptions{}, tok, 1)
	if err != nil {
		t.Fatal(err)
	}
	blocks := map[int64][]int{}
	for _, rec := range recs {
		c, _ := src.Next()
		ids, err := tok.Encode(c.Turns[0].Messages[0].Content)
		if err != nil {
			t.Fatal(err)
		}
		for i, h := range rec.HashIDs {
			block := ids[i*traces.MooncakeBlockTokens : min(len(ids), (i+1)*traces.MooncakeBlockTokens)]
			prev, seen := blocks[h]
			switch {
			case !seen:
				blocks[h] = block
			case !slices.Equal(prev, block):
				t.Errorf("line %d: block %d (hash id %d) differs from the earlier request's", rec.Line, i, h)
			}
		}
	}
	if slices.Equal(blocks[1], blocks[3]) || slices.Equal(blocks[0], blocks[5]) {
		t.Error("blocks of different hash ids are the same")
	}
	if len(blocks) != 8 {
		t.Errorf("%d distinct blocks, want 8", len(blocks))
	}
}

// TestTraceWorkloadRange: a range selects requests by position and the
// first selected is sent at once; without a tokenizer lengths are words.
func TestTraceWorkloadRange(t *testing.T) {
	spec := Spec{Dataset: "burstgpt", Path: "../traces/testdata/burstgpt.csv",
		Arrival: ArrivalSpec{Kind: "replay", CompressionRatio: 10, WorkloadRange: []int{2, 4}}}
	arr, src, err := spec.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var at []time.Duration
	var words []int
	for {
		d, ok := arr.Next()
		if !ok {
			break
		}
		c, _ := src.Next()
		at = append(at, d)
		words = append(words, len(strings.Fields(c.Turns[0].Messages[0].Content)))
	}
	if !slices.Equal(at, []time.Duration{0, 100 * time.Millisecond}) || !slices.Equal(words, []int{417, 1360}) {
		t.Errorf("due at %v with %v words, want [0 100ms] with [417 1360]", at, words)
	}
	spec.Arrival.WorkloadRange = []int{3, 9}
	if _, _, err := spec.Build(context.Background()); err == nil || !strings.Contains(err.Error(), "workload_range") {
		t.Errorf("a range past the trace: %v", err)
	}
}

// TestTraceSampledAtRate: a trace's lengths at an arrival of its own.
func TestTraceSampledAtRate(t *testing.T) {
	spec := Spec{Dataset: "azure", Path: "../traces/testdata/azure_conv.csv", Seed: 3, Arrival: ArrivalSpec{Kind: "constant", Rate: 5}}
	_, src, err := spec.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]string{}
	repeats := 0
	for range 20 {
		c, ok := src.Next()
		if !ok {
			t.Fatal("a sampled trace ended")
		}
		n := c.Turns[0].InputTokens
		if !slices.Contains(traceFixtures[1].want.input, n) {
			t.Fatalf("input length %d is not the trace's", n)
		}
		// A request drawn again is another request, not a cache hit.
		text := c.Turns[0].Messages[0].Content
		if prev, ok := seen[n]; ok {
			repeats++
			if prev == text {
				t.Errorf("a request of %d tokens drawn twice sent the same prompt", n)
			}
		}
		seen[n] = text
	}
	if repeats == 0 {
		t.Error("20 draws of 4 requests drew none twice")
	}
}

// TestTraceExactUnderEveryTokenizer: every test tokenizer, the Hugging
// Face ones included, gets prompts of exactly the recorded length, and
// Mooncake's shared blocks stay shared text wherever a block is whole.
func TestTraceExactUnderEveryTokenizer(t *testing.T) {
	recs, err := traces.Load("mooncake", "../traces/testdata/mooncake.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range testTokenizers {
		t.Run(string(ref), func(t *testing.T) {
			tok, err := tokenizer.Load(context.Background(), ref, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, src, err := NewTraceReplay(recs, ArrivalSpec{Kind: "replay"}, SourceOptions{}, tok, 9)
			if err != nil {
				t.Fatal(err)
			}
			var prompts []string
			for _, rec := range recs {
				c, ok := src.Next()
				if !ok {
					t.Fatal("the source ended early")
				}
				text := c.Turns[0].Messages[0].Content
				if n, err := tokenizer.Count(tok, text); err != nil || n != rec.Input {
					t.Errorf("line %d: %d tokens, want %d", rec.Line, n, rec.Input)
				}
				prompts = append(prompts, text)
			}
			// Lines 1 and 3 share their first two whole blocks.
			a, b := prompts[0], prompts[2]
			common := 0
			for common < min(len(a), len(b)) && a[common] == b[common] {
				common++
			}
			if n, _ := tokenizer.Count(tok, a[:common]); n < 2*traces.MooncakeBlockTokens-1 {
				t.Errorf("lines 1 and 3 share %d tokens of text, want their two blocks", n)
			}
		})
	}
}
