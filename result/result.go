// Package result is the vocabulary shared by the prober, which produces
// per-request results, and the report and collector, which consume them.
// It exists so those packages depend on a type, not on each other.
package result

import "time"

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
)

// Outcomes lists every class, in the order reports show them.
var Outcomes = []Outcome{Success, HTTP4xx, HTTP5xx, Timeout, ConnectionError, StreamError, Cancelled}

// TokenSource says where an output token count came from.
type TokenSource string

const (
	TokensFromUsage  TokenSource = "usage"  // the server's usage report
	TokensFromEvents TokenSource = "events" // counted content events
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

	Intended     time.Time // when the schedule said to send
	Sent         time.Time // when the request was handed to the transport
	Headers      time.Time // when response headers arrived
	FirstEvent   time.Time // first stream event of any kind (role-only included)
	FirstContent time.Time // first event carrying generated output
	End          time.Time // end of the stream, or of the failure

	Outcome Outcome
	Status  int    // HTTP status, when one was received
	Reason  string // detail for failures; empty on success

	InputTokens  int
	OutputTokens int
	TokensFrom   TokenSource
	// ContentEvents is the number of content-bearing events.
	ContentEvents int

	// ITL holds the inter-token gaps of this request. It is handed to the
	// aggregator, which folds it into a sketch and drops it, so per-token
	// data never accumulates across a window.
	ITL []time.Duration
	// TokensBySecond is the output-token timeline, run-length by second.
	TokensBySecond []SecondTokens
	// Text is the generated text, kept only when the workload needs it
	// (multi-turn sessions send it back as the assistant's turn).
	Text string
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
// (end − first content) / (output tokens − 1). Undefined for one token.
func (r *Result) TPOT() (time.Duration, bool) {
	if r.OutputTokens < 2 || r.FirstContent.IsZero() || r.End.IsZero() {
		return 0, false
	}
	return r.End.Sub(r.FirstContent) / time.Duration(r.OutputTokens-1), true
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
