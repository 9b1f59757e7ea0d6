package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const good = `global:
  report_dir: /tmp/reports
targets:
  - name: a
    url: http://127.0.0.1:8000/v1
    model: m
    http_client:
      authorization: {type: Bearer, credentials: planted-secret-token}
workloads:
  - name: w
    dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}
    arrival: {kind: poisson, rate: 2}
    requests: 5
schedules:
  - name: s
    cron: "*/10 * * * * *"
    targets: [a]
    workload: w
modules:
  m:
    workload: w
    allow_urls: ['http://127\.0\.0\.1:\d+/v1']
`

func TestLoadGood(t *testing.T) {
	cfg, err := Load([]byte(good), "good.yml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Target("a").API != "openai-chat" || cfg.Global.MaxConcurrentWindows != 4 || time.Duration(cfg.Global.RequestTimeout) != 2*time.Minute {
		t.Errorf("defaults not applied: %+v %+v", cfg.Target("a"), cfg.Global)
	}
	m := cfg.Modules["m"]
	for url, want := range map[string]bool{
		"http://127.0.0.1:8000/v1": true, "http://127.0.0.1:8000/v1/x": false, "http://10.0.0.42:8000/v1": false,
		"http://evil/?http://127.0.0.1:1/v1": false,
	} {
		if m.Allows(url) != want {
			t.Errorf("Allows(%q) = %v, want %v", url, !want, want)
		}
	}
	if next := cfg.Schedules[0].CronSchedule().Next(time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC)); next.Second() != 10 {
		t.Errorf("seconds field ignored: next %v", next)
	}
}

// Every bad input names the file, the line where it can be, and the field.
func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, old, new, want string
	}{
		{"unknown field", "  report_dir: /tmp/reports", "  report_dir: /tmp/reports\n  colour: red", "bad.yml:3: global.colour: unknown field colour"},
		{"wrong type", "    requests: 5", "    requests: five", "bad.yml:13: workloads[0].requests: want a whole number, got text"},
		{"bad duration", "  report_dir: /tmp/reports", "  report_dir: /tmp/reports\n  request_timeout: soon", `bad.yml:3: global.request_timeout: not a duration`},
		{"missing workload", "    workload: w\nmodules", "    workload: nope\nmodules", `bad.yml:18: schedules[0].workload: no such workload (defined: w)`},
		{"missing target", "    targets: [a]", "    targets: [a, b]", `bad.yml:17: schedules[0].targets[1]: no such target (defined: a)`},
		{"invalid cron", `cron: "*/10 * * * * *"`, `cron: "every tuesday"`, `bad.yml:16: schedules[0].cron: not a cron spec`},
		{"bad URL", "url: http://127.0.0.1:8000/v1", "url: 127.0.0.1:8000", `bad.yml:5: targets[0].url: not a URL`},
		{"unknown api", "    model: m\n", "    model: m\n    api: grpc\n", `bad.yml:7: targets[0].api: unknown api (want one of`},
		{"no model", "    model: m\n", "\n", `bad.yml:4: targets[0].model: must be set`},
		{"bad arrival", "kind: poisson, rate: 2", "kind: poisson, rate: 0", `bad.yml:12: workloads[0].arrival: arrival poisson: rate must be a positive`},
		{"unknown dataset", "kind: synthetic", "kind: imdb", `bad.yml:11: workloads[0].dataset.kind: unknown dataset (want synthetic`},
		{"file dataset without path", "kind: synthetic", "kind: sharegpt", `bad.yml:11: workloads[0].dataset.path: dataset sharegpt needs either the path of its data file or a hub file`},
		{"replay of synthetic prompts", "kind: poisson, rate: 2", "kind: replay", `bad.yml:12: workloads[0].arrival: replay needs a dataset with timestamps`},
		{"endless workload", "    requests: 5\n", "\n", `bad.yml:10: workloads[0]: set requests or duration`},
		{"bad allow pattern", `'http://127\.0\.0\.1:\d+/v1'`, `'http://(['`, `bad.yml:22: modules.m.allow_urls`},
		{"duplicate target", "workloads:", "  - {name: a, url: 'http://x/v1', model: m}\nworkloads:", `targets[1].name: a target of this name is defined before`},
		{"zero windows", "  report_dir: /tmp/reports", "  report_dir: /tmp/reports\n  max_concurrent_windows: 0", "global.max_concurrent_windows: must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(good, tt.old) {
				t.Fatalf("fixture lacks %q", tt.old)
			}
			_, err := Load([]byte(strings.Replace(good, tt.old, tt.new, 1)), "bad.yml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v\nwant an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := Load(nil, "empty.yml"); err == nil || !strings.Contains(err.Error(), "empty.yml: the document is empty") {
		t.Errorf("empty file: %v", err)
	}
}

// The shipped example must stay valid.
func TestExampleConfig(t *testing.T) {
	cfg, err := LoadFile(filepath.Join("..", "config.example.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Simulator == nil || len(cfg.Schedules) == 0 || len(cfg.Modules) == 0 {
		t.Error("the example must start the simulator, schedule a window and offer a probe module")
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(good))
	if b, err := os.ReadFile(filepath.Join("..", "config.example.yml")); err == nil {
		f.Add(b)
	}
	f.Add([]byte("targets: [{name: x}]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := Load(b, "fuzz.yml")
		if err == nil && cfg == nil {
			t.Fatal("no config and no error")
		}
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz.yml") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}

// Inside a flow mapping the value that does not fit is named, not the
// mapping.
func TestFieldOnFlowMapping(t *testing.T) {
	_, err := Load([]byte(strings.Replace(good, "kind: poisson, rate: 2", "kind: poisson, rate: [1]", 1)), "bad.yml")
	if err == nil || !strings.Contains(err.Error(), "bad.yml:12: workloads[0].arrival.rate: want a number, got a list") {
		t.Errorf("got %v", err)
	}
}

func TestFileDatasets(t *testing.T) {
	withFile := strings.Replace(good, "dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}",
		"dataset: {kind: arena, path: ../dataset/testdata/arena.jsonl, output_tokens: 4}", 1)
	withFile = strings.Replace(withFile, "arrival: {kind: poisson, rate: 2}", "arrival: {kind: replay, compression_ratio: 10}", 1)
	if _, err := Load([]byte(withFile), "file.yml"); err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(good, "dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}",
		"dataset: {kind: arena, hub: {repo: x, file: a.json}}", 1)
	if _, err := Load([]byte(bad), "bad.yml"); err == nil || !strings.Contains(err.Error(), "dataset.hub: hub repo \"x\": want owner/name") {
		t.Errorf("bad hub repo: %v", err)
	}
}

// TestExamples: every configuration under examples/ loads.
func TestExamples(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "examples", "*.yml"))
	if len(files) == 0 {
		t.Fatal("no examples found")
	}
	for _, f := range files {
		if _, err := LoadFile(f); err != nil {
			t.Errorf("%v", err)
		}
	}
}

// A misplaced secret is never quoted back, not even its first characters.
func TestSecretsNotEchoed(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "bad", "secret-*.yml"))
	if len(files) < 4 {
		t.Fatalf("only %d secret-* files", len(files))
	}
	for _, f := range files {
		_, err := Check(f)
		if err == nil || strings.Contains(err.Error(), "sk-l") || strings.Contains(err.Error(), "9f8e") {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// Durations take d (and w, y) everywhere, Go's time.Duration fields too.
func TestDurationsWithDays(t *testing.T) {
	cfg := strings.Replace(good, "arrival: {kind: poisson, rate: 2}", "arrival: {kind: ramp, rate: 1, end_rate: 2, ramp_duration: 2d}\n    duration: 3d", 1)
	cfg = strings.Replace(cfg, "    requests: 5\n", "    requests: 5\n  - name: staged\n    dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}\n    arrival:\n      kind: stages\n      stages:\n        - {rate: 1, duration: \"1d\"}\n        - {concurrency: 2, duration: 1h}\n    requests: 5\n", 1)
	c, err := Load([]byte(cfg), "days.yml")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Workload("w").Arrival.RampDuration; got.D() != 48*time.Hour {
		t.Errorf("ramp_duration = %v", got)
	}
	if got := c.Workload("staged").Arrival.Stages[0].Duration; got.D() != 24*time.Hour {
		t.Errorf("stage duration = %v", got)
	}
}

// A config file over MaxFileSize is refused before it is parsed.
func TestFileSizeLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.yml")
	b := []byte("global:\n  report_dir: /tmp/r\ntargets:\n")
	b = append(b, strings.Repeat("# padding\n", MaxFileSize/10+1)...)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFile(path)
	if err == nil || !strings.Contains(err.Error(), "huge.yml: the file is over 4 MiB") {
		t.Errorf("got %v", err)
	}
}

// A target without http_client gets prometheus/common's defaults, as an
// empty section does; an explicit follow_redirects: false stays off.
func TestHTTPClientDefaults(t *testing.T) {
	for _, tc := range []struct {
		section       string
		follow, http2 bool
	}{
		{"", true, true},
		{"    http_client: {}\n", true, true},
		{"    http_client:\n", true, true},
		{"    http_client: {follow_redirects: false}\n", false, true},
		{"    http_client: {enable_http2: false}\n", true, false},
	} {
		doc := "targets:\n  - name: t\n    url: http://127.0.0.1:8000/v1\n    model: m\n" + tc.section +
			"workloads:\n  - name: w\n    dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}\n    arrival: {kind: poisson, rate: 2}\n    requests: 5\n"
		c, err := Load([]byte(doc), "t.yml")
		if err != nil {
			t.Fatalf("%q: %v", tc.section, err)
		}
		if h := c.Target("t").HTTP; h.FollowRedirects != tc.follow || h.EnableHTTP2 != tc.http2 {
			t.Errorf("%q: follow_redirects %v, enable_http2 %v; want %v, %v", tc.section, h.FollowRedirects, h.EnableHTTP2, tc.follow, tc.http2)
		}
	}
	// A section that comes through a merge key is the target's own:
	// never replaced by the defaults.
	doc := "targets:\n  - &base\n    name: first\n    url: http://127.0.0.1:8000/v1\n    model: m\n    http_client:\n      follow_redirects: false\n      basic_auth: {username: u, password: p}\n" +
		"  - <<: *base\n    name: merged\n" +
		"workloads:\n  - name: w\n    dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}\n    arrival: {kind: poisson, rate: 2}\n    requests: 5\n"
	c, err := Load([]byte(doc), "anchors.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"first", "merged"} {
		if h := c.Target(name).HTTP; h.FollowRedirects || h.BasicAuth == nil {
			t.Errorf("%s: http_client replaced: follow_redirects %v, basic_auth %v", name, h.FollowRedirects, h.BasicAuth)
		}
	}
}
