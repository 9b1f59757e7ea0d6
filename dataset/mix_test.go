package dataset

import (
	"strings"
	"testing"
)

func TestBatched(t *testing.T) {
	convs := []Conversation{
		{ID: "1", Turns: []Turn{{Messages: []Message{{Role: "system", Content: "sys"}, {Role: "user", Content: "a b"}}, InputTokens: 5}, {Messages: []Message{{Role: "user", Content: "later"}}}}},
		{ID: "2", Turns: []Turn{{Messages: []Message{{Role: "user", Content: "c d e"}}}}},
		{ID: "3", Turns: []Turn{{Messages: []Message{{Role: "user", Content: "f"}}, InputTokens: 1}}},
	}
	for _, c := range []struct {
		n        int
		inputs   [][]string
		tokens   []int
		finished bool
	}{
		{1, [][]string{{"sys\na b"}, {"c d e"}, {"f"}}, []int{5, 3, 1}, true},
		{2, [][]string{{"sys\na b", "c d e"}, {"f"}}, []int{8, 1}, true},
		{0, [][]string{{"sys\na b"}, {"c d e"}, {"f"}}, []int{5, 3, 1}, true},
	} {
		src := Batched(&listSource{convs: convs}, c.n)
		for i, want := range c.inputs {
			conv, ok := src.Next()
			if !ok || len(conv.Turns) != 1 {
				t.Fatalf("batch %d of %d: %v %v", i, c.n, conv, ok)
			}
			var got []string
			for _, m := range conv.Turns[0].Messages {
				got = append(got, m.Content)
			}
			if strings.Join(got, "|") != strings.Join(want, "|") || conv.Turns[0].InputTokens != c.tokens[i] {
				t.Errorf("batch %d of %d: %q (%d tokens), want %q (%d)", i, c.n, got, conv.Turns[0].InputTokens, want, c.tokens[i])
			}
		}
		if _, ok := src.Next(); ok {
			t.Errorf("batches of %d go on past the source", c.n)
		}
	}
}

func TestWithModels(t *testing.T) {
	draw := func(seed uint64) map[string]int {
		src, err := NewSynthetic(SyntheticSpec{InputTokens: 2, OutputTokens: 1, Turns: 2}, 1)
		if err != nil {
			t.Fatal(err)
		}
		src = WithModels(src, []string{"a", "b", "c"}, []float64{1, 3, 0.0001}, seed)
		n := map[string]int{}
		for range 4000 {
			conv, _ := src.Next()
			if conv.Turns[0].Model != conv.Turns[1].Model {
				t.Fatal("a session changed model")
			}
			n[conv.Turns[0].Model]++
		}
		return n
	}
	n := draw(3)
	// 1000 and 3000 expected, σ ≈ 27; c's weight is tiny but not zero.
	if n["a"] < 880 || n["a"] > 1120 || n["b"] < 2880 || n["b"] > 3120 || n["a"]+n["b"]+n["c"] != 4000 {
		t.Errorf("drawn %v, want about a=1000 b=3000", n)
	}
	if again := draw(3); again["a"] != n["a"] || again["c"] != n["c"] {
		t.Errorf("the same seed drew %v, then %v", n, again)
	}
}
