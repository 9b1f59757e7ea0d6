package loadgen

import (
	"encoding/json"

	"fmt"

	"maps"

	"runtime"

	"github.com/inferno-llm/inferno/config/schema"
	"github.com/inferno-llm/inferno/measure"
	"github.com/inferno-llm/inferno/prober"

	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/arrival"
	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/result"
)

// eventStream is the Content-Type of a server-sent event stream.
const eventStream = "text/event-stream"

// countingServer answers each request with a short chat stream after
// delay, tracking how many requests it saw and the peak in flight.
type countingServer struct {
	delay         time.Duration
	stall         bool
	seen, current atomic.Int64
	peak          atomic.Int64
	warm          atomic.Int64 // requests other than completions
	// onSeen, if set, is called with the count of completions seen so
	// far as each one arrives, before it is answered.
	onSeen func(seen int64)
	// holdFor, if set, holds each request until that many have been in
	// flight at once (ten seconds at most: only a bug waits that long), so a peak the
	// test wants does not rest on how fast the senders were scheduled.
	holdFor int64
	// holdAfter exempts the first holdAfter completions from holdFor (a
	// stage before the one whose peak is tested).
	holdAfter           int64
	holdOnce, closeOnce sync.Once
	reached             chan struct{}
}

// seenBy is the count of completions the server has seen, once it
// reaches want or five seconds pass: a request the client cancelled may
// still reach its handler after the window returns.
func (c *countingServer) seenBy(want int) int {
	for deadline := time.Now().Add(5 * time.Second); c.seen.Load() != int64(want) && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
	}
	return int(c.seen.Load())
}

// hold waits, for holdFor, until n requests have been in flight at once.
func (c *countingServer) hold(ctx context.Context, n int64) {
	c.holdOnce.Do(func() { c.reached = make(chan struct{}) })
	if n >= c.holdFor {
		c.closeOnce.Do(func() { close(c.reached) })
	}
	select {
	case <-c.reached:
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
	}
}

func (c *countingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	if r.Method != http.MethodPost {
		// The Runner's warm connections: not completions, so not counted.
		c.warm.Add(1)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	seen := c.seen.Add(1)
	n := c.current.Add(1)
	defer c.current.Add(-1)
	for p := c.peak.Load(); n > p && !c.peak.CompareAndSwap(p, n); p = c.peak.Load() {
	}
	if c.onSeen != nil {
		c.onSeen(seen)
	}
	if c.holdFor > 0 && seen > c.holdAfter {
		c.hold(r.Context(), n)
	}
	if c.stall {
		<-r.Context().Done()
		return
	}
	time.Sleep(c.delay)
	w.Header().Set("Content-Type", eventStream)
	w.Write([]byte("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\ndata: [DONE]\n\n"))
}

type collector struct {
	mu      sync.Mutex
	results []*result.Result
}

func (c *collector) add(r *result.Result) {
	c.mu.Lock()
	c.results = append(c.results, r)
	c.mu.Unlock()
}

func newWindow(t *testing.T, h http.Handler, spec dataset.ArrivalSpec) *Window {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	arr, err := arrival.New(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	source, _ := dataset.NewSynthetic(dataset.SyntheticSpec{InputTokens: 4, OutputTokens: 2}, 1)
	api, _ := prober.LookupAPI("openai-chat")
	return &Window{
		Target:         &measure.Target{URL: srv.URL, Model: "m", API: api, Client: &http.Client{}},
		Arrival:        arr,
		Source:         source,
		RequestTimeout: 10 * time.Second,
	}
}

func TestWindowCaps(t *testing.T) {
	tests := []struct {
		name     string
		arrival  dataset.ArrivalSpec
		setup    func(*Window)
		wantSent int
	}{
		{"request cap", dataset.ArrivalSpec{Kind: "poisson", Rate: 500}, func(w *Window) { w.Requests = 25 }, 25},
		// Offsets 0, 10ms, …, 190ms fall inside a 200ms duration.
		{"duration cap", dataset.ArrivalSpec{Kind: "constant", Rate: 100}, func(w *Window) { w.Duration = 200 * time.Millisecond }, 20},
		{"closed loop request cap", dataset.ArrivalSpec{Kind: "concurrency", Concurrency: 4}, func(w *Window) { w.Requests = 30 }, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &countingServer{}
			w := newWindow(t, srv, tt.arrival)
			tt.setup(w)
			var c collector
			info, err := w.Run(context.Background(), c.add)
			if err != nil {
				t.Fatal(err)
			}
			if info.Sent != tt.wantSent || len(c.results) != tt.wantSent || int(srv.seen.Load()) != tt.wantSent {
				t.Fatalf("sent %d, results %d, server saw %d; want %d", info.Sent, len(c.results), srv.seen.Load(), tt.wantSent)
			}
			for _, r := range c.results {
				if !r.Succeeded() || r.OutputTokens != 2 {
					t.Errorf("request %d: %s %q, %d tokens", r.Index, r.Outcome, r.Reason, r.OutputTokens)
				}
			}
		})
	}
}

// The schedule is absolute: request i is intended at start + i/rate
// exactly, however late earlier requests went out.
func TestWindowAbsoluteSchedule(t *testing.T) {
	w := newWindow(t, &countingServer{}, dataset.ArrivalSpec{Kind: "constant", Rate: 200})
	w.Requests = 20
	var start time.Time
	w.OnStart = func(s time.Time) { start = s }
	var c collector
	if _, err := w.Run(context.Background(), c.add); err != nil {
		t.Fatal(err)
	}
	for _, r := range c.results {
		want := start.Add(time.Duration(r.Index) * 5 * time.Millisecond)
		if !r.Intended.Equal(want) {
			t.Errorf("request %d intended at +%v, want +%v", r.Index, r.Intended.Sub(start), want.Sub(start))
		}
		if r.Sent.Before(r.Intended) {
			t.Errorf("request %d sent before its time", r.Index)
		}
	}
}

func TestWindowConcurrency(t *testing.T) {
	t.Run("max concurrency caps open loop", func(t *testing.T) {
		srv := &countingServer{delay: 20 * time.Millisecond}
		w := newWindow(t, srv, dataset.ArrivalSpec{Kind: "constant", Rate: 1000})
		w.Requests, w.MaxConcurrency = 40, 4
		var c collector
		w.Run(context.Background(), c.add)
		if p := srv.peak.Load(); p > 4 {
			t.Errorf("peak in flight %d, cap 4", p)
		}
		if len(c.results) != 40 {
			t.Errorf("%d results, want 40", len(c.results))
		}
	})
	t.Run("closed loop keeps N in flight", func(t *testing.T) {
		srv := &countingServer{delay: 20 * time.Millisecond, holdFor: 5}
		w := newWindow(t, srv, dataset.ArrivalSpec{Kind: "concurrency", Concurrency: 5})
		w.Requests = 40
		var c collector
		w.Run(context.Background(), c.add)
		if p := srv.peak.Load(); p != 5 {
			t.Errorf("peak in flight %d, want 5", p)
		}
	})
}

func TestWindowWarmupExcluded(t *testing.T) {
	srv := &countingServer{}
	w := newWindow(t, srv, dataset.ArrivalSpec{Kind: "concurrency", Concurrency: 2})
	w.Requests, w.Warmup = 5, 3
	var c collector
	info, _ := w.Run(context.Background(), c.add)
	if srv.seen.Load() != 8 || len(c.results) != 5 || info.Warmup != 3 || info.WarmupFailed != 0 {
		t.Fatalf("server saw %d, results %d, info %+v; want 8, 5, 3 warm-up", srv.seen.Load(), len(c.results), info)
	}
	for _, r := range c.results {
		if r.Warmup {
			t.Error("warm-up result reached the sink")
		}
	}
}

func TestWindowDeadlineAndAbort(t *testing.T) {
	t.Run("deadline cancels in-flight requests and counts them", func(t *testing.T) {
		srv := &countingServer{stall: true}
		w := newWindow(t, srv, dataset.ArrivalSpec{Kind: "constant", Rate: 100})
		// Arrivals at 0, 10 and 20 ms: a second leaves them time to go out
		// on any machine, and one that did not is accounted for as not sent.
		w.Requests, w.Deadline = 3, time.Second
		var c collector
		info, _ := w.Run(context.Background(), c.add)
		if !info.DeadlineHit || info.Aborted || len(c.results) != 3 {
			t.Fatalf("info %+v, %d results; want deadline hit and 3 results", info, len(c.results))
		}
		cancelled := 0
		for _, r := range c.results {
			switch {
			case r.Outcome == result.Cancelled && r.Reason == "window deadline reached":
				cancelled++
			case r.Outcome == result.NotSent && r.Reason == "window deadline reached before it was sent":
			default:
				t.Errorf("request %d: %s %q", r.Index, r.Outcome, r.Reason)
			}
		}
		if seen := srv.seenBy(cancelled); cancelled != seen {
			t.Errorf("%d cancelled by the deadline, the server held %d", cancelled, seen)
		}
	})
	t.Run("abort", func(t *testing.T) {
		// Cancelled once the stalled server holds both requests, however
		// long the two took to arrive.
		ctx, cancel := context.WithCancel(context.Background())
		srv := &countingServer{stall: true, onSeen: func(seen int64) {
			if seen == 2 {
				cancel()
			}
		}}
		w := newWindow(t, srv, dataset.ArrivalSpec{Kind: "concurrency", Concurrency: 2})
		w.Requests = 10
		var c collector
		info, _ := w.Run(ctx, c.add)
		if !info.Aborted || len(c.results) != 2 {
			t.Fatalf("info %+v, %d results; want aborted with the 2 in flight", info, len(c.results))
		}
		for _, r := range c.results {
			if r.Outcome != result.Cancelled || r.Reason != "aborted" {
				t.Errorf("request %d: %s %q", r.Index, r.Outcome, r.Reason)
			}
		}
	})
	t.Run("unbounded window refused", func(t *testing.T) {
		w := newWindow(t, &countingServer{}, dataset.ArrivalSpec{Kind: "poisson", Rate: 1})
		if _, err := w.Run(context.Background(), func(*result.Result) {}); !errors.Is(err, ErrUnbounded) {
			t.Fatalf("got %v, want ErrUnbounded", err)
		}
	})
}

// Stages run one after the other: a rate stage open loop, then a
// concurrency stage closed loop.
func TestWindowStages(t *testing.T) {
	// The closed stage's requests are held until 6 are in flight at once,
	// so the peak does not rest on how fast its senders were scheduled.
	srv := &countingServer{delay: 50 * time.Millisecond, holdFor: 6, holdAfter: 10}
	w := newWindow(t, srv, dataset.ArrivalSpec{Kind: "stages", Stages: []dataset.StageSpec{
		{Rate: 20, Duration: schema.Duration(500 * time.Millisecond)},
		{Concurrency: 6, Duration: schema.Duration(500 * time.Millisecond)},
	}})
	var c collector
	info, err := w.Run(context.Background(), c.add)
	if err != nil {
		t.Fatal(err)
	}
	var first, second int
	for _, r := range c.results {
		if r.Intended.Sub(info.Start) < 500*time.Millisecond {
			first++
		} else {
			second++
		}
	}
	// 10 open-loop arrivals in the first half second; then 6 in flight for
	// half a second at ~50 ms each: up to 60, and more than 6 whenever a
	// finished request is replaced, however slow the machine.
	if first != 10 || second <= 6 || srv.peak.Load() < 6 {
		t.Errorf("first stage %d requests (want 10), second %d (want > 6), peak in flight %d (want ≥ 6)", first, second, srv.peak.Load())
	}
}

// The same seed sends the same workload, and the hash shows it.
func TestWorkloadHash(t *testing.T) {
	hashOf := func(seed uint64) string {
		srv := &countingServer{}
		w := newWindow(t, srv, dataset.ArrivalSpec{Kind: "poisson", Rate: 500})
		w.Arrival, _ = arrival.New(dataset.ArrivalSpec{Kind: "poisson", Rate: 500}, seed)
		w.Source, _ = dataset.NewSynthetic(dataset.SyntheticSpec{InputTokens: 8, OutputTokens: 2}, seed)
		w.Requests = 10
		info, err := w.Run(context.Background(), func(*result.Result) {})
		if err != nil {
			t.Fatal(err)
		}
		return info.WorkloadHash
	}
	a, b, c := hashOf(1), hashOf(1), hashOf(2)
	if a == "" || a != b || a == c {
		t.Errorf("hashes %s, %s (same seed), %s (other seed)", a, b, c)
	}
}

// TestWindowShare runs a window whole and as three shares: the shares'
// requests together are the whole window's, at the same offsets.
func TestWindowShare(t *testing.T) {
	offsets := func(arrival dataset.ArrivalSpec, requests int, share Share) (map[time.Duration]int, int64) {
		srv := &countingServer{}
		w := newWindow(t, srv, arrival)
		w.Requests, w.Share = requests, share
		c := &collector{}
		info, err := w.Run(context.Background(), c.add)
		if err != nil {
			t.Fatal(err)
		}
		got := map[time.Duration]int{}
		for _, r := range c.results {
			if !r.Succeeded() {
				t.Errorf("request failed: %s", r.Reason)
			}
			got[r.Intended.Sub(info.Start).Round(time.Microsecond)]++
		}
		return got, srv.peak.Load()
	}
	for _, tc := range []struct {
		name     string
		arrival  dataset.ArrivalSpec
		requests int
	}{
		{"poisson", dataset.ArrivalSpec{Kind: "poisson", Rate: 400}, 50},
		{"gamma", dataset.ArrivalSpec{Kind: "gamma", Rate: 400, Burstiness: 0.5}, 31},
		{"cap below the replica count", dataset.ArrivalSpec{Kind: "constant", Rate: 400}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			whole, _ := offsets(tc.arrival, tc.requests, Share{})
			union := map[time.Duration]int{}
			total := 0
			for i := range 3 {
				part, _ := offsets(tc.arrival, tc.requests, Share{Index: i, Count: 3})
				if want := (Share{Index: i, Count: 3}).part(tc.requests); len(part) != want {
					t.Errorf("share %d sent %d requests, want %d", i, len(part), want)
				}
				for k, n := range part {
					union[k] += n
					total += n
				}
			}
			if total != tc.requests || len(union) != len(whole) {
				t.Fatalf("shares sent %d requests at %d offsets; whole window %d at %d", total, len(union), tc.requests, len(whole))
			}
			for k, n := range whole {
				if union[k] != n {
					t.Errorf("offset %v: %d requests from the shares, %d from the whole window", k, union[k], n)
				}
			}
		})
	}
	t.Run("closed loop splits the concurrency", func(t *testing.T) {
		spec := dataset.ArrivalSpec{Kind: "concurrency", Concurrency: 5}
		for i, want := range []int64{2, 2, 1} {
			srv := &countingServer{delay: 20 * time.Millisecond}
			w := newWindow(t, srv, spec)
			w.Requests, w.Share = 12, Share{Index: i, Count: 3}
			if _, err := w.Run(context.Background(), func(*result.Result) {}); err != nil {
				t.Fatal(err)
			}
			if srv.peak.Load() != want || srv.seen.Load() != 4 {
				t.Errorf("share %d: peak %d in flight, %d requests; want %d and 4", i, srv.peak.Load(), srv.seen.Load(), want)
			}
		}
	})
	if err := (Share{Index: 3, Count: 3}).Validate(); err == nil {
		t.Error("share 3 of 3 accepted")
	}
}

// TestSeededSessionsSendTheSameRequests: with --requests capping turns,
// a seeded window of multi-turn sessions sends the same requests however
// its goroutines are scheduled: each session reserves its turns when it
// starts, so no new session takes an index an earlier one's turn needed.
// Run under several GOMAXPROCS and repeated; a cap of 10 over sessions of
// 3 turns leaves the fourth session one turn.
func TestSeededSessionsSendTheSameRequests(t *testing.T) {
	sent := func(procs int) map[string]int {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		var mu sync.Mutex
		bodies := map[string]int{}
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var req struct {
				Messages []struct{ Content string } `json:"messages"`
			}
			json.NewDecoder(r.Body).Decode(&req)
			mu.Lock()
			// A request is its session (the first message) and its turn.
			bodies[fmt.Sprintf("%s/%d", req.Messages[0].Content, len(req.Messages))]++
			mu.Unlock()
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n"+
				"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
		})
		w := newWindow(t, h, dataset.ArrivalSpec{Kind: "concurrency", Concurrency: 4})
		w.Source, _ = dataset.NewSynthetic(dataset.SyntheticSpec{InputTokens: 4, OutputTokens: 2, Turns: 3}, 7)
		w.Requests, w.WarmConnections = 10, -1
		var c collector
		info, err := w.Run(t.Context(), c.add)
		if err != nil {
			t.Fatal(err)
		}
		if info.Sent != 10 || len(c.results) != 10 {
			t.Fatalf("GOMAXPROCS %d: sent %d, %d results; want 10", procs, info.Sent, len(c.results))
		}
		return bodies
	}
	want := sent(1)
	for _, procs := range []int{2, 4, 8, 1, 2, 4, 8} {
		if got := sent(procs); !maps.Equal(got, want) {
			t.Fatalf("GOMAXPROCS %d sent %v, GOMAXPROCS 1 %v", procs, got, want)
		}
	}
}
