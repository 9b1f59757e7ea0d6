package traces

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

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
			_, err := Load(c.kind, path)
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
	recs, err := Load("mooncake", "testdata/mooncake.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	dropped, err := Fit(recs, 700, false)
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
	cut, err := Fit(recs, 600, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(cut) != 5 || cut[0].Input != 600 || len(cut[0].HashIDs) != 2 || recs[0].Input != 1100 {
		t.Errorf("cut to %d requests, the first %d tokens in %d blocks (the trace's own: %d)", len(cut), cut[0].Input, len(cut[0].HashIDs), recs[0].Input)
	}
	if _, err := Fit(recs, 10, false); err == nil {
		t.Error("a limit under every request kept some")
	}
}
