// Package measure sends one request to a target and measures its answer:
// the connection's phases, the times of its first and later tokens, its
// tokens (the server's usage, a tokenizer's count or the events),
// reasoning apart from the answer, the output checks, and every failure
// classified by its cause. The API adapters (package prober) build the
// request and say what each event means; the load generator (package
// loadgen) decides when requests go.
package measure

import (
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/inferno-llm/inferno/checks"
	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/internal/httpclient"
	"github.com/inferno-llm/inferno/internal/sse"
	"github.com/inferno-llm/inferno/prober"
	"github.com/inferno-llm/inferno/result"
	"github.com/inferno-llm/inferno/tokenizer"
)

// Target is one endpoint as the prober measures it.
type Target struct {
	Name   string
	URL    string // base URL, e.g. http://host:8000/v1
	Model  string
	API    prober.API
	Client *http.Client
	// Transport says which transport Client's requests take
	// (httpclient.TransportH1, TransportTuned or TransportCommon), for the
	// report.
	Transport string
	// Tokenizer, when set, counts the generated text where the server
	// reports no usage (Triton), instead of counting content events.
	Tokenizer tokenizer.Tokenizer
	// TraceparentConfigured says the target's configured headers set a
	// traceparent (Traceparent is its value, "" when it is a secret or a
	// file): the client adds it, and Inferno adds none of its own.
	TraceparentConfigured bool
	Traceparent           string
}

// Causes attached to contexts so a cancelled request can be classified:
// its own timeout, and the two a window cancels its requests with (its
// hard deadline, the end of the grace after its duration).
var (
	errRequestTimeout = errors.New("request timeout")
	ErrWindowDeadline = errors.New("window deadline reached")
	ErrGraceOver      = errors.New("grace period after the window's duration ran out")
)

// sendByKey carries, on a request's context, the time after which it must
// not be sent (the end of its window's duration).
type sendByKey struct{}

// WithSendBy marks ctx with the time after which a request must not be
// sent (the end of its window's duration): Send then reports it not sent
// rather than send it after the window.
func WithSendBy(ctx context.Context, by time.Time) context.Context {
	return context.WithValue(ctx, sendByKey{}, by)
}

// maxErrorBody bounds how much of an error response is read for its reason.
const maxErrorBody = 4 << 10

// Send runs one request and fills res. It never returns an error: every
// failure is an outcome on the result. timeout bounds the request (0:
// none), windowStart is where its token timelines count from, and
// keepText keeps the answer's text (a session's next turn carries it).
func (t *Target) Send(ctx context.Context, p dataset.Prompt, params prober.Params, timeout time.Duration, windowStart time.Time, keepText bool, res *result.Result) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, timeout, errRequestTimeout)
		defer cancel()
	}
	res.InputTokens, res.RequestedInputTokens, res.InputTokensFrom = p.InputTokens, p.InputTokens, result.TokensFromRequest
	trace := &connTrace{}
	// Refreshed at the end too: a server that answers before reading the
	// whole body gets its headers to us before the request is written.
	defer func() { res.Conn = trace.phases() }()
	res.ImageBytes, res.Images = dataset.ImageBytes(p.Messages)
	model := t.Model
	if p.Model != "" {
		model, res.Model = p.Model, p.Model
	}
	req, err := t.API.NewRequest(trace.with(ctx), t.URL, model, p, params)
	if err != nil {
		res.Sent = time.Now()
		t.fail(ctx, res, result.ConnectionError, fmt.Sprintf("build request: %v", err))
		return
	}
	t.setTraceContext(req.Header, res)
	res.Sent = time.Now()
	if by, ok := ctx.Value(sendByKey{}).(time.Time); ok && res.Sent.After(by) {
		// The window stopped sending while this request was on its way
		// out: it is not sent, so no request goes out after the window.
		res.Sent, res.Outcome, res.Reason = time.Time{}, result.NotSent, "sending stopped before the prober could send it"
		return
	}
	resp, err := t.Client.Do(req)
	res.Conn = trace.phases()
	if err != nil {
		t.fail(ctx, res, result.ConnectionError, connectionReason(err))
		return
	}
	defer resp.Body.Close()
	res.Headers = time.Now()
	res.Status = resp.StatusCode
	if resp.StatusCode < 200 {
		// 101: the connection speaks another protocol now; no HTTP answer
		// (nor a stream) is coming, and its "body" is the raw connection.
		t.fail(ctx, res, result.StreamError, fmt.Sprintf("HTTP %d: the server switched protocols instead of answering", resp.StatusCode))
		return
	}
	if resp.StatusCode >= 300 {
		t.failStatus(ctx, res, resp)
		return
	}
	if whole, ok := t.API.(prober.WholeResponse); ok {
		t.readWhole(ctx, resp.Body, res, p, whole)
		if res.Outcome == result.Success {
			drain(resp.Body)
		}
		return
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		if mt, _, _ := mime.ParseMediaType(ct); mt != "text/event-stream" {
			t.fail(ctx, res, result.StreamError, fmt.Sprintf("not an event stream: Content-Type %q", headerValue(resp.Header, "Content-Type")))
			return
		}
	}
	var body io.Reader = resp.Body
	switch enc := strings.ToLower(resp.Header.Get("Content-Encoding")); enc {
	case "", "identity":
	case "gzip":
		// Not asked for, but readable: measure what the client sees,
		// compression's buffering included.
		gz, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.fail(ctx, res, result.StreamError, "gzip stream: "+innermost(err))
			return
		}
		body = gz
	default:
		t.fail(ctx, res, result.StreamError, fmt.Sprintf("Content-Encoding %q, though identity was asked for", headerValue(resp.Header, "Content-Encoding")))
		return
	}
	asm := assembler(p, params)
	t.readStream(ctx, body, res, windowStart, keepText || t.Tokenizer != nil, asm)
	t.countOutput(res, keepText)
	if asm != nil && res.Succeeded() {
		judge(res, asm, p, params)
	}
	if res.Outcome == result.Success {
		// The terminal event can come a read before the end of the body
		// (a chunked body's last chunk): read to it, after the stream's
		// end was stamped, so the connection goes back to the pool. A body
		// closed early is a connection closed, and its replacement's dial
		// would land in a later request's TTFT.
		drain(resp.Body)
	}
}

// countTokens counts an answer's text with the tokenizer where the server
// gave no usage.
func (t *Target) countTokens(res *result.Result) {
	if t.Tokenizer == nil || res.TokensFrom == result.TokensFromUsage {
		return
	}
	if n, err := tokenizer.Count(t.Tokenizer, res.Text); err == nil && n > 0 {
		res.OutputTokens, res.TokensFrom = n, result.TokensFromTokenizer
	}
}

// countOutput drops text kept only for counting.
func (t *Target) countOutput(res *result.Result, keepText bool) {
	if t.Tokenizer != nil && !keepText {
		res.Text = ""
	}
}

// OpenConnection opens a connection to the target, or takes an idle one,
// with a HEAD request to its URL, which any server answers cheaply
// whatever its status, and leaves it idle in the client's pool. gotConn,
// if set, runs once the request has its connection (before it is
// written): a caller opening several holds each there until all have
// one, so they cannot share fewer connections. It returns the
// connection's phases and whether an answer came.
func (t *Target) OpenConnection(ctx context.Context, gotConn func()) (result.ConnPhases, bool) {
	trace := &connTrace{}
	rctx := trace.with(ctx)
	if gotConn != nil {
		rctx = httptrace.WithClientTrace(rctx, &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { gotConn() }})
	}
	req, err := http.NewRequestWithContext(rctx, http.MethodHead, t.URL, nil)
	if err != nil {
		return result.ConnPhases{}, false
	}
	req.Header.Set("User-Agent", httpclient.UserAgent)
	resp, err := t.Client.Do(req)
	phases := trace.phases()
	if err != nil {
		return phases, false
	}
	// Read to the end so the connection goes back to the pool.
	drain(resp.Body)
	resp.Body.Close()
	return phases, true
}

// maxDrain and drainWait bound what is read after a stream's terminal
// event to keep its connection: a server that sends more, or holds the
// body open, is not worth the wait, and its connection is closed instead.
const (
	maxDrain  = 64 << 10
	drainWait = 250 * time.Millisecond
)

// drain reads body to its end within maxDrain and drainWait. Closing a
// response body interrupts a read blocked on it (that is how net/http
// aborts), so a body held open costs drainWait at most.
func drain(body io.ReadCloser) {
	stop := time.AfterFunc(drainWait, func() { body.Close() })
	defer stop.Stop()
	io.Copy(io.Discard, io.LimitReader(body, maxDrain))
}

// assembler is where a request's answer is put together for its checks;
// nil when it has none, so a workload without checks keeps no answer.
func assembler(p dataset.Prompt, params prober.Params) *checks.Assembler {
	if len(params.Checks) == 0 && (p.Canary == nil || len(p.Canary.Checks) == 0) {
		return nil
	}
	return new(checks.Assembler)
}

// maxExcerpt bounds a failing answer kept for the report's examples.
const maxExcerpt = 200

// judge runs the workload's checks and the prompt's own on the answer.
func judge(res *result.Result, asm *checks.Assembler, p dataset.Prompt, params prober.Params) {
	set, tools := params.Checks, params.ToolSchemas
	if c := p.Canary; c != nil {
		set = append(set[:len(set):len(set)], c.Checks...)
		if len(c.Tools) > 0 {
			tools = c.ToolSchemas
		}
	}
	answer := asm.Answer(tools)
	res.Checks = make([]result.CheckResult, len(set))
	for i, c := range set {
		pass, reason := c.Judge(answer)
		r := result.CheckResult{Name: c.Name, Pass: pass}
		if !pass {
			r.Reason, r.Answer = reason, answer.Excerpt(maxExcerpt)
		}
		res.Checks[i] = r
	}
}

func (t *Target) readStream(ctx context.Context, body io.Reader, res *result.Result, windowStart time.Time, keepText bool, asm *checks.Assembler) {
	stream := sse.Get(body)
	defer sse.Put(stream)
	scratch := eventsPool.Get().(*[]contentEvent)
	defer func() { *scratch = (*scratch)[:0]; eventsPool.Put(scratch) }()
	var (
		usage    *prober.Usage
		done     bool
		finished bool // a finish_reason was seen
		text     strings.Builder
		events   = (*scratch)[:0]
		think    thinkScan
		// firstAnswer indexes the first event of the answer in events.
		firstAnswer = -1
	)
	lean, _ := t.API.(prober.LeanDecoder)
	for !done {
		ev, err := stream.Next()
		if err == io.EOF {
			if t.API.EndsWithMarker() {
				// An answer that was declared finished lost nothing but its
				// marker: a success, with the protocol slip counted.
				if !finished && usage == nil {
					t.fail(ctx, res, result.StreamError, "stream ended without its terminal event")
					return
				}
				res.ProtocolWarning = "stream ended without its terminal event after the answer was complete"
			}
			break
		}
		if err != nil {
			t.fail(ctx, res, result.StreamError, streamReason(err))
			return
		}
		if res.FirstEvent.IsZero() {
			res.FirstEvent = ev.Arrived
		}
		var chunk prober.Chunk
		if lean != nil {
			chunk, err = lean.DecodeLean(ev.Data, keepText)
		} else {
			chunk, err = t.API.Decode(ev.Data)
		}
		if err != nil {
			t.fail(ctx, res, result.StreamError, err.Error())
			return
		}
		if chunk.ServerError != "" {
			t.fail(ctx, res, result.StreamError, "server error in stream: "+chunk.ServerError)
			return
		}
		if chunk.Usage != nil {
			usage = chunk.Usage
		}
		finished = finished || chunk.Finished
		done = chunk.Done
		if asm != nil {
			switch {
			case chunk.Truncated:
				asm.Finish("length")
			case chunk.Finished:
				asm.Finish("stop") // or tool_calls: what matters is that it is not length
			case chunk.Done:
				asm.Finish(prober.TGIFinishReason(ev.Data))
			}
			if chunk.ToolCalls > 0 {
				for _, raw := range prober.ToolCallDeltas(ev.Data) {
					asm.ToolCalls(raw)
				}
			}
		}
		if !chunk.Content {
			continue
		}
		if len(events) >= maxStreamEvents {
			// An endless stream of tiny events grew this list until the
			// process died; no real answer comes near the cap.
			t.fail(ctx, res, result.StreamError, fmt.Sprintf("more than %d content events, over the per-stream cap: the stream was cut", maxStreamEvents))
			return
		}
		res.ContentEvents++
		if res.FirstContent.IsZero() {
			res.FirstContent = ev.Arrived
		}
		res.LastContent = ev.Arrived
		var inSpan, answered, retro bool
		if len(chunk.Piece) > 0 {
			inSpan, answered, retro = think.feed(chunk.Piece, asm)
		}
		if retro {
			for i := range events {
				events[i] = events[i].asReasoning()
			}
			firstAnswer, res.FirstAnswer = -1, time.Time{}
		}
		answered = answered || chunk.ToolCalls > 0
		if answered && firstAnswer < 0 {
			firstAnswer, res.FirstAnswer = len(events), ev.Arrived
		}
		e := newContentEvent(ev.Arrived.Sub(windowStart), chunk.Size, chunk.Tokens)
		if !answered && (chunk.Reasoning > 0 || inSpan) {
			e = e.asReasoning()
		}
		events = append(events, e)
		*scratch = events // grown, it goes back to the pool grown
		if keepText && text.Len() < maxKeptText {
			text.WriteString(chunk.Text[:min(len(chunk.Text), maxKeptText-text.Len())])
		}
	}
	res.End = time.Now()
	res.Text = text.String()
	think.end(asm)
	if res.ContentEvents == 0 {
		t.fail(ctx, res, result.StreamError, "stream carried no generated content")
		return
	}
	res.OutputTokens, res.TokensFrom = res.ContentEvents, result.TokensFromEvents
	declared := 0
	for _, e := range events {
		declared += max(e.declared(), 1)
	}
	res.OutputTokens = max(res.OutputTokens, declared)
	if usage != nil && (usage.CompletionTokens > maxClaimedTokens || usage.PromptTokens > maxClaimedTokens) {
		// A count past any model's context would wrap the report's totals
		// and feed absurd throughput to the recommender: not believed.
		res.ProtocolWarning = fmt.Sprintf("usage claimed more than %d tokens; ignored, tokens counted from the stream", maxClaimedTokens)
		usage = nil
	}
	if usage != nil && usage.CompletionTokens > 0 {
		res.OutputTokens, res.TokensFrom = usage.CompletionTokens, result.TokensFromUsage
	}
	if usage != nil && usage.PromptTokens > 0 {
		res.InputTokens, res.InputTokensFrom = usage.PromptTokens, result.TokensFromUsage
	}
	// Counted before the spread: ITL and the per-second series must count
	// the tokenizer's tokens, not the events.
	t.countTokens(res)
	spreadTokens(res, events, firstAnswer)
	if usage != nil && usage.Details != nil && usage.Details.ReasoningTokens > 0 {
		// The server's count beats the share of reasoning events; where
		// the reasoning is hidden (OpenAI's o-series) it is the only one.
		res.ReasoningTokens = min(usage.Details.ReasoningTokens, res.OutputTokens)
	}
	res.Outcome = result.Success
}

// The per-stream event list is pooled, as the SSE reader is (sse.Get):
// at thousands of streams a second, a fresh one per request was most of
// the prober's garbage, and the collector's pauses showed as schedule lag.
var eventsPool = sync.Pool{New: func() any { s := make([]contentEvent, 0, 64); return &s }}

// contentEvent is one content event as the token accounting needs it, in
// 16 bytes (a time.Time and two ints took 40): the list lives as long as
// its stream, and at thousands of streams in flight it was the largest
// thing a stream kept on the heap.
type contentEvent struct {
	at   time.Duration // since the window's start (monotonic)
	size int32         // bytes of generated content
	// tokens the server declared for the event (0 if unknown); a
	// reasoning event keeps its count bitwise inverted, so the mark
	// costs the list no byte.
	tokens int32
}

// newContentEvent clamps what a server declares to the event's fields.
func newContentEvent(at time.Duration, size, tokens int) contentEvent {
	return contentEvent{at: at, size: int32(min(size, math.MaxInt32)), tokens: int32(min(max(tokens, 0), math.MaxInt32))}
}

func (e contentEvent) declared() int {
	if e.tokens < 0 {
		return int(^e.tokens)
	}
	return int(e.tokens)
}

func (e contentEvent) reasoning() bool { return e.tokens < 0 }

func (e contentEvent) asReasoning() contentEvent {
	if e.tokens >= 0 {
		e.tokens = ^e.tokens
	}
	return e
}

// spreadTokens assigns the request's output tokens to its content events
// and derives ITL and the token timelines from them. When the total is
// more than the events (speculative decoding, a server's stream_interval),
// the tokens beyond those the events declare are shared evenly over the
// events after the first, and each event's measured gap is divided over its
// tokens: ITL then agrees with TPOT and the per-second series counts
// tokens, never events. Nothing is estimated from the text's length: a
// token's bytes say nothing of when it was generated, and tool-call JSON
// would skew it most.
//
// It also splits the tokens between reasoning and answer: reasoning
// events' tokens are ReasoningTokens, and the ITL gaps after the first
// answer event (firstAnswer, -1 for none) are the answer's.
func spreadTokens(res *result.Result, events []contentEvent, firstAnswer int) {
	shares := make([]int, len(events))
	assigned := 0
	for i, e := range events {
		shares[i] = max(e.declared(), 1)
		assigned += shares[i]
	}
	// A count no answer reaches (a broken or hostile server's usage) is
	// reported as given but not spread: one ITL value per token would
	// allocate without bound, and the rounding below would overflow.
	if extra := res.OutputTokens - assigned; extra > 0 && res.OutputTokens <= maxSpreadTokens {
		// Cumulative rounding hands out exactly extra tokens, evenly over
		// the events after the first: the first carries the token TTFT
		// waited for (a server's prefill output), and its gap is no
		// decode time to divide.
		from := min(1, len(events)-1)
		n, given := len(events)-from, 0
		for i := from; i < len(events); i++ {
			upTo := int(int64(extra) * int64(i-from+1) / int64(n))
			shares[i] += upTo - given
			given = upTo
		}
	}
	// One allocation for the request's ITL, sized by the shares. Past
	// maxTokensPerEvent a token on average, the count is not a stream's
	// (a usage of a million over 2 events made a million ITL values): the
	// timelines still get the tokens, ITL gets none of the request's.
	n := assignedAfterFirst(shares)
	withITL := n <= maxTokensPerEvent*len(events)
	if withITL {
		res.ITL = slices.Grow(res.ITL, n)
	}
	res.ReasoningTokens, res.AnswerITLFrom = 0, 0
	for i, e := range events {
		if e.reasoning() {
			res.ReasoningTokens += shares[i]
		}
		if i > 0 && withITL {
			// The first event's gap is TTFT, not an inter-token gap; a
			// later event's gap is shared by the tokens it carries.
			gap := (e.at - events[i-1].at) / time.Duration(shares[i])
			for range shares[i] {
				res.ITL = append(res.ITL, gap)
			}
		}
		if i <= firstAnswer || firstAnswer < 0 {
			// The first answer token's gap follows reasoning: it is
			// time to first answer's, not the answer's pace.
			res.AnswerITLFrom = len(res.ITL)
		}
		since := e.at
		res.TokensBySecond = addTokens(res.TokensBySecond, since, time.Second, shares[i])
		res.TokensByHalfSecond = addTokens(res.TokensByHalfSecond, since, time.Second/2, shares[i])
	}
}

// maxSpreadTokens bounds the output tokens spreadTokens spreads over a
// request's events: far beyond any answer's length, small enough that the
// ITL it makes stays megabytes.
const maxSpreadTokens = 1 << 20

// maxTokensPerEvent bounds the tokens spread over one event: speculative
// decoding and stream_interval put a few to a few dozen in an event, and a
// usage of a million over 2 events would make a million ITL values.
const maxTokensPerEvent = 1024

// Per-stream caps, far past any real answer, so that a hostile or broken
// endpoint costs one failed request of bounded size. maxStreamEvents keeps
// a stream's event list at 4 MiB (16 bytes each).
const (
	maxStreamEvents  = 1 << 18
	maxKeptText      = 16 << 20
	maxClaimedTokens = 1 << 24
	maxHeaderKept    = 200
)

// headerValue is a response header's value as a result keeps it: cut,
// with a marker, so a 1 MB Location cannot make a 49 MB report.
func headerValue(h http.Header, key string) string {
	v := h.Get(key)
	if len(v) > maxHeaderKept {
		return strings.ToValidUTF8(v[:maxHeaderKept], "") + "…(cut)"
	}
	return v
}

// assignedAfterFirst is how many ITL values the shares make.
func assignedAfterFirst(shares []int) int {
	n := 0
	for _, k := range shares[min(1, len(shares)):] {
		n += k
	}
	return n
}

// addTokens adds n tokens at since to a run-length timeline of step-long slots.
func addTokens(line []result.SecondTokens, since, step time.Duration, n int) []result.SecondTokens {
	slot := int32(max(since, 0) / step)
	if k := len(line); k > 0 && line[k-1].Second == slot {
		line[k-1].Tokens += int32(n)
		return line
	}
	return append(line, result.SecondTokens{Second: slot, Tokens: int32(n)})
}

// fail records a failure. A failure caused by a cancelled context is
// reclassified by its cause: the request's own timeout, the window's
// deadline, or an abort.
func (t *Target) fail(ctx context.Context, res *result.Result, class result.Outcome, reason string) {
	res.End = time.Now()
	res.Outcome, res.Reason = class, reason
	if ctx.Err() == nil {
		return
	}
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errRequestTimeout):
		res.Outcome, res.Reason = result.Timeout, timeoutReason(res)
	case errors.Is(cause, ErrWindowDeadline):
		res.Outcome, res.Reason = result.Cancelled, "window deadline reached"
	case errors.Is(cause, ErrGraceOver):
		res.Outcome, res.Reason = result.Cancelled, ErrGraceOver.Error()
	default:
		res.Outcome, res.Reason = result.Cancelled, "aborted"
	}
}

func timeoutReason(res *result.Result) string {
	switch {
	case res.Headers.IsZero():
		return "request timeout before response headers"
	case res.FirstContent.IsZero():
		return "request timeout before first token"
	default:
		return "request timeout mid-stream"
	}
}

func (t *Target) failStatus(ctx context.Context, res *result.Result, resp *http.Response) {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	msg := strings.TrimSpace(string(body))
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	reason := fmt.Sprintf("HTTP %d", resp.StatusCode)
	if ra := headerValue(resp.Header, "Retry-After"); ra != "" {
		reason += " (Retry-After " + ra + ")"
	}
	if msg != "" {
		reason += ": " + msg
	}
	class := result.HTTP4xx
	switch {
	case resp.StatusCode >= 500:
		class = result.HTTP5xx
	case resp.StatusCode < 400:
		// Redirects the client did not follow: the request never reached a model.
		class = result.HTTP4xx
		reason = fmt.Sprintf("HTTP %d redirect not followed (Location %q)", resp.StatusCode, headerValue(resp.Header, "Location"))
	}
	t.fail(ctx, res, class, reason)
}

// connectionReason names the kind of transport failure without the
// request URL (which can carry credentials in its query).
func connectionReason(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recordErr tls.RecordHeaderError
	switch {
	case errors.As(err, &dnsErr):
		return "dns lookup failed: " + dnsErr.Err
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr):
		return "tls certificate rejected: " + innermost(err)
	case errors.As(err, &recordErr):
		return "tls handshake failed: server did not speak TLS"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset before response"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed before response"
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "tls handshake failed: server answered in plain HTTP"
	case strings.Contains(err.Error(), "tls:"):
		return "tls handshake failed: " + innermost(err)
	}
	return innermost(err)
}

func streamReason(err error) string {
	switch {
	case errors.Is(err, sse.ErrEventTooLarge):
		return err.Error()
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset mid-stream"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed mid-stream"
	}
	return "read stream: " + innermost(err)
}

// innermost drops url.Error's wrapping, whose message includes the URL
// (which can carry credentials in its query).
func innermost(err error) string {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err.Error()
	}
	return err.Error()
}
