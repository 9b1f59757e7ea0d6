package prober

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/internal/jsonscan"
)

// The OpenAI stream format, shared by chat and completions: the request
// fields both send, and what a chunk means.

func openAICommon(body map[string]any, p dataset.Prompt, params Params) {
	if n := maxTokens(p, params); n > 0 {
		body["max_tokens"] = n
	}
	setSampling(body, params)
	// Asked-for parameters are sent whatever the API's name: dropping them
	// silently would measure a different workload than the one configured.
	if params.IgnoreEOS {
		body["ignore_eos"] = true
	}
	if params.MinTokens > 0 {
		body["min_tokens"] = params.MinTokens
	}
	rf := params.ResponseFormat
	if c := p.Canary; c != nil && c.ResponseFormat != nil {
		rf = c.ResponseFormat
	}
	if rf != nil {
		body["response_format"] = rf
	}
}

type openAIStreamChunk struct {
	Choices []struct {
		Text  *string `json:"text"` // completions
		Delta *struct {
			Content          *string           `json:"content"`
			ReasoningContent *string           `json:"reasoning_content"`
			Reasoning        *string           `json:"reasoning"`
			ToolCalls        []json.RawMessage `json:"tool_calls"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *Usage          `json:"usage"`
	Error json.RawMessage `json:"error"`
	// vLLM and others put an error object at top level with a message.
	Message string `json:"message"`
	Object  string `json:"object"`
}

// decodeOpenAI is the definition of an OpenAI chunk's meaning, through
// encoding/json; fastOpenAI answers for it where it can.
func decodeOpenAI(data []byte) (Chunk, error) {
	if bytes.Equal(bytes.TrimSpace(data), []byte("[DONE]")) {
		return Chunk{Done: true}, nil
	}
	var c openAIStreamChunk
	if err := json.Unmarshal(data, &c); err != nil {
		return Chunk{}, fmt.Errorf("malformed event %s: %w", excerpt(data), err)
	}
	var out Chunk
	if len(c.Error) > 0 && string(c.Error) != "null" {
		out.ServerError = errorMessage(c.Error)
		return out, nil
	}
	if c.Object == "error" {
		out.ServerError = c.Message
		return out, nil
	}
	out.Usage = c.Usage
	var text strings.Builder
	for _, ch := range c.Choices {
		if ch.FinishReason != nil && *ch.FinishReason != "" {
			out.Finished = true
			out.Truncated = out.Truncated || *ch.FinishReason == "length"
		}
		if ch.Text != nil && *ch.Text != "" {
			out.Content = true
			text.WriteString(*ch.Text)
		}
		if d := ch.Delta; d != nil {
			if d.Content != nil && *d.Content != "" {
				out.Content = true
				text.WriteString(*d.Content)
			}
			for _, r := range []*string{d.ReasoningContent, d.Reasoning} {
				if r != nil && *r != "" {
					out.Content = true
					out.Size += len(*r)
					out.Reasoning += len(*r)
				}
			}
			for _, tc := range d.ToolCalls {
				out.Content = true
				out.Size += len(tc)
				out.ToolCalls++
			}
		}
	}
	out.Text = text.String()
	out.Size += len(out.Text)
	if out.Text != "" {
		out.Piece = []byte(out.Text)
	}
	return out, nil
}

var (
	openAIKnown  = []string{"choices", "usage", "error", "message", "object"}
	choiceKnown  = []string{"text", "delta", "finish_reason"}
	deltaKnown   = []string{"content", "reasoning_content", "reasoning", "tool_calls"}
	usageKnown   = []string{"prompt_tokens", "completion_tokens", "completion_tokens_details"}
	detailsKnown = []string{"reasoning_tokens"}
)

// openAIUsage consumes an OpenAI usage object: the token counts, and
// the reasoning tokens of completion_tokens_details. Details that are not
// an object of whole numbers go to encoding/json, which reads them
// leniently (see UsageDetails).
func openAIUsage(s *jsonscan.Scanner, u *Usage) bool {
	return s.Object(func(key []byte) bool {
		switch string(key) {
		case "prompt_tokens":
			return scanCount(s, &u.PromptTokens)
		case "completion_tokens":
			return scanCount(s, &u.CompletionTokens)
		case "completion_tokens_details":
			if s.Null() {
				return true
			}
			var d UsageDetails
			ok := s.Object(func(key []byte) bool {
				if string(key) != "reasoning_tokens" {
					return s.SkipValue()
				}
				return scanCount(s, &d.ReasoningTokens)
			}, detailsKnown)
			u.Details = &d // allocates, once a stream: only its last usage has details
			return ok
		}
		return s.SkipValue()
	}, usageKnown)
}

// fastOpenAI decodes an OpenAI chat or completions chunk. With wantText
// false it leaves Text empty (its Size is still counted), so the hot path
// allocates nothing for a token. ok is false when encoding/json must
// decide.
func fastOpenAI(data []byte, wantText bool) (out Chunk, ok bool) {
	s := jsonscan.New(data)
	if s.Peek() != '{' {
		// [DONE], null and every other shape go the general way.
		return Chunk{}, false
	}
	var (
		text    []byte // the first text piece, aliasing data
		joined  []byte // all pieces, once there is more than one
		pieces  int
		usage   Usage
		hasUse  bool
		refused bool   // an error or an error object: encoding/json words it
		dtext   []byte // the current choice's delta content
	)
	addText := func(v []byte) {
		if len(v) == 0 {
			return
		}
		out.Content = true
		out.Size += len(v)
		// The pieces are joined whether or not the text is wanted: Piece
		// carries them, and an event of several is rare.
		pieces++
		switch pieces {
		case 1:
			text = v
		case 2:
			joined = append(append(joined, text...), v...)
		default:
			joined = append(joined, v...)
		}
	}
	delta := func() bool {
		if s.Null() {
			return true
		}
		return s.Object(func(key []byte) bool {
			switch string(key) {
			case "content":
				v, _, ok := s.OptString()
				dtext = v
				return ok
			case "reasoning_content", "reasoning":
				v, _, ok := s.OptString()
				if len(v) > 0 {
					out.Content = true
					out.Size += len(v)
					out.Reasoning += len(v)
				}
				return ok
			case "tool_calls":
				if s.Null() {
					return true
				}
				return s.Array(func() bool {
					if s.Peek() == 'n' {
						return false // a null call: encoding/json's RawMessage keeps it
					}
					call, ok := s.RawValue()
					if !ok {
						return false
					}
					out.Content = true
					out.Size += len(call)
					out.ToolCalls++
					return true
				})
			}
			return s.SkipValue()
		}, deltaKnown)
	}
	choice := func() bool {
		if s.Null() {
			return true
		}
		// Within a choice encoding/json's result puts the completion text
		// before the delta's content, whatever the key order.
		var ctext []byte
		dtext = nil
		okc := s.Object(func(key []byte) bool {
			switch string(key) {
			case "text":
				v, _, ok := s.OptString()
				ctext = v
				return ok
			case "delta":
				return delta()
			case "finish_reason":
				v, _, ok := s.OptString()
				if len(v) > 0 {
					out.Finished = true
					out.Truncated = out.Truncated || string(v) == "length"
				}
				return ok
			}
			return s.SkipValue()
		}, choiceKnown)
		addText(ctext)
		addText(dtext)
		return okc
	}
	ok = s.Object(func(key []byte) bool {
		switch string(key) {
		case "choices":
			if s.Null() {
				return true
			}
			return s.Array(choice)
		case "usage":
			if s.Null() {
				return true
			}
			hasUse = true
			return openAIUsage(&s, &usage)
		case "error":
			if !s.Null() {
				refused = true
			}
			return true
		case "message":
			return s.CheckString()
		case "object":
			v, set, ok := s.OptString()
			if set && string(v) == "error" {
				refused = true
			}
			return ok
		}
		return s.SkipValue()
	}, openAIKnown)
	if !ok || refused || !s.End() {
		return Chunk{}, false
	}
	if hasUse {
		u := usage // only the chunk with a usage pays for its copy
		out.Usage = &u
	}
	if pieces == 1 {
		out.Piece = text
	} else if pieces > 1 {
		out.Piece = joined
	}
	if wantText && pieces > 0 {
		out.Text = string(out.Piece)
	}
	return out, true
}

// ToolCallDeltas are the tool_calls arrays of an OpenAI chunk, decoded
// again only for a request with checks (the hot path counts them only),
// so the checks see the calls.
func ToolCallDeltas(data []byte) []json.RawMessage {
	var c struct {
		Choices []struct {
			Delta *struct {
				ToolCalls json.RawMessage `json:"tool_calls"`
			} `json:"delta"`
		} `json:"choices"`
	}
	if json.Unmarshal(data, &c) != nil {
		return nil
	}
	var out []json.RawMessage
	for _, ch := range c.Choices {
		if ch.Delta != nil && len(ch.Delta.ToolCalls) > 0 {
			out = append(out, ch.Delta.ToolCalls)
		}
	}
	return out
}
