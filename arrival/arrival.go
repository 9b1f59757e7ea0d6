// Package arrival holds the arrival processes: when an open-loop window
// sends its requests (constant, Poisson, gamma, ramps, stages, an arrival
// function, a replayed trace's times) or how many a closed loop keeps in
// flight.
package arrival

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/inferno-llm/inferno/config/schema"
)

// Arrival yields the offsets, from the window's start, at which an
// open-loop schedule sends requests. Offsets never decrease.
type Arrival interface {
	Next() (offset time.Duration, ok bool)
}

// Finite is implemented by arrivals that end on their own (a replayed
// trace, a synthesizer function that returns None).
type Finite interface {
	Finite()
}

// ClosedLoop is implemented by arrivals that keep a fixed number of
// requests in flight instead of following a clock.
type ClosedLoop interface {
	Concurrency() int
}

// Rated is implemented by open-loop arrivals with a known mean rate, in
// requests per second (the load generator sizes its warm connections by it).
type Rated interface {
	Rate() float64
}

// Check checks the spec without building it.
func Check(s schema.Arrival) error {
	switch s.Kind {
	case "constant", "poisson", "gamma":
		if !(s.Rate > 0) || math.IsInf(s.Rate, 0) {
			return fmt.Errorf("arrival %s: rate must be a positive number of requests per second, got %v", s.Kind, s.Rate)
		}
		// A shape near 0 draws gaps that underflow to 0: a schedule of
		// endless arrivals at one instant that never reaches its end.
		if s.Kind == "gamma" && !(s.Burstiness >= minBurstiness && s.Burstiness <= maxBurstiness) {
			return fmt.Errorf("arrival gamma: burstiness must be from %v to %v (1 is Poisson), got %v", minBurstiness, maxBurstiness, s.Burstiness)
		}
	case "concurrency":
		if s.Concurrency < 1 {
			return fmt.Errorf("arrival concurrency: concurrency must be at least 1, got %d", s.Concurrency)
		}
	case "synthesizer":
		if _, err := ParseSynthesizer(s.Func); err != nil {
			return fmt.Errorf("arrival synthesizer: %w", err)
		}
	case "ramp":
		if !(s.Rate > 0) || !(s.EndRate > 0) || math.IsInf(s.Rate, 0) || math.IsInf(s.EndRate, 0) {
			return fmt.Errorf("arrival ramp: rate and end_rate must be positive requests per second")
		}
		if s.RampDuration <= 0 {
			return fmt.Errorf("arrival ramp: ramp_duration must be positive")
		}
		if s.Steps < 0 || s.Steps == 1 {
			return fmt.Errorf("arrival ramp: steps must be 0 (linear) or at least 2, got %d", s.Steps)
		}
	case "stages":
		return validateStages(s.Stages)
	case "capacity":
		if !(s.Rate >= 0) || math.IsInf(s.Rate, 0) {
			return fmt.Errorf("arrival capacity: rate, the first step's requests per second, must not be negative, got %v", s.Rate)
		}
		if !(s.Objective >= 0 && s.Objective <= 1) {
			return fmt.Errorf("arrival capacity: slo_objective must be a share between 0 and 1 (0.95 is 95%% attainment), got %v", s.Objective)
		}
		if s.StepDuration < 0 {
			return fmt.Errorf("arrival capacity: step_duration must not be negative")
		}
		if s.MaxSteps < 0 || s.MaxSteps > schema.MaxCapacitySteps {
			return fmt.Errorf("arrival capacity: max_steps must be from 1 to %d, got %d", schema.MaxCapacitySteps, s.MaxSteps)
		}
	case "replay":
		if s.CompressionRatio != 0 && !(s.CompressionRatio >= minCompression && s.CompressionRatio <= maxCompression) {
			return fmt.Errorf("arrival replay: compression_ratio must be from %v to %v, got %v", minCompression, maxCompression, s.CompressionRatio)
		}
	default:
		return fmt.Errorf("unknown arrival kind %q (want constant, poisson, gamma, concurrency, ramp, stages, synthesizer, replay or capacity)", s.Kind)
	}
	return nil
}

// Ranges that keep a schedule finite and its gaps representable.
const (
	minBurstiness, maxBurstiness   = 0.01, 100
	minCompression, maxCompression = 1e-3, 1e6
)

// New builds the arrival; seed fixes the random kinds.
func New(s schema.Arrival, seed uint64) (Arrival, error) {
	if err := Check(s); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	switch s.Kind {
	case "constant":
		return &constantArrival{gap: 1 / s.Rate}, nil
	case "poisson":
		return &gammaArrival{rng: rng, shape: 1, scale: 1 / s.Rate}, nil
	case "gamma":
		return &gammaArrival{rng: rng, shape: s.Burstiness, scale: 1 / (s.Rate * s.Burstiness)}, nil
	case "synthesizer":
		fn, _ := ParseSynthesizer(s.Func) // checked by Validate
		return &synthesizerArrival{fn: fn}, nil
	case "ramp":
		return &rampArrival{a: s.Rate, b: s.EndRate, t: s.RampDuration.D().Seconds(), steps: s.Steps}, nil
	case "stages":
		return stagedArrival(s.Stages), nil
	case "capacity":
		// The search runs steps of its own (package capacity); on its own
		// the schedule is the first step's.
		return &constantArrival{gap: 1 / s.CapacityDefaults().Rate}, nil
	case "replay":
		return nil, errors.New("arrival replay takes its times from a dataset: build it with Spec.Build")
	default:
		return concurrencyArrival(s.Concurrency), nil
	}
}

type constantArrival struct {
	gap float64 // seconds
	n   int
}

func (a *constantArrival) Rate() float64 { return 1 / a.gap }

func (a *constantArrival) Next() (time.Duration, bool) {
	// Computed from the index, not accumulated, so rounding never drifts.
	d := seconds(float64(a.n) * a.gap)
	a.n++
	return d, true
}

// gammaArrival draws gaps from Gamma(shape, scale); the mean gap is
// shape·scale = 1/rate whatever the burstiness. shape 1 is Poisson.
type gammaArrival struct {
	rng          *rand.Rand
	shape, scale float64
	t            float64
	started      bool
}

func (a *gammaArrival) Rate() float64 { return 1 / (a.shape * a.scale) }

func (a *gammaArrival) Next() (time.Duration, bool) {
	// The first request goes at once, as in vllm bench serve; gaps follow it.
	if a.started {
		a.t += gammaSample(a.rng, a.shape) * a.scale
	}
	a.started = true
	return seconds(a.t), true
}

type concurrencyArrival int

func (c concurrencyArrival) Next() (time.Duration, bool) { return 0, true }
func (c concurrencyArrival) Concurrency() int            { return int(c) }

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// gammaSample draws from Gamma(shape, 1) by Marsaglia and Tsang's method
// (ACM TOMS 26(3), 2000), with the usual boost for shape < 1.
func gammaSample(rng *rand.Rand, shape float64) float64 {
	if shape < 1 {
		u := rng.Float64()
		return gammaSample(rng, shape+1) * math.Pow(u, 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}
