package prober

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/internal/jsonscan"
)

// triton speaks Triton's generate extension (POST
// {base}/v2/models/{model}/generate_stream).
type triton struct{}

func (triton) Name() string { return "triton" }

// Triton closes the stream after the last text_output; there is no marker.
func (triton) EndsWithMarker() bool { return false }

func (triton) NewRequest(ctx context.Context, base, model string, p dataset.Prompt, params Params) (*http.Request, error) {
	body := map[string]any{"text_input": p.Text(), "stream": true}
	if n := maxTokens(p, params); n > 0 {
		body["max_tokens"] = n
	}
	setSampling(body, params)
	return postJSON(ctx, joinURL(base, "/v2/models/"+url.PathEscape(model)+"/generate_stream"), body, params.Extra)
}

func (triton) Decode(data []byte) (Chunk, error) {
	return decodeWith(data, true, fastTriton, decodeTriton)
}
func (triton) DecodeLean(data []byte, wantText bool) (Chunk, error) {
	return decodeWith(data, wantText, fastTriton, decodeTriton)
}

// decodeTriton is the definition of a Triton event's meaning, through encoding/json.
func decodeTriton(data []byte) (Chunk, error) {
	var e struct {
		TextOutput *string `json:"text_output"`
		Error      string  `json:"error"`
	}
	if err := json.Unmarshal(data, &e); err != nil {
		return Chunk{}, fmt.Errorf("malformed event %s: %w", excerpt(data), err)
	}
	if e.Error != "" {
		return Chunk{ServerError: e.Error}, nil
	}
	var out Chunk
	if e.TextOutput != nil && *e.TextOutput != "" {
		out.Content, out.Text, out.Size = true, *e.TextOutput, len(*e.TextOutput)
		out.Piece = []byte(*e.TextOutput)
	}
	return out, nil
}

var tritonKnown = []string{"text_output", "error"}

// fastTriton decodes a Triton generate_stream event; see fastOpenAI.
func fastTriton(data []byte, wantText bool) (out Chunk, ok bool) {
	s := jsonscan.New(data)
	if s.Peek() != '{' {
		return Chunk{}, false
	}
	var text []byte
	refused := false
	ok = s.Object(func(key []byte) bool {
		switch string(key) {
		case "text_output":
			v, _, ok := s.OptString()
			text = v
			return ok
		case "error":
			v, _, ok := s.OptString()
			if len(v) > 0 {
				refused = true
			}
			return ok
		}
		return s.SkipValue()
	}, tritonKnown)
	if !ok || refused || !s.End() {
		return Chunk{}, false
	}
	if len(text) > 0 {
		out.Content, out.Size, out.Piece = true, len(text), text
		if wantText {
			out.Text = string(text)
		}
	}
	return out, true
}
