package traces

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/inferno-llm/inferno/tokenizer"
)

// NewText returns the prompt maker for tok (nil: words, not tokens) and
// seed, failing now if tok has no single-token words to make prompts of.
func NewText(tok tokenizer.Tokenizer, seed uint64) (*Text, error) {
	t := &Text{tok: tok, seed: seed}
	if _, err := t.words(); err != nil {
		return nil, err
	}
	return t, nil
}

// Text makes prompts of recorded lengths. Every prompt is a run of
// single-token words, each with its leading space: a tokenizer's
// pre-tokenizer splits at those spaces, so a run of n words encodes to n
// tokens whatever comes before it, and a shared block is the same text in
// every prompt that holds it.
type Text struct {
	tok  tokenizer.Tokenizer
	seed uint64

	once  sync.Once
	vocab []string
	err   error
}

func (t *Text) words() ([]string, error) {
	t.once.Do(func() {
		if t.tok == nil {
			t.vocab = make([]string, len(tokenizer.CommonWords))
			for i, w := range tokenizer.CommonWords {
				t.vocab[i] = " " + w
			}
			return
		}
		for _, id := range t.tok.Words() {
			s, err := t.tok.Decode([]int{id})
			if err != nil {
				t.err = err
				return
			}
			if !strings.HasPrefix(s, " ") {
				s = " " + s
			}
			if n, err := tokenizer.Count(t.tok, s); err == nil && n == 1 {
				t.vocab = append(t.vocab, s)
			}
		}
		if len(t.vocab) == 0 {
			t.err = fmt.Errorf("tokenizer %s: no single-token words to make trace prompts from", t.tok.Name())
		}
	})
	return t.vocab, t.err
}

// block writes n words drawn from key: the same key gives the same words.
func (t *Text) block(b *strings.Builder, vocab []string, key uint64, n int) {
	rng := rand.New(rand.NewPCG(t.seed, key))
	for range n {
		b.WriteString(vocab[rng.IntN(len(vocab))])
	}
}

// Prompt is rec's prompt: its hash blocks, then words of its own (drawn
// from own) for the rest of its length. It is exactly rec.Input tokens with a tokenizer (and
// rec.Input words without).
func (t *Text) Prompt(rec Record, own uint64) (string, error) {
	vocab, err := t.words()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	left := rec.Input
	for _, h := range rec.HashIDs {
		n := min(left, MooncakeBlockTokens)
		// Hash ids and line numbers draw from separate streams.
		t.block(&b, vocab, uint64(h)<<1, n)
		left -= n
	}
	if left > 0 {
		t.block(&b, vocab, own<<1|1, left)
	}
	text := b.String()
	if t.tok == nil {
		return text, nil
	}
	got, err := tokenizer.Count(t.tok, text)
	if err != nil {
		return "", err
	}
	if got != rec.Input {
		// A tokenizer whose pre-tokenizer merges across spaces: the count
		// is fixed on the request's own words, the full shared blocks before
		// them kept as they are.
		keep := len(rec.HashIDs)
		if keep*MooncakeBlockTokens >= rec.Input {
			keep--
		}
		var p strings.Builder
		for _, h := range rec.HashIDs[:keep] {
			t.block(&p, vocab, uint64(h)<<1, MooncakeBlockTokens)
		}
		rest := rec.Input - keep*MooncakeBlockTokens
		rng := rand.New(rand.NewPCG(t.seed, own<<1|1))
		text, got, err = tokenizer.ExactText(t.tok, rng, p.String(), rest)
		if err != nil {
			return "", err
		}
		if got != rest {
			return "", fmt.Errorf("line %d: tokenizer %s did not settle on %d tokens", rec.Line, t.tok.Name(), rec.Input)
		}
	}
	return text, nil
}
