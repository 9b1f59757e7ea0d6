package report

// Capacity is the result of a capacity search (arrival kind capacity):
// the highest request rate whose SLO attainment met the objective, and
// every step the search ran to find it.
type Capacity struct {
	// RequestsPerSecond is the highest passing rate; 0 when no step passed.
	RequestsPerSecond float64        `json:"requests_per_second"`
	Objective         float64        `json:"objective"`
	StepSeconds       float64        `json:"step_seconds"`
	Steps             []CapacityStep `json:"steps"`
}

// CapacityStep is one step of the search: a window at a constant rate.
type CapacityStep struct {
	Rate float64 `json:"rate"`
	// Seconds is the step's schedule: step_seconds, or longer where a low
	// rate needs it to send enough requests to judge by.
	Seconds    float64 `json:"seconds"`
	Requests   int     `json:"requests"`
	Attainment float64 `json:"attainment"`
	Passed     bool    `json:"passed"`
	// Latencies in seconds (0 for a step without a success).
	TTFTP95               float64 `json:"ttft_p95"`
	TPOTP95               float64 `json:"tpot_p95"`
	OutputTokensPerSecond float64 `json:"output_tokens_per_second"`
}
