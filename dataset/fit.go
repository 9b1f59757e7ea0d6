package dataset

import (
	"errors"
	"fmt"

	"github.com/inferno-llm/inferno/tokenizer"
)

// fitInputTokens counts each turn's own messages with tok, recording the
// count as the turn's input length, and applies a limit of max tokens (0:
// none). A turn over the limit ends its conversation there (a conversation
// whose first turn is over is dropped), or with truncate has its last
// message cut to fit. Later turns also carry their history, which is not
// known before the run; the limit is on what the data itself sends.
func fitInputTokens(convs []Conversation, tok tokenizer.Tokenizer, limit int, truncate bool) ([]Conversation, error) {
	out := make([]Conversation, 0, len(convs))
	for ci, c := range convs {
		turns := make([]Turn, 0, len(c.Turns))
		for ti, t := range c.Turns {
			counts := make([]int, len(t.Messages))
			total := 0
			for mi, m := range t.Messages {
				n, err := tokenizer.Count(tok, m.Content)
				if err != nil {
					return nil, fmt.Errorf("conversation %d, turn %d: %w", ci+1, ti+1, err)
				}
				counts[mi], total = n, total+n
			}
			if limit > 0 && total > limit {
				if !truncate {
					break
				}
				last := len(t.Messages) - 1
				keep := limit - (total - counts[last])
				if last < 0 || keep < 1 {
					break // the system prompt alone is over the limit
				}
				cut, err := tokenizer.Truncate(tok, t.Messages[last].Content, keep)
				if err != nil {
					return nil, fmt.Errorf("conversation %d, turn %d: %w", ci+1, ti+1, err)
				}
				msgs := append([]Message(nil), t.Messages...)
				msgs[last].Content = cut
				t.Messages = msgs
				n, err := tokenizer.Count(tok, cut)
				if err != nil {
					return nil, err
				}
				total += n - counts[last]
			}
			t.InputTokens = total
			turns = append(turns, t)
		}
		if len(turns) == 0 {
			continue
		}
		c.Turns = turns
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("max_input_tokens leaves no conversation: every first turn is longer")
	}
	return out, nil
}
