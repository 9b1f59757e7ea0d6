package dataset

import (
	"context"
	"strings"
	"testing"

	"github.com/inferno-llm/inferno/tokenizer"
)

// The tokenizers every test runs against: both embedded tiktoken encodings
// and two tokenizer.json files written by tokenizer's
// testdata/tokenizers/make.py.
var testTokenizers = []TokenizerRef{"cl100k_base", "o200k_base", "../tokenizer/testdata/tokenizers/bpe.json", "../tokenizer/testdata/tokenizers/wordpiece.json"}

func loadTok(t *testing.T, ref TokenizerRef) tokenizer.Tokenizer {
	t.Helper()
	tok, err := tokenizer.Load(context.Background(), ref, nil)
	if err != nil {
		t.Fatalf("load %s: %v", ref, err)
	}
	return tok
}

func count(t *testing.T, tok tokenizer.Tokenizer, s string) int {
	t.Helper()
	n, err := tokenizer.Count(tok, s)
	if err != nil {
		t.Fatalf("count: %v", err)
	}
	return n
}

// A synthetic prompt is exactly its intended number of tokens, for each
// length and with a spread, in every tokenizer.
func TestSyntheticExactTokens(t *testing.T) {
	for _, ref := range testTokenizers {
		for _, spec := range []SyntheticSpec{
			{InputTokens: 1, OutputTokens: 4},
			{InputTokens: 7, OutputTokens: 4},
			{InputTokens: 256, OutputTokens: 4},
			{InputTokens: 100, OutputTokens: 4, Spread: 0.5},
		} {
			t.Run(string(ref), func(t *testing.T) {
				tok := loadTok(t, ref)
				src, err := NewSyntheticTokenized(spec, 3, tok)
				if err != nil {
					t.Fatal(err)
				}
				lengths := map[int]bool{}
				for range 20 {
					c, ok := src.Next()
					if !ok || len(c.Turns) != 1 {
						t.Fatalf("Next = %v, %v", c, ok)
					}
					turn := c.Turns[0]
					got := count(t, tok, turn.Messages[0].Content)
					if got != turn.InputTokens {
						t.Fatalf("prompt %q: %d tokens, intended %d", turn.Messages[0].Content, got, turn.InputTokens)
					}
					lo, hi := spec.InputTokens, spec.InputTokens
					if spec.Spread > 0 {
						lo, hi = int(float64(lo)*(1-spec.Spread)), int(float64(hi)*(1+spec.Spread))
					}
					if got < lo || got > hi {
						t.Fatalf("%d tokens, want within [%d, %d]", got, lo, hi)
					}
					lengths[got] = true
				}
				if spec.Spread > 0 && len(lengths) < 2 {
					t.Fatalf("spread %v gave one length: %v", spec.Spread, lengths)
				}
			})
		}
	}
}

// The same seed makes the same prompts; another seed others.
func TestSyntheticTokenizedSeeded(t *testing.T) {
	tok := loadTok(t, "cl100k_base")
	spec := SyntheticSpec{InputTokens: 32, OutputTokens: 8, PrefixTokens: 16, Prefixes: 2}
	first := func(seed uint64) string {
		src, err := NewSyntheticTokenized(spec, seed, tok)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := src.Next()
		return c.Turns[0].Messages[0].Content
	}
	if a, b := first(5), first(5); a != b {
		t.Fatalf("seed 5 twice: %q != %q", a, b)
	}
	if a, b := first(5), first(6); a == b {
		t.Fatalf("seeds 5 and 6 made the same prompt %q", a)
	}
}

// Every prompt starts with one of the shared prefixes, all are used, and
// the whole is exactly prefix_tokens + input_tokens.
func TestSyntheticPrefixes(t *testing.T) {
	for _, ref := range []TokenizerRef{"", "o200k_base", "../tokenizer/testdata/tokenizers/bpe.json"} {
		t.Run(string(ref), func(t *testing.T) {
			var tok tokenizer.Tokenizer
			if ref != "" {
				tok = loadTok(t, ref)
			}
			spec := SyntheticSpec{InputTokens: 20, OutputTokens: 4, PrefixTokens: 50, Prefixes: 3}
			src, err := NewSyntheticTokenized(spec, 11, tok)
			if err != nil {
				t.Fatal(err)
			}
			s := src.(*synthetic)
			if len(s.prefixes) != 3 {
				t.Fatalf("%d prefixes, want 3", len(s.prefixes))
			}
			used := map[int]int{}
			for range 60 {
				c, _ := src.Next()
				text := c.Turns[0].Messages[0].Content
				k := -1
				for i, p := range s.prefixes {
					if strings.HasPrefix(text, p) {
						k = i
					}
				}
				if k < 0 {
					t.Fatalf("prompt %q starts with no prefix", text)
				}
				used[k]++
				if c.Turns[0].InputTokens != 70 {
					t.Fatalf("intended %d tokens, want 70", c.Turns[0].InputTokens)
				}
				if tok != nil {
					if n := count(t, tok, text); n != 70 {
						t.Fatalf("prompt has %d tokens, want 70", n)
					}
				} else if n := len(strings.Fields(text)); n != 70 {
					t.Fatalf("prompt has %d words, want 70", n)
				}
			}
			if len(used) != 3 {
				t.Fatalf("prefixes used %v, want all 3", used)
			}
		})
	}
}

func TestSyntheticTurns(t *testing.T) {
	tok := loadTok(t, "cl100k_base")
	src, err := NewSyntheticTokenized(SyntheticSpec{InputTokens: 12, OutputTokens: 5, Turns: 3, PrefixTokens: 8}, 1, tok)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := src.Next()
	if len(c.Turns) != 3 {
		t.Fatalf("%d turns, want 3", len(c.Turns))
	}
	for i, turn := range c.Turns {
		want := 12
		if i == 0 {
			want = 20 // the prefix starts the session only
		}
		if n := count(t, tok, turn.Messages[0].Content); n != want || turn.MaxTokens != 5 {
			t.Fatalf("turn %d: %d tokens (max %d), want %d", i, n, turn.MaxTokens, want)
		}
		if intended := map[bool]int{true: 20, false: 0}[i == 0]; turn.InputTokens != intended {
			t.Fatalf("turn %d: intended length %d, want %d (later turns carry history)", i, turn.InputTokens, intended)
		}
	}
}

// Without a tokenizer nor the new fields, prompts are what they were (word
// counts; workload hashes of old configs stay the same).
func TestSyntheticWordsUnchanged(t *testing.T) {
	a, _ := NewSynthetic(SyntheticSpec{InputTokens: 5, OutputTokens: 3}, 7)
	b, _ := NewSyntheticTokenized(SyntheticSpec{InputTokens: 5, OutputTokens: 3}, 7, nil)
	for range 5 {
		ca, _ := a.Next()
		cb, _ := b.Next()
		if ca.Turns[0].Messages[0].Content != cb.Turns[0].Messages[0].Content {
			t.Fatal("New and NewTokenized(nil) differ")
		}
		if n := len(strings.Fields(ca.Turns[0].Messages[0].Content)); n != 5 {
			t.Fatalf("%d words, want 5", n)
		}
	}
}

func TestSyntheticSpecErrors(t *testing.T) {
	for _, tc := range []struct {
		spec SyntheticSpec
		want string
	}{
		{SyntheticSpec{InputTokens: 1, OutputTokens: 1, Prefixes: 2}, "needs prefix_tokens"},
		{SyntheticSpec{InputTokens: 1, OutputTokens: 1, PrefixTokens: -1}, "must not be negative"},
		{SyntheticSpec{InputTokens: 1, OutputTokens: 1, Turns: 5000}, "turns must be at most"},
	} {
		if err := tc.spec.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.spec, err, tc.want)
		}
	}
}

func TestFitInputTokens(t *testing.T) {
	tok := loadTok(t, "cl100k_base")
	long := strings.Repeat("the water ", 40) // 80 tokens
	convs := []Conversation{
		{ID: "short", Turns: []Turn{{Messages: []Message{{Role: "user", Content: "one two three"}}}}},
		{ID: "long", Turns: []Turn{{Messages: []Message{{Role: "system", Content: "be brief"}, {Role: "user", Content: long}}}}},
		{ID: "second-long", Turns: []Turn{
			{Messages: []Message{{Role: "user", Content: "hi there"}}},
			{Messages: []Message{{Role: "user", Content: long}}},
		}},
	}
	filtered, err := fitInputTokens(convs, tok, 30, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(filtered) != 2 || filtered[0].ID != "short" || filtered[1].ID != "second-long" || len(filtered[1].Turns) != 1 {
		t.Fatalf("filtered: %+v", filtered)
	}
	if filtered[0].Turns[0].InputTokens != 3 {
		t.Fatalf("counted %d tokens, want 3", filtered[0].Turns[0].InputTokens)
	}
	cut, err := fitInputTokens(convs, tok, 30, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(cut) != 3 || len(cut[1].Turns[0].Messages) != 2 {
		t.Fatalf("truncated: %+v", cut)
	}
	for _, c := range cut {
		for _, turn := range c.Turns {
			n := 0
			for _, m := range turn.Messages {
				n += count(t, tok, m.Content)
			}
			if n > 30 || n != turn.InputTokens {
				t.Fatalf("%s: %d tokens (recorded %d), want ≤ 30", c.ID, n, turn.InputTokens)
			}
		}
	}
	if got := cut[1].Turns[0].InputTokens; got < 28 {
		t.Fatalf("truncated to %d tokens, want close to 30", got)
	}
	if convs[1].Turns[0].Messages[1].Content != long {
		t.Fatal("truncation changed the loaded conversations")
	}
	if _, err := fitInputTokens(convs[1:2], tok, 10, false); err == nil || !strings.Contains(err.Error(), "leaves no conversation") {
		t.Fatalf("error %v, want no conversation left", err)
	}
}

func TestSynthetic(t *testing.T) {
	src, err := NewSynthetic(SyntheticSpec{InputTokens: 64, OutputTokens: 16}, 7)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := src.Next()
	p := c.Turns[0]
	if n := len(strings.Fields(p.Messages[0].Content)); n != 64 || p.InputTokens != 64 || p.MaxTokens != 16 {
		t.Errorf("prompt of %d words, input %d, max %d; want 64, 64, 16", n, p.InputTokens, p.MaxTokens)
	}
	again, _ := NewSynthetic(SyntheticSpec{InputTokens: 64, OutputTokens: 16}, 7)
	if q, _ := again.Next(); q.Turns[0].Messages[0].Content != p.Messages[0].Content {
		t.Error("same seed gave a different prompt")
	}
	spread, _ := NewSynthetic(SyntheticSpec{InputTokens: 100, OutputTokens: 100, Spread: 0.5}, 1)
	for range 200 {
		qc, _ := spread.Next()
		q := qc.Turns[0]
		if q.InputTokens < 50 || q.InputTokens > 150 || q.MaxTokens < 50 || q.MaxTokens > 150 {
			t.Fatalf("lengths %d/%d outside [50, 150]", q.InputTokens, q.MaxTokens)
		}
	}
	if _, err := NewSynthetic(SyntheticSpec{InputTokens: 0, OutputTokens: 1}, 1); err == nil {
		t.Error("zero input tokens accepted")
	}
}
