package capacity

import (
	"fmt"
	"slices"
	"time"

	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/result"
)

// CompletionTolerance is how far a step's completed rate may fall below
// its offered rate and still be sustainable. Above capacity the server
// completes at its own rate whatever is offered, so a shortfall of more
// than this is a queue that grows; below it, the rates differ only by
// the jitter of the first and last completions.
const CompletionTolerance = 0.03

// TrendFloor and TrendShare bound how much TTFT may grow across a step
// before the step is judged to be building a queue: the larger of an
// absolute floor (client and scheduler jitter on a loaded machine) and a
// share of the step's median TTFT (batching noise grows with latency).
// Above capacity by a share e, the queue wait grows by e seconds per
// second of the step, so a 10 s step 3% over grows by 0.3 s.
const (
	TrendFloor = 50 * time.Millisecond
	TrendShare = 0.2
)

// verdict is a step judged on every arrival it scheduled.
type verdict struct {
	arrivals, met, successes int
	attainment               float64
	offered, completed       float64       // requests per second
	growth                   time.Duration // TTFT growth across the step, fitted
	allowance                time.Duration
	reason                   string // why it failed; empty when it passed
}

// judge decides whether a step at rate was sustainable. results are every
// arrival of the step (sent or not, finished or cancelled), so a request
// still queued or in flight at the step's end is judged by when it
// finished: a miss unless it met the SLO all the same.
func judge(results []*result.Result, rate float64, slo report.SLO, objective float64) verdict {
	v := verdict{arrivals: len(results), offered: rate}
	if v.arrivals == 0 {
		v.reason = "no arrivals"
		return v
	}
	var ends []time.Time
	type point struct{ at, ttft float64 }
	var pts []point
	var first time.Time
	for _, r := range results {
		if !r.Intended.IsZero() && (first.IsZero() || r.Intended.Before(first)) {
			first = r.Intended
		}
	}
	for _, r := range results {
		if slo.Met(r) {
			v.met++
		}
		if !r.Succeeded() {
			continue
		}
		v.successes++
		ends = append(ends, r.End)
		if t, ok := r.TTFTFromSchedule(); ok {
			pts = append(pts, point{r.Intended.Sub(first).Seconds(), t.Seconds()})
		}
	}
	v.attainment = float64(v.met) / float64(v.arrivals)
	v.completed = completedRate(ends, v.arrivals, rate)
	slices.SortFunc(pts, func(a, b point) int {
		switch {
		case a.at < b.at:
			return -1
		case a.at > b.at:
			return 1
		}
		return 0
	})
	// The first quarter is left out of the fit: an idle server answers the
	// step's first requests faster than its steady state, a rise that is
	// no queue.
	if fit := pts[len(pts)/4:]; len(fit) >= 3 {
		xs, ys := make([]float64, len(fit)), make([]float64, len(fit))
		for i, p := range fit {
			xs[i], ys[i] = p.at, p.ttft
		}
		slope := slopeOf(xs, ys)
		v.growth = time.Duration(slope * (xs[len(xs)-1] - xs[0]) * float64(time.Second))
		med := slices.Clone(ys)
		slices.Sort(med)
		v.allowance = max(TrendFloor, time.Duration(TrendShare*med[len(med)/2]*float64(time.Second)))
	}
	switch {
	case v.attainment < objective:
		v.reason = fmt.Sprintf("SLO attainment %.1f%% below the objective %.1f%%", 100*v.attainment, 100*objective)
	case v.completed < (1-CompletionTolerance)*v.offered:
		v.reason = fmt.Sprintf("completed %.2f req/s of %.2f offered: a queue that grows", v.completed, v.offered)
	case v.growth > v.allowance:
		v.reason = fmt.Sprintf("TTFT grew %.0f ms across the step (allowed %.0f ms): a queue that grows",
			1e3*v.growth.Seconds(), 1e3*v.allowance.Seconds())
	}
	return v
}

// completedRate is the rate at which the step's arrivals completed: the
// inverse of the fitted spacing of their ends, scaled by the share that
// completed at all. A steady server completes at the offered rate,
// however long each request takes; one above its capacity completes at
// its capacity, however long the step. The fit, not the first and last
// ends alone, keeps one late request from swinging it.
func completedRate(ends []time.Time, arrivals int, offered float64) float64 {
	if len(ends) < 2 {
		if len(ends) == arrivals {
			return offered // one arrival, completed: nothing to compare
		}
		return 0
	}
	slices.SortFunc(ends, func(a, b time.Time) int { return a.Compare(b) })
	xs, ys := make([]float64, len(ends)), make([]float64, len(ends))
	for i, e := range ends {
		xs[i], ys[i] = float64(i), e.Sub(ends[0]).Seconds()
	}
	spacing := slopeOf(xs, ys)
	if spacing <= 0 {
		return offered * float64(len(ends)) / float64(arrivals)
	}
	return min(1/spacing, offered) * float64(len(ends)) / float64(arrivals)
}

// slopeOf is the least-squares slope of ys against xs.
func slopeOf(xs, ys []float64) float64 {
	n := float64(len(xs))
	var sx, sy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
	}
	mx, my := sx/n, sy/n
	var num, den float64
	for i := range xs {
		num += (xs[i] - mx) * (ys[i] - my)
		den += (xs[i] - mx) * (xs[i] - mx)
	}
	if den == 0 {
		return 0
	}
	return num / den
}
