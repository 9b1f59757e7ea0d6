package config

import (
	"strings"
	"testing"
)

// Durations that add up past the largest time.Duration must not wrap
// round to a short window that passes limits.max_duration: four stages of
// 2^62+1 ns sum to 4 ns modulo 2^64, and so do four capacity steps of
// as long (each step would then hold a window slot for 146 years).
func TestLimitsDurationOverflow(t *testing.T) {
	cfg, err := Load([]byte(apiConfig), "api.yml")
	if err != nil {
		t.Fatal(err)
	}
	const huge = `"4611686018427387905ns"`
	for body, want := range map[string]string{
		`{"dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":4},"arrival":{"kind":"stages","stages":[` +
			strings.Repeat(`{"concurrency":1,"duration":`+huge+`},`, 3) + `{"concurrency":1,"duration":` + huge + `}]},"requests":5}`: "arrival.stages:",
		`{"dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":4},"arrival":{"kind":"capacity","rate":1,"step_duration":` + huge + `,"max_steps":4}}`: "arrival.max_steps:",
	} {
		_, err := inlineWorkload(cfg, []byte(body))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "limits.max_duration") {
			t.Errorf("got %v, want the max_duration limit's error at %s", err, want)
		}
	}
}
