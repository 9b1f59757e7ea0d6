// Package prober speaks the LLM serving APIs, one file per API (OpenAI
// chat and completions, TGI, Triton, OpenAI embeddings, rerank) behind
// one interface, API: it builds a prompt's request and says what each
// event of the answer means. Sending a request and measuring its answer
// is package measure's job; running a schedule of requests, package
// loadgen's.
package prober

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/inferno-llm/inferno/checks"
	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/internal/httpclient"
	"github.com/inferno-llm/inferno/internal/jsonscan"
)

// Params are the generation parameters every API shares.
type Params struct {
	MaxTokens int
	// MinTokens and IgnoreEOS are vLLM's and SGLang's extensions; every
	// OpenAI-style API sends them when asked (servers that do not know
	// them ignore or refuse them, which is seen), TGI and Triton have none.
	MinTokens   int
	IgnoreEOS   bool
	Temperature *float64
	TopP        *float64
	// Extra fields are merged into the request body as given, so options
	// Inferno does not model (seed, stop, n, ...) still reach the server.
	Extra map[string]any
	// ResponseFormat, Tools and ToolChoice are OpenAI's, sent as given
	// (response_format by the OpenAI APIs, tools by chat only); a canary
	// prompt's own replace them for its request.
	ResponseFormat map[string]any
	Tools          []any
	ToolChoice     any
	// Checks judge every successful answer; ToolSchemas are Tools'
	// parameter schemas, for tool_call checks.
	Checks      checks.Set
	ToolSchemas checks.Tools
}

// DeclaresTools says whether an API sends tools and tool_choice.
func DeclaresTools(a API) bool {
	_, ok := a.(openAIChat)
	return ok
}

// TakesResponseFormat says whether an API sends response_format.
func TakesResponseFormat(a API) bool {
	switch a.(type) {
	case openAIChat, openAICompletions:
		return true
	}
	return false
}

// Usage is the server's own token count.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	// Details, where the server gives them, count the reasoning tokens
	// among the completion tokens (OpenAI's reasoning models, which
	// stream no reasoning, give only this).
	Details *UsageDetails `json:"completion_tokens_details,omitempty"`
}

// UsageDetails is usage.completion_tokens_details.
type UsageDetails struct {
	ReasoningTokens int `json:"reasoning_tokens"`
}

// UnmarshalJSON reads reasoning_tokens where it is a whole number and
// ignores the details otherwise: a server's odd details must not fail a
// stream whose answer is whole.
func (d *UsageDetails) UnmarshalJSON(b []byte) error {
	var v struct {
		ReasoningTokens *int `json:"reasoning_tokens"`
	}
	if json.Unmarshal(b, &v) == nil && v.ReasoningTokens != nil {
		d.ReasoningTokens = *v.ReasoningTokens
	}
	return nil
}

// Chunk is what one stream event means for measurement.
type Chunk struct {
	// Content is true when the event carries generated output: text,
	// reasoning content or a tool call. Role-only chunks are not content.
	Content bool
	// Tokens is how many tokens the event carries when the server says so;
	// zero means unknown, counted as one.
	Tokens int
	Text   string
	// Size is the length of the generated content the event carries (text,
	// reasoning, tool-call arguments) in bytes: when the server's usage
	// shows more tokens than events, each event's share is estimated from it.
	Size int
	// Piece is the event's text (completion text or delta content, never
	// reasoning), whether or not Text is asked for: reasoning-aware timing
	// looks for inlined <think> spans in it. It aliases the event's data
	// where it can, so it is valid only until the next event is read.
	Piece []byte `json:"-"`
	// Reasoning is the bytes of reasoning content (reasoning_content or
	// reasoning deltas) the event carries; ToolCalls counts its tool-call
	// deltas.
	Reasoning int `json:",omitempty"`
	ToolCalls int `json:",omitempty"`
	// Truncated is true when a choice finished with reason "length": the
	// answer was cut at max_tokens.
	Truncated bool `json:",omitempty"`
	Usage     *Usage
	// Finished is true when the event carries a finish_reason: the answer
	// is complete even if the stream's terminal marker never comes.
	Finished bool
	// Done marks the API's terminal event.
	Done bool
	// ServerError is an error the server reported inside the stream.
	ServerError string
}

// API speaks one server's streaming protocol.
type API interface {
	Name() string
	// NewRequest builds the HTTP request for one prompt; base is the
	// target's URL (for OpenAI, the /v1 base).
	NewRequest(ctx context.Context, base, model string, p dataset.Prompt, params Params) (*http.Request, error)
	// Decode interprets one event's data.
	Decode(data []byte) (Chunk, error)
	// EndsWithMarker says whether a complete stream ends with a terminal
	// event; for such APIs a stream that just stops is truncated.
	EndsWithMarker() bool
}

// APINames lists the accepted api values, aliases included.
func APINames() []string {
	names := make([]string, 0, len(apis))
	for n := range apis {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var apis = map[string]API{
	"openai-chat":        openAIChat{},
	"openai-completions": openAICompletions{},
	"tgi":                tgi{},
	"triton":             triton{},
	"openai-embeddings":  openAIEmbeddings{},
	"rerank":             rerank{},
	// The old tool's endpoint types: every one of them streamed OpenAI chat.
	"openai":     openAIChat{},
	"friendliai": openAIChat{},
	"vllm":       openAIChat{vllm: true},
	// Completions flavour of vLLM for the old tool's legacy mode.
	"vllm-completions": openAICompletions{vllm: true},
}

// LookupAPI returns the API for a configured name.
func LookupAPI(name string) (API, error) {
	a, ok := apis[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("unknown api %q (want one of %s)", name, strings.Join(APINames(), ", "))
	}
	return a, nil
}

// LegacyAPI maps the old tool's endpoint_type and legacy flag onto an API.
func LegacyAPI(endpointType string, legacy bool) (API, error) {
	a, err := LookupAPI(endpointType)
	if err != nil {
		return nil, err
	}
	if legacy {
		if c, ok := a.(openAIChat); ok {
			return openAICompletions(c), nil
		}
	}
	return a, nil
}

func postJSON(ctx context.Context, u string, body map[string]any, extra map[string]any) (*http.Request, error) {
	for k, v := range extra {
		if _, set := body[k]; !set {
			body[k] = v
		}
	}
	b, err := encodeBody(body)
	if err != nil {
		return nil, fmt.Errorf("encode request body: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	// No compression: it would hold tokens back in the server's buffer.
	// Set explicitly, so Go's transport does not ask for gzip itself.
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("User-Agent", httpclient.UserAgent)
	return req, nil
}

// joinURL appends an API path to the target's base URL, before its query
// string (Azure's ?api-version=) where it has one.
func joinURL(base, path string) string {
	base, query, hasQuery := strings.Cut(base, "?")
	u := strings.TrimRight(base, "/") + path
	if hasQuery {
		u += "?" + query
	}
	return u
}

func setSampling(body map[string]any, p Params) {
	if p.Temperature != nil {
		body["temperature"] = *p.Temperature
	}
	if p.TopP != nil {
		body["top_p"] = *p.TopP
	}
}

func maxTokens(p dataset.Prompt, params Params) int {
	if p.MaxTokens > 0 {
		return p.MaxTokens
	}
	return params.MaxTokens
}

// The fast decoders (fastOpenAI, fastTGI, fastTriton) read the few fields
// a chunk needs through internal/jsonscan, without reflection or
// allocation, and decline whatever is outside the plain shape real
// servers send; encoding/json's result is the definition, and
// FuzzChunkDifferential checks that whenever a fast decoder answers,
// encoding/json gives the same chunk.

// LeanDecoder is implemented by the APIs with an allocation-free fast
// path: the measurement asks them for a chunk's text only when it keeps
// it.
type LeanDecoder interface {
	DecodeLean(data []byte, wantText bool) (Chunk, error)
}

// decodeWith tries a fast decoder and falls back to the encoding/json
// definition wherever the fast one declines.
func decodeWith(data []byte, wantText bool, fast func([]byte, bool) (Chunk, bool), full func([]byte) (Chunk, error)) (Chunk, error) {
	if c, ok := fast(data, wantText); ok {
		return c, nil
	}
	c, err := full(data)
	if !wantText {
		c.Text = ""
	}
	return c, err
}

// scanCount reads a token count of a fast decoder into dst; null leaves
// dst as it was, as encoding/json does.
func scanCount(s *jsonscan.Scanner, dst *int) bool {
	if s.Null() {
		return true
	}
	n, ok := s.Integer()
	*dst = n
	return ok
}

// errorMessage pulls a readable message from an error that may be an
// object ({"message": ...}) or a string.
func errorMessage(raw json.RawMessage) string {
	var obj struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &obj) == nil && obj.Message != "" {
		return obj.Message
	}
	var s string
	if json.Unmarshal(raw, &s) == nil && s != "" {
		return s
	}
	return excerpt(raw)
}

func excerpt(b []byte) string {
	const n = 120
	if len(b) > n {
		return fmt.Sprintf("%q…", b[:n])
	}
	return fmt.Sprintf("%q", b)
}
