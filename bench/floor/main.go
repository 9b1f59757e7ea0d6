// Command floor is the physical floor of a streaming prober: it opens the
// same HTTP/1.1 keep-alive connections as `inferno run`, sends the same
// OpenAI completions requests, and only timestamps reads: no JSON, no
// SSE parsing, no bookkeeping beyond finding the first event and the end
// of each response. bench/sweep runs it beside `inferno run` in the same
// conditions, so the prober's cost and error are read against what any
// client would pay on this machine.
//
// It speaks just enough HTTP/1.1 for the built-in simulator (a status
// line, headers, a chunked body) and sends traffic only to the address it
// is given, which the sweep sets to its own loopback simulator.
//
//	floor -addr 127.0.0.1:8000 -concurrency 64 -requests 256
//	floor -addr 127.0.0.1:8000 -rate 5000 -requests 10000 -output-tokens 4
//
// It prints one JSON object: TTFT from the send (p50, p99), schedule lag
// p99, the achieved send rate and the failures.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// Summary is what floor prints.
type Summary struct {
	Requests    int     `json:"requests"`
	Failures    int     `json:"failures"`
	FirstError  string  `json:"first_error,omitempty"`
	TTFTP50     float64 `json:"ttft_p50_seconds"`
	TTFTP99     float64 `json:"ttft_p99_seconds"`
	LagP99      float64 `json:"schedule_lag_p99_seconds"`
	SendRate    float64 `json:"send_rate"` // requests per second between the first and the last send
	DurationSec float64 `json:"duration_seconds"`
}

// sample is one request's timestamps.
type sample struct {
	intended, sent, first time.Time
	err                   error
}

func main() {
	addr := flag.String("addr", "", "simulator address (host:port on loopback)")
	path := flag.String("path", "/v1/completions", "request path")
	model := flag.String("model", "sim", "model name")
	conc := flag.Int("concurrency", 0, "closed loop: requests in flight")
	rate := flag.Float64("rate", 0, "open loop: Poisson arrivals per second")
	seed := flag.Uint64("seed", 1, "open loop: seed of the arrivals")
	constant := flag.Bool("constant", false, "open loop: evenly spaced arrivals instead of Poisson")
	requests := flag.Int("requests", 64, "requests in all")
	inTok := flag.Int("input-tokens", 128, "prompt words")
	outTok := flag.Int("output-tokens", 32, "max_tokens")
	warm := flag.Int("warm", -1, "connections opened before the first request (-1: as inferno run does)")
	timeout := flag.Duration("timeout", 2*time.Minute, "hard end of the whole run")
	flag.Parse()
	if *addr == "" || (*conc <= 0) == (*rate <= 0) || *requests <= 0 || *requests > 1_000_000 {
		fmt.Fprintln(os.Stderr, "floor: give -addr, one of -concurrency or -rate, and -requests from 1 to 1,000,000")
		os.Exit(2)
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		fmt.Fprintln(os.Stderr, "floor: -addr must be a loopback host:port")
		os.Exit(2)
	}
	body, _ := json.Marshal(map[string]any{
		"model": *model, "prompt": strings.TrimSpace(strings.Repeat("word ", *inTok)), "stream": true,
		"stream_options": map[string]any{"include_usage": true}, "max_tokens": *outTok, "ignore_eos": true,
	})
	req := fmt.Appendf(nil, "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: floor\r\nContent-Type: application/json\r\n"+
		"Accept: text/event-stream\r\nAccept-Encoding: identity\r\nContent-Length: %d\r\n\r\n%s", *path, *addr, len(body), body)

	c := &client{addr: *addr, req: req, idle: make(chan *conn, 1<<16)}
	nwarm := *warm
	if nwarm < 0 {
		// inferno run's warm connections: the window's concurrency, or a
		// second of open-loop arrivals up to 64, at most 1024.
		nwarm = min(*conc, 1024)
		if *rate > 0 {
			nwarm = min(int(math.Ceil(*rate)), 64)
		}
		nwarm = min(nwarm, *requests)
	}
	// Warmed as inferno run warms them: a HEAD on each, so the server has
	// served a request on every connection before the first measured one.
	head := fmt.Appendf(nil, "HEAD %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: floor\r\n\r\n", strings.TrimSuffix(*path, "/completions"), *addr)
	for range nwarm {
		cn, err := c.dial()
		if err == nil {
			err = cn.warm(head)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "floor: warm connection:", err)
			os.Exit(1)
		}
		c.idle <- cn
	}
	deadline := time.Now().Add(*timeout)
	samples := make([]sample, *requests)
	var wg sync.WaitGroup
	if *conc > 0 {
		var mu sync.Mutex
		next := 0
		for range *conc {
			wg.Go(func() {
				for {
					mu.Lock()
					i := next
					next++
					mu.Unlock()
					if i >= len(samples) || time.Now().After(deadline) {
						return
					}
					samples[i].intended = time.Now()
					c.do(&samples[i], deadline)
				}
			})
		}
	} else {
		rng := rand.New(rand.NewPCG(*seed, *seed))
		start := time.Now()
		var at time.Duration
		for i := range samples {
			intended := start.Add(at)
			gap := 1 / *rate
			if !*constant {
				gap = rng.ExpFloat64() / *rate
			}
			at += time.Duration(gap * float64(time.Second))
			time.Sleep(time.Until(intended))
			if time.Now().After(deadline) {
				break
			}
			samples[i].intended = intended
			wg.Go(func() { c.do(&samples[i], deadline) })
		}
	}
	wg.Wait()
	json.NewEncoder(os.Stdout).Encode(summarise(samples))
}

type client struct {
	addr string
	req  []byte
	idle chan *conn
}

type conn struct {
	net.Conn
	buf []byte
}

func (c *client) dial() (*conn, error) {
	nc, err := net.Dial("tcp", c.addr)
	if err != nil {
		return nil, err
	}
	return &conn{Conn: nc, buf: make([]byte, 4<<10)}, nil
}

// warm sends a HEAD and reads its answer (headers only, by definition).
func (cn *conn) warm(head []byte) error {
	if _, err := cn.Write(head); err != nil {
		return err
	}
	got := 0
	for !bytes.Contains(cn.buf[:got], headerEnd) {
		if got == len(cn.buf) {
			return errors.New("HEAD answer too large")
		}
		n, err := cn.Read(cn.buf[got:])
		if err != nil {
			return err
		}
		got += n
	}
	return nil
}

var (
	headerEnd  = []byte("\r\n\r\n")
	firstEvent = []byte("data: {")
	bodyEnd    = []byte("\r\n0\r\n\r\n") // the chunked body's last chunk
)

// do sends one request on an idle connection (or a new one) and reads its
// answer to the end, stamping the send and the read that brought the
// first event.
func (c *client) do(s *sample, deadline time.Time) {
	var cn *conn
	select {
	case cn = <-c.idle:
	default:
	}
	s.sent = time.Now()
	if cn == nil {
		var err error
		if cn, err = c.dial(); err != nil {
			s.err = err
			return
		}
	}
	cn.SetDeadline(deadline)
	if _, err := cn.Write(c.req); err != nil {
		s.err = err
		cn.Close()
		return
	}
	// Only the tail of the previous read is kept, to find a marker split
	// across two reads.
	var carry [16]byte
	nc := 0
	inBody, gotStatus := false, false
	for {
		n, err := cn.Read(cn.buf)
		if n > 0 {
			at := time.Now()
			// The marker may straddle the reads: look at the carried tail
			// joined with this read's head, then at the read itself.
			var joined [32]byte
			j := copy(joined[:], carry[:nc])
			j += copy(joined[j:], cn.buf[:min(n, 16)])
			window := joined[:j]
			chunk := cn.buf[:n]
			if !gotStatus {
				gotStatus = true
				if !bytes.HasPrefix(chunk, []byte("HTTP/1.1 200")) {
					s.err = fmt.Errorf("status %q", bytes.SplitN(chunk, []byte("\r\n"), 2)[0])
					cn.Close()
					return
				}
			}
			if !inBody && (bytes.Contains(window, headerEnd) || bytes.Contains(chunk, headerEnd)) {
				inBody = true
			}
			if inBody && s.first.IsZero() && (bytes.Contains(window, firstEvent) || bytes.Contains(chunk, firstEvent)) {
				s.first = at
			}
			if inBody && (bytes.Contains(window, bodyEnd) || bytes.Contains(chunk, bodyEnd)) {
				c.idle <- cn
				return
			}
			nc = copy(carry[:], chunk[max(0, n-len(carry)):])
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			s.err = err
			cn.Close()
			return
		}
	}
}

func summarise(samples []sample) Summary {
	var ttft, lag []float64
	var sum Summary
	var firstSent, lastSent time.Time
	for _, s := range samples {
		if s.intended.IsZero() {
			continue // never sent: the run's timeout came first
		}
		sum.Requests++
		if s.err != nil || s.first.IsZero() {
			sum.Failures++
			if sum.FirstError == "" {
				sum.FirstError = fmt.Sprint(s.err)
			}
			continue
		}
		ttft = append(ttft, s.first.Sub(s.sent).Seconds())
		lag = append(lag, s.sent.Sub(s.intended).Seconds())
		if firstSent.IsZero() || s.sent.Before(firstSent) {
			firstSent = s.sent
		}
		if s.sent.After(lastSent) {
			lastSent = s.sent
		}
	}
	sum.TTFTP50, sum.TTFTP99 = percentile(ttft, 50), percentile(ttft, 99)
	sum.LagP99 = percentile(lag, 99)
	if d := lastSent.Sub(firstSent).Seconds(); d > 0 && len(ttft) > 1 {
		sum.DurationSec = d
		sum.SendRate = float64(len(ttft)-1) / d
	}
	return sum
}

// percentile is linear between ranks, as numpy's default and Inferno's.
func percentile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	r := p / 100 * float64(len(v)-1)
	lo := int(r)
	if lo+1 >= len(v) {
		return v[lo]
	}
	return v[lo] + (r-float64(lo))*(v[lo+1]-v[lo])
}
