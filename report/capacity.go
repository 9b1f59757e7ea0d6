package report

// Capacity is the result of a capacity search (arrival kind capacity):
// the highest request rate that was sustainable under the SLO objective,
// and every step the search ran to find it.
type Capacity struct {
	// RequestsPerSecond is the highest passing rate; 0 when no step passed.
	RequestsPerSecond float64 `json:"requests_per_second"`
	// Bracketed is true when a failing step lies above the passing rate:
	// the capacity is then found to within the search's tolerance. When
	// false, RequestsPerSecond is only a lower bound (the search ran out of
	// steps or reached the rate limit while still passing).
	Bracketed   bool           `json:"bracketed"`
	Objective   float64        `json:"objective"`
	StepSeconds float64        `json:"step_seconds"`
	Steps       []CapacityStep `json:"steps"`
}

// CapacityStep is one step of the search: a window at a constant rate,
// judged on every arrival it scheduled.
type CapacityStep struct {
	Rate float64 `json:"rate"`
	// Seconds is the step's schedule: step_seconds, or longer where a low
	// rate needs it to send enough requests to judge by.
	Seconds    float64 `json:"seconds"`
	Requests   int     `json:"requests"`
	Attainment float64 `json:"attainment"`
	// CompletedRate is the rate at which the step's arrivals completed;
	// well below Rate, the server was queueing what it could not serve.
	CompletedRate float64 `json:"completed_rate"`
	// TTFTGrowth is how much TTFT (from the intended send) grew across the
	// step, fitted: a growing queue shows here before it breaks the SLO.
	TTFTGrowth float64 `json:"ttft_growth"`
	Passed     bool    `json:"passed"`
	// Reason says why a step failed.
	Reason string `json:"reason,omitempty"`
	// DrainSeconds is how long the search waited after the step for the
	// server to drain what the step left queued, before the next step.
	DrainSeconds float64 `json:"drain_seconds,omitempty"`
	// Latencies in seconds; absent for a step without a success, which
	// has none to tell.
	TTFTP95               float64 `json:"ttft_p95,omitempty"`
	TPOTP95               float64 `json:"tpot_p95,omitempty"`
	OutputTokensPerSecond float64 `json:"output_tokens_per_second"`
}
