package simulator

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func post(t *testing.T, url, body string) (*http.Response, []string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var events []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "data:"); ok {
			events = append(events, strings.TrimSpace(line))
		}
	}
	return resp, events
}

func TestProtocols(t *testing.T) {
	srv := httptest.NewServer(New(Config{TTFT: time.Millisecond, ITL: time.Millisecond}))
	defer srv.Close()
	tests := []struct {
		name, path, body string
		wantEvents       int
		last             string
	}{
		// role chunk + 3 tokens + usage + [DONE]
		{"chat", "/v1/chat/completions", `{"model":"sim","messages":[{"role":"user","content":"a b c"}],"max_tokens":3,"stream":true,"stream_options":{"include_usage":true}}`, 6, "[DONE]"},
		// 3 tokens + [DONE], no usage asked
		{"completions", "/v1/completions", `{"model":"sim","prompt":"a b","max_tokens":3,"stream":true}`, 4, "[DONE]"},
		{"tgi", "/generate_stream", `{"inputs":"a b","parameters":{"max_new_tokens":3}}`, 3, `"generated_tokens":3`},
		{"tgi under /v1", "/v1/generate_stream", `{"inputs":"a b","parameters":{"max_new_tokens":2}}`, 2, `"generated_text":" the model"`},
		{"triton", "/v2/models/sim/generate_stream", `{"text_input":"a","max_tokens":4,"stream":true}`, 4, `"text_output"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, events := post(t, srv.URL+tt.path, tt.body)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
				t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if len(events) != tt.wantEvents || !strings.Contains(events[len(events)-1], tt.last) {
				t.Fatalf("%d events, last %q; want %d ending with %q", len(events), events[len(events)-1], tt.wantEvents, tt.last)
			}
		})
	}
	_, events := post(t, srv.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"one two three"}],"max_tokens":2,"stream_options":{"include_usage":true}}`)
	var usage struct {
		Usage struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	json.Unmarshal([]byte(events[len(events)-2]), &usage)
	if usage.Usage.PromptTokens != 3 || usage.Usage.CompletionTokens != 2 {
		t.Errorf("usage %+v, want 3 prompt and 2 completion tokens", usage.Usage)
	}
}

func TestEOSAndIgnoreEOS(t *testing.T) {
	srv := httptest.NewServer(New(Config{EOSRate: 1, Seed: 3}))
	defer srv.Close()
	short := 0
	for range 20 {
		_, ev := post(t, srv.URL+"/v1/completions", `{"prompt":"x","max_tokens":50}`)
		if len(ev)-1 < 50 {
			short++
		}
		_, ev = post(t, srv.URL+"/v1/completions", `{"prompt":"x","max_tokens":50,"ignore_eos":true}`)
		if len(ev)-1 != 50 {
			t.Fatalf("ignore_eos: %d tokens, want 50", len(ev)-1)
		}
	}
	if short == 0 {
		t.Error("eos-rate 1 never stopped early")
	}
}

func TestFaults(t *testing.T) {
	t.Run("status", func(t *testing.T) {
		srv := httptest.NewServer(New(Config{Fault: FaultStatus, FaultStatus: 429}))
		defer srv.Close()
		resp, _ := post(t, srv.URL+"/v1/completions", `{"prompt":"x"}`)
		if resp.StatusCode != 429 {
			t.Errorf("status %d, want 429", resp.StatusCode)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		srv := httptest.NewServer(New(Config{Fault: FaultMalformed}))
		defer srv.Close()
		_, ev := post(t, srv.URL+"/v1/completions", `{"prompt":"x","max_tokens":4}`)
		if json.Valid([]byte(ev[len(ev)-1])) {
			t.Errorf("last event %q is valid JSON", ev[len(ev)-1])
		}
	})
	t.Run("reset", func(t *testing.T) {
		srv := httptest.NewServer(New(Config{Fault: FaultReset}))
		defer srv.Close()
		resp, err := http.Post(srv.URL+"/v1/completions", "application/json", strings.NewReader(`{"prompt":"x","max_tokens":4}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if _, err := io.ReadAll(resp.Body); err == nil {
			t.Error("reset stream read without error")
		}
	})
	t.Run("stall", func(t *testing.T) {
		srv := httptest.NewServer(New(Config{Fault: FaultStall}))
		defer srv.Close()
		client := &http.Client{Timeout: 200 * time.Millisecond}
		resp, err := client.Post(srv.URL+"/v1/completions", "application/json", strings.NewReader(`{"prompt":"x","max_tokens":4}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if _, err := io.ReadAll(resp.Body); err == nil {
			t.Error("stalled stream ended")
		}
	})
	if err := (Config{Fault: "meltdown"}).Validate(); err == nil {
		t.Error("unknown fault accepted")
	}
}

// With one slot, the second of two requests queues behind the first, so
// its first token comes a whole response later. The first holds its slot
// until the second is counted waiting, so the two overlap however late a
// busy machine starts either; the verdict is the simulator's own record
// of the queued request's TTFT (from its arrival), which a late timer can
// only lengthen: at least the time it was kept queued and its own TTFT.
// (The first's remaining tokens are due on its own clock, already past
// when it is released, so they add nothing to count on.)
func TestQueueRaisesTTFT(t *testing.T) {
	var srvURL string
	release := make(chan struct{})
	var once sync.Once
	ttfts := make(chan time.Duration, 2)
	srv := httptest.NewServer(New(Config{TTFT: 50 * time.Millisecond, ITL: 10 * time.Millisecond, MaxConcurrency: 1,
		OnFirstToken: func(d time.Duration) {
			ttfts <- d
			once.Do(func() { <-release }) // the first request keeps its slot
		}}))
	defer srv.Close()
	srvURL = srv.URL
	send := func() {
		resp, err := http.Post(srvURL+"/v1/completions", "application/json", strings.NewReader(`{"prompt":"x","max_tokens":5,"ignore_eos":true}`))
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	var wg sync.WaitGroup
	wg.Go(send)
	first := <-ttfts // the first request holds the slot now
	wg.Go(send)
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(scrapeText(t, srvURL), `vllm:num_requests_waiting{model_name="sim"} 1`); {
		if time.Now().After(deadline) {
			close(release)
			t.Fatal("the second request never queued behind the first")
		}
		time.Sleep(time.Millisecond)
	}
	// The queued request waits at least this long once seen waiting; a
	// late timer only lengthens it.
	time.Sleep(queuedFor)
	close(release)
	wg.Wait()
	if queued := <-ttfts; queued < queuedFor+50*time.Millisecond {
		t.Errorf("TTFTs %v and %v: the queued request should count its wait (≥ %v) and its own TTFT (50ms)", first, queued, queuedFor)
	}
}

// queuedFor is how long TestQueueRaisesTTFT keeps its second request
// queued after seeing it wait.
const queuedFor = 100 * time.Millisecond

func TestRoutingErrors(t *testing.T) {
	srv := httptest.NewServer(New(Config{}))
	defer srv.Close()
	for path, want := range map[string]int{"/v1/nope": 404, "/v1/completions": 400} {
		resp, _ := post(t, srv.URL+path, "{bad json")
		if resp.StatusCode != want {
			t.Errorf("%s: status %d, want %d", path, resp.StatusCode, want)
		}
	}
	resp, err := http.Get(srv.URL + "/v1/models")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("models: %v %v", resp, err)
	}
}

// TestServerMetrics: the simulator exports vLLM's server-side histograms
// under vLLM's names, each request in the bucket of the TTFT it recorded.
// The bucket is checked against the simulator's own record, not the
// configured 30 ms: on a busy machine a late timer moves a request into
// the next bucket, and the histogram must follow.
func TestServerMetrics(t *testing.T) {
	var mu sync.Mutex
	var ttfts []time.Duration
	srv := httptest.NewServer(New(Config{Model: "m1", TTFT: 30 * time.Millisecond, ITL: time.Millisecond,
		OnFirstToken: func(d time.Duration) { mu.Lock(); ttfts = append(ttfts, d); mu.Unlock() }}))
	defer srv.Close()
	for range 2 {
		post(t, srv.URL+"/v1/completions", `{"model":"m1","prompt":"a","max_tokens":3,"stream":true}`)
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	text := string(b)
	mu.Lock()
	within40 := 0
	for _, d := range ttfts {
		if d <= 40*time.Millisecond {
			within40++
		}
	}
	mu.Unlock()
	for _, want := range []string{
		`vllm:time_to_first_token_seconds_count{model_name="m1"} 2`,
		// No first token can come before the configured 30 ms.
		`vllm:time_to_first_token_seconds_bucket{model_name="m1",le="0.02"} 0`,
		fmt.Sprintf(`vllm:time_to_first_token_seconds_bucket{model_name="m1",le="0.04"} %d`, within40),
		`vllm:time_to_first_token_seconds_bucket{model_name="m1",le="+Inf"} 2`,
		`vllm:time_per_output_token_seconds_count{model_name="m1"} 4`,
		`vllm:e2e_request_latency_seconds_count{model_name="m1"} 2`,
		`vllm:num_requests_running{model_name="m1"} 0`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s (recorded TTFTs %v)", want, ttfts)
		}
	}
}

// TestOnDecode: the decode hook sees each finished stream of two tokens or
// more once, and a one-token stream, which has no decode time, not at all.
func TestOnDecode(t *testing.T) {
	var mu sync.Mutex
	var got []time.Duration
	srv := httptest.NewServer(New(Config{TTFT: time.Millisecond, ITL: 2 * time.Millisecond,
		OnDecode: func(d time.Duration) { mu.Lock(); got = append(got, d); mu.Unlock() }}))
	defer srv.Close()
	for _, tokens := range []int{5, 1, 3} {
		post(t, srv.URL+"/v1/completions", fmt.Sprintf(`{"prompt":"a","max_tokens":%d,"ignore_eos":true,"stream":true}`, tokens))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0] <= 0 || got[1] <= 0 {
		t.Errorf("decode times %v, want two positive ones (5 and 3 tokens; none for 1)", got)
	}
}

func scrapeText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Error(err)
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestServerMetricsVLLMNames: the rest of vLLM's names respond as vLLM's
// do: the prefix cache hits the blocks a prompt shares with an earlier
// one, the KV cache holds the tokens of requests running, a request that
// waits for a slot is counted waiting and its wait is its queue time.
func TestServerMetricsVLLMNames(t *testing.T) {
	var inFlight []string
	var srvURL string
	var mu sync.Mutex
	s := New(Config{TTFT: time.Millisecond, ITL: time.Millisecond, KVCacheTokens: 1000, MaxConcurrency: 1,
		OnFirstToken: func(time.Duration) {
			// Scraped while the request holds its KV cache.
			text := scrapeText(t, srvURL)
			mu.Lock()
			inFlight = append(inFlight, text)
			mu.Unlock()
		}})
	srv := httptest.NewServer(s)
	defer srv.Close()
	srvURL = srv.URL
	shared := strings.Repeat("shared ", 32) // two whole blocks of 16 words
	// 32 shared words then 8 of its own: 40 prompt tokens, 10 generated.
	for i := range 2 {
		prompt := shared + strings.Repeat(fmt.Sprintf("own%d ", i), 8)
		post(t, srv.URL+"/v1/completions", fmt.Sprintf(`{"prompt":%q,"max_tokens":10,"ignore_eos":true}`, prompt))
	}
	text := scrapeText(t, srv.URL)
	for _, want := range []string{
		// 80 prompt tokens queried; the second prompt's 32 shared ones hit.
		`vllm:prefix_cache_queries_total{model_name="sim"} 80`,
		`vllm:prefix_cache_hits_total{model_name="sim"} 32`,
		`vllm:request_queue_time_seconds_count{model_name="sim"} 2`,
		`vllm:num_requests_waiting{model_name="sim"} 0`,
		// Every request's cache is freed when it ends.
		`vllm:kv_cache_usage_perc{model_name="sim"} 0`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	// At the first token a request holds its 40 prompt tokens and 1
	// generated: 41 of 1000.
	for _, text := range inFlight {
		if !strings.Contains(text, `vllm:kv_cache_usage_perc{model_name="sim"} 0.041`) {
			t.Errorf("KV cache usage in flight is not 41/1000:\n%s", grepLines(text, "kv_cache"))
		}
	}
}

func grepLines(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestWaitingAndQueueTime: a request that waits for the only slot is
// counted waiting while it waits, and observes a queue time.
func TestWaitingAndQueueTime(t *testing.T) {
	release := make(chan struct{})
	first := make(chan struct{}, 1)
	s := New(Config{TTFT: time.Millisecond, MaxConcurrency: 1,
		OnFirstToken: func(time.Duration) {
			select {
			case first <- struct{}{}:
				<-release // the first request holds the slot
			default:
			}
		}})
	srv := httptest.NewServer(s)
	defer srv.Close()
	done := make(chan struct{})
	send := func(prompt string) {
		if resp, err := http.Post(srv.URL+"/v1/completions", "application/json",
			strings.NewReader(`{"prompt":"`+prompt+`","max_tokens":2}`)); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	go func() {
		defer close(done)
		send("a")
	}()
	<-first
	go send("b")
	for !strings.Contains(scrapeText(t, srv.URL), `vllm:num_requests_waiting{model_name="sim"} 1`) {
		time.Sleep(time.Millisecond) // until the second request queues
	}
	close(release)
	<-done
	for !strings.Contains(scrapeText(t, srv.URL), `vllm:request_queue_time_seconds_count{model_name="sim"} 2`) {
		time.Sleep(time.Millisecond)
	}
	text := scrapeText(t, srv.URL)
	if !strings.Contains(text, `vllm:num_requests_waiting{model_name="sim"} 0`) {
		t.Errorf("still waiting after both ran:\n%s", grepLines(text, "waiting"))
	}
	// The queued request's wait was positive: its observation is above
	// the first one's 0, so the sum is too.
	if strings.Contains(text, `vllm:request_queue_time_seconds_sum{model_name="sim"} 0`+"\n") {
		t.Error("queue time sum 0: the queued request's wait was not observed")
	}
}
