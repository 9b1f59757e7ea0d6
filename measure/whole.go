package measure

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/prober"
	"github.com/inferno-llm/inferno/result"
)

// Embeddings and rerank servers answer with one JSON document, not a
// stream: what is measured is the request's latency, its input tokens and
// how many requests a second the server keeps up with.

// maxEmbeddingsBody bounds an answer: a batch of 2048 vectors of 4096
// floats written as JSON is about 170 MB, far past any sane window.
const maxEmbeddingsBody = 64 << 20

// readWhole reads and judges a one-document answer. Its arrival is every
// stage of the answer at once: first event, first and last content, end.
func (t *Target) readWhole(ctx context.Context, body io.Reader, res *result.Result, p dataset.Prompt, api prober.WholeResponse) {
	data, err := io.ReadAll(io.LimitReader(body, maxEmbeddingsBody+1))
	if err != nil {
		t.fail(ctx, res, result.StreamError, streamReason(err))
		return
	}
	if len(data) > maxEmbeddingsBody {
		t.fail(ctx, res, result.StreamError, fmt.Sprintf("the answer is over %d bytes", maxEmbeddingsBody))
		return
	}
	now := time.Now()
	res.FirstEvent, res.FirstContent, res.LastContent, res.End = now, now, now, now
	chunk, err := t.API.Decode(data)
	if err != nil {
		t.fail(ctx, res, result.StreamError, err.Error())
		return
	}
	if chunk.ServerError != "" {
		t.fail(ctx, res, result.StreamError, "server error: "+chunk.ServerError)
		return
	}
	if want := api.Inputs(p); chunk.Tokens != want {
		t.fail(ctx, res, result.StreamError, fmt.Sprintf("%d results for %d inputs", chunk.Tokens, want))
		return
	}
	// An embedding generates no tokens; the zero is the server's word
	// where it gave usage.
	res.ContentEvents, res.TokensFrom = 1, result.TokensFromEvents
	if u := chunk.Usage; u != nil {
		res.TokensFrom = result.TokensFromUsage
		if u.PromptTokens > 0 {
			res.InputTokens, res.InputTokensFrom = u.PromptTokens, result.TokensFromUsage
		}
	}
	res.Outcome = result.Success
}
