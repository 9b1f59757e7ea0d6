package dataset

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
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
	{"mooncake", "testdata/mooncake.jsonl", traceWant{
		offsets: []float64{0, 0.25, 0.25, 1.83, 2.4},
		input:   []int{1100, 700, 1300, 90, 520},
		output:  []int{12, 5, 9, 3, 7},
	}},
	{"azure", "testdata/azure_conv.csv", traceWant{
		offsets: []float64{0, 4.314579, 4.521011, 5.82341},
		input:   []int{374, 396, 879, 91},
		output:  []int{44, 109, 25, 7},
	}},
	{"burstgpt", "testdata/burstgpt.csv", traceWant{
		offsets: []float64{0, 40, 113, 114},
		input:   []int{472, 1087, 417, 1360},
		output:  []int{18, 1, 276, 185}, // a failed request's 0 asks for 1
	}},
}

// TestTraceReplayTimesAndLengths: every request is due at its trace time ÷
// the compression ratio and, under cl100k_base, its prompt is exactly its
// recorded input length.
func TestTraceReplayTimesAndLengths(t *testing.T) {
	tok, err := LoadTokenizer(context.Background(), "cl100k_base", nil)
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
					n, err := CountTokens(tok, turn.Messages[0].Content)
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
	tok, err := LoadTokenizer(context.Background(), "cl100k_base", nil)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := LoadTrace("mooncake", "testdata/mooncake.jsonl")
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
			block := ids[i*MooncakeBlockTokens : min(len(ids), (i+1)*MooncakeBlockTokens)]
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
	spec := Spec{Dataset: "burstgpt", Path: "testdata/burstgpt.csv",
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
	spec := Spec{Dataset: "azure", Path: "testdata/azure_conv.csv", Seed: 3, Arrival: ArrivalSpec{Kind: "constant", Rate: 5}}
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

// TestTraceErrors: bad input names the file, the line and the column, and
// refuses the whole trace.
func TestTraceErrors(t *testing.T) {
	for _, c := range []struct {
		name, kind, file, text, want string
	}{
		{"csv missing column", "azure", "a.csv", "TIMESTAMP,ContextTokens\n2023-11-16 18:15:46.68,3\n",
			`a.csv: line 1: missing column "GeneratedTokens"`},
		{"csv short line", "azure", "a.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,3,4\n2023-11-16 18:15:47,3\n",
			`a.csv: line 3: column 3 ("GeneratedTokens"): missing`},
		{"csv negative", "burstgpt", "b.csv", "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n1,ChatGPT,5,3,8,x\n2,ChatGPT,-4,3,-1,x\n",
			`b.csv: line 3: column 3 ("Request tokens"): a length must not be negative, got -4`},
		{"csv out of order", "burstgpt", "b.csv", "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n5,ChatGPT,5,3,8,x\n4,ChatGPT,4,3,7,x\n",
			`b.csv: line 3: column 1 ("Timestamp"): timestamps out of order`},
		{"csv bad time", "azure", "a.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\nyesterday,3,4\n",
			`a.csv: line 2: column 1 ("TIMESTAMP"): want a time`},
		{"csv fractional length", "azure", "a.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,3.5,4\n",
			`a.csv: line 2: column 2 ("ContextTokens"): want a whole number`},
		{"jsonl missing", "mooncake", "m.jsonl", `{"timestamp": 0, "input_length": 3}` + "\n",
			`m.jsonl: line 1: column "output_length": missing`},
		{"jsonl negative", "mooncake", "m.jsonl", `{"timestamp": 0, "input_length": 3, "output_length": 1}` + "\n\n" + `{"timestamp": 1, "input_length": 3, "output_length": -2}`,
			`m.jsonl: line 3: column "output_length": a length must not be negative, got -2`},
		{"jsonl out of order", "mooncake", "m.jsonl", `{"timestamp": 9, "input_length": 3, "output_length": 1}` + "\n" + `{"timestamp": 1, "input_length": 3, "output_length": 1}`,
			`m.jsonl: line 2: column "timestamp": timestamps out of order`},
		{"jsonl too many blocks", "mooncake", "m.jsonl", `{"timestamp": 0, "input_length": 600, "output_length": 1, "hash_ids": [1, 2, 3]}`,
			`m.jsonl: line 1: column "hash_ids": 3 blocks`},
		{"jsonl empty prompt", "mooncake", "m.jsonl", `{"timestamp": 0, "input_length": 0, "output_length": 1}`,
			`m.jsonl: line 1: column "input_length": a prompt needs at least 1 token`},
		{"jsonl over the limit", "mooncake", "m.jsonl", `{"timestamp": 0, "input_length": 99999999, "output_length": 1}`,
			`over the limit`},
		{"empty", "azure", "a.csv", "", "the file is empty"},
		{"header only", "azure", "a.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n", "no requests in the trace"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), c.file)
			if err := os.WriteFile(path, []byte(c.text), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadTrace(c.kind, path)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error holding %q", err, c.want)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("%v does not name the file", err)
			}
		})
	}
}

func fuzzTrace(f *testing.F, kind, fixture string) {
	if b, err := os.ReadFile(fixture); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := traceKinds[kind]("fuzz", strings.NewReader(string(b)))
		if err != nil {
			return
		}
		for i, r := range recs {
			if r.Input < 1 || r.Output < 0 || r.Input > maxTraceLength || r.Offset < 0 || i > 0 && r.Offset < recs[i-1].Offset {
				t.Fatalf("record %d passed the checks: %+v", i, r)
			}
			if len(r.HashIDs)*MooncakeBlockTokens >= r.Input+MooncakeBlockTokens {
				t.Fatalf("record %d has more blocks than its length: %+v", i, r)
			}
		}
	})
}

func FuzzMooncake(f *testing.F) { fuzzTrace(f, "mooncake", "testdata/mooncake.jsonl") }
func FuzzAzure(f *testing.F)    { fuzzTrace(f, "azure", "testdata/azure_conv.csv") }
func FuzzBurstGPT(f *testing.F) { fuzzTrace(f, "burstgpt", "testdata/burstgpt.csv") }

// TestTraceMaxInputTokens: a limit drops longer requests, or cuts them
// with their blocks past it.
func TestTraceMaxInputTokens(t *testing.T) {
	recs, err := LoadTrace("mooncake", "testdata/mooncake.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	dropped, err := fitTrace(recs, 700, false)
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, r := range dropped {
		lines = append(lines, r.Line)
	}
	if !slices.Equal(lines, []int{2, 4, 5}) {
		t.Errorf("kept lines %v, want [2 4 5]", lines)
	}
	cut, err := fitTrace(recs, 600, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(cut) != 5 || cut[0].Input != 600 || len(cut[0].HashIDs) != 2 || recs[0].Input != 1100 {
		t.Errorf("cut to %d requests, the first %d tokens in %d blocks (the trace's own: %d)", len(cut), cut[0].Input, len(cut[0].HashIDs), recs[0].Input)
	}
	if _, err := fitTrace(recs, 10, false); err == nil {
		t.Error("a limit under every request kept some")
	}
}

// TestTraceExactUnderEveryTokenizer: every test tokenizer, the Hugging
// Face ones included, gets prompts of exactly the recorded length, and
// Mooncake's shared blocks stay shared text wherever a block is whole.
func TestTraceExactUnderEveryTokenizer(t *testing.T) {
	recs, err := LoadTrace("mooncake", "testdata/mooncake.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range testTokenizers {
		t.Run(string(ref), func(t *testing.T) {
			tok, err := LoadTokenizer(context.Background(), ref, nil)
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
				if n, err := CountTokens(tok, text); err != nil || n != rec.Input {
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
			if n, _ := CountTokens(tok, a[:common]); n < 2*MooncakeBlockTokens-1 {
				t.Errorf("lines 1 and 3 share %d tokens of text, want their two blocks", n)
			}
		})
	}
}
