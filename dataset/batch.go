package dataset

import (
	"strconv"
	"strings"
)

// MaxBatch bounds a batch: OpenAI's embeddings endpoint takes at most
// 2048 inputs a request.
const MaxBatch = 2048

// Batched makes each conversation of the result one turn of n inputs, one
// user message each, from the first turns of n conversations of src: an
// embeddings request embeds a batch, and has no sessions or history. A
// turn of several messages (a system prompt before the user's) is one
// input, its texts joined by a newline. The last batch of a finite source
// may be smaller.
func Batched(src Source, n int) Source {
	return &batched{src: src, n: max(n, 1)}
}

type batched struct {
	src Source
	n   int
}

func (b *batched) Next() (Conversation, bool) {
	var turn Turn
	ids := make([]string, 0, b.n)
	for len(turn.Messages) < b.n {
		c, ok := b.src.Next()
		if !ok {
			break
		}
		if len(c.Turns) == 0 {
			continue
		}
		t := c.Turns[0]
		texts := make([]string, len(t.Messages))
		for i, m := range t.Messages {
			texts[i] = m.Content
		}
		turn.Messages = append(turn.Messages, Message{Role: "user", Content: strings.Join(texts, "\n")})
		in := t.InputTokens
		if in == 0 {
			in = EstimateTokens(t.Messages)
		}
		turn.InputTokens += in
		if t.MaxTokens > turn.MaxTokens {
			turn.MaxTokens = t.MaxTokens
		}
		ids = append(ids, c.ID)
	}
	if len(turn.Messages) == 0 {
		return Conversation{}, false
	}
	id := strings.Join(ids, "+")
	if len(ids) > 4 {
		id = ids[0] + "+" + strconv.Itoa(len(ids)-1)
	}
	return Conversation{ID: id, Turns: []Turn{turn}}, true
}
