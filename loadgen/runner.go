// Package loadgen is the load generator: it runs a window, a schedule of
// requests against one target (open loop at an arrival process's times,
// closed loop at a concurrency, or stages of both), with conversations of
// several turns as sessions, a warm-up and warm connections before it,
// and a share of it when several replicas drive it together. Each request
// is sent and measured by measure.Target.
package loadgen

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inferno-llm/inferno/arrival"
	"github.com/inferno-llm/inferno/config/schema"
	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/measure"
	"github.com/inferno-llm/inferno/prober"
	"github.com/inferno-llm/inferno/result"
	"github.com/inferno-llm/inferno/tokenizer"
)

// Window is one benchmark window: a schedule of requests against a target.
type Window struct {
	Target  *measure.Target
	Arrival arrival.Arrival
	// Source gives one conversation per arrival. A conversation of several
	// turns is a session: its turns go in order, each carrying the earlier
	// ones with the live answers, and a failed turn ends it.
	Source dataset.Source
	Params prober.Params

	// Requests caps the measured requests (turns); 0 means no cap.
	// Arrivals accounted as not sent count against it too.
	Requests int
	// Duration is the window's length on the wall clock from its start:
	// nothing is sent after it. An arrival it leaves due but unsent (no
	// free slot under MaxConcurrency) is a not_sent result, and so is a
	// later turn of a session in progress.
	Duration time.Duration
	// Grace is how long requests in flight at the end of Duration may
	// still finish; then they are cancelled. 0 means DefaultGrace, a
	// negative value none. A window without a Duration has no grace: its
	// requests are bounded by RequestTimeout and Deadline.
	Grace time.Duration
	// Deadline is the hard end of the whole run, from the call to Run
	// (warm-up included, so a probe answers within its scrape timeout):
	// requests still in flight then are cancelled and reported as such.
	Deadline time.Duration
	// MaxConcurrency caps sessions in flight for open-loop arrivals (a
	// session holds its slot across its turns); a request waiting for a
	// slot keeps its intended time, so the wait shows as schedule lag and
	// in TTFT from schedule.
	MaxConcurrency int
	// Warmup requests are sent before the window starts and not measured.
	Warmup         int
	RequestTimeout time.Duration
	// WarmConnections is how many connections to open before the window,
	// so its first requests do not each pay a dial and handshake: 0 means
	// as many as the window keeps in flight (closed-loop concurrency,
	// MaxConcurrency, or about a second of open-loop arrivals), capped at
	// MaxWarmConnections; negative means none, to measure cold starts.
	WarmConnections int
	// OnConnection, if set, gets the phases of every connection opened
	// outside the measured requests (warm connections, warm-up requests),
	// so connection setup is seen even when the window reuses them all.
	OnConnection func(result.ConnPhases)

	// Share, when its Count is above 1, makes this window one replica's
	// part of a window several replicas drive together.
	Share Share

	// Progress, if set, is updated live as requests start and finish.
	Progress *Progress
	// OnStart, if set, is called with the window's start time (after the
	// warm-up) before the first measured request is sent.
	OnStart func(start time.Time)
}

// Share is replica Index (from 0) of Count replicas that drive one window
// together. Each deals the same schedule (same seed) and keeps every
// Count-th arrival and conversation from its Index, so the union of the
// replicas' requests is exactly the window one instance would send, at
// the same offsets, however the arrivals are spaced (constant, Poisson,
// replay, synthesizer). Closed-loop concurrency is split as evenly as it
// divides, and the request cap the same way as the arrivals.
type Share struct {
	Index, Count int
}

func (s Share) active() bool { return s.Count > 1 }

// mine reports whether the schedule's i-th arrival is this replica's.
func (s Share) mine(i int64) bool { return !s.active() || i%int64(s.Count) == int64(s.Index) }

// part is this replica's part of n: how many of 0..n-1 it keeps.
func (s Share) part(n int) int {
	if !s.active() || n <= 0 {
		return n
	}
	if s.Index >= n%s.Count {
		return n / s.Count
	}
	return n/s.Count + 1
}

// Validate checks the share's numbers.
func (s Share) Validate() error {
	if s.Count < 0 || (s.Count > 0 && (s.Index < 0 || s.Index >= s.Count)) {
		return fmt.Errorf("share %d of %d: the index must be from 0 to count-1", s.Index, s.Count)
	}
	return nil
}

// Progress is a window's live state, safe to read while it runs.
type Progress struct {
	Started  atomic.Int64
	Done     atomic.Int64
	Failed   atomic.Int64
	InFlight atomic.Int64
	Tokens   atomic.Int64
	NotSent  atomic.Int64 // arrivals accounted as not sent
	// CutByWindowEnd counts turns the window's end prevented: never due,
	// so neither arrivals nor failures (see RunInfo).
	CutByWindowEnd atomic.Int64
}

// RunInfo describes how a window went as a whole.
type RunInfo struct {
	Start, End time.Time // the measured part, warm-up excluded
	Sent       int       // measured requests sent
	NotSent    int       // arrivals due inside the window and never sent
	// CutByWindowEnd counts turns that were never due because the window
	// stopped first: a session's later turns whose previous turn had not
	// ended by then, and a closed loop's next request that lost the race
	// with the window's end on its way out. They are not arrivals, so not
	// not_sent and not failures.
	CutByWindowEnd int
	// Sessions counts the conversations the window started (or had due
	// and could not send): with several turns each, the arrival rate is
	// theirs, and requests per second is higher.
	Sessions     int
	Warmup       int
	WarmupFailed int
	// WarmConnections is how many connections were open and idle, ready
	// for the window, when it started.
	WarmConnections int
	// Duration and Grace are the window's sending time and the grace its
	// requests in flight had after it (0 for a window without a duration).
	Duration, Grace time.Duration
	DeadlineHit     bool // the hard deadline cancelled requests in flight
	GraceExpired    bool // requests still in flight after the grace were cancelled
	Aborted         bool // ctx was cancelled from outside
	// WorkloadHash identifies what the schedule sent: a hash of every
	// conversation's messages and, for open-loop arrivals, its intended
	// offset, in schedule order. Two runs with equal hashes sent the same
	// requests at the same times.
	WorkloadHash string
}

// ErrUnbounded is returned for a window that has nothing to end it: no
// cap, duration or deadline, and an arrival that never ends by itself.
var ErrUnbounded = errors.New("window has no request cap, duration or deadline: it would never end")

// DefaultGrace is the grace requests in flight get at the end of a
// window's duration, as k6's gracefulStop.
const DefaultGrace = 30 * time.Second

// MaxWarmConnections caps the connections opened before a window. It
// covers a thousand streams: with fewer, a window's first requests beyond
// the cap each paid a dial inside their TTFT, all in the same instant.
const MaxWarmConnections = 1024

// Run executes the window and hands every measured result to sink, from
// the goroutine that finished the request; sink must be safe for
// concurrent use. Run returns when every request has been accounted for.
func (w *Window) Run(ctx context.Context, sink func(*result.Result)) (RunInfo, error) {
	if _, finite := w.Arrival.(arrival.Finite); !finite && w.Requests <= 0 && w.Duration <= 0 && w.Deadline <= 0 {
		return RunInfo{}, ErrUnbounded
	}
	if _, paired := w.Arrival.(arrival.Paired); paired && w.Warmup > 0 {
		return RunInfo{}, errors.New("no warm-up with a replay: each conversation belongs to its timestamp")
	}
	if err := w.Share.Validate(); err != nil {
		return RunInfo{}, err
	}
	if w.Progress == nil {
		w.Progress = &Progress{}
	}
	// The deadline covers the warm-up too: a probe must answer within its
	// scrape timeout even when the warm-up hangs.
	hard := ctx
	if w.Deadline > 0 {
		var stop context.CancelFunc
		hard, stop = context.WithDeadlineCause(ctx, time.Now().Add(w.Deadline), measure.ErrWindowDeadline)
		defer stop()
	}
	var info RunInfo
	if n := w.warmCount(); n > 0 {
		info.WarmConnections = w.warmConnections(hard, n)
	}
	if w.Warmup > 0 {
		info.Warmup = w.Warmup
		info.WarmupFailed = w.warmup(hard)
	}
	info.Start = time.Now()
	if w.OnStart != nil {
		w.OnStart(info.Start)
	}
	wctx, cancel := context.WithCancelCause(hard)
	defer cancel(nil)
	// send ends when nothing more may be sent: at the end of the duration
	// on the wall clock, or when the window is cancelled. Requests in
	// flight then have the grace to finish.
	send := context.Context(wctx)
	if w.Duration > 0 {
		info.Duration, info.Grace = w.Duration, w.grace()
		var stopGrace, stopSend context.CancelFunc
		wctx, stopGrace = context.WithDeadlineCause(wctx, info.Start.Add(w.Duration+info.Grace), measure.ErrGraceOver)
		defer stopGrace()
		send, stopSend = context.WithDeadline(wctx, info.Start.Add(w.Duration))
		defer stopSend()
		wctx = measure.WithSendBy(wctx, info.Start.Add(w.Duration))
	}
	st := &windowState{start: info.Start, send: send, sink: sink, limit: int64(w.Share.part(w.Requests)), share: w.Share, hash: sha256.New()}
	if w.Share.active() && w.Requests > 0 && st.limit == 0 {
		// A cap smaller than the replica count leaves this replica nothing.
		st.limit = -1
	}
	notSentBefore, cutBefore := w.Progress.NotSent.Load(), w.Progress.CutByWindowEnd.Load()
	var inFlight sync.WaitGroup
	switch a := w.Arrival.(type) {
	case arrival.Staged:
		w.runStages(wctx, st, a.Stages(), &inFlight)
	case arrival.ClosedLoop:
		w.runClosed(wctx, st, a.Concurrency(), time.Time{})
	default:
		w.runOpen(wctx, st, w.Arrival, 0, 0, &inFlight)
	}
	inFlight.Wait()
	info.NotSent = int(w.Progress.NotSent.Load() - notSentBefore)
	info.CutByWindowEnd = int(w.Progress.CutByWindowEnd.Load() - cutBefore)
	info.Sent = st.sent() - info.NotSent - int(st.cutTaken.Load())
	info.Sessions = int(st.sessions.Load())
	info.WorkloadHash = hex.EncodeToString(st.hash.Sum(nil))
	info.End = time.Now()
	if ctx.Err() != nil {
		info.Aborted = true
	} else {
		cause := context.Cause(wctx)
		info.DeadlineHit = errors.Is(cause, measure.ErrWindowDeadline)
		info.GraceExpired = errors.Is(cause, measure.ErrGraceOver)
	}
	return info, nil
}

func (w *Window) grace() time.Duration {
	switch {
	case w.Grace < 0:
		return 0
	case w.Grace == 0:
		return DefaultGrace
	}
	return w.Grace
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
	for i := range n {
		conv, ok := w.Source.Next()
		if !ok {
			break
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			// The deadline passed, or cancel and SIGTERM ended the
			// warm-up: the requests not yet sent failed too.
			bad.Add(int64(n - i))
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			res := &result.Result{Warmup: true, Intended: time.Now()}
			w.Target.Send(ctx, turnPrompt(nil, conv.Turns[0]), w.Params, w.RequestTimeout, time.Now(), false, res)
			if !res.Succeeded() {
				bad.Add(1)
			}
			w.reportConnection(res.Conn)
		})
	}
	wg.Wait()
	return int(bad.Load())
}

// windowState is what a window's goroutines share.
type windowState struct {
	start time.Time
	// send is done when nothing more may be sent (see Run).
	send   context.Context
	sink   func(*result.Result)
	limit  int64        // request cap; 0 for none, -1 for nothing to send
	taken  atomic.Int64 // requests reserved so far
	share  Share
	dealt  int64     // arrivals dealt so far, this replica's and others'; scheduling goroutines only
	hash   hash.Hash // written by the scheduling goroutine(s) only, under hashMu
	hashMu sync.Mutex
	// cutTaken counts requests that took an index and were then cut by
	// the window's end on their way out; sessions counts conversations.
	cutTaken, sessions atomic.Int64
}

// take reserves the next request's index, unless the cap is reached.
func (s *windowState) take() (int, bool) {
	n := s.taken.Add(1)
	if s.limit != 0 && n > s.limit {
		return 0, false
	}
	return int(n - 1), true
}

// takeTurns reserves the indexes of a session's n turns at once: its
// first index and how many of them the cap leaves (0 for none). A session
// that took its turns one by one raced the next session for the cap's
// last indexes, so what a seeded window sent depended on scheduling.
func (s *windowState) takeTurns(n int) (first, granted int) {
	for {
		cur := s.taken.Load()
		k := int64(n)
		if s.limit != 0 {
			if cur >= s.limit {
				return 0, 0
			}
			k = min(k, s.limit-cur)
		}
		if s.taken.CompareAndSwap(cur, cur+k) {
			return int(cur), int(k)
		}
	}
}

func (s *windowState) full() bool { return s.limit != 0 && s.taken.Load() >= s.limit }

func (s *windowState) sent() int {
	n := s.taken.Load()
	if s.limit != 0 && n > s.limit {
		n = max(s.limit, 0)
	}
	return int(n)
}

// deal reports whether the next arrival (or conversation) of the schedule
// is this replica's. Every arrival is dealt, so each replica's schedule
// stays in step with the one they share.
func (s *windowState) deal() bool {
	i := s.dealt
	s.dealt++
	return s.share.mine(i)
}

// record adds a scheduled conversation to the workload hash.
func (s *windowState) record(offset time.Duration, timed bool, c dataset.Conversation) {
	s.hashMu.Lock()
	defer s.hashMu.Unlock()
	if timed {
		fmt.Fprintf(s.hash, "@%d\n", offset)
	}
	for _, t := range c.Turns {
		fmt.Fprintf(s.hash, "turn %d\n", t.MaxTokens)
		for _, m := range t.Messages {
			fmt.Fprintf(s.hash, "%s %d %s\n", m.Role, len(m.Content), m.Content)
		}
	}
}

// runStages runs each stage in turn from its own start offset: rate
// stages open loop, concurrency stages closed loop.
func (w *Window) runStages(ctx context.Context, st *windowState, stages []schema.Stage, inFlight *sync.WaitGroup) {
	var base time.Duration
	for _, stage := range stages {
		if st.send.Err() != nil || st.full() {
			return
		}
		length := stage.Duration.D()
		if stage.Concurrency > 0 {
			w.runClosed(ctx, st, stage.Concurrency, st.start.Add(base+length))
		} else {
			arr, _ := arrival.New(schema.Arrival{Kind: "constant", Rate: stage.Rate}, 0)
			w.runOpen(ctx, st, arr, base, length, inFlight)
			// The schedule ends before the stage does; the next stage
			// starts on time, not early.
			select {
			case <-time.After(time.Until(st.start.Add(base + length))):
			case <-st.send.Done():
				return
			}
		}
		base += length
	}
}

// runOpen follows an arrival schedule against absolute times from the
// window's start (shifted by base), so a late send never shifts the
// requests after it. It stops at offset until (0: no end of its own) and
// returns without waiting for the requests it started, which inFlight
// tracks. Once sending stops, the arrivals already due are accounted for
// as not sent.
func (w *Window) runOpen(ctx context.Context, st *windowState, arr arrival.Arrival, base, until time.Duration, inFlight *sync.WaitGroup) {
	var slots chan struct{}
	if w.MaxConcurrency > 0 {
		// Each replica's client holds its part of the cap.
		slots = make(chan struct{}, max(st.share.part(w.MaxConcurrency), 1))
	}
	send := st.send
	if until > 0 {
		var stop context.CancelFunc
		send, stop = context.WithDeadline(send, st.start.Add(base+until))
		defer stop()
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	wg := inFlight
	// Once sending has stopped, reason says why, and arrivals intended
	// after cutoff (when it is set) were not due yet.
	var reason string
	var cutoff time.Time
	for !st.full() {
		next, ok := arr.Next()
		offset := base + next
		if !ok || (until > 0 && next >= until) || (w.Duration > 0 && offset >= w.Duration) {
			return
		}
		conv, ok := w.Source.Next()
		if !ok || len(conv.Turns) == 0 {
			return
		}
		if !st.deal() {
			continue
		}
		intended := st.start.Add(offset)
		if reason == "" {
			reason, cutoff = acquire(ctx, send, intended, slots, timer)
		}
		if reason != "" {
			if !cutoff.IsZero() && intended.After(cutoff) {
				return
			}
			st.record(offset, true, conv)
			st.sessions.Add(1)
			// Only the first turn was due: each later one would have
			// been due when the turn before it ended.
			w.Progress.CutByWindowEnd.Add(int64(len(conv.Turns) - 1))
			if !w.notSent(st, conv.Turns[:1], intended, reason) {
				return
			}
			continue
		}
		index, turns := st.takeTurns(len(conv.Turns))
		if turns == 0 {
			if slots != nil {
				<-slots
			}
			return
		}
		st.sessions.Add(1)
		wg.Go(func() {
			w.session(ctx, st, conv.Turns[:turns], index, intended, true)
			if slots != nil {
				<-slots
			}
		})
		// Hashed once the request is on its way: this goroutine alone
		// records, so the order holds, and the hashing is not schedule lag.
		st.record(offset, true, conv)
	}
}

// acquire waits for an arrival's intended time and then for a free slot.
// It returns an empty reason once the request may go, holding its slot;
// else why it may not, with the cutoff stopReason gives.
func acquire(ctx, send context.Context, intended time.Time, slots chan struct{}, timer *time.Timer) (string, time.Time) {
	if wait := time.Until(intended); wait > 0 {
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-send.Done():
			return stopReason(ctx, "sending stopped before the prober could send it")
		}
	}
	if slots != nil {
		select {
		case slots <- struct{}{}:
		case <-send.Done():
			return stopReason(ctx, "no free slot under max_concurrency before sending stopped")
		}
	}
	if send.Err() != nil {
		if slots != nil {
			<-slots
		}
		return stopReason(ctx, "sending stopped before the prober could send it")
	}
	return "", time.Time{}
}

// stopReason says why an arrival was not sent once sending stopped. When
// the window ran its course (duration, stage end) every arrival of the
// schedule up to that end was due: ended is the reason and there is no
// cutoff. When it was cancelled, only the arrivals due by now were.
func stopReason(ctx context.Context, ended string) (string, time.Time) {
	if ctx.Err() == nil {
		return ended, time.Time{}
	}
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, measure.ErrGraceOver):
		// No grace: the duration's end and the grace's are one.
		return ended, time.Time{}
	case errors.Is(cause, measure.ErrWindowDeadline):
		return "window deadline reached before it was sent", time.Now()
	default:
		return "window aborted before it was sent", time.Now()
	}
}

// notSent accounts for turns that were due but never sent, one result
// each; it reports false once the request cap is reached.
func (w *Window) notSent(st *windowState, turns []dataset.Turn, intended time.Time, reason string) bool {
	for range turns {
		index, ok := st.take()
		if !ok {
			return false
		}
		w.Progress.NotSent.Add(1)
		st.sink(&result.Result{Index: index, Intended: intended, Outcome: result.NotSent, Reason: reason})
	}
	return true
}

// runClosed keeps n sessions in flight: each worker starts its next one as
// soon as its previous one ends, until the window's duration or until (if
// not zero) has passed.
func (w *Window) runClosed(ctx context.Context, st *windowState, n int, until time.Time) {
	var mu sync.Mutex // guards the source
	next := func() ([]dataset.Turn, int, bool) {
		mu.Lock()
		defer mu.Unlock()
		// The duration's end is checked on the clock too: its context is
		// cancelled by a timer a moment later, and a fast loop would take
		// requests in that moment only to have them cut on their way out.
		if ctx.Err() != nil || st.send.Err() != nil || (!until.IsZero() && !time.Now().Before(until)) ||
			(w.Duration > 0 && !time.Now().Before(st.start.Add(w.Duration))) {
			return nil, 0, false
		}
		conv, ok := w.Source.Next()
		for ok && !st.deal() {
			conv, ok = w.Source.Next()
		}
		if !ok || len(conv.Turns) == 0 {
			return nil, 0, false
		}
		index, turns := st.takeTurns(len(conv.Turns))
		if turns == 0 {
			return nil, 0, false
		}
		st.record(0, false, conv)
		st.sessions.Add(1)
		return conv.Turns[:turns], index, true
	}
	if n = st.share.part(n); n == 0 && !until.IsZero() {
		// No worker of this stage is this replica's; the next stage
		// still starts on time.
		select {
		case <-time.After(time.Until(until)):
		case <-ctx.Done():
		}
		return
	}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for {
				turns, index, ok := next()
				if !ok {
					return
				}
				w.session(ctx, st, turns, index, time.Now(), false)
			}
		})
	}
	wg.Wait()
}

// session sends a conversation's turns in order. Each later turn carries
// the earlier turns with the answers the server gave in this run; a failed
// turn ends the session. Later turns are due the moment the previous one
// ends, so those the window's end prevents were never due: they are cut,
// not arrivals left unsent. scheduled says whether the first turn was due
// at intended (open loop) or only once the loop got to it (closed loop).
func (w *Window) session(ctx context.Context, st *windowState, turns []dataset.Turn, first int, intended time.Time, scheduled bool) {
	var history []dataset.Message
	multi := len(turns) > 1
	for i, turn := range turns {
		index := first + i // reserved with the session's other turns
		if i > 0 {
			if st.send.Err() != nil {
				w.Progress.CutByWindowEnd.Add(int64(len(turns) - i))
				st.cutTaken.Add(int64(len(turns) - i))
				return
			}
			intended = time.Now()
		}
		p := turnPrompt(history, turn)
		if i > 0 && w.Target.Tokenizer != nil {
			// The turn's own count leaves out the history; words are no
			// measure where a tokenizer is given.
			p.InputTokens = countMessages(w.Target.Tokenizer, p.Messages, p.InputTokens)
		}
		res := w.one(ctx, index, intended, st.start, p, multi)
		if res.Outcome == result.NotSent {
			// The window stopped sending while the request was on its
			// way out. Only a scheduled arrival was due before that.
			rest := len(turns) - i
			if i == 0 && scheduled {
				w.Progress.NotSent.Add(1)
				st.sink(res)
				rest--
				st.cutTaken.Add(int64(rest))
			} else {
				st.cutTaken.Add(int64(rest))
				if i == 0 {
					st.sessions.Add(-1) // never started
				}
			}
			w.Progress.CutByWindowEnd.Add(int64(rest))
			return
		}
		st.sink(res)
		if !res.Succeeded() {
			// The session ends: its later turns were never due.
			st.cutTaken.Add(int64(len(turns) - i - 1))
			return
		}
		history = append(p.Messages, dataset.Message{Role: "assistant", Content: res.Text})
	}
}

// countMessages counts messages' contents with the tokenizer; fallback
// if it fails.
func countMessages(tok tokenizer.Tokenizer, msgs []dataset.Message, fallback int) int {
	n := 0
	for _, m := range msgs {
		k, err := tokenizer.Count(tok, m.Content)
		if err != nil {
			return fallback
		}
		n += k
	}
	return n
}

// turnPrompt is a turn's request: the history, then the turn's messages.
func turnPrompt(history []dataset.Message, t dataset.Turn) dataset.Prompt {
	msgs := make([]dataset.Message, 0, len(history)+len(t.Messages))
	msgs = append(append(msgs, history...), t.Messages...)
	in := t.InputTokens
	if in <= 0 {
		in = dataset.EstimateTokens(msgs)
	}
	return dataset.Prompt{Messages: msgs, InputTokens: in, MaxTokens: t.MaxTokens, Canary: t.Canary, Model: t.Model}
}

func (w *Window) one(ctx context.Context, index int, intended, start time.Time, p dataset.Prompt, keepText bool) *result.Result {
	pr := w.Progress
	pr.Started.Add(1)
	pr.InFlight.Add(1)
	res := &result.Result{Index: index, Intended: intended}
	w.Target.Send(ctx, p, w.Params, w.RequestTimeout, start, keepText, res)
	pr.InFlight.Add(-1)
	if res.Outcome == result.NotSent {
		// The caller accounts for it: an arrival not sent, or a turn cut.
		pr.Started.Add(-1)
		return res
	}
	pr.Done.Add(1)
	if res.Succeeded() {
		pr.Tokens.Add(int64(res.OutputTokens))
	} else {
		pr.Failed.Add(1)
	}
	return res
}
