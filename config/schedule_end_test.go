package config

import "testing"

// Ramp and stages windows end when their schedule ends: the README's
// examples give neither requests nor duration, and were refused with "set
// requests or duration".
func TestRampAndStagesEndWithTheirSchedule(t *testing.T) {
	for _, arrival := range []string{
		"arrival: {kind: ramp, rate: 1, end_rate: 20, ramp_duration: 5m, steps: 4}\n",
		"arrival: {kind: stages, stages: [{rate: 2, duration: 1m}, {concurrency: 32, duration: 2m}]}\n",
		"arrival: {end_rate: 5, rate: 1, ramp_duration: 30s}\n",
	} {
		cfg := "targets:\n  - {name: t, url: 'http://127.0.0.1:1/v1', model: m}\nworkloads:\n  - name: w\n" +
			indent("dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}\n"+arrival)
		if _, err := Load([]byte(cfg), "test"); err != nil {
			t.Errorf("%s: %v", arrival, err)
		}
	}
}
