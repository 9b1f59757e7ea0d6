// Package report turns a window's results into statistics and the JSON
// report archived for it.
package report

import (
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/inferno-llm/inferno/result"
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
	// prober.RunInfo); equal hashes mean the same requests at the same times.
	WorkloadHash string `json:"workload_hash,omitempty"`

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
}

// Hardware is the accelerator a target runs on.
type Hardware struct {
	GPU   string `json:"gpu,omitempty"`
	Count int    `json:"count,omitempty"`
}

// Shard is replica Index (from 0) of Count.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
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
	// TimelineStart is the origin of the timeline's seconds: the start of
	// the measured window, after any warm-up.
	TimelineStart time.Time    `json:"timeline_start,omitzero"`
	Errors        []ErrorCount `json:"errors"`
	// Capacity is set by a capacity search: its steps and the rate found.
	Capacity *Capacity `json:"capacity,omitempty"`
	// Distributions hold each statistic's full distribution (see
	// distribution.go), so reports can be merged with exact counts and
	// percentiles within HdrHistogram's precision.
	Distributions map[string]string `json:"distributions,omitempty"`
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
	RPS             float64   `json:"rps"`         // responses per second
	GoodputRPS      float64   `json:"goodput_rps"` // SLO-meeting requests per second
	InputTokens     int64     `json:"input_tokens"`
	OutputTokens    int64     `json:"output_tokens"`
	// OutputTokensFrom counts successful requests by where their output
	// token count came from: the server's usage, or counted events.
	OutputTokensFrom map[string]int `json:"output_tokens_from"`
	// OutputThroughput is output tokens per second over the window.
	OutputThroughput float64 `json:"output_tokens_per_second"`
	// TotalThroughput counts input and output tokens.
	TotalThroughput float64 `json:"total_tokens_per_second"`
	// PerSecond summarises the per-second output-token series.
	PerSecond Stats `json:"output_tokens_per_second_series"`
	// CostPerMillionOutputTokens is the target's cost per hour over the
	// output tokens it generated per hour, per million; 0 without a cost.
	CostPerMillionOutputTokens float64 `json:"cost_per_million_output_tokens,omitempty"`
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
	r := Report{Run: meta, Errors: a.sortedReasons(), TimelineStart: a.start, Samples: a.sortedSamples()}
	r.Distributions = map[string]string{}
	for _, d := range distributions {
		var h *hdr.Histogram
		if d.name == "itl_seconds" {
			h = a.itl
		} else {
			h = newDistribution(d, *d.values(a))
		}
		*d.stats(&r.Stats) = d.summarize(a, h)
		if h.TotalCount() > 0 {
			r.Distributions[d.name] = encodeDistribution(h)
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
	}
	sum.FirstSentAt, sum.LastEndAt = a.firstSent, a.lastEnd
	sum.InputTokens, sum.OutputTokens = a.totalIn, a.totalOut
	sum.OutputTokensFrom = map[string]int{}
	for k, n := range a.tokensFrom {
		sum.OutputTokensFrom[string(k)] = n
	}
	for i, c := range a.timeline {
		r.Timeline = append(r.Timeline, TimelineStep{
			Second: i, Started: c.started, Completed: c.completed, Failed: c.failed, Tokens: c.tokens,
		})
	}
	r.derive()
	return r
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
	duration := 0.0
	if !sum.FirstSentAt.IsZero() && sum.LastEndAt.After(sum.FirstSentAt) {
		duration = sum.LastEndAt.Sub(sum.FirstSentAt).Seconds()
	}
	sum.DurationSeconds = duration
	sum.RPS, sum.GoodputRPS, sum.OutputThroughput, sum.TotalThroughput = 0, 0, 0, 0
	if duration > 0 {
		sum.RPS = float64(sum.Requests) / duration
		sum.GoodputRPS = float64(sum.SLO.Met) / duration
		sum.OutputThroughput = float64(sum.OutputTokens) / duration
		sum.TotalThroughput = float64(sum.OutputTokens+sum.InputTokens) / duration
	}

	var inFlight int64
	perSecond := make([]float64, 0, len(r.Timeline))
	for i := range r.Timeline {
		step := &r.Timeline[i]
		inFlight += step.Started - step.Completed
		step.InFlight = inFlight
		perSecond = append(perSecond, float64(step.Tokens))
	}
	sum.PerSecond = Summarize(perSecond) // sorts perSecond

	s := &r.Stats
	r.TotalRequestNum = sum.Requests
	r.FailRate = 1 - sum.SuccessRate
	if sum.Requests == 0 {
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
	sum.CostPerMillionOutputTokens = 0
	if r.Run.CostPerHour > 0 && sum.OutputThroughput > 0 {
		sum.CostPerMillionOutputTokens = r.Run.CostPerHour / (sum.OutputThroughput * 3600) * 1e6
	}
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
