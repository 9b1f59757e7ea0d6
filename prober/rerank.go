package prober

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/inferno-llm/inferno/dataset"
)

// rerank is the rerank API vLLM, Jina and Cohere serve (POST {url}/rerank):
// one query scored against documents, answered with one JSON body, so it
// is measured as embeddings are. A batch of N is the query and N-1
// documents; one input is scored against itself.
type rerank struct{}

func (rerank) Name() string         { return "rerank" }
func (rerank) EndsWithMarker() bool { return false }

func (rerank) Inputs(p dataset.Prompt) int { return max(len(p.Messages)-1, 1) }

func (rerank) NewRequest(ctx context.Context, base, model string, p dataset.Prompt, params Params) (*http.Request, error) {
	if len(p.Messages) == 0 {
		return nil, errors.New("a rerank request needs a query")
	}
	query := p.Messages[0].Content
	docs := make([]string, 0, len(p.Messages))
	for _, m := range p.Messages[1:] {
		docs = append(docs, m.Content)
	}
	if len(docs) == 0 {
		docs = append(docs, query)
	}
	body := map[string]any{"model": model, "query": query, "documents": docs}
	req, err := postJSON(ctx, joinURL(base, "/rerank"), body, params.Extra)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// Decode reads a whole rerank answer: Tokens is the number of documents
// scored. Usage is total_tokens (the query and documents), all input.
func (rerank) Decode(data []byte) (Chunk, error) {
	var b struct {
		Results []json.RawMessage `json:"results"`
		Usage   *struct {
			TotalTokens int `json:"total_tokens"`
		} `json:"usage"`
		Error json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return Chunk{}, fmt.Errorf("malformed answer %s: %w", excerpt(data), err)
	}
	if len(b.Error) > 0 && string(b.Error) != "null" {
		return Chunk{ServerError: errorMessage(b.Error)}, nil
	}
	c := Chunk{Content: len(b.Results) > 0, Tokens: len(b.Results), Done: true, Finished: true}
	if b.Usage != nil {
		c.Usage = &Usage{PromptTokens: b.Usage.TotalTokens}
	}
	return c, nil
}

func (a rerank) DecodeLean(data []byte, _ bool) (Chunk, error) { return a.Decode(data) }
