// Package report turns a window's results into statistics and the JSON
// report archived for it.
package report

import (
	"fmt"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/inferno-llm/inferno/result"
	"github.com/inferno-llm/inferno/servermetrics"
	"github.com/inferno-llm/inferno/stats"
)

// Run statuses.
const (
	StatusFinished = "finished" // the window ran to its end
	StatusAborted  = "aborted"  // stopped from outside (shutdown, cancel)
	StatusFailed   = "failed"   // could not run at all
	// StatusRunning marks the placeholder archived when a window starts.
	// A report still in that state after a restart belongs to a window the
	// daemon never finished (killed, crashed, power lost).
	StatusRunning = "running"
)

// Meta describes the run a report belongs to. The caller fills it; Config
// must already have its secrets redacted.
type Meta struct {
	ID        string    `json:"id"`
	Status    string    `json:"status"`
	Error     string    `json:"error,omitempty"`
	Trigger   string    `json:"trigger,omitempty"` // cli, schedule, probe, api
	Version   string    `json:"inferno_version,omitempty"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
	Target    Target    `json:"target"`
	Workload  string    `json:"workload,omitempty"`
	Seed      uint64    `json:"seed"`
	Config    any       `json:"config,omitempty"`

	// WorkloadHash identifies the requests the schedule sent (see
	// loadgen.RunInfo); equal hashes mean the same requests at the same times.
	WorkloadHash string `json:"workload_hash,omitempty"`
	// Transport is the HTTP transport the window's requests took: h1
	// (plain HTTP), net/http (tuned) or net/http (std) (prometheus/common's).
	Transport string `json:"transport,omitempty"`

	// Hardware and CostPerHour describe what served the target, from its
	// configuration, for comparisons and cost figures.
	Hardware    *Hardware `json:"hardware,omitempty"`
	CostPerHour float64   `json:"cost_per_hour,omitempty"`

	// Shard is set when the window was one replica's share of a window
	// that several replicas drove together (a load_share schedule).
	Shard *Shard `json:"shard,omitempty"`
	// MergedFrom lists the runs a merged report was made of.
	MergedFrom   []string `json:"merged_from,omitempty"`
	Warmup       int      `json:"warmup_requests"`
	WarmupFailed int      `json:"warmup_failed"`
	DeadlineHit  bool     `json:"deadline_hit"`
	// WarmConnections is how many connections were opened and ready
	// before the window started.
	WarmConnections int `json:"warm_connections"`
	// WarmConnectionSetup is the setup time (DNS, connect, TLS) of the
	// connections opened before the window (warm connections, warm-up
	// requests): the window's own requests reuse them, so their setup is
	// seen only here.
	WarmConnectionSetup *stats.Stats `json:"warm_connection_setup_seconds,omitempty"`
	// WindowSeconds is the window's duration on the wall clock (nothing
	// was sent after it) and GraceSeconds the grace its requests in
	// flight had after it; both 0 for a window capped by requests only.
	WindowSeconds float64 `json:"window_seconds,omitempty"`
	GraceSeconds  float64 `json:"grace_seconds,omitempty"`
	// GraceExpired says requests still in flight after the grace were
	// cancelled.
	GraceExpired bool `json:"grace_expired,omitempty"`
}

// Hardware is the accelerator a target runs on.
type Hardware struct {
	GPU   string `json:"gpu,omitempty"`
	Count int    `json:"count,omitempty"`
}

// Shard is replica Index (from 0) of Count. Tick is the schedule's tick
// that started the window (the same on every replica), so the shares of
// one window can be told from those of the next.
type Shard struct {
	Index int       `json:"index"`
	Count int       `json:"count"`
	Tick  time.Time `json:"tick,omitzero"`
}

// Target names the endpoint measured.
type Target struct {
	Name  string `json:"name,omitempty"`
	URL   string `json:"url"`
	API   string `json:"api"`
	Model string `json:"model"`
}

// SchemaVersion is the report format's version: 2 added schema_version
// itself and the sections of this release (README: The report).
const SchemaVersion = 2

// Report is the archived JSON. Its first keys are the old tool's, with
// their meaning kept, so consumers of the old report still parse it; the
// lower-case sections extend it.
type Report struct {
	TotalRequestNum  int              `json:"Total_request_num"`
	FailRate         float64          `json:"Fail_rate"`
	TTFT             *stats.Legacy    `json:"TTFT"`
	SLO              float64          `json:"SLO"`
	TPOT             *stats.Legacy    `json:"TPOT"`
	Latency          *stats.Legacy    `json:"latency"`
	Throughput       LegacyThroughput `json:"Throughput"`
	TotalDurationSec float64          `json:"Total_duration_sec"`
	RPS              float64          `json:"RPS"`

	// SchemaVersion is the version of this format (README: The report);
	// reports written before it existed read as 0.
	SchemaVersion int            `json:"schema_version"`
	Run           Meta           `json:"run"`
	Summary       Summary        `json:"summary"`
	Stats         WindowStats    `json:"stats"`
	Timeline      []TimelineStep `json:"timeline"`
	// TimelineStart is the origin of the timeline's seconds: the start of
	// the measured window, after any warm-up.
	TimelineStart time.Time    `json:"timeline_start,omitzero"`
	Errors        []ErrorCount `json:"errors"`
	// Capacity is set by a capacity search: its steps and the rate found.
	Capacity *Capacity `json:"capacity,omitempty"`
	// Server is the server's own view of the window, from its metrics
	// (the target's server_metrics), set beside the client's.
	Server *servermetrics.Summary `json:"server,omitempty"`
	// Checks are the workload's checks by name (see checks.go); absent
	// without checks.
	Checks map[string]*CheckSummary `json:"checks,omitempty"`
	// Distributions hold each statistic's full distribution (see
	// distribution.go), so reports can be merged with exact counts and
	// percentiles within HdrHistogram's precision.
	Distributions map[string]string `json:"distributions,omitempty"`
	// ByModel is the summary and statistics of each model of a model mix,
	// by model name; absent without one.
	ByModel map[string]*ModelReport `json:"by_model,omitempty"`
	// Samples are up to MaxSamples requests (a uniform sample beyond that)
	// with their send time and TTFT, for the TTFT-by-arrival chart.
	Samples []Sample `json:"samples,omitempty"`
}

// Sample is one request: when it was sent (seconds from TimelineStart),
// its TTFT in seconds (0 when it failed) and whether it succeeded.
type Sample struct {
	Sent float64 `json:"sent"`
	TTFT float64 `json:"ttft,omitempty"`
	OK   bool    `json:"ok"`
}

// MaxSamples bounds Report.Samples.
const MaxSamples = 2000

// LegacyThroughput is the old tool's throughput object, in output tokens per second.
type LegacyThroughput struct {
	Max          float64 `json:"max"`
	Percentile95 float64 `json:"95_percentile"`
	Avg          float64 `json:"avg"`
}

// Summary holds the window's headline figures.
type Summary struct {
	Requests    int            `json:"requests"`
	Successes   int            `json:"successes"`
	Failures    int            `json:"failures"`
	Outcomes    map[string]int `json:"outcomes"`
	SuccessRate float64        `json:"success_rate"`
	SLO         SLOSummary     `json:"slo"`
	// FirstSentAt and LastEndAt bound the measured requests; their
	// difference is the duration every rate is computed over.
	FirstSentAt     time.Time `json:"first_sent_at,omitzero"`
	LastEndAt       time.Time `json:"last_end_at,omitzero"`
	DurationSeconds float64   `json:"duration_seconds"`
	// RPS counts every response (failures included) per second, the old
	// tool's; SuccessfulRPS only successes, as vLLM's request_throughput.
	RPS           float64 `json:"rps"`
	SuccessfulRPS float64 `json:"successful_rps"`
	GoodputRPS    float64 `json:"goodput_rps"` // SLO-meeting requests per second
	// Sessions is how many conversations the window started (set when
	// they had several turns): an open loop's rate is theirs, and
	// SessionsPerSecond sits beside the requests per second.
	Sessions          int     `json:"sessions,omitempty"`
	SessionsPerSecond float64 `json:"sessions_per_second,omitempty"`
	// CutByWindowEnd counts session turns the window's end prevented:
	// never due, so neither requests nor failures.
	CutByWindowEnd int `json:"cut_by_window_end"`
	// InputTokens are the prompt tokens of successful requests: the
	// server's usage.prompt_tokens where given, else the requested length
	// (InputTokensFrom counts requests by which). RequestedInputTokens is
	// what the workload asked for, so a server counting prompts longer
	// than asked (a chat template) is seen.
	InputTokens          int64          `json:"input_tokens"`
	InputTokensFrom      map[string]int `json:"input_tokens_from,omitempty"`
	RequestedInputTokens int64          `json:"requested_input_tokens"`
	OutputTokens         int64          `json:"output_tokens"`
	// ReasoningTokens are the output tokens of successful requests that
	// were reasoning (reasoning deltas or inlined <think> spans); they are
	// part of OutputTokens.
	ReasoningTokens int64 `json:"reasoning_tokens"`
	// ProtocolWarnings counts successes whose stream broke the protocol
	// without losing anything (ended without [DONE] after finish_reason or usage).
	ProtocolWarnings int `json:"protocol_warnings"`
	// OutputTokensFrom counts successful requests by where their output
	// token count came from: the server's usage, or counted events.
	OutputTokensFrom map[string]int `json:"output_tokens_from"`
	// ITLFrom says what ITL was computed from, so a reader knows whether
	// gaps were measured per token or divided over multi-token events.
	ITLFrom *ITLFrom `json:"itl_from,omitempty"`
	// OutputThroughput is output tokens per second over the window.
	OutputThroughput float64 `json:"output_tokens_per_second"`
	// TotalThroughput counts input and output tokens.
	TotalThroughput float64 `json:"total_tokens_per_second"`
	// InputThroughput is input tokens per second: an embeddings server's
	// throughput, which generates none.
	InputThroughput float64 `json:"input_tokens_per_second"`
	// ImagesSent and ImageBytesSent count the images the requests sent
	// carried and their bytes as sent (data URLs whole).
	ImagesSent     int64 `json:"images_sent,omitempty"`
	ImageBytesSent int64 `json:"image_bytes_sent,omitempty"`
	// PerSecond summarises the per-second output-token series over the
	// whole seconds between the first send and the last end: a second
	// the window covers only in part would read low.
	PerSecond stats.Stats `json:"output_tokens_per_second_series"`
	// CostPerMillionOutputTokens is the target's cost per hour over the
	// output tokens it generated per hour, per million; 0 without a cost.
	CostPerMillionOutputTokens float64 `json:"cost_per_million_output_tokens,omitempty"`
}

// ITLFrom describes the events ITL was measured between. With more than
// one token per event (speculative decoding, a server's stream_interval,
// or a tokenizer counting more tokens than events), each event's measured
// gap was divided evenly over its tokens.
type ITLFrom struct {
	ContentEvents  int64   `json:"content_events"`
	TokensPerEvent float64 `json:"tokens_per_event"`
}

func itlFrom(tokens, events int64) *ITLFrom {
	if events <= 0 {
		return nil
	}
	return &ITLFrom{ContentEvents: events, TokensPerEvent: float64(tokens) / float64(events)}
}

// SLOSummary is the SLO applied and how the window did against it.
type SLOSummary struct {
	TTFTSeconds float64 `json:"ttft_seconds,omitempty"`
	TPOTSeconds float64 `json:"tpot_seconds,omitempty"`
	E2ESeconds  float64 `json:"e2e_seconds,omitempty"`
	// Met and Attainment judge TTFT and E2E from the intended send time.
	Met        int     `json:"met"`
	Attainment float64 `json:"attainment"`
	// MetFromSend and AttainmentFromSend judge them from the actual send,
	// as vllm bench's goodput does; GoodputFromSendRPS is its goodput.
	MetFromSend        int     `json:"met_from_send"`
	AttainmentFromSend float64 `json:"attainment_from_send"`
	GoodputFromSendRPS float64 `json:"goodput_from_send_rps"`
}

// WindowStats are the full statistics, times in seconds.
type WindowStats struct {
	TTFT             stats.Stats `json:"ttft_seconds"`
	TTFTFromSchedule stats.Stats `json:"ttft_from_schedule_seconds"`
	FirstEvent       stats.Stats `json:"first_event_seconds"`
	TPOT             stats.Stats `json:"tpot_seconds"`
	E2EPerToken      stats.Stats `json:"e2e_per_token_seconds"`
	ITL              stats.Stats `json:"itl_seconds"`
	Latency          stats.Stats `json:"e2e_latency_seconds"`
	ScheduleLag      stats.Stats `json:"schedule_lag_seconds"`
	InputTokens      stats.Stats `json:"input_tokens"`
	OutputTokens     stats.Stats `json:"output_tokens"`
	// Connection phases (httptrace): DNS, connect and TLS of the requests
	// that opened a connection; request written, from the send, of all.
	DNS            stats.Stats `json:"dns_seconds"`
	Connect        stats.Stats `json:"connect_seconds"`
	TLS            stats.Stats `json:"tls_seconds"`
	RequestWritten stats.Stats `json:"request_written_seconds"`
	// Reasoning-aware figures: send → first answer (non-reasoning) token,
	// and TPOT and ITL over the answer's tokens. Without reasoning they
	// equal TTFT, TPOT and ITL.
	TimeToFirstAnswer stats.Stats `json:"time_to_first_answer_seconds"`
	AnswerTPOT        stats.Stats `json:"answer_tpot_seconds"`
	AnswerITL         stats.Stats `json:"answer_itl_seconds"`
}

// TimelineStep is one second of the window.
type TimelineStep struct {
	Second    int   `json:"second"`
	Started   int64 `json:"started"`
	Completed int64 `json:"completed"`
	Failed    int64 `json:"failed"`
	InFlight  int64 `json:"in_flight"`          // at the end of the second
	NotSent   int64 `json:"not_sent,omitempty"` // arrivals due this second, never sent
	Tokens    int64 `json:"output_tokens"`
	// TokensFirstHalf are the second's tokens that arrived in its first
	// half, for the top-level Throughput's 0.5 s steps.
	TokensFirstHalf int64 `json:"output_tokens_first_half"`
}

// ErrorCount is how often one failure reason occurred.
type ErrorCount struct {
	Outcome string `json:"outcome"`
	Status  int    `json:"status,omitempty"`
	Reason  string `json:"reason"`
	Count   int    `json:"count"`
}

// Report computes the report. It may be called once the window has ended;
// results added later are not reflected.
func (a *Aggregator) Report(meta Meta) Report {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.perRequest != nil {
		if err := a.perRequest.Flush(); err != nil && a.encodeErr == nil {
			a.encodeErr = err
		}
	}
	r := Report{SchemaVersion: SchemaVersion, Run: meta, Errors: a.sortedReasons(), TimelineStart: a.start, Samples: a.sortedSamples()}
	r.Distributions = map[string]string{}
	for _, d := range distributions {
		var h *hdr.Histogram
		if d.values == nil {
			h = a.histogram(d.name)
		} else {
			h = newDistribution(d, *d.values(a))
		}
		*d.stats(&r.Stats) = d.summarize(a, h)
		if h.TotalCount() > 0 {
			r.Distributions[d.name] = stats.Encode(h)
		}
	}

	sum := &r.Summary
	sum.Requests = a.requests
	sum.Successes = a.successes
	sum.Outcomes = map[string]int{}
	for _, o := range result.Outcomes {
		sum.Outcomes[string(o)] = a.outcomes[o]
	}
	sum.SLO = SLOSummary{
		TTFTSeconds: a.slo.TTFT.Seconds(),
		TPOTSeconds: a.slo.TPOT.Seconds(),
		E2ESeconds:  a.slo.E2E.Seconds(),
		Met:         a.sloMet,
		MetFromSend: a.sloMetFromSend,
	}
	sum.FirstSentAt, sum.LastEndAt = a.firstSent, a.lastEnd
	sum.InputTokens, sum.OutputTokens = a.totalIn, a.totalOut
	sum.RequestedInputTokens = a.totalRequestedIn
	sum.ProtocolWarnings = a.protocolWarnings
	sum.ImagesSent, sum.ImageBytesSent = a.images, a.imageBytes
	sum.ReasoningTokens = a.reasoningTokens
	r.Checks = a.checkSummaries()
	sum.OutputTokensFrom = map[string]int{}
	for k, n := range a.tokensFrom {
		sum.OutputTokensFrom[string(k)] = n
	}
	sum.ITLFrom = itlFrom(a.totalOut, a.contentEvents)
	sum.InputTokensFrom = map[string]int{}
	for k, n := range a.inputFrom {
		sum.InputTokensFrom[string(k)] = n
	}
	for i, c := range a.timeline {
		r.Timeline = append(r.Timeline, TimelineStep{
			Second: i, Started: c.started, Completed: c.completed, Failed: c.failed, NotSent: c.notSent, Tokens: c.tokens,
			TokensFirstHalf: c.firstHalfTokens,
		})
	}
	r.derive()
	for name, m := range a.byModel {
		if r.ByModel == nil {
			r.ByModel = map[string]*ModelReport{}
		}
		mr := m.Report(meta)
		r.ByModel[name] = &ModelReport{Summary: mr.Summary, Stats: mr.Stats, Distributions: mr.Distributions}
	}
	return r
}

// ModelReport is one model's share of a window: the same figures as the
// window's own.
type ModelReport struct {
	Summary Summary     `json:"summary"`
	Stats   WindowStats `json:"stats"`
	// Distributions let shards' by_model merge as the window's do.
	Distributions map[string]string `json:"distributions,omitempty"`
}

// histogram is the histogram the aggregator keeps for a per-token
// statistic, which it never holds as values.
func (a *Aggregator) histogram(name string) *hdr.Histogram {
	if name == "answer_itl_seconds" && a.answerITL != nil {
		return a.answerITL
	}
	return a.itl
}

// derive computes every figure that follows from the report's counts,
// times, timeline and statistics: the rates, the ratios, in-flight counts
// and the old tool's fields. An aggregated window and a merged one (see
// Merge) share it, so both define each figure the same way.
func (r *Report) derive() {
	sum := &r.Summary
	sum.Failures = sum.Requests - sum.Successes
	sum.SuccessRate = ratio(sum.Successes, sum.Requests)
	sum.SLO.Attainment = ratio(sum.SLO.Met, sum.Requests)
	sum.SLO.AttainmentFromSend = ratio(sum.SLO.MetFromSend, sum.Requests)
	duration := 0.0
	if !sum.FirstSentAt.IsZero() && sum.LastEndAt.After(sum.FirstSentAt) {
		duration = sum.LastEndAt.Sub(sum.FirstSentAt).Seconds()
	}
	sum.DurationSeconds = duration
	sum.RPS, sum.SuccessfulRPS, sum.GoodputRPS, sum.OutputThroughput, sum.TotalThroughput = 0, 0, 0, 0, 0
	sum.SessionsPerSecond, sum.InputThroughput = 0, 0
	sum.SLO.GoodputFromSendRPS = 0
	// A window without a success has no rate worth reading: a dead
	// endpoint refuses connections in microseconds, which would otherwise
	// show as thousands of requests per second.
	if duration > 0 && sum.Successes > 0 {
		// Arrivals never sent had no response: they count as failures,
		// not as traffic the endpoint served.
		sum.RPS = float64(sum.Requests-sum.Outcomes[string(result.NotSent)]) / duration
		sum.SuccessfulRPS = float64(sum.Successes) / duration
		if sum.Sessions > 0 {
			sum.SessionsPerSecond = float64(sum.Sessions) / duration
		}
		sum.GoodputRPS = float64(sum.SLO.Met) / duration
		sum.SLO.GoodputFromSendRPS = float64(sum.SLO.MetFromSend) / duration
		sum.OutputThroughput = float64(sum.OutputTokens) / duration
		sum.TotalThroughput = float64(sum.OutputTokens+sum.InputTokens) / duration
		sum.InputThroughput = float64(sum.InputTokens) / duration
	}

	var inFlight int64
	for i := range r.Timeline {
		step := &r.Timeline[i]
		inFlight += step.Started - step.Completed
		step.InFlight = inFlight
	}
	sum.PerSecond = stats.Summarize(r.wholeSeconds()) // sorts the series

	s := &r.Stats
	r.TotalRequestNum = sum.Requests
	r.FailRate = 1 - sum.SuccessRate
	if sum.Requests == 0 {
		r.FailRate = 0
	}
	// The old tool's TTFT was the first piece of any kind, which reads
	// 1 ms on servers that flush the role chunk early: the key now carries
	// the real TTFT; the first event stays in stats.first_event_seconds.
	// null, not zeros, where no request succeeded: a dead endpoint must
	// not read as the fastest to the old tool's consumers either.
	r.TTFT, r.TPOT, r.Latency = nil, nil, nil
	if sum.Successes > 0 {
		r.TTFT, r.TPOT, r.Latency = s.TTFT.Legacy(), s.E2EPerToken.Legacy(), s.Latency.Legacy()
	}
	r.SLO = sum.SLO.Attainment
	r.Throughput = r.smoothedThroughput()
	r.TotalDurationSec = duration
	r.RPS = sum.RPS
	sum.CostPerMillionOutputTokens = 0
	if r.Run.CostPerHour > 0 && sum.OutputThroughput > 0 {
		sum.CostPerMillionOutputTokens = r.Run.CostPerHour / (sum.OutputThroughput * 3600) * 1e6
	}
}

// wholeSeconds is the per-second token series over the timeline's seconds
// that lie wholly between the first send and the last end.
func (r *Report) wholeSeconds() []float64 {
	lo, hi := r.spanSlots(time.Second)
	out := make([]float64, 0, max(hi-lo, 0))
	for i := lo; i < hi && i < len(r.Timeline); i++ {
		out = append(out, float64(r.Timeline[i].Tokens))
	}
	return out
}

// spanSlots returns the step-long slots of the timeline [lo, hi) that lie
// inside the measured span (first send to last end). A slot the span
// covers all but a hundredth of counts as whole: the first send comes a
// fraction of a millisecond after the timeline starts, and dropping that
// second would throw away the first second of every window (and every
// second of a short one) to correct an error below 1%.
func (r *Report) spanSlots(step time.Duration) (lo, hi int) {
	sum := r.Summary
	if sum.FirstSentAt.IsZero() || r.TimelineStart.IsZero() || !sum.LastEndAt.After(sum.FirstSentAt) {
		return 0, 0
	}
	slack := step / 100
	from, to := sum.FirstSentAt.Sub(r.TimelineStart)-slack, sum.LastEndAt.Sub(r.TimelineStart)+slack
	lo = int((max(from, 0) + step - 1) / step) // round up: a slot begun well before the first send is partial
	hi = int(max(to, 0) / step)
	return lo, max(hi, lo)
}

// Old-tool smoothing: 5 s windows every 0.5 s, tokens divided by 5.
const (
	smoothingWindow = 5 * time.Second
	smoothingStep   = time.Second / 2
)

// smoothedThroughput is the old tool's Throughput object, counting tokens
// where the old tool counted chunks: every 0.5 s, the output tokens of a
// 5 s window around it divided by 5; max, 95th percentile and the mean
// after trimming 5% at each end. Only windows wholly inside the measured
// span count; a span shorter than one window gives the overall rate.
func (r *Report) smoothedThroughput() LegacyThroughput {
	half := make([]int64, 0, 2*len(r.Timeline))
	for _, step := range r.Timeline {
		half = append(half, step.TokensFirstHalf, step.Tokens-step.TokensFirstHalf)
	}
	lo, hi := r.spanSlots(smoothingStep)
	hi = min(hi, len(half))
	per := int(smoothingWindow / smoothingStep)
	var rates []float64
	for start := lo; start+per <= hi; start++ {
		var n int64
		for _, v := range half[start : start+per] {
			n += v
		}
		rates = append(rates, float64(n)/smoothingWindow.Seconds())
	}
	if len(rates) == 0 {
		t := r.Summary.OutputThroughput
		return LegacyThroughput{Max: t, Percentile95: t, Avg: t}
	}
	st := stats.Summarize(rates) // sorts rates
	return LegacyThroughput{Max: st.Max, Percentile95: st.P95, Avg: stats.TrimmedMean(rates, 0.05)}
}

// SetServer attaches the server's view of the window and the figures
// that compare it with the client's: overhead = client TTFT − server TTFT
// at each quantile, and the server's requests that were not Inferno's.
func (r *Report) SetServer(s *servermetrics.Summary) {
	if s == nil {
		return
	}
	client := servermetrics.Client{Mean: r.Stats.TTFT.Mean}
	if enc, ok := r.Distributions["ttft_seconds"]; ok && r.Summary.Successes > 0 {
		// The distribution holds every success's TTFT within 0.05%.
		if h, err := stats.Decode(enc); err == nil {
			for _, b := range stats.Bars(h) {
				client.Values = append(client.Values, servermetrics.Weighted{Value: float64(b.From+b.To) / 2 / microsPerSec, Count: b.Count})
			}
		}
	}
	s.Compare(client, r.Summary.Successes)
	r.Server = s
}

// PerRequestError reports a failure writing the per-request file, if any.
func (a *Aggregator) PerRequestError() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.encodeErr
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// P50Text is the median of one of the report's statistics for logs, the
// probe's and every window's: "none" without a success, so a dead
// endpoint's window never logs a latency of 0.
func (rep *Report) P50Text(st stats.Stats) string {
	if rep.Summary.Successes == 0 || st.Count == 0 {
		return "none"
	}
	return fmt.Sprintf("%.4fs", st.P50)
}
