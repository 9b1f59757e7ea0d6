package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	promconfig "github.com/prometheus/common/config"
)

func writeTemp(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLoadWorkloadFile: a file of one workload is validated as a config's
// workload, with its own line numbers and field paths in errors; a file
// with a config's keys is a whole config.
func TestLoadWorkloadFile(t *testing.T) {
	const good = "dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}\narrival: {kind: poisson, rate: 2}\nrequests: 5\n"
	for _, tc := range []struct {
		name, file, text string
		whole            bool
		workload         string // the workload's name, when valid
		err              string // the error, with the file's path as FILE
	}{
		{name: "named by its file", file: "smoke test.yml", text: good, workload: "smoke_test"},
		{name: "its own name", file: "w.yml", text: "name: nightly\n" + good, workload: "nightly"},
		{name: "a document marker", file: "w.yml", text: "---\n" + good + "requests: 5\n", err: "FILE:5: requests: given twice in one mapping"},
		{name: "a bad field's line", file: "w.yml", text: "# comment\n\n" + good + "max_concurrency: -3\n", err: "FILE:6: max_concurrency: must not be negative, got -3"},
		{name: "an unknown field", file: "w.yml", text: good + "arrival_rate: 5\n", err: "FILE:4: arrival_rate: unknown field arrival_rate"},
		{name: "a nested type error", file: "w.yml", text: "dataset:\n  kind: synthetic\n  input_tokens: many\n  output_tokens: 4\narrival: {kind: poisson, rate: 2}\nrequests: 5\n",
			err: "FILE:3: dataset.input_tokens: "},
		{name: "over a default limit", file: "w.yml", text: "dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}\narrival: {kind: poisson, rate: 20000}\nrequests: 5\n",
			err: "FILE:2: arrival.rate: 20000 requests per second is over the limit of 10000 (limits.max_rate)"},
		{name: "a window without an end", file: "w.yml", text: "dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}\narrival: {kind: poisson, rate: 2}\n",
			err: "FILE:1: set requests or duration"},
		{name: "a whole config", file: "inferno.yml", text: "targets: []\nworkloads:\n  - name: a\n" + indent(good), whole: true, workload: "a"},
		{name: "a whole config's own errors", file: "inferno.yml", text: "workloads:\n  - name: a\n" + indent(good) + "    warmup: -1\n", whole: true,
			err: "FILE:6: workloads[0].warmup: must not be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTemp(t, tc.file, tc.text)
			cfg, whole, err := loadWorkloadFile(path)
			if tc.err != "" {
				want := strings.ReplaceAll(tc.err, "FILE", path)
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("error %v, want %q", err, want)
				}
				var e *Error
				if !errors.As(err, &e) {
					t.Errorf("error %T is not a *config.Error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if whole != tc.whole || len(cfg.Workloads) != 1 || cfg.Workloads[0].Name != tc.workload {
				t.Errorf("whole %v, workloads %d, name %q; want %v, 1, %q", whole, len(cfg.Workloads), cfg.Workloads[0].Name, tc.whole, tc.workload)
			}
		})
	}
}

// loadWorkloadFile resolves a workload file as inferno run does, into a
// config whose only workload it is.
func loadWorkloadFile(path string) (*Config, bool, error) {
	cfg, text, err := LoadWorkloadFile(path)
	if err != nil || cfg != nil {
		return cfg, true, err
	}
	base := DefaultConfig()
	_, w, err := base.Resolve(FileDoor(path), Input{Target: &Target{URL: "http://127.0.0.1:1/v1", Model: "m"},
		Workload: &Workload{Name: WorkloadFileName(path)}, WorkloadText: text, TextName: path})
	if err != nil {
		return nil, false, err
	}
	base.Workloads = []*Workload{w}
	return base, false, nil
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n    ") + "\n"
}

// TestStandalone validates a target and a workload outside a file: local
// files are read (a missing one is refused), fields are named as a
// config's, and the base's limits apply.
func TestStandalone(t *testing.T) {
	key := writeTemp(t, "key", "sk-1")
	good := func() (*Target, *Workload) {
		cfg, err := Load([]byte("targets:\n  - {name: t, url: 'http://127.0.0.1:1/v1', model: m}\nworkloads:\n  - name: w\n"+indent("dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}\narrival: {kind: poisson, rate: 2}\nrequests: 5\n")), "test")
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Targets[0], cfg.Workloads[0]
	}
	tg, w := good()
	if err := standalone(DefaultConfig(), tg, w); err != nil {
		t.Fatalf("a valid pair: %v", err)
	}
	tg.HTTP.Authorization = &promconfig.Authorization{Type: "Bearer", CredentialsFile: key}
	if err := standalone(DefaultConfig(), tg, w); err != nil {
		t.Errorf("a readable key file: %v", err)
	}
	tg.HTTP.Authorization.CredentialsFile = key + ".missing"
	err := standalone(DefaultConfig(), tg, w)
	var e *Error
	if !errors.As(err, &e) || e.File != "command line target" || e.Field != "http_client.authorization.credentials_file" {
		t.Errorf("a missing key file: %v", err)
	}
	tg, w = good()
	base := DefaultConfig()
	base.Limits.MaxRequests = 4
	if err := standalone(base, tg, w); !errors.As(err, &e) || e.Field != "requests" || !strings.Contains(e.Err.Error(), "over the limit of 4") {
		t.Errorf("the base's limit: %v", err)
	}
}

func standalone(base *Config, t *Target, w *Workload) error {
	_, _, err := base.Resolve(CommandLine, Input{Target: t, Workload: w})
	return err
}
