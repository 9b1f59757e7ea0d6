// Package report turns a window's results into statistics and the JSON
// report archived for it.
package report

import (
	"time"

	"github.com/inferno-llm/inferno/result"
)

// Run statuses.
const (
	StatusFinished = "finished" // the window ran to its end
	StatusAborted  = "aborted"  // stopped from outside (shutdown, cancel)
	StatusFailed   = "failed"   // could not run at all
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
	// prober.RunInfo); equal hashes mean the same requests at the same times.
	WorkloadHash string `json:"workload_hash,omitempty"`

	Warmup       int  `json:"warmup_requests"`
	WarmupFailed int  `json:"warmup_failed"`
	DeadlineHit  bool `json:"deadline_hit"`
}

// Target names the endpoint measured.
type Target struct {
	Name  string `json:"name,omitempty"`
	URL   string `json:"url"`
	API   string `json:"api"`
	Model string `json:"model"`
}

// Report is the archived JSON. Its first keys are the old tool's, with
// their meaning kept, so consumers of the old report still parse it; the
// lower-case sections extend it.
type Report struct {
	TotalRequestNum  int              `json:"Total_request_num"`
	FailRate         float64          `json:"Fail_rate"`
	TTFT             Legacy           `json:"TTFT"`
	SLO              float64          `json:"SLO"`
	TPOT             Legacy           `json:"TPOT"`
	Latency          Legacy           `json:"latency"`
	Throughput       LegacyThroughput `json:"Throughput"`
	TotalDurationSec float64          `json:"Total_duration_sec"`
	RPS              float64          `json:"RPS"`

	Run      Meta           `json:"run"`
	Summary  Summary        `json:"summary"`
	Stats    WindowStats    `json:"stats"`
	Timeline []TimelineStep `json:"timeline"`
	Errors   []ErrorCount   `json:"errors"`
}

// LegacyThroughput is the old tool's throughput object, in output tokens per second.
type LegacyThroughput struct {
	Max          float64 `json:"max"`
	Percentile95 float64 `json:"95_percentile"`
	Avg          float64 `json:"avg"`
}

// Summary holds the window's headline figures.
type Summary struct {
	Requests        int            `json:"requests"`
	Successes       int            `json:"successes"`
	Failures        int            `json:"failures"`
	Outcomes        map[string]int `json:"outcomes"`
	SuccessRate     float64        `json:"success_rate"`
	SLO             SLOSummary     `json:"slo"`
	DurationSeconds float64        `json:"duration_seconds"`
	RPS             float64        `json:"rps"`         // responses per second
	GoodputRPS      float64        `json:"goodput_rps"` // SLO-meeting requests per second
	InputTokens     int64          `json:"input_tokens"`
	OutputTokens    int64          `json:"output_tokens"`
	// OutputTokensFrom counts successful requests by where their output
	// token count came from: the server's usage, or counted events.
	OutputTokensFrom map[string]int `json:"output_tokens_from"`
	// OutputThroughput is output tokens per second over the window.
	OutputThroughput float64 `json:"output_tokens_per_second"`
	// TotalThroughput counts input and output tokens.
	TotalThroughput float64 `json:"total_tokens_per_second"`
	// PerSecond summarises the per-second output-token series.
	PerSecond Stats `json:"output_tokens_per_second_series"`
}

// SLOSummary is the SLO applied and how the window did against it.
type SLOSummary struct {
	TTFTSeconds float64 `json:"ttft_seconds,omitempty"`
	TPOTSeconds float64 `json:"tpot_seconds,omitempty"`
	E2ESeconds  float64 `json:"e2e_seconds,omitempty"`
	Met         int     `json:"met"`
	Attainment  float64 `json:"attainment"`
}

// WindowStats are the full statistics, times in seconds.
type WindowStats struct {
	TTFT             Stats `json:"ttft_seconds"`
	TTFTFromSchedule Stats `json:"ttft_from_schedule_seconds"`
	FirstEvent       Stats `json:"first_event_seconds"`
	TPOT             Stats `json:"tpot_seconds"`
	E2EPerToken      Stats `json:"e2e_per_token_seconds"`
	ITL              Stats `json:"itl_seconds"`
	Latency          Stats `json:"e2e_latency_seconds"`
	ScheduleLag      Stats `json:"schedule_lag_seconds"`
	InputTokens      Stats `json:"input_tokens"`
	OutputTokens     Stats `json:"output_tokens"`
}

// TimelineStep is one second of the window.
type TimelineStep struct {
	Second    int   `json:"second"`
	Started   int64 `json:"started"`
	Completed int64 `json:"completed"`
	Failed    int64 `json:"failed"`
	InFlight  int64 `json:"in_flight"` // at the end of the second
	Tokens    int64 `json:"output_tokens"`
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
	duration := 0.0
	if !a.firstSent.IsZero() && a.lastEnd.After(a.firstSent) {
		duration = a.lastEnd.Sub(a.firstSent).Seconds()
	}
	r := Report{Run: meta, Errors: a.sortedReasons()}
	s := &r.Stats
	s.TTFT = Summarize(a.ttft)
	s.TTFTFromSchedule = Summarize(a.ttftSched)
	s.FirstEvent = Summarize(a.firstEvent)
	s.TPOT = Summarize(a.tpot)
	s.E2EPerToken = Summarize(a.e2ePerToken)
	s.Latency = Summarize(a.latency)
	s.ScheduleLag = Summarize(a.lag)
	s.InputTokens = Summarize(a.inTokens)
	s.OutputTokens = Summarize(a.outTokens)
	s.ITL = hdrStats(a)

	sum := &r.Summary
	sum.Requests = a.requests
	sum.Successes = a.successes
	sum.Failures = a.requests - a.successes
	sum.Outcomes = map[string]int{}
	for _, o := range result.Outcomes {
		sum.Outcomes[string(o)] = a.outcomes[o]
	}
	sum.SuccessRate = ratio(a.successes, a.requests)
	sum.SLO = SLOSummary{
		TTFTSeconds: a.slo.TTFT.Seconds(),
		TPOTSeconds: a.slo.TPOT.Seconds(),
		E2ESeconds:  a.slo.E2E.Seconds(),
		Met:         a.sloMet,
		Attainment:  ratio(a.sloMet, a.requests),
	}
	sum.DurationSeconds = duration
	sum.InputTokens, sum.OutputTokens = a.totalIn, a.totalOut
	sum.OutputTokensFrom = map[string]int{}
	for k, n := range a.tokensFrom {
		sum.OutputTokensFrom[string(k)] = n
	}
	if duration > 0 {
		sum.RPS = float64(a.requests) / duration
		sum.GoodputRPS = float64(a.sloMet) / duration
		sum.OutputThroughput = float64(a.totalOut) / duration
		sum.TotalThroughput = float64(a.totalOut+a.totalIn) / duration
	}

	var inFlight int64
	perSecond := make([]float64, 0, len(a.timeline))
	for i, c := range a.timeline {
		inFlight += c.started - c.completed
		r.Timeline = append(r.Timeline, TimelineStep{
			Second: i, Started: c.started, Completed: c.completed, Failed: c.failed,
			InFlight: inFlight, Tokens: c.tokens,
		})
		perSecond = append(perSecond, float64(c.tokens))
	}
	sum.PerSecond = Summarize(perSecond) // sorts perSecond

	r.TotalRequestNum = a.requests
	r.FailRate = 1 - sum.SuccessRate
	if a.requests == 0 {
		r.FailRate = 0
	}
	r.TTFT = s.FirstEvent.Legacy()
	r.TPOT = s.E2EPerToken.Legacy()
	r.Latency = s.Latency.Legacy()
	r.SLO = sum.SLO.Attainment
	r.Throughput = LegacyThroughput{
		Max:          sum.PerSecond.Max,
		Percentile95: sum.PerSecond.P95,
		Avg:          trimmedMean(perSecond, 0.05),
	}
	r.TotalDurationSec = duration
	r.RPS = sum.RPS
	return r
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

func hdrStats(a *Aggregator) Stats {
	h := a.itl
	if h.TotalCount() == 0 {
		return Stats{}
	}
	const us = 1e-6
	q := func(p float64) float64 { return float64(h.ValueAtQuantile(p)) * us }
	return Stats{
		Count: int(h.TotalCount()),
		Mean:  h.Mean() * us,
		Std:   h.StdDev() * us,
		Min:   float64(h.Min()) * us,
		Max:   float64(h.Max()) * us,
		P50:   q(50), P90: q(90), P95: q(95), P99: q(99), P999: q(99.9),
	}
}
