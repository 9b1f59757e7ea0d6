// Package capacity finds the highest request rate an endpoint sustains
// within its SLOs: GuideLLM's sweep, as a driver of ordinary windows. Each
// step is the workload's window run by the load generator at one constant rate;
// the search doubles the rate until a step is not sustainable, then
// bisects between the highest passing and the lowest failing rate.
//
// A step passes only if it is sustainable, not merely within the SLO for
// its length: above capacity the queue grows at (rate − capacity) per
// second, and a short step under a loose SLO would hide it. So every
// arrival is judged, the completed rate must keep up with the offered
// one, and TTFT must not trend upward across the step (see judge).
package capacity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/inferno-llm/inferno/arrival"
	"github.com/inferno-llm/inferno/config/schema"
	"github.com/inferno-llm/inferno/loadgen"
	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/result"
)

// Tolerance ends the bisection once the highest passing and the lowest
// failing rate are this close (relative to the failing one): closer than
// a short step's attainment can tell apart.
const Tolerance = 0.05

// MinStepRequests is the fewest requests a step sends: at a low rate the
// step lasts longer than its step_duration, so that one slow request
// cannot swing its attainment past the objective (one in 20 is 5%).
const MinStepRequests = 20

// minRate ends a search whose first step failed and that has halved the
// rate to almost nothing: the endpoint meets the objective at no rate.
const minRate = 0.01

// Search is one capacity search.
type Search struct {
	// Spec is the arrival of kind capacity (defaults are applied).
	Spec schema.Arrival
	SLO  report.SLO
	// Window is the workload's window as built; each step runs a copy of it
	// at its own rate, for Spec.StepDuration. Its source carries on from
	// step to step; its warm-up runs before the first step only.
	Window *loadgen.Window
	// OnStep, if set, is called as each step ends (for logs).
	OnStep func(report.CapacityStep)
	// MaxRate, if positive, is the highest rate a step may send at
	// (limits.max_rate): the doubling stops there instead of going on to
	// rates no limit allowed.
	MaxRate float64
}

// Run runs the search, handing every result of every step to sink, with
// its timeline shifted to the run's start. It returns the search's result
// and the run as one window would describe it.
func (s *Search) Run(ctx context.Context, sink func(*result.Result)) (report.Capacity, loadgen.RunInfo, error) {
	spec := s.Spec.CapacityDefaults()
	if spec.Kind != "capacity" {
		return report.Capacity{}, loadgen.RunInfo{}, fmt.Errorf("capacity search of an arrival of kind %q", spec.Kind)
	}
	if err := arrival.Check(spec); err != nil {
		return report.Capacity{}, loadgen.RunInfo{}, err
	}
	if s.Window == nil {
		return report.Capacity{}, loadgen.RunInfo{}, errors.New("capacity search without a window")
	}
	out := report.Capacity{Objective: spec.Objective, StepSeconds: spec.StepDuration.D().Seconds(), Steps: []report.CapacityStep{}}
	var info loadgen.RunInfo
	hash := sha256.New()
	pass, fail := 0.0, math.Inf(1) // the highest passing, the lowest failing rate
	rate := spec.Rate
	for i := range spec.MaxSteps {
		step, stepInfo, err := s.step(ctx, i, rate, spec, info.Start, sink)
		if err != nil {
			return out, info, err
		}
		if i == 0 {
			info.Start, info.Warmup, info.WarmupFailed = stepInfo.Start, stepInfo.Warmup, stepInfo.WarmupFailed
		}
		info.End = stepInfo.End
		info.Sent += stepInfo.Sent
		info.NotSent += stepInfo.NotSent
		info.WarmConnections += stepInfo.WarmConnections
		info.CutByWindowEnd += stepInfo.CutByWindowEnd
		info.Sessions += stepInfo.Sessions
		info.DeadlineHit = info.DeadlineHit || stepInfo.DeadlineHit
		info.GraceExpired = info.GraceExpired || stepInfo.GraceExpired
		// Duration and Grace stay 0: the steps' ends are not one window's,
		// and the timeline marks no single end.
		fmt.Fprintf(hash, "%v %s\n", rate, stepInfo.WorkloadHash)
		if stepInfo.Aborted {
			// A step cut short proves nothing either way.
			info.Aborted = true
			break
		}
		out.Steps = append(out.Steps, step)
		if s.OnStep != nil {
			s.OnStep(step)
		}
		if d := time.Duration(step.DrainSeconds * float64(time.Second)); d > 0 && i+1 < spec.MaxSteps {
			select {
			case <-time.After(d):
			case <-ctx.Done():
			}
		}
		if step.Passed {
			pass = max(pass, rate)
		} else {
			fail = min(fail, rate)
		}
		if math.IsInf(fail, 1) {
			if s.MaxRate > 0 && rate >= s.MaxRate {
				break // passed at the ceiling: the capacity is at least that
			}
			rate *= 2
			if s.MaxRate > 0 {
				rate = min(rate, s.MaxRate)
			}
			continue
		}
		if fail-pass <= Tolerance*fail {
			break
		}
		rate = (pass + fail) / 2
		if rate < minRate {
			break
		}
	}
	out.RequestsPerSecond = pass
	out.Bracketed = pass > 0 && !math.IsInf(fail, 1)
	info.WorkloadHash = hex.EncodeToString(hash.Sum(nil))
	return out, info, nil
}

// step runs one window at rate and judges it on every arrival it
// scheduled (see judge).
func (s *Search) step(ctx context.Context, i int, rate float64, spec schema.Arrival, runStart time.Time, sink func(*result.Result)) (report.CapacityStep, loadgen.RunInfo, error) {
	w := *s.Window
	arr, err := arrival.New(schema.Arrival{Kind: "constant", Rate: rate}, 0)
	if err != nil {
		return report.CapacityStep{}, loadgen.RunInfo{}, err
	}
	w.Arrival = arr
	w.Requests = 0
	w.Duration = max(spec.StepDuration.D(), time.Duration(float64(MinStepRequests)/rate*float64(time.Second)))
	// Requests in flight at the step's end are still the step's: they are
	// judged when they finish. Past an E2E threshold none of them can meet
	// the SLO, so there is no point serving the queue any longer.
	if s.SLO.E2E > 0 {
		w.Grace = s.SLO.E2E
	}
	w.Deadline = w.Duration + max(w.RequestTimeout, w.Duration)
	w.Progress = s.Window.Progress
	agg := report.NewAggregator(time.Now(), s.SLO, nil)
	var (
		mu      sync.Mutex
		results []*result.Result
	)
	var stepStart time.Time
	w.OnStart = func(t time.Time) {
		stepStart = t
		agg.SetStart(t)
		if i == 0 && s.Window.OnStart != nil {
			s.Window.OnStart(t)
		}
	}
	if i > 0 {
		w.Warmup = 0
	}
	info, err := w.Run(ctx, func(r *result.Result) {
		agg.Add(r)
		// The judge reads only times and outcomes; the copy drops the
		// token timelines the sink may shift or the aggregator folds.
		mu.Lock()
		results = append(results, &result.Result{Intended: r.Intended, Sent: r.Sent, FirstContent: r.FirstContent,
			LastContent: r.LastContent, End: r.End, Outcome: r.Outcome, OutputTokens: r.OutputTokens})
		mu.Unlock()
		if sink != nil {
			if !runStart.IsZero() {
				shiftTimeline(r, stepStart.Sub(runStart))
			}
			sink(r)
		}
	})
	if err != nil {
		return report.CapacityStep{}, info, err
	}
	rep := agg.Report(report.Meta{})
	v := judgeStep(results, rate, s.SLO, spec.Objective)
	step := report.CapacityStep{
		Rate: rate, Seconds: w.Duration.Seconds(), Requests: rep.Summary.Requests, Attainment: v.attainment,
		CompletedRate: v.completed, TTFTGrowth: v.growth.Seconds(), Passed: v.reason == "", Reason: v.reason,
		OutputTokensPerSecond: rep.Summary.OutputThroughput,
	}
	if rep.Summary.Successes > 0 {
		step.TTFTP95, step.TPOTP95 = rep.Stats.TTFT.P95, rep.Stats.TPOT.P95
	}
	step.DrainSeconds = drainWait(results, v.completed, w.Duration).Seconds()
	return step, info, nil
}

// judgeStep is judge; a test swaps in a fixed verdict to check the
// search's doubling and bisection apart from the machine's timing.
var judgeStep = judge

// drainWait is how long to leave the server alone after a step before the
// next, so the next step does not inherit this one's queue. When every
// request ended with an answer or an error the client saw, the queue is
// gone. Requests the client gave up on (cancelled, timed out) may still
// be queued on the server: it works them off at about the rate it
// completed, so the wait is that long, at most a step.
func drainWait(results []*result.Result, completed float64, step time.Duration) time.Duration {
	abandoned := 0
	for _, r := range results {
		if r.Outcome == result.Cancelled || r.Outcome == result.Timeout {
			abandoned++
		}
	}
	if abandoned == 0 {
		return 0
	}
	if completed <= 0 {
		return step
	}
	return min(step, time.Duration(float64(abandoned)/completed*float64(time.Second)))
}

// shiftTimeline moves a step's token timelines onto the run's (by whole
// seconds: the run's chart has a point per second, and the half-second
// series, which the old tool's throughput smoothing reads, moves with it).
func shiftTimeline(r *result.Result, by time.Duration) {
	sec := int32(by / time.Second)
	if sec <= 0 {
		return
	}
	r.TokensBySecond = shifted(r.TokensBySecond, sec)
	r.TokensByHalfSecond = shifted(r.TokensByHalfSecond, 2*sec)
}

func shifted(line []result.SecondTokens, by int32) []result.SecondTokens {
	if len(line) == 0 {
		return line
	}
	out := make([]result.SecondTokens, len(line))
	for i, st := range line {
		out[i] = result.SecondTokens{Second: st.Second + by, Tokens: st.Tokens}
	}
	return out
}
