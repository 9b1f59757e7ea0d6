// Package simulator is a deterministic streaming LLM server speaking the
// OpenAI chat and completions, TGI and Triton generate protocols. Its
// latencies are set, not measured, so tests, benchmarks and demos have a
// target whose true TTFT and inter-token latency are known.
package simulator

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Fault kinds the simulator can inject.
const (
	FaultNone        = ""
	FaultStatus      = "status"       // an error status before the stream
	FaultReset       = "reset"        // connection reset halfway through the stream
	FaultStall       = "stall"        // stop sending after the first token, never end
	FaultMalformed   = "malformed"    // one event that is not valid JSON
	FaultDrip        = "drip"         // the stream's bytes one per second
	FaultNoHeaders   = "no-headers"   // accept the request, never answer
	FaultContentType = "content-type" // 200 with a JSON body, not an event stream
	FaultErrorEvent  = "error-event"  // an error object halfway through the stream
	FaultNoDone      = "no-done"      // end the stream without its terminal [DONE]
	FaultHugeLine    = "huge-line"    // one 10 MB event line
	FaultEndless     = "endless"      // tokens forever
	FaultGzip        = "gzip"         // gzip the stream though no one asked for it
	FaultRedirect    = "redirect"     // 308 to the same path, then the stream
)

// Faults lists every fault kind, for flags and errors.
var Faults = []string{FaultStatus, FaultReset, FaultStall, FaultMalformed, FaultDrip, FaultNoHeaders, FaultContentType,
	FaultErrorEvent, FaultNoDone, FaultHugeLine, FaultEndless, FaultGzip, FaultRedirect, FaultBadJSON, FaultBadToolCall}

// Config sets the simulated server's behaviour.
type Config struct {
	Model string
	// TTFT is the time from the start of processing (the request's
	// arrival, or the end of its wait for a MaxConcurrency slot) to the
	// first token. Served through StampArrivals, arrival is when the
	// request's last bytes reached the socket; otherwise it is when its
	// handler had read the body. ITL is the time between tokens.
	TTFT, ITL time.Duration
	// Jitter spreads each TTFT and ITL uniformly by ±Jitter·value.
	Jitter float64
	// MaxConcurrency bounds requests processed at once; the rest queue, so
	// load raises TTFT as on a real server. 0 means no bound.
	MaxConcurrency int
	// StreamInterval is how many tokens one event carries, as vLLM's and
	// SGLang's --stream-interval: the first token goes out alone, then the
	// rest in events of StreamInterval tokens (the last may hold fewer).
	// 0 or 1 means one token per event. TGI's protocol has one token per
	// event, so there the tokens of a group are flushed together instead.
	StreamInterval int
	// KVCacheTokens is the KV cache's size in tokens: the exported
	// vllm:kv_cache_usage_perc is the tokens of requests running (prompt
	// and generated so far) over it, and the prefix cache keeps at most
	// its blocks. 0 means DefaultKVCacheTokens.
	KVCacheTokens int
	// DefaultMaxTokens applies when a request sets no output length.
	DefaultMaxTokens int
	// EOSRate is the chance per request of stopping at a random length
	// below max_tokens, unless the request sets ignore_eos.
	EOSRate float64
	Seed    uint64
	// ReasoningTokens is how many reasoning tokens open every answer:
	// reasoning_content deltas in chat, an inlined <think> span in the
	// other protocols. They count in max_tokens, as a server's do.
	ReasoningTokens int

	Fault       string
	FaultRate   float64 // share of requests that get the fault
	FaultStatus int     // status for FaultStatus (default 500)
	// RetryAfter, if set, is sent with FaultStatus answers.
	RetryAfter string

	// OnRequest, if set, sees every decoded request body (tests use it to
	// check what the prober sent).
	OnRequest func(path string, body map[string]any)
	// OnFirstToken, if set, gets each request's server-side TTFT: from the
	// request's arrival to its first token's flush. Tests set Inferno's
	// client-side figure beside it, so a busy machine's late timers, which
	// delay both alike, do not count as measurement error.
	OnFirstToken func(ttft time.Duration)
	// OnDecode, if set, gets each finished stream's server-side decode
	// time per output token: (last token's flush − first token's flush) /
	// (tokens − 1), for streams of two tokens or more. Like OnFirstToken,
	// it lets tests judge Inferno's TPOT against what the server did
	// rather than against the configured ITL, which late timers stretch.
	OnDecode func(tpot time.Duration)
	// OnFirstAnswer, if set, gets each request's server-side time to its
	// first answer token (after its reasoning), as OnFirstToken does TTFT.
	OnFirstAnswer func(d time.Duration)

	// EmbedPerToken is /v1/embeddings' latency per input token (default
	// DefaultEmbedPerToken); OnEmbed, if set, gets each answered batch's
	// inputs, tokens and server-side latency.
	EmbedPerToken time.Duration
	OnEmbed       func(inputs, tokens int, latency time.Duration)

	// ImagePrefill is each image's added time to first token, a vision
	// encoder's cost (default DefaultImagePrefill).
	ImagePrefill time.Duration
}

// DefaultImagePrefill is a 512x512 image's encoding time on a small
// vision-language model.
const DefaultImagePrefill = 5 * time.Millisecond

// Server is the simulator's HTTP handler.
type Server struct {
	cfg   Config
	slots chan struct{}
	mu    sync.Mutex // guards rng
	rng   *rand.Rand
	seq   atomic.Int64
	// metrics are vLLM's server-side metrics, served on /metrics.
	metrics *serverMetrics
}

// New returns a simulator with cfg, filling defaults.
func New(cfg Config) *Server {
	if cfg.Model == "" {
		cfg.Model = "sim"
	}
	if cfg.DefaultMaxTokens <= 0 {
		cfg.DefaultMaxTokens = 128
	}
	if cfg.Fault != FaultNone && cfg.FaultRate == 0 {
		cfg.FaultRate = 1
	}
	if cfg.ImagePrefill == 0 {
		cfg.ImagePrefill = DefaultImagePrefill
	}
	if cfg.FaultStatus == 0 {
		cfg.FaultStatus = http.StatusInternalServerError
	}
	s := &Server{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed)), metrics: newServerMetrics(cfg.Model, cfg.KVCacheTokens)}
	if cfg.MaxConcurrency > 0 {
		s.slots = make(chan struct{}, cfg.MaxConcurrency)
	}
	return s
}

// Validate checks a configuration.
func (c Config) Validate() error {
	switch c.Fault {
	case FaultNone, FaultStatus, FaultReset, FaultStall, FaultMalformed, FaultDrip, FaultNoHeaders, FaultContentType,
		FaultErrorEvent, FaultNoDone, FaultHugeLine, FaultEndless, FaultGzip, FaultRedirect, FaultBadJSON, FaultBadToolCall:
	default:
		return fmt.Errorf("unknown fault %q (want one of %s)", c.Fault, strings.Join(Faults, ", "))
	}
	if c.TTFT < 0 || c.ITL < 0 {
		return fmt.Errorf("ttft and itl must not be negative")
	}
	if c.EmbedPerToken < 0 || c.ImagePrefill < 0 {
		return fmt.Errorf("embed-per-token and image-prefill must not be negative")
	}
	if c.Jitter < 0 || c.Jitter >= 1 {
		return fmt.Errorf("jitter must be in [0, 1), got %v", c.Jitter)
	}
	if c.ReasoningTokens < 0 {
		return fmt.Errorf("reasoning tokens must not be negative, got %d", c.ReasoningTokens)
	}
	if c.StreamInterval < 0 {
		return fmt.Errorf("stream interval must not be negative, got %d", c.StreamInterval)
	}
	if c.FaultRate < 0 || c.FaultRate > 1 {
		return fmt.Errorf("fault rate must be in [0, 1], got %v", c.FaultRate)
	}
	return nil
}

// protocol is one wire format.
type protocol int

const (
	chat protocol = iota
	completions
	tgi
	triton
)

// ServeHTTP routes by path. The /v1 prefix is optional for every
// protocol, so one base URL works whichever API a client speaks.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/v1")
	switch {
	case r.URL.Path == "/metrics":
		s.metrics.handler.ServeHTTP(w, r)
		return
	case path == "/health" || path == "/v2/health/ready":
		w.WriteHeader(http.StatusOK)
		return
	case path == "/embeddings", path == "/rerank":
		s.embeddings(w, r)
		return
	case path == "/models" && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"object":"list","data":[{"id":%q,"object":"model"}]}`, s.cfg.Model)
		return
	}
	var proto protocol
	switch {
	case path == "/chat/completions":
		proto = chat
	case path == "/completions":
		proto = completions
	case path == "/generate_stream":
		proto = tgi
	case strings.HasPrefix(path, "/v2/models/") && strings.HasSuffix(path, "/generate_stream"):
		proto = triton
	default:
		http.Error(w, `{"error":"not found"}`, http.StatusNotFound)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, `{"error":"method not allowed"}`, http.StatusMethodNotAllowed)
		return
	}
	var req request
	body, err := decodeRequest(http.MaxBytesReader(w, r.Body, 64<<20), &req, s.cfg.OnRequest != nil)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return
	}
	arrived := received(r) // the body is read: when its last bytes came
	if s.cfg.OnRequest != nil {
		s.cfg.OnRequest(r.URL.Path, body)
	}
	plan := s.plan(proto, &req)
	switch plan.fault {
	case FaultStatus:
		if s.cfg.RetryAfter != "" {
			w.Header().Set("Retry-After", s.cfg.RetryAfter)
		}
		writeError(w, s.cfg.FaultStatus, "simulated failure")
		return
	case FaultRedirect:
		if r.URL.Query().Get("redirected") == "" {
			http.Redirect(w, r, r.URL.Path+"?redirected=1", http.StatusPermanentRedirect)
			return
		}
		plan.fault = FaultNone
	case FaultNoHeaders:
		<-r.Context().Done()
		return
	case FaultContentType:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"cmpl-sim-%d","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hello"}}]}`, plan.id)
		return
	}
	// Processing starts at arrival, or when a slot frees for a request
	// that queued: TTFT runs from there, so the simulator's own work before
	// its first write (headers, the role chunk) is inside it, not added.
	start := arrived
	if s.slots != nil {
		select {
		case s.slots <- struct{}{}:
			defer func() { <-s.slots }()
		default:
			s.metrics.waiting.Inc()
			select {
			case s.slots <- struct{}{}:
				s.metrics.waiting.Dec()
				defer func() { <-s.slots }()
				start = time.Now()
			case <-r.Context().Done():
				s.metrics.waiting.Dec()
				return
			}
		}
	}
	s.metrics.queue.Observe(start.Sub(arrived).Seconds())
	s.metrics.running.Inc()
	defer s.metrics.running.Dec()
	s.metrics.lookupPrefix(plan.promptTokens, plan.blocks)
	// The prompt's KV cache is held while the request runs, and each
	// generated token adds to it (stream adds those).
	s.metrics.kvTokens.Add(int64(plan.promptTokens))
	defer func() { s.metrics.kvTokens.Add(-int64(plan.promptTokens)) }()
	s.stream(w, r, proto, plan, arrived, start)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": msg, "code": status}})
	w.Write(b)
}

// plan is what one response will be, drawn when the request arrives so the
// draws follow arrival order and stay reproducible.
type plan struct {
	promptTokens int
	outputTokens int
	usage        bool // send a usage chunk (OpenAI include_usage)
	ttft         time.Duration
	itl          []time.Duration // per-token gaps, only with jitter
	gap          time.Duration   // every gap, without jitter
	fault        string
	id           int64
	// blocks are the prompt's prefix hashes, one per whole block, for
	// the prefix cache.
	blocks []uint64
	answer *answerPlan // nil for plain words
	finish string      // the last token's finish reason, quoted
	images int         // image parts in the prompt, each adding its prefill
}

func (s *Server) plan(proto protocol, req *request) plan {
	p := plan{id: s.seq.Add(1)}
	var maxTokens int
	switch proto {
	case chat:
		// The conversation is one prompt: each message's block hashes
		// are chained onto the hash of everything before it.
		var chain uint64
		for _, m := range req.Messages {
			p.promptTokens += m.Content.words
			for _, h := range m.Content.blocks {
				chain = chain*1099511628211 ^ h
				p.blocks = append(p.blocks, chain)
			}
			p.images += m.Content.images
		}
	case completions:
		p.promptTokens, p.blocks = req.Prompt.words, req.Prompt.blocks
	case tgi:
		p.promptTokens, p.blocks = req.Inputs.words, req.Inputs.blocks
		maxTokens = int(req.Parameters.MaxNewTokens)
	case triton:
		p.promptTokens, p.blocks = req.TextInput.words, req.TextInput.blocks
	}
	if proto != tgi {
		maxTokens = int(req.MaxTokens)
		if maxTokens == 0 {
			maxTokens = int(req.MaxCompletionTokens)
		}
	}
	ignoreEOS := req.IgnoreEOS
	if maxTokens <= 0 {
		maxTokens = s.cfg.DefaultMaxTokens
	}
	p.usage = req.StreamOptions.IncludeUsage

	s.mu.Lock()
	defer s.mu.Unlock()
	p.outputTokens = maxTokens
	if !ignoreEOS && s.cfg.EOSRate > 0 && s.rng.Float64() < s.cfg.EOSRate {
		p.outputTokens = 1 + s.rng.IntN(maxTokens)
	}
	if s.cfg.Fault != FaultNone && s.rng.Float64() < s.cfg.FaultRate {
		p.fault = s.cfg.Fault
	}
	p.finish = `"length"`
	if p.outputTokens < maxTokens {
		p.finish = `"stop"` // an early EOS
	}
	if p.answer = s.planAnswer(proto, req, p.fault, maxTokens); p.answer.tokens() > 0 {
		// JSON and tool calls end when they are complete, or are cut at
		// max_tokens as a server would cut them.
		p.outputTokens, p.finish = min(maxTokens, p.answer.tokens()), `"stop"`
		if p.answer.tool != "" {
			p.finish = `"tool_calls"`
		}
		if p.answer.tokens() > maxTokens {
			p.finish = `"length"`
		}
	}
	p.ttft = s.jitter(s.cfg.TTFT) + time.Duration(p.images)*s.cfg.ImagePrefill
	p.gap = s.cfg.ITL
	if s.cfg.Jitter != 0 && s.cfg.ITL != 0 {
		// Only jitter needs a gap per token; without it every gap is ITL.
		p.itl = make([]time.Duration, p.outputTokens)
		for i := 1; i < p.outputTokens; i++ {
			p.itl[i] = s.jitter(s.cfg.ITL)
		}
	}
	return p
}

// before is the time from token i-1 to token i (0 for the first).
func (p *plan) before(i int) time.Duration {
	if p.itl != nil {
		return p.itl[i%len(p.itl)]
	}
	if i == 0 {
		return 0
	}
	return p.gap
}

func (s *Server) jitter(d time.Duration) time.Duration {
	if s.cfg.Jitter == 0 || d == 0 {
		return d
	}
	f := 1 + s.cfg.Jitter*(2*s.rng.Float64()-1)
	return time.Duration(float64(d) * f)
}

// stream writes the answer on an absolute schedule from start, the start
// of processing, so write delays never accumulate into the next token;
// arrived is when the request reached the server, the origin of its
// server-side TTFT and latency.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, proto protocol, p plan, arrived, start time.Time) {
	// The generated tokens' KV cache is freed with the request's.
	generated := 0
	defer func() { s.metrics.kvTokens.Add(-int64(generated)) }()
	rc := http.NewResponseController(w)
	// Set by assignment: the values are shared, never modified, and this
	// spares Set's canonicalisation and a slice for each.
	h := w.Header()
	h["Content-Type"] = eventStream
	h["Cache-Control"] = noCache
	var out io.Writer = w
	flush := rc.Flush
	switch p.fault {
	case FaultGzip:
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		defer gz.Close()
		out = gz
		flush = func() error {
			if err := gz.Flush(); err != nil {
				return err
			}
			return rc.Flush()
		}
	case FaultDrip:
		out = &dripWriter{w: w, rc: rc, ctx: r.Context()}
	}
	w.WriteHeader(http.StatusOK)
	enc := &encoder{w: out, proto: proto, model: s.cfg.Model, id: p.id, created: time.Now().Unix(), answer: p.answer, finish: p.finish}
	answerFrom := 0 // the first answer token's index
	if p.answer != nil {
		answerFrom = p.answer.reasoning
	}
	if proto == chat {
		enc.role()
	}
	flush()

	ctx := r.Context()
	var first, last time.Time
	sent := 0
	at := start.Add(p.ttft)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	if p.fault == FaultEndless {
		p.outputTokens = math.MaxInt
	}
	interval := max(s.cfg.StreamInterval, 1)
	pending := 0 // first token not yet written
	for i := range p.outputTokens {
		at = at.Add(p.before(i))
		if i > 0 && i%interval != 0 && i != p.outputTokens-1 {
			continue // this token waits for the rest of its event
		}
		if wait := time.Until(at); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return
			}
		}
		half := i == p.outputTokens/2
		switch {
		case half && p.fault == FaultReset:
			rc.Flush()
			reset(rc)
			return
		case half && p.fault == FaultMalformed:
			fmt.Fprint(w, "data: {\"choices\": [{\"delta\": {\"content\": \"oops\"\n\n")
			rc.Flush()
			return
		case i == 1 && p.fault == FaultStall:
			rc.Flush()
			<-ctx.Done()
			return
		case half && p.fault == FaultErrorEvent:
			fmt.Fprint(out, "data: {\"error\":{\"message\":\"simulated failure mid-stream\",\"code\":500}}\n\n")
			flush()
			return
		case half && p.fault == FaultHugeLine:
			fmt.Fprint(out, "data: ")
			out.Write(bytes.Repeat([]byte("x"), 10<<20))
			fmt.Fprint(out, "\n\n")
			flush()
			return
		}
		enc.tokens(pending, i+1, p.outputTokens)
		s.metrics.kvTokens.Add(int64(i + 1 - pending))
		generated = i + 1
		if err := flush(); err != nil {
			return
		}
		now := time.Now()
		sent++
		if s.cfg.OnFirstAnswer != nil && pending <= answerFrom && answerFrom <= i {
			s.cfg.OnFirstAnswer(now.Sub(arrived))
		}
		if i == 0 {
			first = now
			s.metrics.ttft.Observe(now.Sub(arrived).Seconds())
			if s.cfg.OnFirstToken != nil {
				s.cfg.OnFirstToken(now.Sub(arrived))
			}
		} else {
			// vLLM observes each token's share of its event's gap.
			k := i + 1 - pending
			for range k {
				s.metrics.tpot.Observe(now.Sub(last).Seconds() / float64(k))
			}
		}
		pending = i + 1
		last = now
	}
	// Observed before the last flush, so a scrape made once the client
	// has read the end of its stream always counts the request.
	s.metrics.e2e.Observe(time.Since(arrived).Seconds())
	if p.fault != FaultNoDone {
		enc.end(p)
	}
	flush()
	if s.cfg.OnDecode != nil && sent > 1 {
		s.cfg.OnDecode(last.Sub(first) / time.Duration(sent-1))
	}
}

var eventStream, noCache = []string{"text/event-stream"}, []string{"no-cache"}

// dripWriter sends what it is given one byte a second, as a congested or
// broken proxy might.
type dripWriter struct {
	w   io.Writer
	rc  *http.ResponseController
	ctx context.Context
}

func (d *dripWriter) Write(b []byte) (int, error) {
	for i := range b {
		if _, err := d.w.Write(b[i : i+1]); err != nil {
			return i, err
		}
		if err := d.rc.Flush(); err != nil {
			return i + 1, err
		}
		select {
		case <-time.After(time.Second):
		case <-d.ctx.Done():
			return i + 1, d.ctx.Err()
		}
	}
	return len(b), nil
}

// reset aborts the connection with a TCP RST, as a crashed server would.
func reset(rc *http.ResponseController) {
	conn, _, err := rc.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	// A *net.TCPConn, or the stampConn that wraps one.
	if tcp, ok := conn.(interface{ SetLinger(int) error }); ok {
		tcp.SetLinger(0)
	}
	conn.Close()
}
