package tokenizer

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// exactAttempts bounds the adjust loop of ExactText. Plain-word tokens
// nearly always re-encode to themselves, so a handful of rounds suffice;
// the bound only guards against a tokenizer that keeps merging.
const exactAttempts = 64

// ExactText returns prefix followed by random text such that the whole
// encodes to n tokens more than prefix alone does, as vllm bench's random
// dataset makes its prompts: decode random tokens, re-encode, and adjust
// (cut what grew, add what shrank) until the count is exact. It returns
// the text and the count of its own part: n, unless the tokenizer never
// settled, in which case the count is the true one of the last try.
func ExactText(tok Tokenizer, rng *rand.Rand, prefix string, n int) (string, int, error) {
	base := 0
	if prefix != "" {
		var err error
		if base, err = Count(tok, prefix); err != nil {
			return "", 0, err
		}
	}
	words := tok.Words()
	ids := make([]int, 0, n+8)
	for range n {
		ids = append(ids, words[rng.IntN(len(words))])
	}
	var text string
	got := 0
	for range exactAttempts {
		own, err := tok.Decode(ids)
		if err != nil {
			return "", 0, err
		}
		text = join(prefix, own)
		total, err := Count(tok, text)
		if err != nil {
			return "", 0, err
		}
		got = total - base
		switch {
		case got == n:
			return text, n, nil
		case got > n && len(ids) > got-n:
			// Pieces split on re-encoding (or met the prefix badly): drop
			// the excess from the end.
			ids = ids[:len(ids)-(got-n)]
		case got > n:
			// Nothing left to drop: a word that splits (once its space is
			// trimmed at the start of a prompt, say) is drawn again.
			ids[len(ids)-1] = words[rng.IntN(len(words))]
		default:
			for range n - got {
				ids = append(ids, words[rng.IntN(len(words))])
			}
		}
	}
	return text, got, nil
}

// join puts a space between a prefix and the text after it, unless the
// text brings its own (GPT-style tokens decode with a leading space).
func join(prefix, own string) string {
	if prefix == "" {
		return strings.TrimLeft(own, " ")
	}
	if strings.HasPrefix(own, " ") {
		return prefix + own
	}
	return prefix + " " + own
}

// Truncate keeps the first n tokens of text. Decoding a cut can
// re-encode longer (a word split at the cut), so the cut shrinks until the
// text fits.
func Truncate(tok Tokenizer, text string, n int) (string, error) {
	ids, err := tok.Encode(text)
	if err != nil {
		return "", err
	}
	for k := min(n, len(ids)); k > 0; k-- {
		s, err := tok.Decode(ids[:k])
		if err != nil {
			return "", err
		}
		if c, err := Count(tok, s); err == nil && c <= n {
			return s, nil
		}
	}
	return "", fmt.Errorf("cannot cut the text to %d tokens", n)
}
