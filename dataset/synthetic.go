package dataset

import (
	"math/rand/v2"
	"strings"

	"github.com/inferno-llm/inferno/tokenizer"
)

// NewSynthetic returns an endless source of synthetic conversations, seeded for
// reproducibility; lengths are in words (see tokenizer.CommonWords).
func NewSynthetic(s SyntheticSpec, seed uint64) (Source, error) {
	return NewSyntheticTokenized(s, seed, nil)
}

// NewSyntheticTokenized is NewSynthetic with lengths in tok's tokens, exact: each prompt's
// text encodes to its intended number of tokens. A nil tok counts words.
func NewSyntheticTokenized(s SyntheticSpec, seed uint64, tok tokenizer.Tokenizer) (Source, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	src := &synthetic{spec: s, rng: rand.New(rand.NewPCG(seed, seed+1)), tok: tok}
	if s.PrefixTokens > 0 {
		// Prefixes have their own generator, so they are the same for a
		// seed whatever else the spec says.
		prng := rand.New(rand.NewPCG(seed, seed^0x9ef1))
		for range max(s.Prefixes, 1) {
			text, length, err := src.text(prng, "", s.PrefixTokens)
			if err != nil {
				return nil, err
			}
			src.prefixes = append(src.prefixes, text)
			src.prefixLens = append(src.prefixLens, length)
		}
	}
	return src, nil
}

type synthetic struct {
	spec     SyntheticSpec
	rng      *rand.Rand
	tok      tokenizer.Tokenizer
	prefixes []string
	// prefixLens are the prefixes' lengths as counted (exact with a
	// tokenizer, in words without).
	prefixLens []int
}

func (s *synthetic) Next() (Conversation, bool) {
	turns := max(s.spec.Turns, 1)
	conv := Conversation{Turns: make([]Turn, 0, turns)}
	for i := range turns {
		in := s.length(s.spec.InputTokens)
		prefix, prefixLen := "", 0
		if i == 0 && len(s.prefixes) > 0 {
			k := 0
			if len(s.prefixes) > 1 {
				k = s.rng.IntN(len(s.prefixes))
			}
			prefix, prefixLen = s.prefixes[k], s.prefixLens[k]
		}
		text, n, err := s.text(s.rng, prefix, in)
		if err != nil {
			// Only a tokenizer that fails to encode its own output gets
			// here (NewTokenized has already used it); an endless source
			// has no error to return, so it ends.
			return Conversation{}, false
		}
		turn := Turn{Messages: []Message{{Role: "user", Content: text}}, MaxTokens: s.length(s.spec.OutputTokens)}
		if i == 0 {
			// A later turn's prompt also carries the history with the live
			// answers, unknown here: its length is left to the estimate
			// (or the server's usage).
			turn.InputTokens = prefixLen + n
		}
		conv.Turns = append(conv.Turns, turn)
	}
	return conv, true
}

// text is prefix followed by n words or, with a tokenizer, by text that
// brings the whole to exactly n tokens more than prefix alone; it returns
// the length of its own part.
func (s *synthetic) text(rng *rand.Rand, prefix string, n int) (string, int, error) {
	if s.tok != nil {
		return tokenizer.ExactText(s.tok, rng, prefix, n)
	}
	var b strings.Builder
	b.Grow(len(prefix) + n*6)
	b.WriteString(prefix)
	for i := range n {
		if i > 0 || prefix != "" {
			b.WriteByte(' ')
		}
		b.WriteString(tokenizer.CommonWords[rng.IntN(len(tokenizer.CommonWords))])
	}
	return b.String(), n, nil
}

func (s *synthetic) length(n int) int {
	if s.spec.Spread == 0 {
		return n
	}
	lo := max(1, int(float64(n)*(1-s.spec.Spread)))
	hi := max(lo, int(float64(n)*(1+s.spec.Spread)))
	return lo + s.rng.IntN(hi-lo+1)
}
