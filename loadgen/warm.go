package loadgen

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inferno-llm/inferno/arrival"
	"github.com/inferno-llm/inferno/result"
)

// warmBudget bounds the opening of warm connections: a server that does
// not answer a HEAD within it is measured cold rather than not at all.
const warmBudget = 10 * time.Second

// warmCount is how many connections to open before the window: as many
// as it will keep in flight.
func (w *Window) warmCount() int {
	if w.WarmConnections < 0 {
		return 0
	}
	if w.WarmConnections > 0 {
		return min(w.WarmConnections, MaxWarmConnections)
	}
	n := 0
	switch a := w.Arrival.(type) {
	case arrival.ClosedLoop:
		n = w.Share.part(a.Concurrency())
	case arrival.Staged:
		for _, s := range a.Stages() {
			n = max(n, w.Share.part(s.Concurrency), openLoopEstimate(s.Rate, w.Share))
		}
	case arrival.Rated:
		n = openLoopEstimate(a.Rate(), w.Share)
	default:
		// A replay or a synthesizer function: its rate is not known in advance.
		n = 1
	}
	if w.MaxConcurrency > 0 {
		if _, closed := w.Arrival.(arrival.ClosedLoop); !closed {
			n = min(n, max(w.Share.part(w.MaxConcurrency), 1))
		}
	}
	if w.Requests > 0 {
		n = min(n, w.Share.part(w.Requests))
	}
	return min(n, MaxWarmConnections)
}

// openLoopEstimate guesses an open loop's requests in flight as a
// second's arrivals (Little's law with a one-second request), capped well
// below MaxWarmConnections since it is a guess.
func openLoopEstimate(rate float64, share Share) int {
	if rate <= 0 || math.IsInf(rate, 0) || math.IsNaN(rate) {
		return 0
	}
	return min(max(share.part(int(math.Ceil(rate))), 1), 64)
}

// reportConnection hands OnConnection the phases of a connection opened
// outside the measured requests; a reused one opened nothing.
func (w *Window) reportConnection(p result.ConnPhases) {
	if _, opened := p.Setup(); opened && w.OnConnection != nil {
		w.OnConnection(p)
	}
}

// warmConnections opens n connections to the target and leaves them idle
// in the client's pool, and returns how many it got. Each is opened by a
// HEAD request to the target's URL, which any server answers cheaply
// whatever its status; every request holds its connection until all have
// one, so the n requests cannot share fewer connections.
func (w *Window) warmConnections(ctx context.Context, n int) int {
	ctx, cancel := context.WithTimeout(ctx, min(warmBudget, max(w.RequestTimeout, time.Second)))
	defer cancel()
	var ready sync.WaitGroup
	ready.Add(n)
	allReady := make(chan struct{})
	go func() { ready.Wait(); close(allReady) }()
	var got atomic.Int64
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			var once sync.Once
			arrive := func() { once.Do(ready.Done) }
			defer arrive()
			phases, ok := w.Target.OpenConnection(ctx, func() {
				arrive()
				select {
				case <-allReady:
				case <-ctx.Done():
				}
			})
			w.reportConnection(phases)
			if ok {
				got.Add(1)
			}
		})
	}
	wg.Wait()
	return int(got.Load())
}
