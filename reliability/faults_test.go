package reliability

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promconfig "github.com/prometheus/common/config"
	"go.uber.org/goleak"

	"github.com/inferno-llm/inferno/arrival"
	"github.com/inferno-llm/inferno/collector"
	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/internal/httpclient"
	"github.com/inferno-llm/inferno/loadgen"
	"github.com/inferno-llm/inferno/measure"
	"github.com/inferno-llm/inferno/prober"
	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/result"
	"github.com/inferno-llm/inferno/simulator"
)

// endpoint is a target for one fault case: its URL, the client config to
// reach it, and what to close afterwards.
type endpoint struct {
	url    string
	client promconfig.HTTPClientConfig
	close  func()
}

func simServer(cfg simulator.Config) func(t *testing.T) endpoint {
	return func(t *testing.T) endpoint {
		if cfg.TTFT == 0 {
			cfg.TTFT, cfg.ITL = 5*time.Millisecond, time.Millisecond
		}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(simulator.New(cfg))
		return endpoint{url: srv.URL + "/v1", client: promconfig.DefaultHTTPClientConfig, close: srv.Close}
	}
}

// fault is one endpoint misbehaviour and what Inferno must report for it.
type fault struct {
	name   string
	server func(t *testing.T) endpoint
	// timeout is the request timeout, deadline the window's.
	timeout, deadline time.Duration
	maxConcurrency    int
	// want is the outcome class of the failed requests (success when the
	// fault is one Inferno reads through), and reason a substring of theirs.
	want   result.Outcome
	reason string
	// some: the fault hits some requests only, and the others must succeed.
	some bool
}

func statusFault(code int, retryAfter string) func(t *testing.T) endpoint {
	return simServer(simulator.Config{Fault: simulator.FaultStatus, FaultRate: 0.5, FaultStatus: code, RetryAfter: retryAfter, Seed: 3})
}

func simFault(kind string) func(t *testing.T) endpoint {
	return simServer(simulator.Config{Fault: kind, FaultRate: 0.5, Seed: 3})
}

var faults = []fault{
	{name: "connection refused", server: func(t *testing.T) endpoint {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close() // nothing listens there now
		return endpoint{url: "http://" + addr + "/v1", client: promconfig.DefaultHTTPClientConfig, close: func() {}}
	}, want: result.ConnectionError, reason: "connection refused"},
	{name: "DNS failure", server: func(t *testing.T) endpoint {
		return endpoint{url: "http://llm.inferno-test.invalid/v1", client: promconfig.DefaultHTTPClientConfig, close: func() {}}
	}, want: result.ConnectionError, reason: "dns lookup failed"},
	{name: "TLS certificate not trusted", server: func(t *testing.T) endpoint {
		srv := httptest.NewUnstartedServer(simulator.New(simulator.Config{TTFT: time.Millisecond}))
		srv.Config.ErrorLog = quietLog // the server's side of the failed handshakes
		srv.StartTLS()
		return endpoint{url: srv.URL + "/v1", client: promconfig.DefaultHTTPClientConfig, close: srv.Close}
	}, want: result.ConnectionError, reason: "tls certificate rejected"},
	{name: "TLS handshake failure (plain HTTP behind https)", server: func(t *testing.T) endpoint {
		srv := httptest.NewServer(simulator.New(simulator.Config{TTFT: time.Millisecond}))
		return endpoint{url: strings.Replace(srv.URL, "http://", "https://", 1) + "/v1", client: promconfig.DefaultHTTPClientConfig, close: srv.Close}
	}, want: result.ConnectionError, reason: "tls handshake failed"},
	{name: "TLS handshake failure (no common version)", server: func(t *testing.T) endpoint {
		srv := httptest.NewUnstartedServer(simulator.New(simulator.Config{TTFT: time.Millisecond}))
		srv.TLS = &tls.Config{MinVersion: tls.VersionTLS13}
		srv.Config.ErrorLog = quietLog
		srv.StartTLS()
		cfg := promconfig.DefaultHTTPClientConfig
		cfg.TLSConfig = promconfig.TLSConfig{InsecureSkipVerify: true, MaxVersion: promconfig.TLSVersion(tls.VersionTLS12)}
		return endpoint{url: srv.URL + "/v1", client: cfg, close: srv.Close}
	}, want: result.ConnectionError, reason: "tls handshake failed"},
	{name: "401", server: statusFault(401, ""), want: result.HTTP4xx, reason: "HTTP 401: ", some: true},
	{name: "403", server: statusFault(403, ""), want: result.HTTP4xx, reason: "HTTP 403: ", some: true},
	{name: "404", server: statusFault(404, ""), want: result.HTTP4xx, reason: "HTTP 404: ", some: true},
	{name: "429 with Retry-After", server: statusFault(429, "7"), want: result.HTTP4xx, reason: "HTTP 429 (Retry-After 7): ", some: true},
	{name: "429 without Retry-After", server: statusFault(429, ""), want: result.HTTP4xx, reason: "HTTP 429: ", some: true},
	{name: "500", server: statusFault(500, ""), want: result.HTTP5xx, reason: "HTTP 500: ", some: true},
	{name: "503", server: statusFault(503, "30"), want: result.HTTP5xx, reason: "HTTP 503 (Retry-After 30): ", some: true},
	{name: "reset mid-stream", server: simFault(simulator.FaultReset), want: result.StreamError, reason: "mid-stream", some: true},
	{name: "stream stalls forever", server: simFault(simulator.FaultStall), timeout: time.Second, maxConcurrency: 1,
		want: result.Timeout, reason: "request timeout mid-stream", some: true},
	{name: "slow drip, one byte a second", server: simFault(simulator.FaultDrip), timeout: 1500 * time.Millisecond,
		want: result.Timeout, reason: "request timeout", some: true},
	{name: "never sends headers", server: simFault(simulator.FaultNoHeaders), timeout: time.Second,
		want: result.Timeout, reason: "request timeout before response headers", some: true},
	{name: "Content-Type not text/event-stream", server: simFault(simulator.FaultContentType),
		want: result.StreamError, reason: `not an event stream: Content-Type "application/json"`, some: true},
	{name: "malformed JSON in one event", server: simFault(simulator.FaultMalformed), want: result.StreamError, reason: "", some: true},
	{name: "error object mid-stream", server: simFault(simulator.FaultErrorEvent),
		want: result.StreamError, reason: "server error in stream: simulated failure mid-stream", some: true},
	// The simulator's last token carries finish_reason: the answer is whole,
	// only the marker is missing, so it succeeds with a protocol warning.
	{name: "no [DONE] after finish_reason", server: simFault(simulator.FaultNoDone), want: result.Success},
	{name: "10 MB single line", server: simFault(simulator.FaultHugeLine), want: result.StreamError, reason: "event exceeds size limit", some: true},
	{name: "stream never ends", server: simFault(simulator.FaultEndless), timeout: 30 * time.Second, deadline: 1500 * time.Millisecond,
		want: result.Cancelled, reason: "window deadline reached", some: true},
	{name: "gzip though identity was asked", server: simFault(simulator.FaultGzip), want: result.Success},
	{name: "redirect (308, followed)", server: simFault(simulator.FaultRedirect), want: result.Success},
	{name: "HTTP/2 target", server: func(t *testing.T) endpoint {
		var h2 atomic.Int64
		sim := simulator.New(simulator.Config{TTFT: time.Millisecond, ITL: time.Millisecond})
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ProtoMajor == 2 {
				h2.Add(1)
			}
			sim.ServeHTTP(w, r)
		}))
		srv.EnableHTTP2 = true
		srv.StartTLS()
		cfg := promconfig.DefaultHTTPClientConfig
		cfg.TLSConfig = promconfig.TLSConfig{InsecureSkipVerify: true}
		return endpoint{url: srv.URL + "/v1", client: cfg, close: func() {
			srv.Close()
			if h2.Load() == 0 {
				t.Error("no request arrived over HTTP/2")
			}
		}}
	}, want: result.Success},
}

const faultRequests = 6

var quietLog = log.New(io.Discard, "", 0)

func TestEndpointFaults(t *testing.T) {
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			before := openFDs(t)
			ep := f.server(t)
			client, err := httpclient.New(ep.client, "fault")
			if err != nil {
				t.Fatal(err)
			}
			api, _ := prober.LookupAPI("openai-chat")
			arrival, _ := arrival.New(dataset.ArrivalSpec{Kind: "constant", Rate: 50}, 1)
			source, _ := dataset.NewSynthetic(dataset.SyntheticSpec{InputTokens: 8, OutputTokens: 6}, 1)
			timeout, deadline := f.timeout, f.deadline
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			if deadline == 0 {
				deadline = 20 * time.Second
			}
			w := &loadgen.Window{
				Target:  &measure.Target{Name: "fault", URL: ep.url, Model: "sim", API: api, Client: client},
				Arrival: arrival, Source: source, Requests: faultRequests, RequestTimeout: timeout, Deadline: deadline,
				MaxConcurrency: f.maxConcurrency,
			}
			start := time.Now()
			agg := report.NewAggregator(start, report.SLO{}, nil)
			reg := prometheus.NewRegistry()
			coll := collector.New(reg)
			labels := collector.Labels{Target: "fault", Model: "sim", Workload: "faults"}
			info, err := w.Run(context.Background(), func(r *result.Result) {
				agg.Add(r)
				coll.Observe(labels, r)
			})
			if err != nil {
				t.Fatal(err)
			}
			rep := agg.Report(report.Meta{ID: "fault", Status: report.StatusFinished})
			client.CloseIdleConnections()
			ep.close()

			// Every request is accounted for, in the report and the metrics.
			s := rep.Summary
			if s.Requests != faultRequests || info.Sent != faultRequests {
				t.Fatalf("%d requests in the report, %d sent; want %d", s.Requests, info.Sent, faultRequests)
			}
			for outcome, n := range s.Outcomes {
				if got := counter(t, reg, "inferno_requests_total", map[string]string{"outcome": outcome}); int(got) != n {
					t.Errorf("inferno_requests_total{outcome=%q} = %v, report says %d", outcome, got, n)
				}
			}
			failed := s.Requests - s.Successes
			switch {
			case f.want == result.Success:
				if failed != 0 {
					t.Errorf("%d requests failed: %+v", failed, rep.Errors)
				}
			case s.Outcomes[string(f.want)] != failed || failed == 0:
				t.Errorf("outcomes %v: want every failure (and at least one) to be %s; errors %+v", s.Outcomes, f.want, rep.Errors)
			case f.some && s.Successes == 0:
				t.Errorf("no request succeeded: the window did not carry on past the fault")
			}
			for _, e := range rep.Errors {
				if !strings.Contains(e.Reason, f.reason) {
					t.Errorf("reason %q, want one containing %q", e.Reason, f.reason)
				}
			}
			t.Logf("outcomes %v; reasons %s", s.Outcomes, reasons(rep.Errors))

			// Nothing leaks: goroutines settle, descriptors return, both
			// polled under a long limit (goleak's own retries last under
			// a second): a busy machine closes late.
			leaked := goleak.Find()
			for deadline := time.Now().Add(20 * time.Second); leaked != nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				leaked = goleak.Find()
			}
			if leaked != nil {
				t.Error(leaked)
			}
			var after int
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				if after = openFDs(t); after <= before || time.Now().After(deadline) {
					break
				}
			}
			if after > before {
				t.Errorf("open file descriptors: %d before, %d after", before, after)
			}
		})
	}
}

func reasons(errs []report.ErrorCount) string {
	var out []string
	for _, e := range errs {
		out = append(out, fmt.Sprintf("%d× %s", e.Count, e.Reason))
	}
	return strings.Join(out, "; ")
}
