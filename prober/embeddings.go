package prober

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/result"
)

// Embeddings servers answer with one JSON document, not a stream: what is
// measured is the request's latency, its input tokens and how many
// requests a second the server keeps up with.

// maxEmbeddingsBody bounds an answer: a batch of 2048 vectors of 4096
// floats written as JSON is about 170 MB, far past any sane window.
const maxEmbeddingsBody = 64 << 20

// wholeResponse marks APIs whose answer is one JSON body, read whole.
type wholeResponse interface {
	// inputs is how many results the body must hold for prompt p.
	inputs(p dataset.Prompt) int
}

// Embeddings reports whether the API answers with embeddings (no output
// tokens, no stream), so windows can refuse what it cannot do.
func Embeddings(a API) bool {
	_, ok := a.(wholeResponse)
	return ok
}

// QueryInputs is how many inputs of a batch an API spends on its query
// besides the batch itself: rerank's one query, scored against the batch.
func QueryInputs(a API) int {
	if _, ok := a.(rerank); ok {
		return 1
	}
	return 0
}

type openAIEmbeddings struct{}

func (openAIEmbeddings) Name() string         { return "openai-embeddings" }
func (openAIEmbeddings) EndsWithMarker() bool { return false }

// Each message of the prompt is one input: a batch of N prompts arrives as
// one turn of N messages (dataset.Batched).
func (openAIEmbeddings) inputs(p dataset.Prompt) int { return max(len(p.Messages), 1) }

func (openAIEmbeddings) NewRequest(ctx context.Context, base, model string, p dataset.Prompt, params Params) (*http.Request, error) {
	inputs := make([]string, 0, len(p.Messages))
	for _, m := range p.Messages {
		inputs = append(inputs, m.Content)
	}
	if len(inputs) == 0 {
		return nil, errors.New("an embeddings request needs at least one input")
	}
	body := map[string]any{"model": model, "input": inputs, "encoding_format": "float"}
	req, err := postJSON(ctx, joinURL(base, "/embeddings"), body, params.Extra)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// Decode reads a whole embeddings answer: Tokens is the number of
// vectors it holds.
func (openAIEmbeddings) Decode(data []byte) (Chunk, error) {
	var b struct {
		Data  []json.RawMessage `json:"data"`
		Usage *Usage            `json:"usage"`
		Error json.RawMessage   `json:"error"`
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return Chunk{}, fmt.Errorf("malformed answer %s: %w", excerpt(data), err)
	}
	if len(b.Error) > 0 && string(b.Error) != "null" {
		return Chunk{ServerError: errorMessage(b.Error)}, nil
	}
	return Chunk{Content: len(b.Data) > 0, Tokens: len(b.Data), Usage: b.Usage, Done: true, Finished: true}, nil
}

// readWhole reads and judges a one-document answer. Its arrival is every
// stage of the answer at once: first event, first and last content, end.
func (t *Target) readWhole(ctx context.Context, body io.Reader, res *result.Result, p dataset.Prompt, api wholeResponse) {
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
	if want := api.inputs(p); chunk.Tokens != want {
		t.fail(ctx, res, result.StreamError, fmt.Sprintf("%d results for %d inputs", chunk.Tokens, want))
		return
	}
	// An embedding generates no tokens; the zero is the server's word
	// where it gave usage.
	res.ContentEvents, res.TokensFrom = 1, result.TokensFromEvents
	if chunk.Usage != nil {
		res.TokensFrom = result.TokensFromUsage
	}
	if u := chunk.Usage; u != nil && u.PromptTokens > 0 {
		res.InputTokens, res.InputTokensFrom = u.PromptTokens, result.TokensFromUsage
	}
	res.Outcome = result.Success
}

// decodeLean is Decode: an answer is read once per request, with no text
// to keep, so there is no fast path to take.
func (a openAIEmbeddings) decodeLean(data []byte, _ bool) (Chunk, error) { return a.Decode(data) }
