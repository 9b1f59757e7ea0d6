package servermetrics

import (
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestHistogramQuantile(t *testing.T) {
	inf := math.Inf(1)
	bounds := []float64{0.1, 0.25, 0.5, inf}
	tests := []struct {
		name string
		q    float64
		cum  []float64
		want float64
	}{
		// 10 observations: 4 ≤ 0.1, 4 in (0.1, 0.25], 2 in (0.25, 0.5].
		// Rank 5 is the first of the second bucket's four: 0.1 + 0.15·1/4.
		{"p50", 0.5, []float64{4, 8, 10, 10}, 0.1 + 0.15*0.25},
		// Rank 9.5: 1.5 of the third bucket's 2: 0.25 + 0.25·0.75.
		{"p95", 0.95, []float64{4, 8, 10, 10}, 0.25 + 0.25*0.75},
		// The first bucket starts at 0.
		{"first bucket", 0.5, []float64{10, 10, 10, 10}, 0.05},
		// A rank in +Inf answers the highest finite bound.
		{"in +Inf", 0.99, []float64{0, 0, 1, 10}, 0.5},
		{"empty", 0.5, []float64{0, 0, 0, 0}, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := histogramQuantile(tt.q, bounds, tt.cum)
			if !(math.IsNaN(tt.want) && math.IsNaN(got)) && math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// One bucket holding every observation: the spread narrows to the exact
// mean; more than one keeps histogram_quantile's interpolation.
func TestQuantileOneBucket(t *testing.T) {
	inf := math.Inf(1)
	h := &histogram{bounds: []float64{0.08, 0.1, 0.25, inf}, cum: []float64{0, 0, 10, 10}, count: 10, sum: 1.02}
	p50, method := quantile(0.5, h)
	if method != MethodMeanMatched || math.Abs(p50-0.102) > 1e-9 {
		t.Errorf("one bucket, mean 102 ms: p50 %v (%s), want 0.102 (%s)", p50, method, MethodMeanMatched)
	}
	if p95, _ := quantile(0.95, h); p95 <= p50 || p95 > 0.25 {
		t.Errorf("p95 %v: want above p50 and inside the bucket", p95)
	}
	// Mean near the top of the bucket: the spread touches the top.
	h.sum = 2.4
	if p50, _ := quantile(0.5, h); math.Abs(p50-0.24) > 1e-9 {
		t.Errorf("mean 240 ms: p50 %v, want 0.24", p50)
	}
	// 36 requests at 102 ms and 4 outliers at 300 ms: the outliers taken
	// at their bucket's midpoint (375 ms) leave the bulk's mean below its
	// bucket, clamped to its bottom: p50 100 ms, 2 ms from the truth,
	// where histogram_quantile says 0.1 + 0.15·20/36 = 183 ms.
	outliers := &histogram{bounds: []float64{0.1, 0.25, 0.5, inf}, cum: []float64{0, 36, 40, 40}, count: 40, sum: 36*0.102 + 4*0.3}
	if p50, method := quantile(0.5, outliers); method != MethodMeanMatched || math.Abs(p50-0.1) > 1e-9 {
		t.Errorf("outliers: p50 %v (%s), want 0.1", p50, method)
	}
	// An observation beyond the last finite bound: histogram_quantile.
	beyond := &histogram{bounds: []float64{0.1, 0.25, inf}, cum: []float64{0, 39, 40}, count: 40, sum: 4}
	if _, method := quantile(0.5, beyond); method != MethodHistogramQuantile {
		t.Errorf("with an observation in +Inf: %s", method)
	}
	// Every observation 0 (no request queued): every quantile is 0.
	zero := &histogram{bounds: []float64{0.3, 0.5, inf}, cum: []float64{10, 10, 10}, count: 10, sum: 0}
	if p95, _ := quantile(0.95, zero); p95 != 0 {
		t.Errorf("all zero: p95 %v, want 0", p95)
	}
	two := &histogram{bounds: h.bounds, cum: []float64{0, 5, 10, 10}, count: 10, sum: 1.0}
	if p50, method := quantile(0.5, two); method != MethodHistogramQuantile || math.Abs(p50-0.1) > 1e-12 {
		t.Errorf("two buckets: p50 %v (%s), want 0.1 by histogram_quantile", p50, method)
	}
}

const vllmText = `# HELP vllm:time_to_first_token_seconds TTFT.
# TYPE vllm:time_to_first_token_seconds histogram
vllm:time_to_first_token_seconds_bucket{model_name="m",le="0.1"} {1}
vllm:time_to_first_token_seconds_bucket{model_name="m",le="0.25"} {2}
vllm:time_to_first_token_seconds_bucket{model_name="m",le="+Inf"} {2}
vllm:time_to_first_token_seconds_sum{model_name="m"} {3}
vllm:time_to_first_token_seconds_count{model_name="m"} {2}
vllm:time_to_first_token_seconds_bucket{model_name="other",le="0.1"} 100
vllm:time_to_first_token_seconds_bucket{model_name="other",le="0.25"} 100
vllm:time_to_first_token_seconds_bucket{model_name="other",le="+Inf"} 100
vllm:time_to_first_token_seconds_sum{model_name="other"} 1
vllm:time_to_first_token_seconds_count{model_name="other"} 100
# TYPE vllm:e2e_request_latency_seconds histogram
vllm:e2e_request_latency_seconds_bucket{model_name="m",le="1"} {2}
vllm:e2e_request_latency_seconds_bucket{model_name="m",le="+Inf"} {2}
vllm:e2e_request_latency_seconds_sum{model_name="m"} {3}
vllm:e2e_request_latency_seconds_count{model_name="m"} {2}
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{model_name="m"} {4}
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{model_name="m"} {5}
# TYPE vllm:prefix_cache_queries_total counter
vllm:prefix_cache_queries_total{model_name="m"} {6}
# TYPE vllm:prefix_cache_hits_total counter
vllm:prefix_cache_hits_total{model_name="m"} {7}
`

func TestParseServers(t *testing.T) {
	tests := []struct {
		name, body, server string
		roles              []role
	}{
		{"vllm", fill([7]float64{1, 2, 0.3, 0, 0.1, 5, 1}),
			ServerVLLM, []role{roleTTFT, roleE2E, roleWaiting, roleKVCache, rolePrefixQueries, rolePrefixHits}},
		{"sglang", "# TYPE sglang:num_queue_reqs gauge\nsglang:num_queue_reqs{model_name=\"m\"} 3\n# TYPE sglang:token_usage gauge\nsglang:token_usage 0.5\n# TYPE sglang:cached_tokens_total counter\nsglang:cached_tokens_total 4\n",
			ServerSGLang, []role{roleWaiting, roleKVCache, rolePrefixHits}},
		{"tgi", "# TYPE tgi_queue_size gauge\ntgi_queue_size 2\n# TYPE tgi_request_duration histogram\ntgi_request_duration_bucket{le=\"1\"} 1\ntgi_request_duration_bucket{le=\"+Inf\"} 1\ntgi_request_duration_sum 0.5\ntgi_request_duration_count 1\n",
			ServerTGI, []role{roleWaiting, roleE2E}},
		{"unknown", "# TYPE go_goroutines gauge\ngo_goroutines 12\n", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, err := parse(strings.NewReader(tt.body), "", "m")
			if err != nil {
				t.Fatal(err)
			}
			if snap.server != tt.server {
				t.Errorf("server %q, want %q", snap.server, tt.server)
			}
			for _, r := range tt.roles {
				if !snap.present[r] {
					t.Errorf("role %d missing", r)
				}
			}
		})
	}
	// Only the target model's series count where a model label names it.
	snap, _ := parse(strings.NewReader(tests[0].body), "", "m")
	if h := snap.hists[roleTTFT]; h.count != 2 {
		t.Errorf("TTFT count %v, want model m's 2 (not the other model's 100)", h.count)
	}
}

// vllmServer serves vllmText, one step further each scrape, so a start
// and an end scrape see a known change.
func vllmServer(steps [][7]float64) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := min(int(n.Add(1))-1, len(steps)-1)
		io.WriteString(w, fill(steps[i]))
	})), &n
}

// fill puts values into vllmText's {1}…{7}.
func fill(v [7]float64) string {
	body := vllmText
	for k, x := range v {
		body = strings.ReplaceAll(body, "{"+strconv.Itoa(k+1)+"}", strconv.FormatFloat(x, 'g', -1, 64))
	}
	return body
}

func TestWatcherDeltas(t *testing.T) {
	// Start: 10 requests done. End: 20 more, all in (0.1, 0.25] with a
	// mean of 110 ms; 3 waiting at the end; 40 of 100 prefix tokens hit.
	srv, _ := vllmServer([][7]float64{
		{0, 10, 1.0, 0, 0.1, 100, 10},
		{0, 30, 1.0 + 20*0.11, 3, 0.5, 200, 50},
	})
	defer srv.Close()
	w := New(Config{URL: srv.URL, Model: "m", Interval: time.Hour})
	w.Start()
	waitFirst(t, w)
	s := w.Stop()
	if s.Server != ServerVLLM || s.Scrapes != 2 || len(s.Notes) != 0 {
		t.Fatalf("summary %+v", s)
	}
	if s.TTFT == nil || s.TTFT.Count != 20 || math.Abs(s.TTFT.Mean-0.11) > 1e-9 || math.Abs(s.TTFT.P50-0.11) > 1e-9 {
		t.Errorf("TTFT %+v, want 20 requests, mean and p50 110 ms", s.TTFT)
	}
	if s.Waiting == nil || s.Waiting.Max != 3 || s.Waiting.Mean != 1.5 || s.KVCache.Max != 0.5 {
		t.Errorf("gauges: waiting %+v, kv %+v", s.Waiting, s.KVCache)
	}
	if s.PrefixCacheHitRatio == nil || math.Abs(*s.PrefixCacheHitRatio-0.4) > 1e-12 {
		t.Errorf("prefix cache hit ratio %v, want 0.4", s.PrefixCacheHitRatio)
	}
	// 15 of Inferno's requests, all at 115 ms: 5 ms more than the server's.
	s.Compare(Client{Values: []Weighted{{0.115, 15}}, Mean: 0.115}, 15)
	if s.ClientOverhead == nil || math.Abs(s.ClientOverhead.P50-0.005) > 1e-9 || math.Abs(s.ClientOverhead.Mean-0.005) > 1e-9 || *s.OtherRequests != 5 {
		t.Errorf("overhead %+v, others %v: want 5 ms and 5", s.ClientOverhead, s.OtherRequests)
	}
}

// waitFirst waits until the start scrape is in.
func waitFirst(t *testing.T, w *Watcher) {
	t.Helper()
	for {
		w.mu.Lock()
		done := w.first != nil || len(w.errs) > 0
		w.mu.Unlock()
		if done {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// A server that is down, slow, huge or speaks garbage costs notes, never
// a hang or a figure.
func TestWatcherBadServers(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	huge := strings.Repeat("# padding\n", 1<<16) // 640 KiB
	tests := []struct {
		name    string
		handler http.HandlerFunc
		url     string
		note    string
	}{
		{"slow", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-block:
			case <-r.Context().Done():
			}
		}, "", "no answer within"},
		{"huge", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, huge) }, "", "size limit"},
		{"huge with length", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000000000")
			w.WriteHeader(200)
		}, "", "size limit"},
		{"endless", func(w http.ResponseWriter, r *http.Request) {
			for r.Context().Err() == nil {
				if _, err := io.WriteString(w, "# more\n"); err != nil {
					return
				}
			}
		}, "", "size limit"},
		{"garbage", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "vllm:num_requests_waiting{ 3 \x00\x01 {{{\n")
		}, "", "parse"},
		{"status", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusServiceUnavailable) }, "", "HTTP 503"},
		{"unknown server", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "# TYPE up gauge\nup 1\n") }, "", "no known server metrics"},
		{"down", nil, "http://" + closedAddr(t) + "/metrics", "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := tt.url
			if tt.handler != nil {
				srv := httptest.NewServer(tt.handler)
				defer srv.Close()
				url = srv.URL
			}
			// Only the slow server is judged on the timeout: the others must
			// earn their note whatever a busy machine does to a 100 ms one.
			timeout := 30 * time.Second
			if tt.name == "slow" {
				timeout = 100 * time.Millisecond
			}
			w := New(Config{URL: url, Timeout: timeout, MaxBytes: 64 << 10, Interval: time.Hour})
			w.Start()
			waitFirst(t, w)
			s := w.Stop()
			if s.TTFT != nil || s.Waiting != nil || s.Requests != nil {
				t.Errorf("figures from a bad server: %+v", s)
			}
			if !strings.Contains(strings.Join(s.Notes, "; "), tt.note) {
				t.Errorf("notes %q, want one with %q", s.Notes, tt.note)
			}
		})
	}
}

func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Stop before Start, and twice, neither hangs nor scrapes again; a Start
// after Stop starts nothing.
func TestStopIdempotent(t *testing.T) {
	srv, scrapes := vllmServer([][7]float64{{0, 1, 0.1, 0, 0, 0, 0}})
	defer srv.Close()
	w := New(Config{URL: srv.URL, Interval: time.Hour})
	if s := w.Stop(); len(s.Notes) == 0 || w.Stop() != s {
		t.Errorf("Stop before Start: %+v", s)
	}
	w.Start()
	if n := scrapes.Load(); n != 0 {
		t.Errorf("%d scrapes after a Stop", n)
	}
	w = New(Config{URL: srv.URL, Interval: time.Hour})
	w.Start()
	first := w.Stop()
	n := scrapes.Load()
	if w.Stop() != first || scrapes.Load() != n {
		t.Error("a second Stop scraped again")
	}
}

// TestOverheadThroughBuckets: a bimodal window (queued requests at 355 ms,
// the rest at 103 ms) straddles two buckets; histogram_quantile puts the
// server's p50 mid-bucket, far from the client's exact 103 ms, but the
// client read through the same buckets lands there too: the overhead is
// the half millisecond between the two, not a hundred.
func TestOverheadThroughBuckets(t *testing.T) {
	inf := math.Inf(1)
	bounds := []float64{0.1, 0.25, 0.5, inf}
	const fast, slow = 260, 140
	server := &histogram{bounds: bounds, cum: []float64{0, fast, fast + slow, fast + slow}, count: fast + slow, sum: fast*0.1025 + slow*0.3545}
	s := &Summary{TTFT: &Latency{Count: server.count, Mean: server.sum / server.count, Bounds: bounds}}
	s.TTFT.P50, s.TTFT.Method = quantile(0.5, server)
	s.TTFT.P95, _ = quantile(0.95, server)
	client := Client{Values: []Weighted{{0.103, fast}, {0.355, slow}}, Mean: (fast*0.103 + slow*0.355) / (fast + slow)}
	s.Compare(client, fast+slow)
	o := s.ClientOverhead
	if o == nil || math.Abs(o.P50-0.0005) > 0.002 || math.Abs(o.P95-0.0005) > 0.002 || math.Abs(o.Mean-0.0005) > 1e-9 {
		t.Errorf("overhead %+v (server p50 %v), want about 0.5 ms at every quantile", o, s.TTFT.P50)
	}
}
