package prober

import (
	"context"
	"net/http"

	"github.com/inferno-llm/inferno/dataset"
)

// openAIChat speaks OpenAI chat completions (POST {base}/chat/completions);
// vllm only names it as the old tool's vllm endpoint type.
type openAIChat struct{ vllm bool }

func (a openAIChat) Name() string {
	if a.vllm {
		return "vllm"
	}
	return "openai-chat"
}
func (openAIChat) EndsWithMarker() bool { return true }

func (a openAIChat) NewRequest(ctx context.Context, base, model string, p dataset.Prompt, params Params) (*http.Request, error) {
	body := map[string]any{
		"model":          model,
		"messages":       p.Messages,
		"stream":         true,
		"stream_options": map[string]any{"include_usage": true},
	}
	openAICommon(body, p, params)
	tools, choice := params.Tools, params.ToolChoice
	if c := p.Canary; c != nil && len(c.Tools) > 0 {
		tools, choice = c.Tools, c.ToolChoice
	}
	if len(tools) > 0 {
		body["tools"] = tools
		if choice != nil {
			body["tool_choice"] = choice
		}
	}
	return postJSON(ctx, joinURL(base, "/chat/completions"), body, params.Extra)
}

func (openAIChat) Decode(data []byte) (Chunk, error) {
	return decodeWith(data, true, fastOpenAI, decodeOpenAI)
}
func (openAIChat) DecodeLean(data []byte, wantText bool) (Chunk, error) {
	return decodeWith(data, wantText, fastOpenAI, decodeOpenAI)
}
