package simulator

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
)

// What an answer says, beyond plain words: reasoning first (when the
// simulator is run with ReasoningTokens), then JSON for a request in JSON
// mode, or a tool call for a request that declares tools. Plain answers
// without reasoning take none of this, so the hot path stays as it was.

// Fault kinds that keep the stream healthy and break the answer: each
// makes one kind of check fail on demand.
const (
	FaultBadJSON     = "bad-json"      // a JSON-mode answer that is not valid JSON
	FaultBadToolCall = "bad-tool-call" // a tool call whose arguments are not valid JSON
)

// answerPlan is what the tokens of one answer carry.
type answerPlan struct {
	reasoning int  // the first tokens are reasoning
	inline    bool // reasoning inlined as <think> text (no reasoning field in the protocol)
	// pieces are the answer's tokens' text when it is JSON or a tool
	// call's arguments; nil for words.
	pieces []string
	tool   string // the called tool's name: pieces are its arguments
}

// tokenKind is what one token of an answer is.
type tokenKind uint8

const (
	kindText tokenKind = iota
	kindReasoning
	kindToolArgs
)

// token returns token i's kind and text.
func (a *answerPlan) token(i int) (tokenKind, string) {
	word := words[i%len(words)]
	if a == nil {
		return kindText, word
	}
	if i < a.reasoning {
		if !a.inline {
			return kindReasoning, word
		}
		switch {
		case a.reasoning == 1:
			return kindText, "<think></think>"
		case i == 0:
			return kindText, "<think>"
		case i == a.reasoning-1:
			return kindText, "</think>"
		}
		return kindText, word
	}
	j := i - a.reasoning
	if a.pieces == nil {
		return kindText, word
	}
	text := ""
	if j < len(a.pieces) {
		text = a.pieces[j]
	}
	if a.tool != "" {
		return kindToolArgs, text
	}
	return kindText, text
}

// planAnswer decides what the request's answer says. It returns nil for
// a plain answer without reasoning.
func (s *Server) planAnswer(proto protocol, req *request, fault string, maxTokens int) *answerPlan {
	a := &answerPlan{reasoning: s.cfg.ReasoningTokens, inline: proto != chat}
	if proto == chat && len(req.Tools) > 0 && string(req.ToolChoice) != `"none"` {
		name, params := req.toolToCall()
		a.tool = name
		a.pieces = split(sample(params), fault == FaultBadToolCall)
		return a
	}
	if proto == chat || proto == completions {
		switch req.ResponseFormat.Type {
		case "json_object":
			// One short answer, words as many as max_tokens leaves room
			// for, so the JSON completes within it.
			k := min(max(maxTokens-a.reasoning-2, 1), 16)
			a.pieces = append(a.pieces, `{"answer":"`)
			for i := range k {
				a.pieces = append(a.pieces, words[i%len(words)])
			}
			end := `"}`
			if fault == FaultBadJSON {
				end = `"`
			}
			a.pieces = append(a.pieces, end)
			return a
		case "json_schema":
			a.pieces = split(sample(req.ResponseFormat.JSONSchema.Schema), fault == FaultBadJSON)
			return a
		}
	}
	if a.reasoning == 0 {
		return nil
	}
	return a
}

// tokens is how many tokens the answer has when it runs its course: its
// reasoning and its pieces; 0 for words, which run to max_tokens.
func (a *answerPlan) tokens() int {
	if a == nil || a.pieces == nil {
		return 0
	}
	return a.reasoning + len(a.pieces)
}

// toolToCall is the tool tool_choice names, or the first declared.
func (r *request) toolToCall() (string, map[string]any) {
	var choice struct {
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if json.Unmarshal(r.ToolChoice, &choice) == nil {
		for _, t := range r.Tools {
			if t.Function.Name == choice.Function.Name {
				return t.Function.Name, t.Function.Parameters
			}
		}
	}
	return r.Tools[0].Function.Name, r.Tools[0].Function.Parameters
}

// sample is a JSON document valid against the simple schemas requests
// declare (typed properties, required, enum, const); not a general
// generator, which a simulator does not need.
func sample(schema map[string]any) string {
	b, _ := json.Marshal(sampleValue(schema, 0))
	return string(b)
}

func sampleValue(schema map[string]any, depth int) any {
	if v, ok := schema["const"]; ok {
		return v
	}
	if e, ok := schema["enum"].([]any); ok && len(e) > 0 {
		return e[0]
	}
	typ, _ := schema["type"].(string)
	if types, ok := schema["type"].([]any); ok && len(types) > 0 {
		typ, _ = types[0].(string)
	}
	switch typ {
	case "string":
		return "sim"
	case "integer", "number":
		if m, ok := schema["minimum"].(float64); ok {
			return m
		}
		return 1
	case "boolean":
		return true
	case "array":
		return []any{}
	case "null":
		return nil
	}
	out := map[string]any{}
	props, _ := schema["properties"].(map[string]any)
	req, _ := schema["required"].([]any)
	if depth > 8 {
		return out
	}
	names := make([]string, 0, len(req))
	for _, n := range req {
		if s, ok := n.(string); ok {
			names = append(names, s)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		p, _ := props[n].(map[string]any)
		out[n] = sampleValue(p, depth+1)
	}
	return out
}

// split cuts a document into tokens of a few bytes; broken drops its last
// byte, so it never parses.
func split(doc string, broken bool) []string {
	if broken && len(doc) > 1 {
		doc = doc[:len(doc)-1]
	}
	const tokenBytes = 4
	out := make([]string, 0, len(doc)/tokenBytes+1)
	for len(doc) > 0 {
		n := min(tokenBytes, len(doc))
		out = append(out, doc[:n])
		doc = doc[n:]
	}
	return out
}

// appendJSONString appends s as a JSON string: strconv.AppendQuote's
// output is JSON only for printable ASCII, which generated pieces need
// not be (an enum value in a schema).
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '\\' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	return strconv.AppendQuote(b, s)
}

// chatDelta is a chat event's delta for a run of tokens of one kind.
func chatDelta(b []byte, kind tokenKind, text, tool string, id int64, first bool) []byte {
	switch kind {
	case kindReasoning:
		b = append(b, `{"reasoning_content":`...)
		b = appendJSONString(b, text)
		return append(b, '}')
	case kindToolArgs:
		b = append(b, `{"tool_calls":[{"index":0,`...)
		if first {
			b = fmt.Appendf(b, `"id":"call_sim_%d","type":"function","function":{"name":`, id)
			b = appendJSONString(b, tool)
			b = append(b, `,"arguments":`...)
		} else {
			b = append(b, `"function":{"arguments":`...)
		}
		b = appendJSONString(b, text)
		return append(b, `}}]}`...)
	}
	b = append(b, `{"content":`...)
	b = appendJSONString(b, text)
	return append(b, '}')
}
