package report

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/result"
)

// queued is a window as an open loop under a max_concurrency cap sees it:
// each request waited behind the one before, so its TTFT from the send is
// 300 ms but the user's, from the intended time, grows by 500 ms a request;
// two arrivals never got a slot.
func queued() []*result.Result {
	var out []*result.Result
	for i := range 4 {
		intended := at(i * 100)
		sent := at(i * 600)
		r := &result.Result{Index: i, Intended: intended, Sent: sent, Headers: sent.Add(300 * time.Millisecond),
			FirstEvent: sent.Add(300 * time.Millisecond), FirstContent: sent.Add(300 * time.Millisecond), End: sent.Add(600 * time.Millisecond),
			Outcome: result.Success, Status: 200, OutputTokens: 4, ContentEvents: 4, TokensFrom: result.TokensFromEvents}
		r.Conn.RequestWritten = sent.Add(time.Millisecond)
		if i == 0 {
			r.Conn.DNS, r.Conn.Connect, r.Conn.TLS = 2*time.Millisecond, 3*time.Millisecond, 10*time.Millisecond
		} else {
			r.Conn.Reused = true
		}
		out = append(out, r)
	}
	for i := 4; i < 6; i++ {
		out = append(out, &result.Result{Index: i, Intended: at(i * 100), Outcome: result.NotSent,
			Reason: "no free slot under max_concurrency before sending stopped"})
	}
	return out
}

func TestNotSentAndSLOFromIntendedTime(t *testing.T) {
	var perRequest bytes.Buffer
	a := NewAggregator(base, SLO{TTFT: 500 * time.Millisecond}, &perRequest)
	for _, r := range queued() {
		a.Add(r)
	}
	r := a.Report(Meta{})
	checks := []struct {
		name      string
		got, want float64
	}{
		{"requests count the unsent", float64(r.TotalRequestNum), 6},
		{"fail rate counts the unsent", r.FailRate, 2.0 / 6},
		{"summary not_sent", float64(r.Summary.Outcomes["not_sent"]), 2},
		// From the intended time TTFT is 300, 800, 1300, 1800 ms: one of six meets 500 ms.
		{"attainment from the intended time", r.Summary.SLO.Attainment, 1.0 / 6},
		{"legacy SLO key follows it", r.SLO, 1.0 / 6},
		// From the actual send all four sent requests meet it.
		{"attainment from the send", r.Summary.SLO.AttainmentFromSend, 4.0 / 6},
		{"goodput from the send: 4 over 2.4 s", r.Summary.SLO.GoodputFromSendRPS, 4 / 2.4},
		{"goodput: 1 over 2.4 s", r.Summary.GoodputRPS, 1 / 2.4},
		{"duration ignores the unsent", r.Summary.DurationSeconds, 2.4},
		{"RPS counts the sent requests only", r.RPS, 4 / 2.4},
		{"connect: only the dialling request", float64(r.Stats.Connect.Count), 1},
		{"connect seconds", r.Stats.Connect.Max, 0.003},
		{"tls seconds", r.Stats.TLS.Max, 0.010},
		{"dns seconds", r.Stats.DNS.Max, 0.002},
		{"request written: every sent request", float64(r.Stats.RequestWritten.Count), 4},
		{"schedule lag: only sent requests", float64(r.Stats.ScheduleLag.Count), 4},
		{"samples: only sent requests", float64(len(r.Samples)), 4},
	}
	for _, c := range checks {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	var notSent, started int64
	for _, s := range r.Timeline {
		notSent += s.NotSent
		started += s.Started
	}
	if notSent != 2 || started != 4 || r.Timeline[len(r.Timeline)-1].InFlight != 0 {
		t.Errorf("timeline: %d not sent, %d started, %+v", notSent, started, r.Timeline)
	}
	lines := strings.Split(strings.TrimSpace(perRequest.String()), "\n")
	if len(lines) != 6 {
		t.Fatalf("%d per-request lines, want 6", len(lines))
	}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		_, hasSent := m["sent_s"]
		_, hasConnect := m["connect_s"]
		switch {
		case i >= 4 && (hasSent || m["outcome"] != "not_sent"):
			t.Errorf("line %d: an unsent arrival has a send time or another outcome: %s", i, l)
		case i == 0 && (!hasConnect || m["tls_s"] != 0.01 || m["conn_reused"] != nil):
			t.Errorf("line %d: the dialling request lacks its phases: %s", i, l)
		case i > 0 && i < 4 && (hasConnect || m["conn_reused"] != true || m["request_written_s"] != 0.001):
			t.Errorf("line %d: a reused connection: %s", i, l)
		}
	}
}

// Totals saturate: a result that claims 9e18 tokens (from a results file,
// or a prober older than its usage bound) must never wrap a report's
// totals negative.
func TestTotalsSaturate(t *testing.T) {
	a := NewAggregator(base, SLO{}, nil)
	for i := range 3 {
		a.Add(&result.Result{Index: i, Intended: at(i), Sent: at(i), Headers: at(i + 1), FirstEvent: at(i + 2),
			FirstContent: at(i + 2), LastContent: at(i + 3), End: at(i + 3), Outcome: result.Success, Status: 200,
			InputTokens: math.MaxInt64 / 2, OutputTokens: math.MaxInt64 / 2, RequestedInputTokens: math.MaxInt64 / 2, ContentEvents: 2})
	}
	s := a.Report(Meta{}).Summary
	if s.InputTokens < 0 || s.OutputTokens < 0 {
		t.Errorf("totals wrapped: input %d, output %d", s.InputTokens, s.OutputTokens)
	}
}
