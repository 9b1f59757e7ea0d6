package prober

import (
	"context"
	"net/http"

	"github.com/inferno-llm/inferno/dataset"
)

// openAICompletions speaks OpenAI completions (POST {base}/completions),
// the old tool's legacy mode.
type openAICompletions struct{ vllm bool }

func (openAICompletions) Name() string         { return "openai-completions" }
func (openAICompletions) EndsWithMarker() bool { return true }

func (a openAICompletions) NewRequest(ctx context.Context, base, model string, p dataset.Prompt, params Params) (*http.Request, error) {
	body := map[string]any{
		"model":          model,
		"prompt":         p.Text(),
		"stream":         true,
		"stream_options": map[string]any{"include_usage": true},
	}
	openAICommon(body, p, params)
	return postJSON(ctx, joinURL(base, "/completions"), body, params.Extra)
}

func (openAICompletions) Decode(data []byte) (Chunk, error) {
	return decodeWith(data, true, fastOpenAI, decodeOpenAI)
}
func (openAICompletions) DecodeLean(data []byte, wantText bool) (Chunk, error) {
	return decodeWith(data, wantText, fastOpenAI, decodeOpenAI)
}
