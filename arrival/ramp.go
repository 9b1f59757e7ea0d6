package arrival

import (
	"fmt"
	"math"
	"time"

	"github.com/inferno-llm/inferno/config/schema"
)

// Staged is implemented by arrivals made of stages, which the load generator runs
// one after the other, open or closed loop as each stage says.
type Staged interface {
	Stages() []schema.Stage
}

type stagedArrival []schema.Stage

func (s stagedArrival) Next() (time.Duration, bool) { return 0, false } // the load generator uses Stages
func (s stagedArrival) Stages() []schema.Stage      { return s }
func (s stagedArrival) Finite()                     {}

func validateStages(stages []schema.Stage) error {
	if len(stages) == 0 {
		return fmt.Errorf("arrival stages: give at least one stage")
	}
	for i, st := range stages {
		switch {
		case st.Duration <= 0:
			return fmt.Errorf("arrival stages[%d]: duration must be positive", i)
		case (st.Rate > 0) == (st.Concurrency > 0):
			return fmt.Errorf("arrival stages[%d]: give either rate or concurrency", i)
		case st.Rate < 0 || st.Concurrency < 0 || math.IsInf(st.Rate, 0) || math.IsNaN(st.Rate):
			return fmt.Errorf("arrival stages[%d]: rate and concurrency must be positive", i)
		}
	}
	return nil
}

// rampArrival raises (or lowers) the rate from a to b over the ramp's
// duration, linearly or in steps, then ends.
type rampArrival struct {
	a, b  float64 // requests per second at the start and the end
	t     float64 // ramp duration, seconds
	steps int     // 0: linear
	n     int     // arrivals issued
}

func (r *rampArrival) Finite() {}

// Rate is the ramp's highest rate.
func (r *rampArrival) Rate() float64 { return max(r.a, r.b) }

func (r *rampArrival) Next() (time.Duration, bool) {
	at, ok := r.time(float64(r.n))
	if !ok {
		return 0, false
	}
	r.n++
	return seconds(at), true
}

// time returns when the cumulative count reaches k (the k-th arrival, from
// 0): the inverse of the integral of the rate.
func (r *rampArrival) time(k float64) (float64, bool) {
	if r.steps <= 1 && r.steps != 0 {
		r.steps = 0
	}
	if r.steps == 0 {
		// Λ(t) = a·t + (b−a)·t²/(2T); solve Λ(t) = k for t ≥ 0.
		slope := (r.b - r.a) / r.t
		var t float64
		if math.Abs(slope) < 1e-12 {
			t = k / r.a
		} else {
			disc := r.a*r.a + 2*slope*k
			if disc < 0 {
				return 0, false
			}
			t = (-r.a + math.Sqrt(disc)) / slope
		}
		return t, t < r.t
	}
	step := r.t / float64(r.steps)
	start := 0.0
	for i := range r.steps {
		rate := r.a + (r.b-r.a)*float64(i)/float64(r.steps-1)
		inStep := rate * step
		if k < inStep {
			return start + k/rate, true
		}
		k -= inStep
		start += step
	}
	return 0, false
}
