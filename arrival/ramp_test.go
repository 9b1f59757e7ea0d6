package arrival

import (
	"github.com/inferno-llm/inferno/config/schema"

	"strings"
	"testing"
	"time"
)

func drain(t *testing.T, a Arrival) []time.Duration {
	t.Helper()
	var out []time.Duration
	for len(out) < 100000 {
		d, ok := a.Next()
		if !ok {
			return out
		}
		out = append(out, d)
	}
	t.Fatal("arrival never ended")
	return nil
}

func TestRamp(t *testing.T) {
	// Linear 10 → 30 req/s over 2 s: ∫ = (10+30)/2 · 2 = 40 arrivals, the
	// gaps shrinking from 1/10 s towards 1/30 s.
	a, err := New(schema.Arrival{Kind: "ramp", Rate: 10, EndRate: 30, RampDuration: schema.Duration(2 * time.Second)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := drain(t, a)
	if len(got) != 40 || got[0] != 0 {
		t.Fatalf("%d arrivals starting at %v, want 40 from 0", len(got), got[0])
	}
	first, last := got[1]-got[0], got[39]-got[38]
	if first < 90*time.Millisecond || first > 100*time.Millisecond || last > 40*time.Millisecond {
		t.Errorf("first gap %v (want just under 100ms), last gap %v (want about 33ms)", first, last)
	}
	// Stepped: 10 req/s for 1 s, then 30 req/s for 1 s.
	a, _ = New(schema.Arrival{Kind: "ramp", Rate: 10, EndRate: 30, RampDuration: schema.Duration(2 * time.Second), Steps: 2}, 0)
	got = drain(t, a)
	if len(got) != 40 || got[9] != 900*time.Millisecond || got[10] != time.Second {
		t.Errorf("stepped: %d arrivals, 10th at %v, 11th at %v", len(got), got[9], got[10])
	}
	// Down-ramps work too.
	a, _ = New(schema.Arrival{Kind: "ramp", Rate: 30, EndRate: 10, RampDuration: schema.Duration(2 * time.Second)}, 0)
	if n := len(drain(t, a)); n != 40 {
		t.Errorf("down-ramp: %d arrivals, want 40", n)
	}
}

func TestStagesAndRampValidation(t *testing.T) {
	tests := []struct {
		spec schema.Arrival
		want string
	}{
		{schema.Arrival{Kind: "ramp", Rate: 1, RampDuration: schema.Duration(time.Second)}, "end_rate must be positive"},
		{schema.Arrival{Kind: "ramp", Rate: 1, EndRate: 2}, "ramp_duration must be positive"},
		{schema.Arrival{Kind: "ramp", Rate: 1, EndRate: 2, RampDuration: schema.Duration(time.Second), Steps: 1}, "steps must be 0"},
		{schema.Arrival{Kind: "stages"}, "at least one stage"},
		{schema.Arrival{Kind: "stages", Stages: []schema.Stage{{Rate: 1}}}, "stages[0]: duration must be positive"},
		{schema.Arrival{Kind: "stages", Stages: []schema.Stage{{Rate: 1, Concurrency: 2, Duration: schema.Duration(time.Second)}}}, "either rate or concurrency"},
	}
	for _, tt := range tests {
		if err := Check(tt.spec); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: got %v, want %q", tt.spec, err, tt.want)
		}
	}
}
