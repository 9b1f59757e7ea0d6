package simulator

import (
	"encoding/json"
	"fmt"
	"io"
)

// words are the simulated output; each is one token.
var words = []string{" the", " model", " says", " hello", " to", " you", " and", " then", " it", " goes", " on"}

// encoder writes one response in a protocol's wire format.
type encoder struct {
	w       io.Writer
	proto   protocol
	model   string
	id      int64
	created int64
	text    []byte // TGI repeats the whole text in its last event
}

func (e *encoder) event(v any) {
	b, _ := json.Marshal(v)
	if e.proto == tgi {
		// TGI writes "data:" with no space; clients must accept both.
		fmt.Fprintf(e.w, "data:%s\n\n", b)
		return
	}
	fmt.Fprintf(e.w, "data: %s\n\n", b)
}

func (e *encoder) openAI(object string, choices []any, usage any) map[string]any {
	m := map[string]any{
		"id":      fmt.Sprintf("cmpl-sim-%d", e.id),
		"object":  object,
		"created": e.created,
		"model":   e.model,
		"choices": choices,
	}
	if usage != nil {
		m["usage"] = usage
	}
	return m
}

// role writes the role-only first chunk that chat servers send.
func (e *encoder) role() {
	e.event(e.openAI("chat.completion.chunk", []any{map[string]any{
		"index": 0, "delta": map[string]any{"role": "assistant", "content": ""}, "finish_reason": nil,
	}}, nil))
}

func (e *encoder) token(i, n, promptTokens int) {
	word := words[i%len(words)]
	var finish any
	if i == n-1 {
		finish = "length"
	}
	switch e.proto {
	case chat:
		e.event(e.openAI("chat.completion.chunk", []any{map[string]any{
			"index": 0, "delta": map[string]any{"content": word}, "finish_reason": finish,
		}}, nil))
	case completions:
		e.event(e.openAI("text_completion", []any{map[string]any{
			"index": 0, "text": word, "logprobs": nil, "finish_reason": finish,
		}}, nil))
	case tgi:
		e.text = append(e.text, word...)
		ev := map[string]any{
			"index":          i + 1,
			"token":          map[string]any{"id": 1000 + i%len(words), "text": word, "logprob": -0.5, "special": false},
			"generated_text": nil,
			"details":        nil,
		}
		if i == n-1 {
			ev["generated_text"] = string(e.text)
			ev["details"] = map[string]any{"finish_reason": "length", "generated_tokens": n, "seed": nil}
		}
		e.event(ev)
	case triton:
		e.event(map[string]any{"model_name": e.model, "model_version": "1", "text_output": word})
	}
}

func (e *encoder) end(p plan) {
	switch e.proto {
	case chat, completions:
		if p.usage {
			object := "chat.completion.chunk"
			if e.proto == completions {
				object = "text_completion"
			}
			e.event(e.openAI(object, []any{}, map[string]any{
				"prompt_tokens":     p.promptTokens,
				"completion_tokens": p.outputTokens,
				"total_tokens":      p.promptTokens + p.outputTokens,
			}))
		}
		fmt.Fprint(e.w, "data: [DONE]\n\n")
	}
}
