// Package result is the vocabulary shared by the prober, which produces
// per-request results, and the report and collector, which consume them.
// It exists so those packages depend on a type, not on each other.
package result

import (
	"encoding/hex"
	"time"
)

// Outcome classifies how a request ended.
type Outcome string

// The outcome classes. Reason (on Result) carries the detail.
const (
	Success         Outcome = "success"
	HTTP4xx         Outcome = "http_4xx"
	HTTP5xx         Outcome = "http_5xx"
	Timeout         Outcome = "timeout"
	ConnectionError Outcome = "connection_error"
	StreamError     Outcome = "stream_error"
	Cancelled       Outcome = "cancelled"
	// NotSent is an arrival the schedule had due inside the window that
	// was never sent: no free slot under max_concurrency before the window
	// stopped sending, or the window was cancelled first. It has an
	// intended time and no send time.
	NotSent Outcome = "not_sent"
)

// Outcomes lists every class, in the order reports show them.
var Outcomes = []Outcome{Success, HTTP4xx, HTTP5xx, Timeout, ConnectionError, StreamError, Cancelled, NotSent}

// TokenSource says where an output token count came from.
type TokenSource string

const (
	TokensFromUsage  TokenSource = "usage"  // the server's usage report
	TokensFromEvents TokenSource = "events" // counted content events
	// TokensFromRequest is an input length as the workload asked for it
	// (the synthesizer's or dataset's count), for servers that report none.
	TokensFromRequest TokenSource = "request"
	// TokensFromTokenizer: the generated text counted by the workload's
	// tokenizer, where the server reports no usage.
	TokensFromTokenizer TokenSource = "tokenizer"
)

// SecondTokens counts output tokens that arrived in one second of the
// window (Second is whole seconds since the window's start).
type SecondTokens struct {
	Second int32
	Tokens int32
}

// Result is one request's measurement. Times come from Go's monotonic clock;
// a zero time means the request never got that far.
type Result struct {
	Index  int  // position in the window's schedule
	Warmup bool // sent before the window; excluded from statistics

	// TraceID is the W3C trace id of the traceparent the request carried
	// (zero when unknown: a configured header Inferno could not read).
	// RequestID is the request's own id: the parent id of the traceparent
	// Inferno made, or a fresh one beside a configured traceparent. Both
	// are arrays, so a result costs no allocation for them.
	TraceID   [16]byte
	RequestID [8]byte
	// Model is the model the request asked for when a model mix drew it;
	// empty means the target's.
	Model string
	// Images and ImageBytes are the images the request carried and their
	// size as sent (data URLs included).
	Images     int
	ImageBytes int64

	Intended     time.Time // when the schedule said to send
	Sent         time.Time // when the request was handed to the transport
	Headers      time.Time // when response headers arrived
	FirstEvent   time.Time // first stream event of any kind (role-only included)
	FirstContent time.Time // first event carrying generated output
	LastContent  time.Time // last event carrying generated output
	End          time.Time // end of the stream, or of the failure

	// Conn holds the connection phases of the request (httptrace).
	Conn ConnPhases

	Outcome Outcome
	Status  int    // HTTP status, when one was received
	Reason  string // detail for failures; empty on success

	// InputTokens is the server's prompt_tokens where its usage gives
	// them, else RequestedInputTokens; InputTokensFrom says which.
	InputTokens          int
	InputTokensFrom      TokenSource
	RequestedInputTokens int
	OutputTokens         int
	TokensFrom           TokenSource
	// ProtocolWarning is set on a success whose stream broke the protocol
	// in a way that lost nothing (it ended without [DONE] after its
	// finish_reason or usage).
	ProtocolWarning string
	// ContentEvents is the number of content-bearing events.
	ContentEvents int

	// ITL holds the inter-token gaps of this request. It is handed to the
	// aggregator, which folds it into a sketch and drops it, so per-token
	// data never accumulates across a window.
	ITL []time.Duration
	// TokensBySecond is the output-token timeline, run-length by second.
	TokensBySecond []SecondTokens
	// TokensByHalfSecond is the same timeline by half-second (Second
	// counts halves), for the old tool's smoothed throughput, whose 5 s
	// windows move in 0.5 s steps.
	TokensByHalfSecond []SecondTokens
	// Text is the generated text, kept only when the workload needs it
	// (multi-turn sessions send it back as the assistant's turn).
	Text string

	// FirstAnswer is the first event carrying answer content (text that
	// is not reasoning, or a tool call); zero when the answer never came.
	FirstAnswer time.Time
	// ReasoningTokens are the output tokens of reasoning events
	// (reasoning_content or reasoning deltas, inlined <think> spans).
	ReasoningTokens int
	// AnswerITLFrom is where ITL's gaps between answer tokens begin: the
	// gaps before it are reasoning's, and the first answer token's own.
	AnswerITLFrom int
	// Checks are the workload's checks judged on the answer; nil without
	// checks, or when the request failed (there was no answer to judge).
	Checks []CheckResult
}

// CheckResult is one check's verdict on one answer. A failed check keeps
// the reason and the answer's start, for the report's examples.
type CheckResult struct {
	Name   string
	Pass   bool
	Reason string
	Answer string
}

// TimeToFirstAnswer is the time from actual send to the first answer
// event: for a reasoning model, the wait before the user reads anything.
func (r *Result) TimeToFirstAnswer() (time.Duration, bool) {
	if r.FirstAnswer.IsZero() || r.Sent.IsZero() {
		return 0, false
	}
	return r.FirstAnswer.Sub(r.Sent), true
}

// AnswerTokens are the output tokens that were not reasoning.
func (r *Result) AnswerTokens() int { return max(r.OutputTokens-r.ReasoningTokens, 0) }

// AnswerTPOT is TPOT over the answer's tokens: (last content − first
// answer) / (answer tokens − 1). Undefined without two answer tokens.
func (r *Result) AnswerTPOT() (time.Duration, bool) {
	last := r.LastContent
	if last.IsZero() {
		last = r.End // results built before LastContent existed
	}
	n := r.AnswerTokens()
	if n < 2 || r.FirstAnswer.IsZero() || !last.After(r.FirstAnswer) {
		return 0, false
	}
	return last.Sub(r.FirstAnswer) / time.Duration(n-1), true
}

// AnswerITL are the gaps between answer tokens.
func (r *Result) AnswerITL() []time.Duration {
	if r.FirstAnswer.IsZero() || r.AnswerITLFrom > len(r.ITL) {
		return nil
	}
	return r.ITL[r.AnswerITLFrom:]
}

// TraceIDString is the trace id in hex, or "" when none is known.
func (r *Result) TraceIDString() string {
	if r.TraceID == ([16]byte{}) {
		return ""
	}
	return hex.EncodeToString(r.TraceID[:])
}

// RequestIDString is the request id in hex, or "" when it has none.
func (r *Result) RequestIDString() string {
	if r.RequestID == ([8]byte{}) {
		return ""
	}
	return hex.EncodeToString(r.RequestID[:])
}

// ConnPhases are a request's connection phases, as net/http/httptrace
// reports them. On a reused connection only RequestWritten is set: there
// was no lookup, dial or handshake to time.
type ConnPhases struct {
	Reused bool // the request went out on an idle keep-alive connection
	// DNS, Connect and TLS are the lookup, TCP connect and TLS handshake
	// of the connection the request opened; 0 when it had none.
	DNS, Connect, TLS time.Duration
	// RequestWritten is when the whole request (headers and body) was on
	// the wire.
	RequestWritten time.Time
}

// Setup is the time spent opening the request's connection (lookup,
// connect and handshake), or false when it reused one.
func (c ConnPhases) Setup() (time.Duration, bool) {
	if c.Reused || c.Connect <= 0 {
		return 0, false
	}
	return c.DNS + c.Connect + c.TLS, true
}

// WriteTime is the time from send to the request being written, or false
// when it never was.
func (r *Result) WriteTime() (time.Duration, bool) {
	if r.Conn.RequestWritten.IsZero() || r.Sent.IsZero() {
		return 0, false
	}
	return r.Conn.RequestWritten.Sub(r.Sent), true
}

// Succeeded reports whether the request completed successfully.
func (r *Result) Succeeded() bool { return r.Outcome == Success }

// TTFT is the time from actual send to the first content event.
func (r *Result) TTFT() (time.Duration, bool) {
	if r.FirstContent.IsZero() || r.Sent.IsZero() {
		return 0, false
	}
	return r.FirstContent.Sub(r.Sent), true
}

// TTFTFromSchedule is the time from the intended send to the first content
// event: the user's view, free of coordinated omission.
func (r *Result) TTFTFromSchedule() (time.Duration, bool) {
	if r.FirstContent.IsZero() || r.Intended.IsZero() {
		return 0, false
	}
	return r.FirstContent.Sub(r.Intended), true
}

// LatencyFromSchedule is the time from the intended send to the end of the
// stream: the end-to-end latency the user saw.
func (r *Result) LatencyFromSchedule() (time.Duration, bool) {
	if r.End.IsZero() || r.Intended.IsZero() {
		return 0, false
	}
	return r.End.Sub(r.Intended), true
}

// FirstEventLatency is the time from send to the first event of any kind,
// the old tool's meaning of TTFT.
func (r *Result) FirstEventLatency() (time.Duration, bool) {
	if r.FirstEvent.IsZero() || r.Sent.IsZero() {
		return 0, false
	}
	return r.FirstEvent.Sub(r.Sent), true
}

// Latency is the end-to-end time from send to the end of the stream.
func (r *Result) Latency() (time.Duration, bool) {
	if r.End.IsZero() || r.Sent.IsZero() {
		return 0, false
	}
	return r.End.Sub(r.Sent), true
}

// TPOT is the decode time per output token after the first:
// (last content − first content) / (output tokens − 1). A trailing usage
// event or a slow [DONE] is not decode time. Undefined for one token.
func (r *Result) TPOT() (time.Duration, bool) {
	last := r.LastContent
	if last.IsZero() {
		last = r.End // results built before LastContent existed
	}
	if r.OutputTokens < 2 || r.FirstContent.IsZero() || last.IsZero() {
		return 0, false
	}
	return last.Sub(r.FirstContent) / time.Duration(r.OutputTokens-1), true
}

// E2EPerToken is end-to-end latency divided by output tokens, TTFT
// included: the old tool's TPOT.
func (r *Result) E2EPerToken() (time.Duration, bool) {
	l, ok := r.Latency()
	if !ok || r.OutputTokens < 1 {
		return 0, false
	}
	return l / time.Duration(r.OutputTokens), true
}

// ScheduleLag is how late the request went out against its schedule.
func (r *Result) ScheduleLag() (time.Duration, bool) {
	if r.Sent.IsZero() || r.Intended.IsZero() {
		return 0, false
	}
	return r.Sent.Sub(r.Intended), true
}
