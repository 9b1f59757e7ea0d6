package prober

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/internal/jsonscan"
)

// tgi speaks Text Generation Inference (POST {base}/generate_stream).
type tgi struct{}

func (tgi) Name() string         { return "tgi" }
func (tgi) EndsWithMarker() bool { return true }

func (tgi) NewRequest(ctx context.Context, base, _ string, p dataset.Prompt, params Params) (*http.Request, error) {
	parameters := map[string]any{"details": true}
	if n := maxTokens(p, params); n > 0 {
		parameters["max_new_tokens"] = n
	}
	setSampling(parameters, params)
	for k, v := range params.Extra {
		parameters[k] = v
	}
	body := map[string]any{"inputs": p.Text(), "parameters": parameters}
	return postJSON(ctx, joinURL(base, "/generate_stream"), body, nil)
}

type tgiEvent struct {
	Token *struct {
		Text    string `json:"text"`
		Special bool   `json:"special"`
	} `json:"token"`
	GeneratedText *string `json:"generated_text"`
	Details       *struct {
		GeneratedTokens int `json:"generated_tokens"`
		PromptTokens    int `json:"prompt_tokens"`
	} `json:"details"`
	Error     string `json:"error"`
	ErrorType string `json:"error_type"`
}

func (tgi) Decode(data []byte) (Chunk, error) { return decodeWith(data, true, fastTGI, decodeTGI) }
func (tgi) DecodeLean(data []byte, wantText bool) (Chunk, error) {
	return decodeWith(data, wantText, fastTGI, decodeTGI)
}

// decodeTGI is the definition of a TGI event's meaning, through encoding/json.
func decodeTGI(data []byte) (Chunk, error) {
	var e tgiEvent
	if err := json.Unmarshal(data, &e); err != nil {
		return Chunk{}, fmt.Errorf("malformed event %s: %w", excerpt(data), err)
	}
	if e.Error != "" {
		return Chunk{ServerError: e.Error}, nil
	}
	var out Chunk
	if e.Token != nil && !e.Token.Special {
		out.Content, out.Tokens, out.Text, out.Size = true, 1, e.Token.Text, len(e.Token.Text)
		if e.Token.Text != "" {
			out.Piece = []byte(e.Token.Text)
		}
	}
	// The last event repeats the whole text in generated_text; it ends the stream.
	if e.GeneratedText != nil {
		out.Done = true
		if e.Details != nil {
			out.Usage = &Usage{PromptTokens: e.Details.PromptTokens, CompletionTokens: e.Details.GeneratedTokens}
		}
	}
	return out, nil
}

var (
	tgiKnown    = []string{"token", "generated_text", "details", "error", "error_type"}
	tokenKnown  = []string{"text", "special"}
	detailKnown = []string{"generated_tokens", "prompt_tokens"}
)

// tgiDetails consumes the token counts of a TGI event's details into u.
func tgiDetails(s *jsonscan.Scanner, u *Usage) bool {
	return s.Object(func(key []byte) bool {
		switch string(key) {
		case "prompt_tokens":
			return scanCount(s, &u.PromptTokens)
		case "generated_tokens":
			return scanCount(s, &u.CompletionTokens)
		}
		return s.SkipValue()
	}, detailKnown)
}

// fastTGI decodes a TGI event; see fastOpenAI.
func fastTGI(data []byte, wantText bool) (out Chunk, ok bool) {
	s := jsonscan.New(data)
	if s.Peek() != '{' {
		return Chunk{}, false
	}
	var (
		hasToken, special, hasDetails, generated, refused bool
		text                                              []byte
		details                                           Usage
	)
	ok = s.Object(func(key []byte) bool {
		switch string(key) {
		case "token":
			if s.Null() {
				return true
			}
			hasToken = true
			return s.Object(func(key []byte) bool {
				switch string(key) {
				case "text":
					v, _, ok := s.OptString()
					text = v
					return ok
				case "special":
					v, _, ok := s.OptBool()
					special = v
					return ok
				}
				return s.SkipValue()
			}, tokenKnown)
		case "generated_text":
			if s.Null() {
				return true
			}
			generated = true
			return s.Peek() == '"' && s.SkipValue()
		case "details":
			if s.Null() {
				return true
			}
			hasDetails = true
			return tgiDetails(&s, &details)
		case "error":
			v, _, ok := s.OptString()
			if len(v) > 0 {
				refused = true
			}
			return ok
		case "error_type":
			return s.CheckString()
		}
		return s.SkipValue()
	}, tgiKnown)
	if !ok || refused || !s.End() {
		return Chunk{}, false
	}
	if hasToken && !special {
		out.Content, out.Tokens, out.Size = true, 1, len(text)
		if len(text) > 0 {
			out.Piece = text
		}
		if wantText {
			out.Text = string(text)
		}
	}
	if generated {
		out.Done = true
		if hasDetails {
			u := details
			out.Usage = &u
		}
	}
	return out, true
}

// TGIFinishReason is the finish reason TGI's last event gives in its
// details ("length", "eos_token", "stop_sequence"); empty for any other
// event. The measurement reads it only for a request with checks.
func TGIFinishReason(data []byte) string {
	var e struct {
		Details *struct {
			FinishReason string `json:"finish_reason"`
		} `json:"details"`
	}
	if json.Unmarshal(data, &e) != nil || e.Details == nil {
		return ""
	}
	return e.Details.FinishReason
}
