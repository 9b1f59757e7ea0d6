package config

import (
	"strings"
	"testing"
	"time"
)

// TestInlineDurations: an API body's durations take the units a config
// file's do, in the fields yaml.v3 decodes with Go's notation too.
func TestInlineDurations(t *testing.T) {
	cfg, err := Load([]byte(apiConfig), "api.yml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body string
		got        func(w *Workload) time.Duration
		want       time.Duration
	}{
		{"ramp_duration 1d", `{"dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":4},"arrival":{"kind":"ramp","rate":1,"end_rate":2,"ramp_duration":"1d"},"requests":2}`,
			func(w *Workload) time.Duration { return w.Arrival.RampDuration.D() }, 24 * time.Hour},
		{"step_duration 1d", `{"dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":4},"arrival":{"kind":"capacity","rate":1,"step_duration":"1d","max_steps":2}}`,
			func(w *Workload) time.Duration { return w.Arrival.StepDuration.D() }, 24 * time.Hour},
		{"stage duration 2d, YAML flow style", `{dataset: {kind: synthetic, input_tokens: 4, output_tokens: 4}, arrival: {kind: stages, stages: [{concurrency: 1, duration: 2d}]}, requests: 2}`,
			func(w *Workload) time.Duration { return w.Arrival.Stages[0].Duration.D() }, 48 * time.Hour},
		{"duration 1w", `{"dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":4},"arrival":{"kind":"poisson","rate":1},"duration":"1w"}`,
			func(w *Workload) time.Duration { return w.Duration.D() }, 7 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := inlineWorkload(cfg, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.got(w); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	// Over the limit, the error is the limit's, not a type error.
	_, err = inlineWorkload(cfg, []byte(`{"dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":4},"arrival":{"kind":"capacity","rate":1,"step_duration":"7d"}}`))
	if err == nil || !strings.Contains(err.Error(), "arrival.max_steps:") || !strings.Contains(err.Error(), "limits.max_duration") {
		t.Errorf("got %v, want the max_duration limit's error", err)
	}
}

// TestInlineFieldErrors: an API body's errors name the field, not "line 1".
func TestInlineFieldErrors(t *testing.T) {
	cfg, err := Load([]byte(apiConfig), "api.yml")
	if err != nil {
		t.Fatal(err)
	}
	for body, want := range map[string]string{
		`{"dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":4},"arrival":{"kind":"poisson","rate":1},"requests":1,"slo":{"ttft":"1s","tpot":"soon"}}`: "slo.tpot: not a duration",
		`{"dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":4},"arrival":{"kind":"poisson","rate":1},"requests":1,"grace":[1]}`:                       "grace: want a duration such as 30s, got a list",
		`{"dataset":{"kind":"synthetic","input_tokens":"four","output_tokens":4},"arrival":{"kind":"poisson","rate":1},"requests":1}`:                              "dataset.input_tokens: want a whole number, got text",
		`{"dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":4},"arrival":{"kind":"poisson","rate":1},"requests":2.5}`:                                 "requests: must be a whole number",
	} {
		_, err := inlineWorkload(cfg, []byte(body))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
	_, err = inlineTarget(cfg, []byte(`{"name":"x","url":"http://127.0.0.1:1/v1","model":"m","http_client":{"authorization":{"type":"Bearer","credentials":["x"]}}}`))
	if want := "http_client.authorization.credentials: want text, got a list"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want %q", err, want)
	}
}
