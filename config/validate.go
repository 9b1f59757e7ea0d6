package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/inferno-llm/inferno/arrival"
	"github.com/inferno-llm/inferno/config/schema"
	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/internal/addrcheck"
	"github.com/inferno-llm/inferno/internal/cronspec"
	"github.com/inferno-llm/inferno/traces"
)

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

func (c *Config) validate() error {
	g := c.Global
	if g.ReportDir == "" {
		return c.fail(0, "global.report_dir", "must not be empty")
	}
	if g.ReportRetentionCount < 0 {
		return c.fail(0, "global.report_retention_count", "must not be negative, got %d", g.ReportRetentionCount)
	}
	if g.MaxConcurrentWindows < 1 {
		return c.fail(0, "global.max_concurrent_windows", "must be at least 1, got %d", g.MaxConcurrentWindows)
	}
	if g.RequestTimeout.D() <= 0 {
		return c.fail(0, "global.request_timeout", "must be positive")
	}
	if g.HFEndpoint != "" {
		if err := addrcheck.URL(g.HFEndpoint); err != nil {
			return c.fail(0, "global.hf_endpoint", "%v", err)
		}
	}
	if g.APIWindows == 0 {
		c.Global.APIWindows = g.MaxConcurrentWindows
		if len(c.Schedules) > 0 {
			c.Global.APIWindows = g.MaxConcurrentWindows / 2
		}
		if c.Global.APIWindows < 1 {
			return c.fail(0, "global.max_concurrent_windows", "1 window at a time leaves no share for API and probe windows beside the schedules: set 2 or more (api_windows of them go to API and probe windows)")
		}
	}
	if err := c.validateLimits(); err != nil {
		return err
	}
	if s := c.Simulator; s != nil {
		switch {
		case s.Listen == "":
			return c.fail(0, "simulator.listen", "must be set (e.g. 127.0.0.1:8001)")
		case s.TTFT < 0 || s.ITL < 0:
			return c.fail(0, "simulator", "ttft and itl must not be negative")
		case s.Jitter < 0 || s.Jitter >= 1:
			return c.fail(0, "simulator.jitter", "must be in [0, 1) (a share of each latency), got %v", s.Jitter)
		case s.MaxConcurrency < 0:
			return c.fail(0, "simulator.max_concurrency", "must not be negative, got %d", s.MaxConcurrency)
		}
		if err := addrcheck.Listen(s.Listen); err != nil {
			return c.fail(0, "simulator.listen", "%v", err)
		}
	}
	seen := map[string]bool{}
	for i, t := range c.Targets {
		field := fmt.Sprintf("targets[%d]", i)
		if err := c.uniqueName(seen, t.line, field, "target", t.Name); err != nil {
			return err
		}
		if err := c.checkTarget(t, field); err != nil {
			return err
		}
	}
	seen = map[string]bool{}
	for i, w := range c.Workloads {
		field := fmt.Sprintf("workloads[%d]", i)
		if err := c.uniqueName(seen, w.line, field, "workload", w.Name); err != nil {
			return err
		}
		if err := c.validateWorkload(w, field); err != nil {
			return err
		}
	}
	seen = map[string]bool{}
	for i, s := range c.Schedules {
		field := fmt.Sprintf("schedules[%d]", i)
		if err := c.uniqueName(seen, s.line, field, "schedule", s.Name); err != nil {
			return err
		}
		sched, err := cronspec.Parse(s.Cron)
		if err != nil {
			return c.fail(s.line, field+".cron", "%v", err)
		}
		s.schedule = sched
		if c.Workload(s.Workload) == nil {
			return c.fail(s.line, field+".workload", "no such workload (defined: %s)", c.WorkloadNames())
		}
		if s.LoadShare && c.Workload(s.Workload).Arrival.Kind == "capacity" {
			// Each replica would judge its own share's steps and step to
			// different rates: the search needs the whole load in one place.
			return c.fail(s.line, field+".load_share", "a capacity search runs on one replica; remove load_share")
		}
		if len(s.Targets) == 0 {
			return c.fail(s.line, field+".targets", "name at least one target")
		}
		for j, name := range s.Targets {
			if c.Target(name) == nil {
				// The index says which; the value is not quoted back.
				return c.fail(s.line, fmt.Sprintf("%s.targets[%d]", field, j), "no such target (defined: %s)", c.TargetNames())
			}
		}
		if s.Jitter < 0 {
			return c.fail(s.line, field+".jitter", "must not be negative")
		}
		if period := cronspec.ShortestPeriod(sched); s.Jitter.D() >= period {
			return c.fail(s.line, field+".jitter", "%v is not shorter than the schedule's period (%v): windows would pile up", s.Jitter, Duration(period))
		}
	}
	for name, m := range c.Modules {
		field := fmt.Sprintf("modules.%s", name)
		if !namePattern.MatchString(name) {
			return c.fail(m.line, field, "module name %q: want letters, digits, '.', '_' or '-'", name)
		}
		w := c.Workload(m.Workload)
		if w == nil {
			return c.fail(m.line, field+".workload", "no such workload (defined: %s)", c.WorkloadNames())
		}
		if w.Requests <= 0 {
			return c.fail(m.line, field+".workload", "workload %q has no request cap; a probe must be small", m.Workload)
		}
		m.allowed = nil
		for _, pattern := range m.AllowURLs {
			// Anchored: a pattern must match the whole URL, not a substring.
			re, err := regexp.Compile("^(?:" + pattern + ")$")
			if err != nil {
				return c.fail(m.line, field+".allow_urls", "%q: %v", pattern, err)
			}
			m.allowed = append(m.allowed, re)
		}
		if m.API == "" {
			m.API = "openai-chat"
		}
		if !schema.KnownAPI(m.API) {
			return c.fail(m.line, field+".api", "unknown api (want one of %s)", strings.Join(schema.APINames, ", "))
		}
	}
	return nil
}

// checkTarget validates one target; field is its path.
func (c *Config) checkTarget(t *Target, field string) error {
	if err := addrcheck.URL(t.URL); err != nil {
		return c.fail(t.line, field+".url", "%v", err)
	}
	if t.API == "" {
		t.API = "openai-chat"
	}
	if !schema.KnownAPI(t.API) {
		return c.fail(t.line, field+".api", "unknown api (want one of %s)", strings.Join(schema.APINames, ", "))
	}
	if t.Model == "" {
		return c.fail(t.line, field+".model", "must be set")
	}
	if err := t.HTTP.Validate(); err != nil {
		return c.fail(t.line, field+".http_client", "%v", err)
	}
	if m := t.ServerMetrics; m != nil {
		if m.URL != ServerMetricsAuto {
			if err := addrcheck.URL(m.URL); err != nil {
				return c.fail(t.line, field+".server_metrics.url", "%v (or auto)", err)
			}
		}
		if m.HTTP != nil {
			if err := m.HTTP.Validate(); err != nil {
				return c.fail(t.line, field+".server_metrics.http_client", "%v", err)
			}
		}
	}
	if t.CostPerHour < 0 {
		return c.fail(t.line, field+".cost_per_hour", "must not be negative")
	}
	if t.Hardware != nil && t.Hardware.Count < 0 {
		return c.fail(t.line, field+".hardware.count", "must not be negative, got %d", t.Hardware.Count)
	}
	return nil
}

// inferArrival picks the arrival kind a workload implies when it names
// none, and refuses the combination whose meaning is ambiguous.
func (c *Config) inferArrival(w *Workload, field string) error {
	a := &w.Arrival
	if a.Rate > 0 && a.Concurrency > 0 {
		// Whatever the kind, one of the two would be silently ignored.
		return c.fail(w.line, field+".arrival", "rate and concurrency together: concurrency is a closed loop that ignores any rate; "+
			"to cap an open loop's requests in flight, give rate with max_concurrency (as vllm bench --request-rate --max-concurrency)")
	}
	if a.Kind == "" {
		switch {
		case a.Concurrency > 0:
			a.Kind = "concurrency"
		case len(a.Stages) > 0:
			a.Kind = "stages"
		case a.EndRate > 0:
			a.Kind = "ramp"
		case a.Func != "":
			a.Kind = "synthesizer"
		case a.Rate > 0 && a.Burstiness > 0 && a.Burstiness != 1:
			a.Kind = "gamma"
		case a.Rate > 0:
			a.Kind = "poisson"
		case traces.IsFormat(w.Dataset.Kind):
			// A production trace is its times as much as its lengths.
			a.Kind = "replay"
		default:
			return c.fail(w.line, field+".arrival", "give rate (open loop) or concurrency (closed loop), or name the kind")
		}
	}
	if a.Kind == "gamma" && a.Burstiness == 0 {
		a.Burstiness = 1 // a gamma of shape 1 is Poisson
	}
	return nil
}

func (c *Config) validateWorkload(w *Workload, field string) error {
	if err := c.inferArrival(w, field); err != nil {
		return err
	}
	kinds := "synthetic, " + dataset.CanaryKind + ", " + strings.Join(dataset.FileKinds(), ", ")
	switch d := w.Dataset; {
	case d.Kind == "synthetic":
		if err := d.SyntheticSpec.Validate(); err != nil {
			return c.fail(w.line, field+".dataset", "%v", err)
		}
		if w.Arrival.Kind == "replay" {
			return c.fail(w.line, field+".arrival", "replay needs a dataset with timestamps, not synthetic prompts")
		}
	case d.Kind == dataset.CanaryKind:
		if w.Arrival.Kind == "replay" {
			return c.fail(w.line, field+".arrival", "replay needs a dataset with timestamps, not the canary prompts")
		}
	case d.Kind == "":
		return c.fail(w.line, field+".dataset.kind", "must be set (%s)", kinds)
	case slices.Contains(dataset.FileKinds(), d.Kind):
		if (d.Path == "") == (d.Hub == nil) {
			return c.fail(w.line, field+".dataset.path", "dataset %s needs either the path of its data file or a hub file", d.Kind)
		}
		if d.Hub != nil {
			if err := d.Hub.Validate(); err != nil {
				return c.fail(w.line, field+".dataset.hub", "%v", err)
			}
		}
		if d.OutputTokens < 0 {
			return c.fail(w.line, field+".dataset.output_tokens", "must not be negative")
		}
	default:
		return c.fail(w.line, field+".dataset.kind", "unknown dataset (want %s)", kinds)
	}
	if err := c.validateTokens(w, field); err != nil {
		return err
	}
	if err := arrival.Check(w.Arrival); err != nil {
		if strings.HasPrefix(err.Error(), "unknown arrival kind") {
			// Not quoted back: the value may be a misplaced secret.
			return c.fail(w.line, field+".arrival.kind", "unknown arrival kind (want constant, poisson, gamma, concurrency, ramp, stages, synthesizer, replay or capacity)")
		}
		return c.fail(w.line, field+".arrival", "%v", err)
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"requests", w.Requests}, {"warmup", w.Warmup}, {"max_concurrency", w.MaxConcurrency}, {"batch", w.Batch}} {
		if f.v < 0 {
			return c.fail(w.line, field+"."+f.name, "must not be negative, got %d", f.v)
		}
	}
	if err := c.validateImages(w, field); err != nil {
		return err
	}
	if err := c.validateModels(w, field); err != nil {
		return err
	}
	if w.Batch > dataset.MaxBatch {
		return c.fail(w.line, field+".batch", "%d inputs a request is over the limit of %d", w.Batch, dataset.MaxBatch)
	}
	if w.Params.MinTokens < 0 {
		return c.fail(w.line, field+".params.min_tokens", "must not be negative, got %d", w.Params.MinTokens)
	}
	if r := w.Arrival.WorkloadRange; len(r) != 0 && (len(r) != 2 || r[0] < 0 || r[1] <= r[0]) {
		return c.fail(w.line, field+".arrival.workload_range", "want [start, end) with 0 <= start < end, got %d numbers %v", len(r), r)
	}
	if w.Arrival.Kind == "capacity" && (w.Requests > 0 || w.Duration > 0) {
		return c.fail(w.line, field, "a capacity search runs arrival.max_steps steps of arrival.step_duration each: leave requests and duration unset")
	}
	// A schedule of its own length ends the window when it ends: a ramp
	// after ramp_duration, stages after the last, a replay or synthesizer
	// with its last arrival.
	endsAlone := slices.Contains([]string{"replay", "synthesizer", "capacity", "ramp", "stages"}, w.Arrival.Kind)
	if w.Requests == 0 && w.Duration <= 0 && !endsAlone {
		return c.fail(w.line, field, "set requests or duration: a window needs an end")
	}
	if w.Duration < 0 || w.Deadline < 0 || w.RequestTimeout < 0 {
		return c.fail(w.line, field, "durations must not be negative")
	}
	if err := checkExtraBody(w.Params.ExtraBody); err != nil {
		return c.fail(w.line, field+".params.extra_body", "%v", err)
	}
	if err := c.validateOutput(w, field); err != nil {
		return err
	}
	if w.Grace != nil && *w.Grace < 0 {
		return c.fail(w.line, field+".grace", "must not be negative, got %s", time.Duration(*w.Grace))
	}
	return c.workloadLimits(w, field)
}

// checkExtraBody refuses request fields Inferno cannot measure: n > 1
// asks for several choices per request, but every per-request figure
// (TTFT, TPOT, tokens) assumes one stream of one answer.
func checkExtraBody(body map[string]any) error {
	v, ok := body["n"]
	if !ok {
		return nil
	}
	if n, isNum := v.(float64); isNum && n == 1 {
		return nil
	}
	if n, isInt := v.(int); isInt && n == 1 {
		return nil
	}
	return fmt.Errorf("n: %v is refused: Inferno measures one choice per request, and its per-request figures would mix several answers (leave n out or set it to 1)", v)
}

// uniqueName checks a name's form and that it was not seen before.
func (c *Config) uniqueName(seen map[string]bool, line int, field, kind, name string) error {
	if !namePattern.MatchString(name) {
		return c.fail(line, field+".name", "want 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	if seen[name] {
		return c.fail(line, field+".name", "a %s of this name is defined before", kind)
	}
	seen[name] = true
	return nil
}

// TargetNames lists the defined targets for an error message ("none"
// when there are none).
func (c *Config) TargetNames() string {
	names := make([]string, 0, len(c.Targets))
	for _, t := range c.Targets {
		names = append(names, t.Name)
	}
	return orNone(names)
}

// WorkloadNames lists the defined workloads for an error message.
func (c *Config) WorkloadNames() string {
	names := make([]string, 0, len(c.Workloads))
	for _, w := range c.Workloads {
		names = append(names, w.Name)
	}
	return orNone(names)
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// validateTokens checks the tokenizer settings: the tokenizer's form (it is
// loaded when a window is built) and the limit that needs one.
func (c *Config) validateTokens(w *Workload, field string) error {
	d := w.Dataset
	if d.Tokenizer != "" {
		if err := d.Tokenizer.Validate(); err != nil {
			return c.fail(w.line, field+".dataset.tokenizer", "%v", err)
		}
	}
	switch {
	case d.MaxInputTokens < 0:
		return c.fail(w.line, field+".dataset.max_input_tokens", "must not be negative")
	case d.MaxInputTokens > 0 && d.Tokenizer == "":
		return c.fail(w.line, field+".dataset.max_input_tokens", "needs dataset.tokenizer to count with")
	case (d.MaxInputTokens > 0 || d.TruncateInput) && d.Kind == "synthetic":
		return c.fail(w.line, field+".dataset.max_input_tokens", "applies to data files; synthetic prompts have input_tokens")
	case d.TruncateInput && d.MaxInputTokens == 0:
		return c.fail(w.line, field+".dataset.truncate_input", "needs max_input_tokens")
	}
	return nil
}
