package prober

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/result"
)

// Window is one benchmark window: a schedule of requests against a target.
type Window struct {
	Target  *Target
	Arrival dataset.Arrival
	Prompts dataset.PromptSource
	Params  Params

	// Requests caps the measured requests; 0 means no cap.
	Requests int
	// Duration stops issuing new requests once the schedule passes it;
	// requests in flight may finish until Deadline.
	Duration time.Duration
	// Deadline is the hard end of the window, from its start: requests
	// still in flight then are cancelled and reported as such.
	Deadline time.Duration
	// MaxConcurrency caps requests in flight for open-loop arrivals; a
	// request waiting for a slot keeps its intended time, so the wait shows
	// as schedule lag and in TTFT from schedule.
	MaxConcurrency int
	// Warmup requests are sent before the window starts and not measured.
	Warmup         int
	RequestTimeout time.Duration
	// KeepText keeps each response's text on its Result.
	KeepText bool

	// Progress, if set, is updated live as requests start and finish.
	Progress *Progress
	// OnStart, if set, is called with the window's start time (after the
	// warm-up) before the first measured request is sent.
	OnStart func(start time.Time)
}

// Progress is a window's live state, safe to read while it runs.
type Progress struct {
	Started  atomic.Int64
	Done     atomic.Int64
	Failed   atomic.Int64
	InFlight atomic.Int64
	Tokens   atomic.Int64
}

// RunInfo describes how a window went as a whole.
type RunInfo struct {
	Start, End   time.Time // the measured part, warm-up excluded
	Sent         int       // measured requests sent
	Warmup       int
	WarmupFailed int
	DeadlineHit  bool // the hard deadline cancelled requests in flight
	Aborted      bool // ctx was cancelled from outside
}

// ErrUnbounded is returned for a window that has nothing to end it.
var ErrUnbounded = errors.New("window has no request cap, duration or deadline: it would never end")

// Run executes the window and hands every measured result to sink, from
// the goroutine that finished the request; sink must be safe for
// concurrent use. Run returns when every request has been accounted for.
func (w *Window) Run(ctx context.Context, sink func(*result.Result)) (RunInfo, error) {
	if w.Requests <= 0 && w.Duration <= 0 && w.Deadline <= 0 {
		return RunInfo{}, ErrUnbounded
	}
	if w.Progress == nil {
		w.Progress = &Progress{}
	}
	var info RunInfo
	if w.Warmup > 0 {
		info.Warmup = w.Warmup
		info.WarmupFailed = w.warmup(ctx)
	}
	info.Start = time.Now()
	if w.OnStart != nil {
		w.OnStart(info.Start)
	}
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if w.Deadline > 0 {
		var stop context.CancelFunc
		wctx, stop = context.WithDeadlineCause(wctx, info.Start.Add(w.Deadline), errWindowDeadline)
		defer stop()
	}
	if cl, ok := w.Arrival.(dataset.ClosedLoop); ok {
		info.Sent = w.runClosed(wctx, info.Start, cl.Concurrency(), sink)
	} else {
		info.Sent = w.runOpen(wctx, info.Start, sink)
	}
	info.End = time.Now()
	if ctx.Err() != nil {
		info.Aborted = true
	} else if errors.Is(context.Cause(wctx), errWindowDeadline) {
		info.DeadlineHit = w.Progress.InFlight.Load() > 0 || info.End.Sub(info.Start) >= w.Deadline
	}
	return info, nil
}

func (w *Window) warmup(ctx context.Context) (failed int) {
	n := w.Warmup
	parallel := min(n, 64)
	if w.MaxConcurrency > 0 {
		parallel = min(parallel, w.MaxConcurrency)
	}
	slots := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	var bad atomic.Int64
	for range n {
		p, ok := w.Prompts.Next()
		if !ok {
			break
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			res := &result.Result{Warmup: true, Intended: time.Now()}
			w.Target.send(ctx, p, w.Params, w.RequestTimeout, time.Now(), false, res)
			if !res.Succeeded() {
				bad.Add(1)
			}
		})
	}
	wg.Wait()
	return int(bad.Load())
}

// runOpen follows the arrival schedule against absolute times from start,
// so a late send never shifts the requests after it.
func (w *Window) runOpen(ctx context.Context, start time.Time, sink func(*result.Result)) int {
	var slots chan struct{}
	if w.MaxConcurrency > 0 {
		slots = make(chan struct{}, w.MaxConcurrency)
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var wg sync.WaitGroup
	sent := 0
	for w.Requests <= 0 || sent < w.Requests {
		offset, ok := w.Arrival.Next()
		if !ok || (w.Duration > 0 && offset >= w.Duration) {
			break
		}
		p, ok := w.Prompts.Next()
		if !ok {
			break
		}
		intended := start.Add(offset)
		if wait := time.Until(intended); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return w.drain(&wg, sent)
			}
		}
		if slots != nil {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return w.drain(&wg, sent)
			}
		}
		if ctx.Err() != nil {
			return w.drain(&wg, sent)
		}
		index := sent
		sent++
		wg.Go(func() {
			w.one(ctx, index, intended, start, p, sink)
			if slots != nil {
				<-slots
			}
		})
	}
	return w.drain(&wg, sent)
}

func (w *Window) drain(wg *sync.WaitGroup, sent int) int {
	wg.Wait()
	return sent
}

// runClosed keeps n requests in flight: each worker sends its next request
// as soon as its previous one ends.
func (w *Window) runClosed(ctx context.Context, start time.Time, n int, sink func(*result.Result)) int {
	var (
		mu   sync.Mutex // guards the prompt source and the count
		sent int
		wg   sync.WaitGroup
	)
	next := func() (dataset.Prompt, int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if ctx.Err() != nil || (w.Requests > 0 && sent >= w.Requests) ||
			(w.Duration > 0 && time.Since(start) >= w.Duration) {
			return dataset.Prompt{}, 0, false
		}
		p, ok := w.Prompts.Next()
		if !ok {
			return dataset.Prompt{}, 0, false
		}
		sent++
		return p, sent - 1, true
	}
	for range n {
		wg.Go(func() {
			for {
				p, index, ok := next()
				if !ok {
					return
				}
				w.one(ctx, index, time.Now(), start, p, sink)
			}
		})
	}
	wg.Wait()
	return sent
}

func (w *Window) one(ctx context.Context, index int, intended, start time.Time, p dataset.Prompt, sink func(*result.Result)) {
	pr := w.Progress
	pr.Started.Add(1)
	pr.InFlight.Add(1)
	res := &result.Result{Index: index, Intended: intended}
	w.Target.send(ctx, p, w.Params, w.RequestTimeout, start, w.KeepText, res)
	pr.InFlight.Add(-1)
	pr.Done.Add(1)
	if res.Succeeded() {
		pr.Tokens.Add(int64(res.OutputTokens))
	} else {
		pr.Failed.Add(1)
	}
	sink(res)
}
