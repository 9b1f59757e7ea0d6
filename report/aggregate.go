package report

import (
	"bufio"
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/inferno-llm/inferno/result"
	"github.com/inferno-llm/inferno/stats"
)

// SLO holds per-request thresholds; a zero threshold is not applied.
type SLO struct {
	TTFT time.Duration `json:"ttft,omitempty"`
	TPOT time.Duration `json:"tpot,omitempty"`
	E2E  time.Duration `json:"e2e,omitempty"`
}

// Met reports whether a request met every configured threshold, with TTFT
// and E2E judged from its intended send time: the wait a user saw, queue
// for a slot included. Failed and unsent requests never meet it; with no
// thresholds, success alone counts.
func (s SLO) Met(r *result.Result) bool {
	return s.met(r, (*result.Result).TTFTFromSchedule, (*result.Result).LatencyFromSchedule)
}

// MetFromSend is Met with TTFT and E2E judged from the actual send, as
// vllm bench's goodput judges them.
func (s SLO) MetFromSend(r *result.Result) bool {
	return s.met(r, (*result.Result).TTFT, (*result.Result).Latency)
}

func (s SLO) met(r *result.Result, ttft, e2e func(*result.Result) (time.Duration, bool)) bool {
	if !r.Succeeded() {
		return false
	}
	if s.TTFT > 0 {
		if v, ok := ttft(r); !ok || v > s.TTFT {
			return false
		}
	}
	if s.TPOT > 0 {
		// A one-token answer has no decode phase to judge.
		if v, ok := r.TPOT(); ok && v > s.TPOT {
			return false
		}
	}
	if s.E2E > 0 {
		if v, ok := e2e(r); !ok || v > s.E2E {
			return false
		}
	}
	return true
}

// maxReasons bounds distinct failure reasons kept per window, so a server
// that puts request ids in its errors cannot grow the report without limit.
const maxReasons = 50

// Aggregator folds a window's results into its statistics as they arrive.
// Per-request figures are kept as one float per measurement (exact
// quantiles); per-token figures go into an HDR histogram, so memory grows
// with requests, never with tokens.
type Aggregator struct {
	mu    sync.Mutex
	slo   SLO
	start time.Time // window start, the origin of the timeline

	ttft, ttftSched, firstEvent, tpot, e2ePerToken, latency, lag []float64
	inTokens, outTokens                                          []float64
	dns, connect, tls, written                                   []float64
	itl                                                          *hdr.Histogram
	// Reasoning-aware figures: time to first answer, TPOT over answer
	// tokens, and the answer's ITL. answerITL stays nil, and the answer's
	// ITL is ITL, until a request's answer ITL differs from its ITL: a
	// window without reasoning records every gap once.
	ttfa, answerTPOT []float64
	answerITL        *hdr.Histogram
	reasoningTokens  int64
	checks           map[string]*checkCounts

	requests, successes, sloMet int
	outcomes                    map[result.Outcome]int
	reasons                     map[reasonKey]int
	tokensFrom                  map[result.TokenSource]int
	inputFrom                   map[result.TokenSource]int
	protocolWarnings            int
	totalIn, totalOut           int64
	contentEvents               int64 // of successes: with totalOut, ITL's tokens per event
	totalRequestedIn            int64
	firstSent, lastEnd          time.Time
	timeline                    []timelineCounts

	// sloMetFromSend counts requests meeting the SLO judged from the
	// actual send, beside sloMet's from the intended time.
	sloMetFromSend int

	// samples is a uniform reservoir of requests (Algorithm R) for the
	// TTFT-by-arrival chart; rng is fixed so a report is reproducible.
	samples []sampleAt
	rng     *rand.Rand

	perRequest *bufio.Writer
	encodeErr  error

	// byModel folds a model mix's results again per model, for the
	// report's by_model; models come from the workload's bounded list.
	byModel map[string]*Aggregator
	// oneModel marks a by_model aggregator, which splits no further.
	oneModel bool
	// images and imageBytes are what the requests sent carried.
	images     int64
	imageBytes int64
}

// sampleAt is a sample before the window's start is final.
type sampleAt struct {
	sent time.Time
	ttft float64
	ok   bool
}

type reasonKey struct {
	outcome result.Outcome
	status  int
	reason  string
}

type timelineCounts struct {
	started, completed, failed, notSent, tokens int64
	// firstHalfTokens are the tokens of the second's first half, for the
	// old tool's throughput smoothing in 0.5 s steps.
	firstHalfTokens int64
}

// NewAggregator starts a window's aggregation. perRequest, if not nil,
// receives one JSON line per measured request.
func NewAggregator(start time.Time, slo SLO, perRequest io.Writer) *Aggregator {
	a := &Aggregator{
		slo:        slo,
		start:      start,
		itl:        stats.NewHistogram(),
		outcomes:   map[result.Outcome]int{},
		reasons:    map[reasonKey]int{},
		tokensFrom: map[result.TokenSource]int{},
		inputFrom:  map[result.TokenSource]int{},
		rng:        rand.New(rand.NewPCG(1, 2)),
	}
	if perRequest != nil {
		a.perRequest = bufio.NewWriter(perRequest)
	}
	return a
}

// SetStart moves the timeline's origin; the load generator's start is known only
// after its warm-up.
func (a *Aggregator) SetStart(t time.Time) {
	a.mu.Lock()
	a.start = t
	for _, m := range a.byModel {
		m.SetStart(t)
	}
	a.mu.Unlock()
}

func secs(d time.Duration) float64 { return d.Seconds() }

// Add folds one result in. Safe for concurrent use; warm-up results are ignored.
func (a *Aggregator) Add(r *result.Result) {
	if r.Warmup {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.requests++
	a.outcomes[r.Outcome]++
	if !r.Sent.IsZero() && (a.firstSent.IsZero() || r.Sent.Before(a.firstSent)) {
		a.firstSent = r.Sent
	}
	if r.End.After(a.lastEnd) {
		a.lastEnd = r.End
	}
	if v, ok := r.ScheduleLag(); ok {
		a.lag = append(a.lag, secs(v))
	}
	a.addPhases(r)
	if r.Outcome == result.NotSent {
		// Never in flight: counted at the second it was due.
		a.second(r.Intended).notSent++
		a.addFailure(r)
	} else {
		a.images += int64(r.Images)
		a.imageBytes += r.ImageBytes
		a.second(r.Sent).started++
		end := a.second(r.End)
		end.completed++
		if r.Succeeded() {
			a.addSuccess(r)
		} else {
			end.failed++
			a.addFailure(r)
		}
		a.sample(r)
	}
	if a.slo.Met(r) {
		a.sloMet++
	}
	if a.slo.MetFromSend(r) {
		a.sloMetFromSend++
	}
	if a.perRequest != nil {
		a.writeRequest(r)
	}
	if r.Model != "" && !a.oneModel {
		m := a.byModel[r.Model]
		if m == nil {
			if a.byModel == nil {
				a.byModel = map[string]*Aggregator{}
			}
			m = NewAggregator(a.start, a.slo, nil)
			m.oneModel = true
			a.byModel[r.Model] = m
		}
		m.Add(r)
	}
}

func (a *Aggregator) addSuccess(r *result.Result) {
	a.successes++
	if v, ok := r.TTFT(); ok {
		a.ttft = append(a.ttft, secs(v))
	}
	if v, ok := r.TTFTFromSchedule(); ok {
		a.ttftSched = append(a.ttftSched, secs(v))
	}
	if v, ok := r.FirstEventLatency(); ok {
		a.firstEvent = append(a.firstEvent, secs(v))
	}
	if v, ok := r.TPOT(); ok {
		a.tpot = append(a.tpot, secs(v))
	}
	if v, ok := r.E2EPerToken(); ok {
		a.e2ePerToken = append(a.e2ePerToken, secs(v))
	}
	if v, ok := r.Latency(); ok {
		a.latency = append(a.latency, secs(v))
	}
	a.inTokens = append(a.inTokens, float64(r.InputTokens))
	a.outTokens = append(a.outTokens, float64(r.OutputTokens))
	a.totalIn = addSat(a.totalIn, int64(r.InputTokens))
	a.totalOut = addSat(a.totalOut, int64(r.OutputTokens))
	a.totalRequestedIn = addSat(a.totalRequestedIn, int64(r.RequestedInputTokens))
	a.tokensFrom[r.TokensFrom]++
	a.contentEvents += int64(r.ContentEvents)
	if r.InputTokensFrom != "" {
		a.inputFrom[r.InputTokensFrom]++
	}
	if r.ProtocolWarning != "" {
		a.protocolWarnings++
	}
	a.addAnswer(r) // before ITL: it may copy the ITL of the answers before r
	for _, gap := range r.ITL {
		a.itl.RecordValue(max(gap.Microseconds(), stats.Lowest))
	}
	for _, s := range r.TokensBySecond {
		a.secondAt(int(s.Second)).tokens += int64(s.Tokens)
	}
	for _, s := range r.TokensByHalfSecond {
		if s.Second%2 == 0 {
			a.secondAt(int(s.Second / 2)).firstHalfTokens += int64(s.Tokens)
		}
	}
}

// addAnswer folds in the reasoning-aware figures and the checks of a
// success. a.mu held.
func (a *Aggregator) addAnswer(r *result.Result) {
	if v, ok := r.TimeToFirstAnswer(); ok {
		a.ttfa = append(a.ttfa, secs(v))
	}
	if v, ok := r.AnswerTPOT(); ok {
		a.answerTPOT = append(a.answerTPOT, secs(v))
	}
	a.reasoningTokens += int64(r.ReasoningTokens)
	answer := r.AnswerITL()
	if a.answerITL == nil && len(answer) != len(r.ITL) {
		// Until now every answer's ITL was its ITL: start from theirs.
		a.answerITL = stats.NewHistogram()
		a.answerITL.Merge(a.itl)
	}
	if a.answerITL != nil {
		for _, gap := range answer {
			a.answerITL.RecordValue(max(gap.Microseconds(), stats.Lowest))
		}
	}
	for _, c := range r.Checks {
		a.addCheck(c)
	}
}

// sample keeps r in the reservoir with the right chance. a.mu held.
func (a *Aggregator) sample(r *result.Result) {
	s := sampleAt{sent: r.Sent, ok: r.Succeeded()}
	if v, ok := r.TTFT(); ok && s.ok {
		s.ttft = secs(v)
	}
	if len(a.samples) < MaxSamples {
		a.samples = append(a.samples, s)
	} else if i := a.rng.IntN(a.requests); i < MaxSamples {
		a.samples[i] = s
	}
}

// sortedSamples returns the samples in send order, timed from the start.
func (a *Aggregator) sortedSamples() []Sample {
	out := make([]Sample, 0, len(a.samples))
	for _, s := range a.samples {
		out = append(out, Sample{Sent: secs(s.sent.Sub(a.start)), TTFT: s.ttft, OK: s.ok})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Sent < out[j].Sent })
	return out
}

// addPhases keeps the connection phases of every request that got a
// connection, failed or not: a slow dial is worth seeing either way.
func (a *Aggregator) addPhases(r *result.Result) {
	if _, dialled := r.Conn.Setup(); dialled {
		if r.Conn.DNS > 0 {
			a.dns = append(a.dns, secs(r.Conn.DNS))
		}
		a.connect = append(a.connect, secs(r.Conn.Connect))
		if r.Conn.TLS > 0 {
			a.tls = append(a.tls, secs(r.Conn.TLS))
		}
	}
	if v, ok := r.WriteTime(); ok {
		a.written = append(a.written, secs(v))
	}
}

func (a *Aggregator) addFailure(r *result.Result) {
	k := reasonKey{r.Outcome, r.Status, r.Reason}
	if _, seen := a.reasons[k]; !seen && len(a.reasons) >= maxReasons {
		k.reason = "(other reasons)"
	}
	a.reasons[k]++
}

func (a *Aggregator) second(t time.Time) *timelineCounts {
	if t.IsZero() {
		t = a.start
	}
	return a.secondAt(int(max(t.Sub(a.start), 0) / time.Second))
}

func (a *Aggregator) secondAt(s int) *timelineCounts {
	for len(a.timeline) <= s {
		a.timeline = append(a.timeline, timelineCounts{})
	}
	return &a.timeline[s]
}

// requestLine is one line of the per-request JSONL file. Times are seconds
// from the window's start; absent stages are omitted.
type requestLine struct {
	Index int    `json:"index"`
	Model string `json:"model,omitempty"`
	// RequestID and TraceID are the ids of the request's traceparent, as
	// the exemplars on /metrics carry them.
	RequestID   string   `json:"request_id,omitempty"`
	TraceID     string   `json:"trace_id,omitempty"`
	Intended    float64  `json:"intended_s"`
	Sent        *float64 `json:"sent_s,omitempty"` // absent for not_sent
	TTFT        float64  `json:"ttft_s,omitempty"`
	FirstEvent  float64  `json:"first_event_s,omitempty"`
	TPOT        float64  `json:"tpot_s,omitempty"`
	Latency     float64  `json:"latency_s,omitempty"`
	Outcome     string   `json:"outcome"`
	Status      int      `json:"status,omitempty"`
	Reason      string   `json:"reason,omitempty"`
	InputTokens int      `json:"input_tokens,omitempty"`
	// InputTokensFrom says whether InputTokens is the server's count
	// ("usage") or the requested length ("request").
	InputTokensFrom      string `json:"input_tokens_from,omitempty"`
	RequestedInputTokens int    `json:"requested_input_tokens,omitempty"`
	OutputTokens         int    `json:"output_tokens,omitempty"`
	TokensFrom           string `json:"tokens_from,omitempty"`
	ProtocolWarning      string `json:"protocol_warning,omitempty"`
	// Reasoning: time to the first answer token and reasoning tokens;
	// the checks the answer failed, by name.
	TimeToFirstAnswer float64  `json:"time_to_first_answer_s,omitempty"`
	ReasoningTokens   int      `json:"reasoning_tokens,omitempty"`
	FailedChecks      []string `json:"failed_checks,omitempty"`

	// Connection phases: DNS, connect and TLS only when the request
	// opened its connection; request_written_s from the send.
	DNS            float64 `json:"dns_s,omitempty"`
	Connect        float64 `json:"connect_s,omitempty"`
	TLS            float64 `json:"tls_s,omitempty"`
	RequestWritten float64 `json:"request_written_s,omitempty"`
	ConnReused     bool    `json:"conn_reused,omitempty"`
}

func (a *Aggregator) writeRequest(r *result.Result) {
	line := requestLine{
		Index:        r.Index,
		RequestID:    r.RequestIDString(),
		TraceID:      r.TraceIDString(),
		Model:        r.Model,
		Intended:     secs(r.Intended.Sub(a.start)),
		ConnReused:   r.Conn.Reused,
		Outcome:      string(r.Outcome),
		Status:       r.Status,
		Reason:       r.Reason,
		InputTokens:  r.InputTokens,
		OutputTokens: r.OutputTokens,
		TokensFrom:   string(r.TokensFrom),

		InputTokensFrom:      string(r.InputTokensFrom),
		RequestedInputTokens: r.RequestedInputTokens,
		ProtocolWarning:      r.ProtocolWarning,
	}
	if !r.Sent.IsZero() {
		sent := secs(r.Sent.Sub(a.start))
		line.Sent = &sent
	}
	if _, ok := r.Conn.Setup(); ok {
		line.DNS, line.Connect, line.TLS = secs(r.Conn.DNS), secs(r.Conn.Connect), secs(r.Conn.TLS)
	}
	if v, ok := r.WriteTime(); ok {
		line.RequestWritten = secs(v)
	}
	if v, ok := r.TTFT(); ok {
		line.TTFT = secs(v)
	}
	if v, ok := r.FirstEventLatency(); ok {
		line.FirstEvent = secs(v)
	}
	if v, ok := r.TPOT(); ok {
		line.TPOT = secs(v)
	}
	if v, ok := r.Latency(); ok {
		line.Latency = secs(v)
	}
	if v, ok := r.TimeToFirstAnswer(); ok {
		line.TimeToFirstAnswer = secs(v)
	}
	line.ReasoningTokens = r.ReasoningTokens
	for _, c := range r.Checks {
		if !c.Pass {
			line.FailedChecks = append(line.FailedChecks, c.Name)
		}
	}
	b, err := json.Marshal(line)
	if err == nil {
		b = append(b, '\n')
		_, err = a.perRequest.Write(b)
	}
	if err != nil && a.encodeErr == nil {
		a.encodeErr = err
	}
}

// sortedReasons returns failure reasons, most frequent first.
func (a *Aggregator) sortedReasons() []ErrorCount { return sortReasons(a.reasons) }

// addSat adds a non-negative count to a total, stopping at the largest
// int64: a hostile count must never wrap a total negative.
func addSat(total, n int64) int64 {
	if n <= 0 {
		return total
	}
	if total > math.MaxInt64-n {
		return math.MaxInt64
	}
	return total + n
}
