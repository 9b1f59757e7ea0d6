package checks

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// MaxAnswerBytes caps what is kept of one answer, text and tool-call
// arguments together: a check needs the answer, but a prober with
// thousands of streams in flight must not hold megabytes for each.
const MaxAnswerBytes = 64 << 10

// CutMarker ends an answer cut at MaxAnswerBytes.
const CutMarker = "…[cut at 64 KiB]"

// maxToolCalls bounds the tool calls kept of one answer.
const maxToolCalls = 16

// ToolCall is one assembled tool call.
type ToolCall struct {
	Name      string
	Arguments string
}

// Answer is what a stream left to judge.
type Answer struct {
	// Text is the answer's content without reasoning, cut at
	// MaxAnswerBytes (then Cut is true and Text ends with CutMarker).
	Text         string
	Cut          bool
	ToolCalls    []ToolCall
	FinishReason string
	// Tools are the tools the request declared, by name, with their
	// parameter schemas.
	Tools Tools
}

// json decodes the answer as one JSON value. A lone fenced code block
// (```json ... ```) counts as its content: chat models asked for JSON in
// words, without a response_format, often fence it, and the endpoint
// still did what was asked.
func (a *Answer) json() (any, error) {
	if a.Cut {
		return nil, errors.New("the answer is over 64 KiB and was cut: not judged as JSON")
	}
	s := strings.TrimSpace(a.Text)
	if s == "" {
		return nil, errors.New("not JSON: the answer is empty")
	}
	s = unfence(s)
	v, err := parseJSON(s)
	if err != nil {
		return nil, fmt.Errorf("not JSON: %s", cut(oneLine(err.Error()), 120))
	}
	return v, nil
}

// unfence returns the content of s when s is exactly one fenced block.
func unfence(s string) string {
	if !strings.HasPrefix(s, "```") || !strings.HasSuffix(s, "```") || len(s) < 6 {
		return s
	}
	body := s[3 : len(s)-3]
	nl := strings.IndexByte(body, '\n')
	if nl < 0 || strings.Contains(body, "```") {
		return s
	}
	if lang := strings.TrimSpace(body[:nl]); lang != "" && lang != "json" && lang != "JSON" {
		return s
	}
	return strings.TrimSpace(body[nl+1:])
}

func (a *Answer) judgeToolCall(name string) (bool, string) {
	if len(a.ToolCalls) == 0 {
		return false, "no tool call in the answer"
	}
	var why string
	for _, tc := range a.ToolCalls {
		if name != "" && tc.Name != name {
			why = fmt.Sprintf("no call of tool %q (called %q)", cut(name, 64), cut(tc.Name, 64))
			continue
		}
		if a.Cut {
			return false, "the answer is over 64 KiB and was cut: arguments not judged"
		}
		args := strings.TrimSpace(tc.Arguments)
		if args == "" {
			// OpenAI sends "{}" for a call without arguments; an empty
			// string is what a server that lost them sends.
			return false, fmt.Sprintf("tool %q: empty arguments", cut(tc.Name, 64))
		}
		v, err := parseJSON(args)
		if err != nil {
			return false, fmt.Sprintf("tool %q: arguments are not JSON: %s", cut(tc.Name, 64), cut(oneLine(err.Error()), 120))
		}
		if schema := a.Tools[tc.Name]; schema != nil {
			if err := schema.Validate(v); err != nil {
				return false, fmt.Sprintf("tool %q: arguments: %s", cut(tc.Name, 64), validationReason(err))
			}
		} else if _, declared := a.Tools[tc.Name]; !declared && len(a.Tools) > 0 {
			return false, fmt.Sprintf("tool %q was not declared in the request", cut(tc.Name, 64))
		}
		return true, ""
	}
	return false, why
}

// Assembler collects an answer from a stream's pieces within
// MaxAnswerBytes. The zero value is ready; it is not safe for concurrent
// use (one stream is read by one goroutine).
type Assembler struct {
	text   []byte
	kept   int // bytes of text and arguments kept
	cut    bool
	calls  []draftCall
	finish string
}

type draftCall struct {
	index int
	name  string
	args  []byte
}

// room is how many of n more bytes may be kept; past the cap it marks
// the answer cut.
func (as *Assembler) room(n int) int {
	left := MaxAnswerBytes - as.kept
	if n > left {
		as.cut = true
		n = max(left, 0)
	}
	as.kept += n
	return n
}

// Text adds answer text.
func (as *Assembler) Text(b []byte) {
	as.text = append(as.text, b[:as.room(len(b))]...)
}

// DropText forgets the text so far: it turned out to be reasoning (a
// </think> closed a span whose opening tag was in the prompt).
func (as *Assembler) DropText() {
	as.kept -= len(as.text)
	as.text = as.text[:0]
}

// Finish records the stream's finish reason; "length" sticks, so a later
// event cannot hide that the answer was cut.
func (as *Assembler) Finish(reason string) {
	if reason != "" && as.finish != "length" {
		as.finish = reason
	}
}

// toolCallDelta is one element of an OpenAI delta's tool_calls.
type toolCallDelta struct {
	Index    *int `json:"index"`
	Function *struct {
		Name      *string `json:"name"`
		Arguments *string `json:"arguments"`
	} `json:"function"`
}

// ToolCalls adds a delta's tool_calls, the raw JSON array as the server
// sent it: the first delta of a call names it, later ones append pieces
// of its arguments, matched by index (by position where a server gives
// none). An undecodable delta is an error; the stream's outcome is not
// the assembler's to judge, so the caller only loses that piece.
func (as *Assembler) ToolCalls(raw []byte) error {
	var deltas []toolCallDelta
	if err := json.Unmarshal(raw, &deltas); err != nil {
		return fmt.Errorf("tool_calls: %w", err)
	}
	for pos, d := range deltas {
		index := pos
		if d.Index != nil {
			index = *d.Index
		}
		call := as.call(index)
		if call == nil || d.Function == nil {
			continue
		}
		if d.Function.Name != nil && *d.Function.Name != "" {
			call.name = cut(*d.Function.Name, 256)
		}
		if d.Function.Arguments != nil {
			a := *d.Function.Arguments
			call.args = append(call.args, a[:as.room(len(a))]...)
		}
	}
	return nil
}

func (as *Assembler) call(index int) *draftCall {
	for i := range as.calls {
		if as.calls[i].index == index {
			return &as.calls[i]
		}
	}
	if len(as.calls) >= maxToolCalls {
		as.cut = true
		return nil
	}
	as.calls = append(as.calls, draftCall{index: index})
	return &as.calls[len(as.calls)-1]
}

// Answer is the assembled answer, judged against the declared tools.
func (as *Assembler) Answer(tools Tools) *Answer {
	a := &Answer{Text: string(as.text), Cut: as.cut, FinishReason: as.finish, Tools: tools}
	if as.cut {
		a.Text += CutMarker
	}
	for _, c := range as.calls {
		a.ToolCalls = append(a.ToolCalls, ToolCall{Name: c.name, Arguments: string(c.args)})
	}
	return a
}

// Excerpt is an answer as a report shows a failing one: its text (or its
// tool calls, when it has no text) cut to n bytes.
func (a *Answer) Excerpt(n int) string {
	s := a.Text
	if strings.TrimSpace(s) == "" && len(a.ToolCalls) > 0 {
		var b strings.Builder
		for i, tc := range a.ToolCalls {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "tool_call %s(%s)", tc.Name, tc.Arguments)
		}
		s = b.String()
	}
	if len(s) > n {
		return cut(s, n) + "…"
	}
	return s
}
