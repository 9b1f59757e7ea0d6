package simulator

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// words are the simulated output; each is one token. They are plain ASCII,
// so strconv.AppendQuote yields valid JSON strings for them.
var words = []string{" the", " model", " says", " hello", " to", " you", " and", " then", " it", " goes", " on"}

// encoder writes one response in a protocol's wire format.
type encoder struct {
	w           io.Writer
	proto       protocol
	model       string
	id          int64
	created     int64
	text        []byte // TGI repeats the whole text in its last event
	buf         []byte // reused for each token's event
	quotedModel []byte // the model name as a JSON string, encoded once
	// answer, when set, is what the tokens carry beyond words (see
	// answer.go); finish is the finish reason of the last token, quoted.
	answer *answerPlan
	finish string
}

func (e *encoder) modelJSON() []byte {
	if e.quotedModel == nil {
		e.quotedModel, _ = json.Marshal(e.model)
	}
	return e.quotedModel
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

// tokens writes the event carrying tokens from to to-1 of n. TGI's
// protocol has one token per event, so there each token gets its own.
func (e *encoder) tokens(from, to, n int) {
	if e.answer != nil {
		e.answerTokens(from, to, n)
		return
	}
	if e.proto == tgi || to-from == 1 {
		for i := from; i < to; i++ {
			e.token(i, n, words[i%len(words)])
		}
		return
	}
	var text []byte
	for i := from; i < to; i++ {
		text = append(text, words[i%len(words)]...)
	}
	e.token(to-1, n, string(text))
}

// token writes one event of word, ending at token i of n. The OpenAI and
// Triton events, by far the most frequent, are assembled by hand rather
// than through encoding/json: under load (and the race detector) the
// simulator's own encoding cost would otherwise show up as latency it was
// not asked for.
func (e *encoder) token(i, n int, word string) {
	finish := "null"
	if i == n-1 {
		finish = e.finishReason()
	}
	b := e.buf[:0]
	switch e.proto {
	case chat, completions:
		b = append(b, `data: {"id":"cmpl-sim-`...)
		b = strconv.AppendInt(b, e.id, 10)
		if e.proto == chat {
			b = append(b, `","object":"chat.completion.chunk","created":`...)
		} else {
			b = append(b, `","object":"text_completion","created":`...)
		}
		b = strconv.AppendInt(b, e.created, 10)
		b = append(b, `,"model":`...)
		b = append(b, e.modelJSON()...)
		if e.proto == chat {
			b = append(b, `,"choices":[{"index":0,"delta":{"content":`...)
			b = strconv.AppendQuote(b, word)
			b = append(b, `},"finish_reason":`...)
		} else {
			b = append(b, `,"choices":[{"index":0,"text":`...)
			b = strconv.AppendQuote(b, word)
			b = append(b, `,"logprobs":null,"finish_reason":`...)
		}
		b = append(b, finish...)
		b = append(b, "}]}\n\n"...)
		e.buf = b
		e.w.Write(b)
	case triton:
		b = append(b, `data: {"quotedModelname":`...)
		b = append(b, e.modelJSON()...)
		b = append(b, `,"quotedModelversion":"1","text_output":`...)
		b = strconv.AppendQuote(b, word)
		b = append(b, "}\n\n"...)
		e.buf = b
		e.w.Write(b)
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
			ev["details"] = map[string]any{"finish_reason": e.finishReason()[1 : len(e.finishReason())-1], "generated_tokens": n, "seed": nil}
		}
		e.event(ev)
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
			usage := map[string]any{
				"prompt_tokens":     p.promptTokens,
				"completion_tokens": p.outputTokens,
				"total_tokens":      p.promptTokens + p.outputTokens,
			}
			if p.answer != nil && p.answer.reasoning > 0 {
				usage["completion_tokens_details"] = map[string]any{"reasoning_tokens": min(p.answer.reasoning, p.outputTokens)}
			}
			e.event(e.openAI(object, []any{}, usage))
		}
		fmt.Fprint(e.w, "data: [DONE]\n\n")
	}
}

// finishReason is the last token's finish reason as a JSON string.
func (e *encoder) finishReason() string {
	if e.finish == "" {
		return `"length"`
	}
	return e.finish
}

// answerTokens writes tokens from to to-1 of n of an answer with a plan:
// in chat, one event per run of tokens of one kind (reasoning, text, tool
// arguments), all flushed together; elsewhere reasoning is inlined text.
func (e *encoder) answerTokens(from, to, n int) {
	if e.proto != chat {
		if e.proto == tgi {
			for i := from; i < to; i++ {
				_, text := e.answer.token(i)
				e.token(i, n, text)
			}
			return
		}
		var text string
		for i := from; i < to; i++ {
			_, t := e.answer.token(i)
			text += t
		}
		e.token(to-1, n, text)
		return
	}
	for i := from; i < to; {
		kind, text := e.answer.token(i)
		start := i
		for i++; i < to; i++ {
			k, t := e.answer.token(i)
			if k != kind {
				break
			}
			text += t
		}
		finish := "null"
		if i == n {
			finish = e.finishReason()
		}
		b := e.buf[:0]
		b = append(b, `data: {"id":"cmpl-sim-`...)
		b = strconv.AppendInt(b, e.id, 10)
		b = append(b, `","object":"chat.completion.chunk","created":`...)
		b = strconv.AppendInt(b, e.created, 10)
		b = append(b, `,"model":`...)
		b = append(b, e.modelJSON()...)
		b = append(b, `,"choices":[{"index":0,"delta":`...)
		b = chatDelta(b, kind, text, e.answer.tool, e.id, start == e.answer.reasoning)
		b = append(b, `,"finish_reason":`...)
		b = append(b, finish...)
		b = append(b, "}]}\n\n"...)
		e.buf = b
		e.w.Write(b)
	}
}
