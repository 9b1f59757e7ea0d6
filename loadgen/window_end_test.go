package loadgen

import (
	"github.com/inferno-llm/inferno/config/schema"
	"github.com/inferno-llm/inferno/measure"

	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/arrival"
	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/result"
)

// stallAfterFirstToken sends one content event, then holds the stream
// open until the client goes away.
var stallAfterFirstToken = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", eventStream)
	w.Write([]byte("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"))
	w.(http.Flusher).Flush()
	<-r.Context().Done()
})

// multiTurn is a source of conversations of n turns each.
type multiTurn int

func (n multiTurn) Next() (dataset.Conversation, bool) {
	c := dataset.Conversation{}
	for i := range int(n) {
		c.Turns = append(c.Turns, dataset.Turn{Messages: []dataset.Message{{Role: "user", Content: strings.Repeat("q ", i+1)}}, MaxTokens: 2})
	}
	return c, true
}

func byOutcome(rs []*result.Result) map[result.Outcome]int {
	m := map[result.Outcome]int{}
	for _, r := range rs {
		m[r.Outcome]++
	}
	return m
}

// Every arrival the schedule had due inside the window is a result: sent,
// or not_sent with its reason; nothing is sent after the duration.
func TestWindowAccountsForEveryArrival(t *testing.T) {
	tests := []struct {
		name    string
		handler http.Handler
		arrival dataset.ArrivalSpec
		setup   func(*Window)
		abort   time.Duration // cancel the run's context after this long
		// want is the number of results; 0 to check only what abort allows.
		want       int
		wantReason string
	}{
		{
			// 30 arrivals in 300 ms, one slot, 100 ms a request: most wait
			// for a slot that frees too late.
			name: "no free slot before the duration ends", handler: &countingServer{delay: 100 * time.Millisecond},
			arrival: dataset.ArrivalSpec{Kind: "constant", Rate: 100},
			setup:   func(w *Window) { w.Duration, w.MaxConcurrency = 300*time.Millisecond, 1 },
			want:    30, wantReason: "no free slot under max_concurrency before sending stopped",
		},
		{
			// The cap of 10 is due at once; the deadline cancels the one
			// sent, and the nine waiting for its slot were never sent.
			name: "deadline with arrivals waiting", handler: &countingServer{stall: true},
			arrival: dataset.ArrivalSpec{Kind: "constant", Rate: 1000},
			setup:   func(w *Window) { w.Requests, w.MaxConcurrency, w.Deadline = 10, 1, 300*time.Millisecond },
			want:    10, wantReason: "window deadline reached before it was sent",
		},
		{
			name: "abort counts only the arrivals already due", handler: &countingServer{stall: true},
			arrival: dataset.ArrivalSpec{Kind: "constant", Rate: 100},
			setup:   func(w *Window) { w.Duration, w.MaxConcurrency = time.Hour, 1 },
			// Halfway between two arrivals: an abort at an arrival's own
			// due time races the scheduler's timer for it.
			abort: 305 * time.Millisecond, wantReason: "window aborted before it was sent",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWindow(t, tt.handler, tt.arrival)
			tt.setup(w)
			ctx := context.Background()
			var aborted time.Time
			if tt.abort > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				time.AfterFunc(tt.abort, func() { aborted = time.Now(); cancel() })
			}
			var c collector
			info, err := w.Run(ctx, c.add)
			if err != nil {
				t.Fatal(err)
			}
			got := byOutcome(c.results)
			if tt.want > 0 && len(c.results) != tt.want {
				t.Errorf("%d results %v, want %d", len(c.results), got, tt.want)
			}
			if got[result.NotSent] == 0 || got[result.NotSent] != info.NotSent || info.Sent+info.NotSent != len(c.results) {
				t.Errorf("outcomes %v, info sent %d not sent %d: want some not_sent, all accounted", got, info.Sent, info.NotSent)
			}
			if srv, ok := tt.handler.(*countingServer); ok && srv.seenBy(info.Sent) != info.Sent {
				t.Errorf("server saw %d requests, the window says it sent %d", srv.seen.Load(), info.Sent)
			}
			seen := map[int]bool{}
			for _, r := range c.results {
				if seen[r.Index] {
					t.Errorf("index %d twice", r.Index)
				}
				seen[r.Index] = true
				if r.Outcome != result.NotSent {
					if w.Duration > 0 && r.Sent.After(info.Start.Add(w.Duration)) {
						t.Errorf("request %d sent %v after the start, past the %v duration", r.Index, r.Sent.Sub(info.Start), w.Duration)
					}
					continue
				}
				if r.Reason != tt.wantReason || !r.Sent.IsZero() || r.Intended.IsZero() {
					t.Errorf("not_sent %d: reason %q, sent %v, intended %v", r.Index, r.Reason, r.Sent, r.Intended)
				}
				// A session's later turn is intended when the turn before
				// it ends, which may be after the duration.
				if _, closed := w.Arrival.(arrival.ClosedLoop); !closed && w.Duration > 0 && !r.Intended.Before(info.Start.Add(w.Duration)) {
					t.Errorf("not_sent %d intended at %v, outside the window", r.Index, r.Intended.Sub(info.Start))
				}
				// The Runner sees the cancel a moment after it happens, and
				// an arrival due in that moment was due before it stopped:
				// the check is that it stops counting there, not an hour of
				// arrivals later. A second is far beyond any scheduling delay.
				if !aborted.IsZero() && r.Intended.After(aborted.Add(time.Second)) {
					t.Errorf("not_sent %d was due at %v, long after the abort at %v", r.Index, r.Intended.Sub(info.Start), aborted.Sub(info.Start))
				}
			}
			if len(seen) != len(c.results) {
				t.Errorf("indexes not distinct")
			}
		})
	}
}

// Turns the window's end prevents were never due: a later turn is due only
// when the one before it ends, and a closed loop's next request only once
// it goes. They are neither arrivals nor failures, and are counted apart.
// Three-turn sessions against a perfect server fail nothing.
func TestWindowEndCutsTurnsNotFailures(t *testing.T) {
	for _, tt := range []struct {
		name    string
		arrival dataset.ArrivalSpec
		setup   func(*Window)
	}{
		{"closed loop", dataset.ArrivalSpec{Kind: "concurrency", Concurrency: 4}, func(w *Window) {}},
		{"open loop", dataset.ArrivalSpec{Kind: "constant", Rate: 40}, func(w *Window) {}},
		{"open loop with a slot cap", dataset.ArrivalSpec{Kind: "constant", Rate: 40}, func(w *Window) { w.MaxConcurrency = 2 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// Sessions of 3 × 40 ms: whatever the overhead on a loaded
			// machine (up to 50% of it), some session straddles the end.
			srv := &countingServer{delay: 40 * time.Millisecond}
			w := newWindow(t, srv, tt.arrival)
			w.Duration, w.Source = 300*time.Millisecond, multiTurn(3)
			tt.setup(w)
			var c collector
			info, err := w.Run(context.Background(), c.add)
			if err != nil {
				t.Fatal(err)
			}
			got := byOutcome(c.results)
			if info.CutByWindowEnd == 0 {
				t.Errorf("no turn cut by the window's end: %v", got)
			}
			if info.Sent+info.NotSent != len(c.results) || srv.seenBy(info.Sent) != info.Sent {
				t.Errorf("info sent %d + not sent %d, %d results, server saw %d", info.Sent, info.NotSent, len(c.results), srv.seen.Load())
			}
			_, closed := w.Arrival.(arrival.ClosedLoop)
			if closed && got[result.Success] != len(c.results) {
				t.Errorf("outcomes %v: a perfect server, and the window's end made failures", got)
			}
			// An open loop's first turns were due at their intended time:
			// one due inside the window and not sent is an arrival not
			// sent. No other turn was ever due.
			for _, r := range c.results {
				if r.Outcome != result.Success && (closed || r.Outcome != result.NotSent || !r.Intended.Before(info.Start.Add(w.Duration))) {
					t.Errorf("%s for a turn that was never due: %q", r.Outcome, r.Reason)
				}
			}
			if info.Sessions == 0 || info.Sessions > len(c.results) {
				t.Errorf("%d sessions for %d results", info.Sessions, len(c.results))
			}
		})
	}
}

// A closed loop against a server that answers at once goes round fast
// enough to take a request just before the window's end that then meets
// it on its way out: that request was never due, so it is no not_sent
// (the audit saw 8, 0 and 28 in three runs against a 0.1 ms 429).
func TestClosedLoopNeverDueIsNotNotSent(t *testing.T) {
	fast := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "slow down", http.StatusTooManyRequests)
	})
	for range 5 {
		w := newWindow(t, fast, dataset.ArrivalSpec{Kind: "concurrency", Concurrency: 8})
		w.Duration = 100 * time.Millisecond
		var c collector
		info, err := w.Run(context.Background(), c.add)
		if err != nil {
			t.Fatal(err)
		}
		if got := byOutcome(c.results); got[result.NotSent] != 0 || info.NotSent != 0 || info.Sent != len(c.results) {
			t.Fatalf("outcomes %v, info sent %d not sent %d: a closed loop has no request due it did not send", got, info.Sent, info.NotSent)
		}
	}
}

// Requests in flight when the duration ends get the grace, then are
// cancelled; a window never outlives duration + grace by the request
// timeout.
func TestWindowGrace(t *testing.T) {
	tests := []struct {
		name  string
		grace time.Duration
	}{
		{"grace", 300 * time.Millisecond},
		{"no grace", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Two arrivals, at 0 and 50 ms, and the duration ends at 500 ms:
			// both have long had their first token when it ends, even
			// without grace, on any machine.
			w := newWindow(t, stallAfterFirstToken, dataset.ArrivalSpec{Kind: "constant", Rate: 20})
			w.Requests, w.Duration, w.Grace, w.RequestTimeout = 2, 500*time.Millisecond, tt.grace, time.Minute
			var c collector
			info, err := w.Run(context.Background(), c.add)
			if err != nil {
				t.Fatal(err)
			}
			if !info.GraceExpired || info.DeadlineHit || len(c.results) != 2 {
				t.Fatalf("info %+v, %d results; want the grace expired and 2 results", info, len(c.results))
			}
			for _, r := range c.results {
				if r.Outcome != result.Cancelled || r.Reason != measure.ErrGraceOver.Error() || r.FirstContent.IsZero() {
					t.Errorf("request %d: %s %q (first token %v)", r.Index, r.Outcome, r.Reason, r.FirstContent)
				}
			}
			// The request timeout is a minute; the window ends long before.
			if d := info.End.Sub(info.Start); d >= w.RequestTimeout/2 {
				t.Errorf("window took %v", d)
			}
		})
	}
}

// The deadline counts from the call to Run, so a hanging warm-up cannot
// carry the window past it (a probe must answer within its timeout).
func TestDeadlineCoversWarmup(t *testing.T) {
	w := newWindow(t, &countingServer{stall: true}, dataset.ArrivalSpec{Kind: "concurrency", Concurrency: 2})
	w.Requests, w.Warmup, w.Deadline, w.RequestTimeout = 4, 3, 300*time.Millisecond, time.Minute
	called := time.Now()
	var c collector
	info, err := w.Run(context.Background(), c.add)
	if err != nil {
		t.Fatal(err)
	}
	if !info.DeadlineHit || info.WarmupFailed != 3 || info.Sent != 0 {
		t.Errorf("info %+v; want the deadline hit, 3 warm-up failures, nothing measured sent", info)
	}
	if d := time.Since(called); d >= w.RequestTimeout/2 {
		t.Errorf("run took %v against a %v deadline", d, w.Deadline)
	}
}

// Warm connections are opened before the window, one per request it keeps
// in flight, and its requests reuse them; without them the first requests
// dial, and their phases say so.
func TestWarmConnections(t *testing.T) {
	for _, tt := range []struct {
		name string
		warm int
	}{{"warm", 0}, {"cold", -1}} {
		t.Run(tt.name, func(t *testing.T) {
			var dials atomic.Int64
			srv := httptest.NewUnstartedServer(&countingServer{delay: 20 * time.Millisecond})
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					dials.Add(1)
				}
			}
			srv.Start()
			t.Cleanup(srv.Close)
			w := newWindow(t, http.NotFoundHandler(), dataset.ArrivalSpec{Kind: "concurrency", Concurrency: 4})
			w.Target.URL = srv.URL
			w.Target.Client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			w.Requests, w.WarmConnections = 12, tt.warm
			var setups atomic.Int64
			w.OnConnection = func(p result.ConnPhases) {
				if _, ok := p.Setup(); ok {
					setups.Add(1)
				}
			}
			var c collector
			info, err := w.Run(context.Background(), c.add)
			if err != nil {
				t.Fatal(err)
			}
			dialled := 0
			for _, r := range c.results {
				if !r.Succeeded() {
					t.Errorf("request %d: %s %q", r.Index, r.Outcome, r.Reason)
				}
				if d, ok := r.Conn.Setup(); ok {
					dialled++
					if r.Conn.Reused || d <= 0 {
						t.Errorf("request %d: phases %+v", r.Index, r.Conn)
					}
				}
				if v, ok := r.WriteTime(); !ok || v < 0 {
					t.Errorf("request %d: no request-written time", r.Index)
				}
			}
			switch tt.name {
			case "warm":
				if info.WarmConnections != 4 || dials.Load() != 4 || dialled != 0 || setups.Load() != 4 {
					t.Errorf("warm connections %d, server saw %d dials, %d measured requests dialled, %d warm setups; want 4, 4, 0, 4",
						info.WarmConnections, dials.Load(), dialled, setups.Load())
				}
			case "cold":
				if info.WarmConnections != 0 || dialled == 0 || int64(dialled) != dials.Load() || setups.Load() != 0 {
					t.Errorf("warm connections %d, server saw %d dials, %d measured requests dialled; want 0 and as many dials as dialling requests",
						info.WarmConnections, dials.Load(), dialled)
				}
			}
		})
	}
}

// The Runner warms as many connections as the window will keep in
// flight, within its caps.
func TestWarmCount(t *testing.T) {
	arrival := func(spec dataset.ArrivalSpec) arrival.Arrival {
		a, err := arrival.New(spec, 1)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	tests := []struct {
		name string
		w    Window
		want int
	}{
		{"closed loop", Window{Arrival: arrival(dataset.ArrivalSpec{Kind: "concurrency", Concurrency: 12})}, 12},
		{"closed loop share", Window{Arrival: arrival(dataset.ArrivalSpec{Kind: "concurrency", Concurrency: 12}), Share: Share{Index: 0, Count: 5}}, 3},
		{"open loop: a second of arrivals", Window{Arrival: arrival(dataset.ArrivalSpec{Kind: "poisson", Rate: 7.5})}, 8},
		{"open loop estimate capped", Window{Arrival: arrival(dataset.ArrivalSpec{Kind: "constant", Rate: 5000})}, 64},
		{"max concurrency bounds it", Window{Arrival: arrival(dataset.ArrivalSpec{Kind: "constant", Rate: 50}), MaxConcurrency: 8}, 8},
		{"request cap bounds it", Window{Arrival: arrival(dataset.ArrivalSpec{Kind: "concurrency", Concurrency: 12}), Requests: 3}, 3},
		{"explicit count capped", Window{Arrival: arrival(dataset.ArrivalSpec{Kind: "concurrency", Concurrency: 1}), WarmConnections: MaxWarmConnections + 1}, MaxWarmConnections},
		{"cold", Window{Arrival: arrival(dataset.ArrivalSpec{Kind: "concurrency", Concurrency: 12}), WarmConnections: -1}, 0},
		{"stages: the largest", Window{Arrival: arrival(dataset.ArrivalSpec{Kind: "stages", Stages: []dataset.StageSpec{
			{Rate: 3, Duration: schema.Duration(time.Second)}, {Concurrency: 6, Duration: schema.Duration(time.Second)}}})}, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.w.warmCount(); got != tt.want {
				t.Errorf("warm count %d, want %d", got, tt.want)
			}
		})
	}
}
