package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/internal/cli"
	"github.com/inferno-llm/inferno/internal/testutil"
	"github.com/inferno-llm/inferno/simulator"
	"github.com/inferno-llm/inferno/tokenizer"
	"github.com/inferno-llm/inferno/traces"
)

// TestRunPublicTraces: each public trace format replayed by inferno run
// against the simulator: every request intended at its trace time ÷ the
// compression ratio (the schedule's own record, not a timer) and received
// with a prompt of exactly its input_length tokens and its output_length
// as max_tokens.
func TestRunPublicTraces(t *testing.T) {
	tok, err := tokenizer.Load(context.Background(), "cl100k_base", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		kind, path, ratio string
		offsets           []float64 // trace seconds from the first request
		input, output     []int
	}{
		{"mooncake", "../traces/testdata/mooncake.jsonl", "4", []float64{0, 0.25, 0.25, 1.83, 2.4},
			[]int{1100, 700, 1300, 90, 520}, []int{12, 5, 9, 3, 7}},
		{"azure", "../traces/testdata/azure_conv.csv", "10", []float64{0, 4.314579, 4.521011, 5.82341},
			[]int{374, 396, 879, 91}, []int{44, 109, 25, 7}},
		{"burstgpt", "../traces/testdata/burstgpt.csv", "200", []float64{0, 40, 113, 114},
			[]int{472, 1087, 417, 1360}, []int{18, 1, 276, 185}},
	} {
		t.Run(c.kind, func(t *testing.T) {
			var got received
			srv := httptest.NewServer(simulator.New(simulator.Config{TTFT: time.Millisecond, ITL: 100 * time.Microsecond, OnRequest: got.hook}))
			defer srv.Close()
			dir := t.TempDir()
			// No --arrival: a trace replays at its own times by default.
			code := cli.Run([]string{"run", "--url", srv.URL + "/v1", "--api", "openai-chat", "--model", "sim",
				"--dataset", c.kind, "--dataset-path", c.path, "--tokenizer", "cl100k_base", "--compression-ratio", c.ratio,
				"--per-request", "--report-dir", dir, "--log.level", "warn", "--progress", "never"})
			if code != 0 {
				t.Fatalf("exit status %d", code)
			}
			r := testutil.OnlyReport(t, dir)
			if r.TotalRequestNum != len(c.input) || r.FailRate != 0 {
				t.Fatalf("requests %d, fail rate %v", r.TotalRequestNum, r.FailRate)
			}
			ratio := map[string]float64{"4": 4, "10": 10, "200": 200}[c.ratio]
			intended := perRequestIntended(t, dir)
			for i, want := range c.offsets {
				if math.Abs(intended[i]-want/ratio) > 1e-3 {
					t.Errorf("request %d intended at %.4f s, want %.4f s", i, intended[i], want/ratio)
				}
			}
			var lengths, outputs []int
			byLength := map[int][]int{}
			for _, b := range got.bodies {
				s, _ := firstUser(t, b)
				ids, err := tok.Encode(s)
				if err != nil {
					t.Fatal(err)
				}
				n := len(ids)
				byLength[n] = ids
				lengths = append(lengths, n)
				mt, _ := b["max_tokens"].(float64)
				if mt == 0 {
					mt, _ = b["max_completion_tokens"].(float64)
				}
				outputs = append(outputs, int(mt))
			}
			if c.kind == "mooncake" {
				// Lines 1, 2 and 3 share hash id 0, lines 1 and 3 also 1: as
				// the server received them, those blocks are the same tokens.
				l1, l2, l3 := byLength[1100], byLength[700], byLength[1300]
				const block = traces.MooncakeBlockTokens
				if len(l1) == 0 || len(l2) == 0 || len(l3) == 0 ||
					!slices.Equal(l1[:2*block], l3[:2*block]) || !slices.Equal(l1[:block], l2[:block]) || slices.Equal(l1[block:len(l2)], l2[block:]) {
					t.Error("the server did not receive Mooncake's shared blocks as shared prompt prefixes")
				}
			}
			// Requests due together reach the server in either order.
			sort.Ints(lengths)
			sort.Ints(outputs)
			wantIn, wantOut := slices.Sorted(slices.Values(c.input)), slices.Sorted(slices.Values(c.output))
			if !slices.Equal(lengths, wantIn) || !slices.Equal(outputs, wantOut) {
				t.Errorf("server received prompts of %v tokens asking %v, want %v asking %v", lengths, outputs, wantIn, wantOut)
			}
		})
	}
}

// perRequestIntended reads the intended send times of the per-request
// file, by request index.
func perRequestIntended(t *testing.T, dir string) []float64 {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "requests_*.jsonl"))
	if len(files) != 1 {
		t.Fatalf("%d per-request files, want 1", len(files))
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type line struct {
		Index    int     `json:"index"`
		Intended float64 `json:"intended_s"`
	}
	var lines []line
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].Index < lines[j].Index })
	out := make([]float64, len(lines))
	for i, l := range lines {
		out[i] = l.Intended
	}
	return out
}
