package loadgen

import (
	"context"
	"testing"

	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/tokenizer"
)

// A later turn's input is the history plus its own messages; with a
// tokenizer, it is counted with the tokenizer, not as words (the audit
// read 130/195 for a true 210/320).
func TestLaterTurnsInputCountedByTokenizer(t *testing.T) {
	wp, err := tokenizer.Load(context.Background(), "../tokenizer/testdata/tokenizers/wordpiece.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	w := newWindow(t, &countingServer{}, dataset.ArrivalSpec{Kind: "concurrency", Concurrency: 1})
	w.Requests, w.Source, w.Target.Tokenizer = 2, multiTurn(2), wp
	var c collector
	if _, err := w.Run(context.Background(), c.add); err != nil {
		t.Fatal(err)
	}
	if len(c.results) != 2 {
		t.Fatalf("%d results", len(c.results))
	}
	second := c.results[1]
	if second.Index == 0 {
		second = c.results[0]
	}
	// The history: the first turn ("q "), the answer "ab", then "q q ".
	want := 0
	for _, s := range []string{"q ", "ab", "q q "} {
		n, _ := tokenizer.Count(wp, s)
		want += n
	}
	if words := 4; want == words {
		t.Fatalf("the test needs a count that differs from the words' %d", words)
	}
	if second.RequestedInputTokens != want {
		t.Errorf("second turn's input %d tokens, want the tokenizer's %d", second.RequestedInputTokens, want)
	}
}
