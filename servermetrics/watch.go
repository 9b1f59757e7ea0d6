package servermetrics

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Defaults of a Watcher's bounds.
const (
	// DefaultTimeout bounds each scrape, and so how long the end of a
	// window waits for a server that does not answer.
	DefaultTimeout = 2 * time.Second
	// DefaultInterval is how often gauges are sampled between the edges.
	DefaultInterval = 2 * time.Second
	// DefaultMaxBytes caps a scrape's body: vLLM with many models and
	// LoRA adapters serves a few hundred KiB.
	DefaultMaxBytes = 16 << 20
)

// Config is one target's server metrics endpoint.
type Config struct {
	URL string
	// DisplayURL is the URL as reports show it (credentials redacted).
	DisplayURL string
	Client     *http.Client
	// Model, when a series names it in a model label, keeps only that
	// model's series.
	Model             string
	Interval, Timeout time.Duration
	MaxBytes          int64
}

// Watcher scrapes one server across one window: Start at the window's
// start, Stop at its end. It never blocks the window: Start returns at
// once, and Stop waits at most one scrape's timeout.
type Watcher struct {
	cfg    Config
	cancel context.CancelFunc
	done   chan struct{}

	stopOnce sync.Once
	summary  *Summary

	mu      sync.Mutex
	started bool
	first   *snapshot // the scrape at the window's start
	gauges  [roleCount]gaugeAcc
	scrapes int
	errs    []string
	server  string
}

type gaugeAcc struct {
	n        int
	sum, max float64
}

func (g *gaugeAcc) add(v float64) {
	if g.n == 0 || v > g.max {
		g.max = v
	}
	g.n++
	g.sum += v
}

// New returns a watcher for cfg, filling its defaults.
func New(cfg Config) *Watcher {
	if cfg.Client == nil {
		cfg.Client = http.DefaultClient
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.DisplayURL == "" {
		cfg.DisplayURL = cfg.URL
	}
	return &Watcher{cfg: cfg, done: make(chan struct{})}
}

// Start scrapes the window's start in the background, then samples the
// gauges every interval until Stop. Only the first call counts (a
// window's OnStart may come more than once).
func (w *Watcher) Start() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		return
	}
	w.started = true
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	go w.sample(ctx)
}

func (w *Watcher) sample(ctx context.Context) {
	defer close(w.done)
	if snap, err := w.scrape(ctx); err == nil {
		w.mu.Lock()
		w.first = snap
		w.mu.Unlock()
	}
	tick := time.NewTicker(w.cfg.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		w.scrape(ctx)
	}
}

// scrape takes one snapshot within the timeout and folds its gauges in;
// a failure is kept as a note. A scrape cut short by Stop is no failure.
func (w *Watcher) scrape(ctx context.Context) (*snapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	snap, err := scrape(ctx, w.cfg.Client, w.cfg.URL, w.cfg.Model, w.cfg.MaxBytes)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		if ctx.Err() != nil && context.Cause(ctx) == context.Canceled {
			return nil, err
		}
		if ctx.Err() == context.DeadlineExceeded {
			err = fmt.Errorf("no answer within %v", w.cfg.Timeout)
		}
		w.errs = append(w.errs, err.Error())
		return nil, err
	}
	w.scrapes++
	if w.server == "" {
		w.server = snap.server
	}
	for _, r := range []role{roleWaiting, roleRunning, roleKVCache} {
		if snap.present[r] {
			w.gauges[r].add(snap.values[r])
		}
	}
	return snap, nil
}

// Stop ends the sampling, scrapes the window's end and returns the
// server's view of the window. It waits for at most one scrape timeout;
// later calls return the same summary at once.
func (w *Watcher) Stop() *Summary {
	w.stopOnce.Do(func() { w.summary = w.stop() })
	return w.summary
}

func (w *Watcher) stop() *Summary {
	w.mu.Lock()
	if !w.started {
		// A Start after this must not leave a sampler running.
		w.started = true
		w.mu.Unlock()
		return &Summary{URL: w.cfg.DisplayURL, Notes: []string{"the window never started: no server metrics"}}
	}
	w.mu.Unlock()
	w.cancel()
	<-w.done
	last, _ := w.scrape(context.Background())
	// Each window has its own client: its idle connection would
	// otherwise stay open for minutes after the window.
	w.cfg.Client.CloseIdleConnections()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.summarize(last)
}

// Summary is the server's view of one window: the report's server
// section. Figures the server did not export are absent, never zero.
type Summary struct {
	URL string `json:"url"`
	// Server is whose metric names were found: vllm (also llm-d's and
	// the built-in simulator's), sglang or tgi; empty when none were.
	Server string `json:"server,omitempty"`
	// Scrapes is how many scrapes succeeded; FailedScrapes how many did not.
	Scrapes       int `json:"scrapes"`
	FailedScrapes int `json:"failed_scrapes,omitempty"`
	// WindowSeconds is the time between the start and end scrapes the
	// deltas are taken over.
	WindowSeconds float64 `json:"window_seconds,omitempty"`

	TTFT    *Latency `json:"ttft_seconds,omitempty"`
	E2E     *Latency `json:"e2e_latency_seconds,omitempty"`
	Queue   *Latency `json:"queue_time_seconds,omitempty"`
	Waiting *Gauge   `json:"waiting_requests,omitempty"`
	Running *Gauge   `json:"running_requests,omitempty"`
	KVCache *Gauge   `json:"kv_cache_usage_ratio,omitempty"`
	// PrefixCacheHitRatio is hits over queries (tokens) in the window.
	PrefixCacheHitRatio *float64 `json:"prefix_cache_hit_ratio,omitempty"`

	// Requests is how many requests the server finished in the window
	// (its end-to-end histogram's count); InfernoRequests how many of
	// Inferno's succeeded; OtherRequests the rest: others' traffic.
	Requests        *float64 `json:"requests,omitempty"`
	InfernoRequests int      `json:"inferno_requests"`
	OtherRequests   *float64 `json:"other_requests,omitempty"`
	// ClientOverhead is the client's TTFT less the server's, at each
	// quantile: the time spent in front of the engine (gateway, network,
	// load balancer, tokenization before the engine's clock starts).
	ClientOverhead *Overhead `json:"client_overhead_seconds,omitempty"`

	Notes []string `json:"notes,omitempty"`
}

// Latency is a server histogram's change over the window.
type Latency struct {
	Count float64 `json:"count"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	// Method says how the quantiles were interpolated (see quantile).
	Method string `json:"method"`
	// Bounds are the histogram's bucket bounds (the last +Inf), through
	// which Compare reads the client's values; not archived.
	Bounds []float64 `json:"-"`
}

// Gauge is a server gauge sampled across the window.
type Gauge struct {
	Max     float64 `json:"max"`
	Mean    float64 `json:"mean"`
	Samples int     `json:"samples"`
}

// Overhead is client TTFT − server TTFT.
type Overhead struct {
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	Mean float64 `json:"mean"`
}

func (w *Watcher) summarize(last *snapshot) *Summary {
	s := &Summary{URL: w.cfg.DisplayURL, Server: w.server, Scrapes: w.scrapes, FailedScrapes: len(w.errs)}
	if len(w.errs) > 0 {
		s.note("%d scrape(s) failed, first: %s", len(w.errs), w.errs[0])
	}
	if w.scrapes > 0 && w.server == "" {
		s.note("no known server metrics at %s (vLLM, llm-d, SGLang and TGI names are known): no server view", w.cfg.DisplayURL)
		return s
	}
	for _, g := range []struct {
		r   role
		out **Gauge
	}{{roleWaiting, &s.Waiting}, {roleRunning, &s.Running}, {roleKVCache, &s.KVCache}} {
		if acc := w.gauges[g.r]; acc.n > 0 {
			*g.out = &Gauge{Max: acc.max, Mean: acc.sum / float64(acc.n), Samples: acc.n}
		}
	}
	first := w.first
	switch {
	case first == nil && last == nil:
		return s
	case first == nil:
		s.note("no scrape at the window's start: no histogram or counter deltas")
		return s
	case last == nil:
		s.note("no scrape at the window's end: no histogram or counter deltas")
		return s
	}
	s.WindowSeconds = last.at.Sub(first.at).Seconds()
	for _, h := range []struct {
		r    role
		out  **Latency
		name string
	}{{roleTTFT, &s.TTFT, "TTFT"}, {roleE2E, &s.E2E, "end-to-end latency"}, {roleQueue, &s.Queue, "queue time"}} {
		end := last.hists[h.r]
		if end == nil {
			if s.Server == ServerTGI && h.r == roleTTFT {
				s.note("TGI exports no time to first token: no server TTFT or client overhead")
			}
			continue
		}
		d, reset := end.minus(first.hists[h.r])
		if reset {
			s.note("the server's %s histogram went back (a restart?): counted from zero", h.name)
		}
		if d.count <= 0 {
			continue
		}
		l := &Latency{Count: d.count, Mean: d.sum / d.count, Bounds: d.bounds}
		l.P50, l.Method = quantile(0.5, d)
		l.P95, _ = quantile(0.95, d)
		*h.out = l
		if h.r == roleE2E {
			n := d.count
			s.Requests = &n
		}
	}
	if last.present[rolePrefixQueries] && first.present[rolePrefixQueries] && last.present[rolePrefixHits] && first.present[rolePrefixHits] {
		q := last.values[rolePrefixQueries] - first.values[rolePrefixQueries]
		hits := last.values[rolePrefixHits] - first.values[rolePrefixHits]
		if q > 0 && hits >= 0 && hits <= q {
			r := hits / q
			s.PrefixCacheHitRatio = &r
		}
	}
	return s
}

func (s *Summary) note(format string, args ...any) {
	s.Notes = append(s.Notes, fmt.Sprintf(format, args...))
}

// Client is the client's TTFT in a window: its values (seconds, with how
// many requests had each) and exact mean.
type Client struct {
	Values []Weighted
	Mean   float64
}

// Weighted is a value and how many times it occurred.
type Weighted struct {
	Value float64
	Count int64
}

// Compare sets the figures that need the client's side: the overhead at
// each quantile and the requests that were not Inferno's. The client's
// TTFTs are read through the server's buckets with the same
// interpolation before the server's quantile is taken from them, so the
// buckets' coarseness, which can put a quantile anywhere in a bucket
// 150 ms wide, falls on both sides alike and cancels: two distributions a
// few milliseconds apart give an overhead of a few milliseconds. The mean
// is exact. A client without values (no success) has no overhead.
func (s *Summary) Compare(client Client, successes int) {
	if s == nil {
		return
	}
	s.InfernoRequests = successes
	if l := s.TTFT; l != nil && len(client.Values) > 0 && len(l.Bounds) > 0 {
		h := &histogram{bounds: l.Bounds, cum: make([]float64, len(l.Bounds))}
		for _, v := range client.Values {
			b := sort.SearchFloat64s(l.Bounds, v.Value) // the first bound ≥ v: its bucket
			h.cum[b] += float64(v.Count)
			h.count += float64(v.Count)
			h.sum += v.Value * float64(v.Count)
		}
		for i := 1; i < len(h.cum); i++ {
			h.cum[i] += h.cum[i-1]
		}
		p50, _ := quantile(0.5, h)
		p95, _ := quantile(0.95, h)
		s.ClientOverhead = &Overhead{P50: p50 - l.P50, P95: p95 - l.P95, Mean: client.Mean - l.Mean}
	}
	if s.Requests != nil {
		other := math.Round(*s.Requests) - float64(successes)
		if other < 0 {
			s.note("the server finished %.0f requests, fewer than Inferno's %d successes: its metrics may be one replica's of several behind a balancer", *s.Requests, successes)
			other = 0
		}
		s.OtherRequests = &other
	}
}
