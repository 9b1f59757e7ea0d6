package dataset

import (
	"math"
	"strings"
	"testing"
	"time"
)

func offsets(t *testing.T, s ArrivalSpec, seed uint64, n int) []time.Duration {
	t.Helper()
	a, err := NewArrival(s, seed)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]time.Duration, n)
	for i := range out {
		var ok bool
		if out[i], ok = a.Next(); !ok {
			t.Fatalf("arrival ended at %d", i)
		}
	}
	return out
}

func TestConstantArrival(t *testing.T) {
	got := offsets(t, ArrivalSpec{Kind: "constant", Rate: 4}, 0, 5)
	for i, d := range got {
		if want := time.Duration(i) * 250 * time.Millisecond; d != want {
			t.Errorf("offset %d = %v, want %v", i, d, want)
		}
	}
}

// Gaps of a gamma process with shape k have mean 1/rate and a coefficient
// of variation 1/√k; Poisson is k = 1.
func TestRandomArrivals(t *testing.T) {
	tests := []struct {
		spec   ArrivalSpec
		wantCV float64
	}{
		{ArrivalSpec{Kind: "poisson", Rate: 10}, 1},
		{ArrivalSpec{Kind: "gamma", Rate: 10, Burstiness: 0.25}, 2},
		{ArrivalSpec{Kind: "gamma", Rate: 10, Burstiness: 4}, 0.5},
	}
	const n = 20000
	for _, tt := range tests {
		got := offsets(t, tt.spec, 42, n)
		if got[0] != 0 {
			t.Errorf("%+v: first request at %v, want 0", tt.spec, got[0])
		}
		var sum, sq float64
		for i := 1; i < n; i++ {
			g := (got[i] - got[i-1]).Seconds()
			if g < 0 {
				t.Fatalf("%+v: offsets decrease at %d", tt.spec, i)
			}
			sum += g
			sq += g * g
		}
		mean := sum / (n - 1)
		cv := math.Sqrt(sq/(n-1)-mean*mean) / mean
		if math.Abs(mean-0.1) > 0.005 || math.Abs(cv-tt.wantCV)/tt.wantCV > 0.05 {
			t.Errorf("%+v: mean gap %.4fs (want 0.1), CV %.3f (want %.2f)", tt.spec, mean, cv, tt.wantCV)
		}
		again := offsets(t, tt.spec, 42, n)
		other := offsets(t, tt.spec, 43, n)
		if again[n-1] != got[n-1] {
			t.Errorf("%+v: same seed gave a different schedule", tt.spec)
		}
		if other[n-1] == got[n-1] {
			t.Errorf("%+v: different seeds gave the same schedule", tt.spec)
		}
	}
}

func TestArrivalValidation(t *testing.T) {
	tests := []struct {
		spec ArrivalSpec
		want string
	}{
		{ArrivalSpec{Kind: "poisson"}, "rate must be a positive"},
		{ArrivalSpec{Kind: "constant", Rate: math.Inf(1)}, "rate must be a positive"},
		{ArrivalSpec{Kind: "gamma", Rate: 1}, "burstiness must be from 0.01 to 100"},
		{ArrivalSpec{Kind: "concurrency"}, "concurrency must be at least 1"},
		{ArrivalSpec{Kind: "weibull", Rate: 1}, `unknown arrival kind "weibull"`},
	}
	for _, tt := range tests {
		if err := CheckArrival(tt.spec); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: got %v, want %q", tt.spec, err, tt.want)
		}
	}
}

func TestSynthetic(t *testing.T) {
	src, err := NewSynthetic(SyntheticSpec{InputTokens: 64, OutputTokens: 16}, 7)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := src.Next()
	p := c.Turns[0]
	if n := len(strings.Fields(p.Messages[0].Content)); n != 64 || p.InputTokens != 64 || p.MaxTokens != 16 {
		t.Errorf("prompt of %d words, input %d, max %d; want 64, 64, 16", n, p.InputTokens, p.MaxTokens)
	}
	again, _ := NewSynthetic(SyntheticSpec{InputTokens: 64, OutputTokens: 16}, 7)
	if q, _ := again.Next(); q.Turns[0].Messages[0].Content != p.Messages[0].Content {
		t.Error("same seed gave a different prompt")
	}
	spread, _ := NewSynthetic(SyntheticSpec{InputTokens: 100, OutputTokens: 100, Spread: 0.5}, 1)
	for range 200 {
		qc, _ := spread.Next()
		q := qc.Turns[0]
		if q.InputTokens < 50 || q.InputTokens > 150 || q.MaxTokens < 50 || q.MaxTokens > 150 {
			t.Fatalf("lengths %d/%d outside [50, 150]", q.InputTokens, q.MaxTokens)
		}
	}
	if _, err := NewSynthetic(SyntheticSpec{InputTokens: 0, OutputTokens: 1}, 1); err == nil {
		t.Error("zero input tokens accepted")
	}
}

func TestPromptText(t *testing.T) {
	single := Prompt{Messages: []Message{{Role: "user", Content: "hi"}}}
	multi := Prompt{Messages: []Message{{Role: "user", Content: "hi"}, {Role: "assistant", Content: "hello"}, {Role: "user", Content: "bye"}}}
	if single.Text() != "hi" || multi.Text() != "user: hi\nassistant: hello\nuser: bye" {
		t.Errorf("got %q and %q", single.Text(), multi.Text())
	}
}
