package arrival

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/config/schema"
)

func offsets(t *testing.T, s schema.Arrival, seed uint64, n int) []time.Duration {
	t.Helper()
	a, err := New(s, seed)
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
	got := offsets(t, schema.Arrival{Kind: "constant", Rate: 4}, 0, 5)
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
		spec   schema.Arrival
		wantCV float64
	}{
		{schema.Arrival{Kind: "poisson", Rate: 10}, 1},
		{schema.Arrival{Kind: "gamma", Rate: 10, Burstiness: 0.25}, 2},
		{schema.Arrival{Kind: "gamma", Rate: 10, Burstiness: 4}, 0.5},
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
		spec schema.Arrival
		want string
	}{
		{schema.Arrival{Kind: "poisson"}, "rate must be a positive"},
		{schema.Arrival{Kind: "constant", Rate: math.Inf(1)}, "rate must be a positive"},
		{schema.Arrival{Kind: "gamma", Rate: 1}, "burstiness must be from 0.01 to 100"},
		{schema.Arrival{Kind: "concurrency"}, "concurrency must be at least 1"},
		{schema.Arrival{Kind: "weibull", Rate: 1}, `unknown arrival kind "weibull"`},
	}
	for _, tt := range tests {
		if err := Check(tt.spec); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: got %v, want %q", tt.spec, err, tt.want)
		}
	}
}
