// Package dataset turns a workload description into what the load generator sends:
// an arrival schedule and a source of prompts.
package dataset

import "strings"

// Message is one chat turn.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
	// Images are image URLs (data URLs of generated PNGs, or a data
	// file's references) sent after the text as image_url parts; see
	// MarshalJSON.
	Images []string `json:"-"`
}

// Prompt is one request's input, independent of the API that carries it.
type Prompt struct {
	Messages []Message
	// InputTokens is the prompt length the source intended (the server's
	// usage, when it reports one, takes precedence in results).
	InputTokens int
	// MaxTokens, when positive, overrides the workload's output length.
	MaxTokens int
	// Canary, when set, adds its checks to the workload's and its tools
	// and response_format to the request.
	Canary *Canary
	// Model, when set, is sent instead of the target's (a model mix).
	Model string
}

// Text flattens the conversation for completion-style APIs the way the old
// tool's legacy mode did: one "role: content" line per message. A single
// user message is sent as is.
func (p Prompt) Text() string {
	if len(p.Messages) == 1 && p.Messages[0].Role == "user" {
		return p.Messages[0].Content
	}
	var b strings.Builder
	for i, m := range p.Messages {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(m.Role)
		b.WriteString(": ")
		b.WriteString(m.Content)
	}
	return b.String()
}
