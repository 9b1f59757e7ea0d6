package prober

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/inferno-llm/inferno/dataset"
)

// Embeddings servers answer with one JSON document, not a stream: what is
// measured is the request's latency, its input tokens and how many
// requests a second the server keeps up with (see measure's readWhole).

// WholeResponse marks APIs whose answer is one JSON body, read whole
// rather than as a stream.
type WholeResponse interface {
	// Inputs is how many results the body must hold for prompt p.
	Inputs(p dataset.Prompt) int
}

// Embeddings reports whether the API answers with embeddings (no output
// tokens, no stream), so windows can refuse what it cannot do.
func Embeddings(a API) bool {
	_, ok := a.(WholeResponse)
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
func (openAIEmbeddings) Inputs(p dataset.Prompt) int { return max(len(p.Messages), 1) }

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

// DecodeLean is Decode: an answer is read once per request, with no text
// to keep, so there is no fast path to take.
func (a openAIEmbeddings) DecodeLean(data []byte, _ bool) (Chunk, error) { return a.Decode(data) }
