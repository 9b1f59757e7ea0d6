package config

import (
	"fmt"
	"math"
	"regexp"
	"time"

	"github.com/inferno-llm/inferno/arrival"
	"github.com/inferno-llm/inferno/config/schema"
	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/internal/addrcheck"
	"github.com/inferno-llm/inferno/internal/strictyaml"
	"github.com/inferno-llm/inferno/tokenizer"
)

// MaxFileSize bounds a config file: anything larger is refused before it
// is parsed (a 50 MB file of label keys once took minutes and gigabytes).
const MaxFileSize = 4 << 20

// Limits bound what one window, one API body or the daemon's queues may
// ask for. Every limit is checked when a config or an API body is
// validated, so nothing over a limit is discovered while a window runs.
type Limits struct {
	// MaxConcurrency bounds closed-loop concurrency (arrival concurrency,
	// concurrency stages) and a workload's max_concurrency.
	MaxConcurrency int `yaml:"max_concurrency"`
	// MaxInFlight bounds requests in flight in one window; an open-loop
	// window without max_concurrency gets it as its cap.
	MaxInFlight int `yaml:"max_in_flight"`
	// MaxRequests bounds requests and warmup of one window.
	MaxRequests int `yaml:"max_requests"`
	// MaxDuration bounds a window's duration, deadline, ramp and stages.
	MaxDuration Duration `yaml:"max_duration"`
	// MaxInputTokens and MaxOutputTokens bound one request's lengths.
	MaxInputTokens  int `yaml:"max_input_tokens"`
	MaxOutputTokens int `yaml:"max_output_tokens"`
	// MaxPromptBytes bounds one synthetic prompt's size.
	MaxPromptBytes int `yaml:"max_prompt_bytes"`
	// MaxRate bounds open-loop arrival rates (requests per second),
	// including a synthesizer's average over its run.
	MaxRate float64 `yaml:"max_rate"`
	// MaxSynthesizerTick bounds the requests a synthesizer issues at one
	// whole second.
	MaxSynthesizerTick int `yaml:"max_synthesizer_tick"`
	// MaxBodyBytes and MaxBodyKeys bound an API request body.
	MaxBodyBytes int `yaml:"max_body_bytes"`
	MaxBodyKeys  int `yaml:"max_body_keys"`
	// MaxPendingRuns bounds API and legacy runs waiting for a window slot;
	// more are answered 429.
	MaxPendingRuns int `yaml:"max_pending_runs"`
	// MaxRegisteredTests bounds the old API's registered but unstarted
	// tests; each expires after RegisteredTestExpiry.
	MaxRegisteredTests   int      `yaml:"max_registered_tests"`
	RegisteredTestExpiry Duration `yaml:"registered_test_expiry"`
	// MaxWindowBytes bounds the memory one window may claim: its prompts
	// times its requests in flight, its data set and its tokenizer.
	MaxWindowBytes int `yaml:"max_window_bytes"`
}

// DefaultLimits are generous for benchmarking and small enough that no
// single window or body can take the daemon down.
func DefaultLimits() Limits {
	return Limits{
		MaxConcurrency:       10000,
		MaxInFlight:          10000,
		MaxRequests:          10_000_000,
		MaxDuration:          Duration(7 * 24 * time.Hour),
		MaxInputTokens:       1_000_000,
		MaxOutputTokens:      1_000_000,
		MaxPromptBytes:       16 << 20,
		MaxRate:              10000,
		MaxSynthesizerTick:   10000,
		MaxBodyBytes:         1 << 20,
		MaxBodyKeys:          10000,
		MaxPendingRuns:       100,
		MaxRegisteredTests:   100,
		RegisteredTestExpiry: Duration(time.Hour),
		MaxWindowBytes:       512 << 20,
	}
}

// API configures the runs API and the old tool's routes.
type API struct {
	// AllowURLs are regular expressions, anchored like a /probe module's:
	// an inline target's URL must match one. With none, API bodies may
	// only name configured targets.
	AllowURLs []string `yaml:"allow_urls,omitempty"`
	// AllowHubRepos are regular expressions, anchored, over owner/name:
	// an inline workload may download a data set or a tokenizer only from
	// a hub repository that matches one. With none, it may download none.
	AllowHubRepos []string `yaml:"allow_hub_repos,omitempty"`

	allowed    []*regexp.Regexp
	allowedHub []*regexp.Regexp
}

// Allows reports whether an inline target may send to rawURL.
func (a *API) Allows(rawURL string) bool { return addrcheck.MatchURL(a.allowed, rawURL) }

func (c *Config) validateLimits() error {
	l := c.Limits
	for _, v := range []struct {
		field string
		n     float64
	}{
		{"max_concurrency", float64(l.MaxConcurrency)}, {"max_in_flight", float64(l.MaxInFlight)},
		{"max_requests", float64(l.MaxRequests)}, {"max_duration", float64(l.MaxDuration)},
		{"max_input_tokens", float64(l.MaxInputTokens)}, {"max_output_tokens", float64(l.MaxOutputTokens)},
		{"max_prompt_bytes", float64(l.MaxPromptBytes)}, {"max_rate", l.MaxRate},
		{"max_synthesizer_tick", float64(l.MaxSynthesizerTick)}, {"max_body_bytes", float64(l.MaxBodyBytes)},
		{"max_body_keys", float64(l.MaxBodyKeys)}, {"max_pending_runs", float64(l.MaxPendingRuns)},
		{"max_registered_tests", float64(l.MaxRegisteredTests)}, {"registered_test_expiry", float64(l.RegisteredTestExpiry)},
		{"max_window_bytes", float64(l.MaxWindowBytes)},
	} {
		if !(v.n > 0) {
			return c.fail(0, "limits."+v.field, "must be positive")
		}
	}
	c.API.allowed = nil
	for i, pattern := range c.API.AllowURLs {
		re, err := regexp.Compile("^(?:" + pattern + ")$")
		if err != nil {
			return c.fail(0, fmt.Sprintf("api.allow_urls[%d]", i), "not a regular expression: %v", err)
		}
		c.API.allowed = append(c.API.allowed, re)
	}
	c.API.allowedHub = nil
	for i, pattern := range c.API.AllowHubRepos {
		re, err := regexp.Compile("^(?:" + pattern + ")$")
		if err != nil {
			return c.fail(0, fmt.Sprintf("api.allow_hub_repos[%d]", i), "not a regular expression: %v", err)
		}
		c.API.allowedHub = append(c.API.allowedHub, re)
	}
	g := c.Global
	if g.APIWindows < 0 {
		return c.fail(0, "global.api_windows", "must not be negative, got %d", g.APIWindows)
	}
	if g.APIWindows > g.MaxConcurrentWindows {
		return c.fail(0, "global.api_windows", "%d is more than max_concurrent_windows (%d)", g.APIWindows, g.MaxConcurrentWindows)
	}
	if len(c.Schedules) > 0 && g.APIWindows >= g.MaxConcurrentWindows {
		field := "global.api_windows"
		if strictyaml.LineOf(c.lines, field) == 0 {
			field = "global.max_concurrent_windows"
		}
		return c.fail(0, field, "scheduled windows need a share of max_concurrent_windows (%d) that API and probe windows (api_windows, %d) cannot take: raise max_concurrent_windows or lower api_windows",
			g.MaxConcurrentWindows, g.APIWindows)
	}
	return nil
}

// workloadLimits checks one workload against the limits; field is its path.
func (c *Config) workloadLimits(w *Workload, field string) error {
	l := c.Limits
	maxDur := l.MaxDuration.D()
	over := func(sub string, what string, got, limit any) error {
		return c.fail(0, field+sub, "%s %v is over the limit of %v (limits.%s)", what, got, limit, limitName(sub))
	}
	if w.Requests > l.MaxRequests {
		return over(".requests", "requests", w.Requests, l.MaxRequests)
	}
	if w.Warmup > l.MaxRequests {
		return over(".warmup", "warmup", w.Warmup, l.MaxRequests)
	}
	if w.MaxConcurrency > l.MaxInFlight {
		return over(".max_concurrency", "max_concurrency", w.MaxConcurrency, l.MaxInFlight)
	}
	for _, d := range []struct {
		sub string
		v   Duration
	}{{".duration", w.Duration}, {".deadline", w.Deadline}, {".request_timeout", w.RequestTimeout}} {
		if d.v.D() > maxDur {
			return over(d.sub, d.sub[1:], d.v, l.MaxDuration)
		}
	}
	// Requests in flight when the duration ends may finish for this long:
	// it lengthens the window as much as the duration does.
	if w.Grace != nil && w.Grace.D() > maxDur {
		return over(".grace", "grace", *w.Grace, l.MaxDuration)
	}
	ds := w.Dataset
	if ds.InputTokens > l.MaxInputTokens || float64(ds.InputTokens)*(1+ds.Spread) > float64(l.MaxInputTokens) {
		return over(".dataset.input_tokens", "input_tokens", ds.InputTokens, l.MaxInputTokens)
	}
	if ds.OutputTokens > l.MaxOutputTokens || float64(ds.OutputTokens)*(1+ds.Spread) > float64(l.MaxOutputTokens) {
		return over(".dataset.output_tokens", "output_tokens", ds.OutputTokens, l.MaxOutputTokens)
	}
	if w.Params.MinTokens > l.MaxOutputTokens {
		return over(".params.min_tokens", "min_tokens", w.Params.MinTokens, l.MaxOutputTokens)
	}
	// A synthetic word is one token and at most syntheticWordBytes bytes.
	if ds.Kind == "synthetic" && float64(ds.InputTokens)*(1+ds.Spread)*syntheticWordBytes > float64(l.MaxPromptBytes) {
		return c.fail(0, field+".dataset.input_tokens", "a prompt of %d tokens may take more than limits.max_prompt_bytes (%d bytes)", ds.InputTokens, l.MaxPromptBytes)
	}
	a := w.Arrival
	af := field + ".arrival"
	rate := func(sub string, r float64) error {
		if r > l.MaxRate {
			return c.fail(0, af+sub, "%v requests per second is over the limit of %v (limits.max_rate)", r, l.MaxRate)
		}
		// The first request of a rate this small would come after the
		// longest window (and its gap would overflow a duration).
		if r > 0 && 1/r > maxDur.Seconds() {
			return c.fail(0, af+sub, "%v requests per second is one request every %.3g s, longer than limits.max_duration (%v)", r, 1/r, l.MaxDuration)
		}
		return nil
	}
	switch a.Kind {
	case "constant", "poisson", "gamma":
		if err := rate(".rate", a.Rate); err != nil {
			return err
		}
	case "ramp":
		if err := rate(".rate", a.Rate); err != nil {
			return err
		}
		if err := rate(".end_rate", a.EndRate); err != nil {
			return err
		}
		if a.RampDuration.D() > maxDur {
			return over(".arrival.ramp_duration", "ramp_duration", Duration(a.RampDuration), l.MaxDuration)
		}
	case "concurrency":
		if a.Concurrency > l.MaxConcurrency {
			return over(".arrival.concurrency", "concurrency", a.Concurrency, l.MaxConcurrency)
		}
	case "stages":
		var total time.Duration
		wrapped := false // the sum went past the largest duration
		for i, s := range a.Stages {
			sf := fmt.Sprintf(".stages[%d]", i)
			if s.Concurrency > l.MaxConcurrency {
				return c.fail(0, af+sf+".concurrency", "concurrency %d is over the limit of %d (limits.max_concurrency)", s.Concurrency, l.MaxConcurrency)
			}
			if err := rate(sf+".rate", s.Rate); err != nil {
				return err
			}
			wrapped = wrapped || (s.Duration > 0 && total > math.MaxInt64-s.Duration.D())
			total += s.Duration.D()
		}
		if wrapped {
			total = math.MaxInt64 // for the message: longer than any limit
		}
		if wrapped || total > maxDur || total < 0 {
			return c.fail(0, af+".stages", "the stages last %v, over the limit of %v (limits.max_duration)", Duration(total), l.MaxDuration)
		}
	case "synthesizer":
		if err := c.synthesizerLimits(a, w, af); err != nil {
			return err
		}
	case "capacity":
		// Steps never go past limits.max_rate (the search stops doubling
		// there); the start and the whole search's length are checked here.
		if err := rate(".rate", a.Rate); err != nil {
			return err
		}
		ca := a.CapacityDefaults()
		// Compared by division: the product can wrap round to a short total.
		steps := time.Duration(ca.MaxSteps)
		if total := steps * ca.StepDuration.D(); total > maxDur || total < 0 || (steps > 0 && ca.StepDuration.D() > maxDur/steps) {
			return c.fail(0, af+".max_steps", "%d steps of %v last over the limit of %v (limits.max_duration)", ca.MaxSteps, Duration(ca.StepDuration), l.MaxDuration)
		}
	}
	if err := c.syntheticSessionLimits(w, field); err != nil {
		return err
	}
	return c.windowBudget(w, field)
}

// windowBudget refuses a window whose memory, each part within its own
// limit, would add up past limits.max_window_bytes: input_tokens 1000000
// with concurrency 1000 passed every limit and took the daemon down.
func (c *Config) windowBudget(w *Workload, field string) error {
	l := c.Limits
	ds := w.Dataset
	var prompt, fixed float64
	if ds.Kind == "synthetic" {
		turns := float64(max(ds.Turns, 1))
		tokens := float64(ds.PrefixTokens) + turns*float64(ds.InputTokens)*(1+ds.Spread) + (turns-1)*float64(ds.OutputTokens)*(1+ds.Spread)
		prompt = tokens * syntheticWordBytes
		fixed = float64(ds.Prefixes) * float64(ds.PrefixTokens) * syntheticWordBytes
	} else {
		// A data file is held whole, up to its reader's cap; each request
		// in flight holds its prompt's body beside it.
		prompt = dataset.RowBytesInFlight
		fixed = dataset.MaxDatasetBytes
	}
	if ds.Tokenizer != "" {
		fixed += tokenizer.MaxFileBytes
	}
	inFlight := float64(c.inFlight(w))
	total := prompt*inFlight + fixed
	if total > float64(l.MaxWindowBytes) {
		return c.fail(0, field, "the window may hold %.0f bytes (prompts of up to %.0f bytes × %.0f requests in flight, plus %.0f for its data set and tokenizer), over the limit of %d bytes (limits.max_window_bytes): lower the prompt size or the requests in flight (max_concurrency)",
			total, prompt, inFlight, fixed, l.MaxWindowBytes)
	}
	return nil
}

// inFlight is the most requests a window may hold at once: its closed
// loop's concurrency, or its open loop's max_concurrency, else what its
// peak rate keeps in flight for a whole request timeout.
func (c *Config) inFlight(w *Workload) int {
	a := w.Arrival
	closed := a.Concurrency
	for _, s := range a.Stages {
		closed = max(closed, s.Concurrency)
	}
	if a.Kind == "concurrency" || (a.Kind == "stages" && closed > 0) {
		return closed
	}
	limit := c.Limits.MaxInFlight
	if w.MaxConcurrency > 0 {
		limit = min(limit, w.MaxConcurrency)
	}
	rate := max(a.Rate, a.EndRate)
	for _, s := range a.Stages {
		rate = max(rate, s.Rate)
	}
	timeout := c.Global.RequestTimeout.D()
	if w.RequestTimeout > 0 {
		timeout = w.RequestTimeout.D()
	}
	if a.Kind == "synthesizer" || a.Kind == "replay" || a.Kind == "capacity" || rate <= 0 {
		return limit
	}
	return int(min(float64(limit), math.Ceil(rate*timeout.Seconds())))
}

// syntheticSessionLimits bounds the largest prompt a synthetic workload
// with shared prefixes and turns sends: its last turn carries the prefix,
// every earlier turn and answer, and its own input.
func (c *Config) syntheticSessionLimits(w *Workload, field string) error {
	ds := w.Dataset
	if ds.Kind != "synthetic" || (ds.PrefixTokens == 0 && ds.Turns <= 1) {
		return nil
	}
	turns := float64(max(ds.Turns, 1))
	largest := float64(ds.PrefixTokens) + turns*float64(ds.InputTokens)*(1+ds.Spread) + (turns-1)*float64(ds.OutputTokens)*(1+ds.Spread)
	if largest > float64(c.Limits.MaxInputTokens) {
		return c.fail(0, field+".dataset", "the last turn's prompt (prefix, history and input) may reach %.0f tokens, over the limit of %d (limits.max_input_tokens)", largest, c.Limits.MaxInputTokens)
	}
	if largest*syntheticWordBytes > float64(c.Limits.MaxPromptBytes) {
		return c.fail(0, field+".dataset", "the last turn's prompt may take more than limits.max_prompt_bytes (%d bytes)", c.Limits.MaxPromptBytes)
	}
	if float64(ds.Prefixes)*float64(ds.PrefixTokens)*syntheticWordBytes > float64(c.Limits.MaxPromptBytes) {
		return c.fail(0, field+".dataset.prefixes", "%d prefixes of %d tokens may take more than limits.max_prompt_bytes (%d bytes)", ds.Prefixes, ds.PrefixTokens, c.Limits.MaxPromptBytes)
	}
	return nil
}

// syntheticWordBytes is the longest word of the synthetic vocabulary with
// its space, an upper bound of a synthetic token's bytes.
const syntheticWordBytes = 16

// synthesizerLimits evaluates the function over the window, second by
// second as the load generator will, and refuses a tick or average rate over the
// limits or more requests than max_requests.
func (c *Config) synthesizerLimits(a schema.Arrival, w *Workload, field string) error {
	fn, err := arrival.ParseSynthesizer(a.Func)
	if err != nil {
		return nil // reported by the arrival's own validation
	}
	l := c.Limits
	seconds := int(math.Min(l.MaxDuration.D().Seconds(), arrival.MaxSynthesizerSeconds))
	if w.Duration > 0 {
		seconds = min(seconds, int(w.Duration.D().Seconds())+1)
	}
	// With no duration or deadline to cut it, the window lasts as long as
	// the function is defined (or until requests are issued); the load generator
	// itself stops after MaxSynthesizerSeconds.
	uncut := w.Duration == 0 && w.Deadline == 0 && seconds < arrival.MaxSynthesizerSeconds
	// Each second costs one evaluation of the function: a 686-byte
	// expression over a week of seconds took 3.4 s of CPU to check.
	if cost := arrival.SynthesizerCost(fn); cost*seconds > arrival.MaxSynthesizerSteps {
		return c.fail(0, field+".func", "%d steps to check (%d per second over %d s), over the budget of %d: shorten the expression, or set the workload's duration", cost*seconds, cost, seconds, arrival.MaxSynthesizerSteps)
	}
	issued := 0
	for t := range seconds {
		n, ok := fn.Cumulative(t)
		if !ok {
			uncut = false
			break
		}
		if n-issued > l.MaxSynthesizerTick {
			return c.fail(0, field+".func", "issues %d requests at second %d, over the limit of %d (limits.max_synthesizer_tick)", n-issued, t, l.MaxSynthesizerTick)
		}
		if n > issued {
			issued = n
		}
		if issued > l.MaxRequests {
			return c.fail(0, field+".func", "issues more than %d requests by second %d (limits.max_requests)", l.MaxRequests, t)
		}
		if t >= 10 && float64(issued)/float64(t+1) > l.MaxRate {
			return c.fail(0, field+".func", "issues %d requests in %d s, over the limit of %v per second (limits.max_rate)", issued, t+1, l.MaxRate)
		}
		if w.Requests > 0 && issued >= w.Requests {
			uncut = false // the window ends with its last request
			break
		}
	}
	if uncut {
		if _, ok := fn.Cumulative(seconds); ok {
			return c.fail(0, field+".func", "still issues requests at second %d, past the limit of %v (limits.max_duration): make the function end (None) sooner, or set the workload's duration or deadline", seconds, l.MaxDuration)
		}
	}
	return nil
}

func limitName(sub string) string {
	switch sub {
	case ".requests", ".warmup":
		return "max_requests"
	case ".max_concurrency":
		return "max_in_flight"
	case ".dataset.input_tokens":
		return "max_input_tokens"
	case ".dataset.output_tokens", ".params.min_tokens":
		return "max_output_tokens"
	case ".arrival.concurrency":
		return "max_concurrency"
	}
	return "max_duration"
}
