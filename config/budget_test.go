package config

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Each case is one body that passed every per-field limit and then took
// the daemon down or held it: refused at resolve, naming the figure and
// the limit, so every door gets the same refusal.
func TestWindowBudgets(t *testing.T) {
	cfg, err := Load([]byte("global: {report_dir: /tmp/reports}\napi:\n  allow_urls: ['http://127\\.0\\.0\\.1:\\d+/v1']\n  allow_hub_repos: ['lmsys/.*']\n"), "api.yml")
	if err != nil {
		t.Fatal(err)
	}
	wl := func(dataset, arrival, extra string) string {
		return `{"dataset":` + dataset + `,"arrival":` + arrival + `,"requests":2` + extra + `}`
	}
	syn := `{"kind":"synthetic","input_tokens":4,"output_tokens":4}`
	long := "t < 100000 ? " + strings.Repeat("int(abs(t*1.5-t/3+2)+1) + ", 16) + "0 : nil"
	tests := []struct {
		name, body, want string
	}{
		{"small window", wl(syn, `{"kind":"concurrency","concurrency":4}`, ""), ""},
		{"prompt bytes x in flight", wl(`{"kind":"synthetic","input_tokens":1000000,"output_tokens":4}`, `{"kind":"concurrency","concurrency":1000}`, ""),
			"over the limit of 536870912 bytes (limits.max_window_bytes)"},
		{"open loop's in flight", wl(`{"kind":"synthetic","input_tokens":1000000,"output_tokens":4}`, `{"kind":"constant","rate":100}`, ""),
			"limits.max_window_bytes"},
		{"gamma burstiness 1e-300", wl(syn, `{"kind":"gamma","rate":1,"burstiness":1e-300}`, ""), "arrival: arrival gamma: burstiness must be from 0.01 to 100"},
		{"gamma burstiness 1e300", wl(syn, `{"kind":"gamma","rate":1,"burstiness":1e300}`, ""), "burstiness must be from 0.01 to 100"},
		{"replay compression 1e300", wl(`{"kind":"sharegpt","hub":{"repo":"lmsys/x","file":"a.json"}}`, `{"kind":"replay","compression_ratio":1e300}`, ""),
			"compression_ratio must be from"},
		{"expression costly to validate", wl(syn, `{"kind":"synthesizer","func":"`+long+`"}`, ""), "steps to check"},
		{"hub repo not allowed", wl(`{"kind":"sharegpt","hub":{"repo":"evil/x","file":"a.json"}}`, `{"kind":"constant","rate":1}`, ""),
			"dataset.hub.repo: not allowed by the daemon's api.allow_hub_repos"},
		{"hub repo allowed", wl(`{"kind":"sharegpt","hub":{"repo":"lmsys/x","file":"a.json"}}`, `{"kind":"constant","rate":1}`, ""), ""},
		{"hub tokenizer not allowed", wl(`{"kind":"synthetic","input_tokens":4,"output_tokens":4,"tokenizer":"hf:evil/model"}`, `{"kind":"constant","rate":1}`, ""),
			"dataset.tokenizer: not allowed by the daemon's api.allow_hub_repos"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := inlineWorkload(cfg, []byte(tt.body))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v\nwant %q", err, tt.want)
			}
		})
	}
}

// With no api.allow_hub_repos, no inline workload reaches the hub.
func TestHubClosedByDefault(t *testing.T) {
	cfg, err := Load([]byte(apiConfig), "api.yml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = inlineWorkload(cfg, []byte(`{"dataset":{"kind":"sharegpt","hub":{"repo":"lmsys/x","file":"a.parquet"}},"arrival":{"kind":"constant","rate":1},"requests":2}`))
	if err == nil || !strings.Contains(err.Error(), "api.allow_hub_repos") {
		t.Fatalf("got %v, want a refusal naming api.allow_hub_repos", err)
	}
}

// The allow-list matches the parsed URL: what a request would reach.
func TestAllowListParsesURL(t *testing.T) {
	cfg, err := Load([]byte("global: {report_dir: /tmp/reports}\napi:\n  allow_urls: ['http://127\\.0\\.0\\.1:18002.*']\n"), "api.yml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, url, want string }{
		{"allowed", "http://127.0.0.1:18002/v1", ""},
		{"userinfo that looks like the host", "http://127.0.0.1:18002@127.0.0.1:18004/v1", "user information"},
		{"userinfo on the allowed host", "http://user:s3cr3t@127.0.0.1:18002/v1", "user information"},
		{"query after the allowed host", "http://127.0.0.1:18002/v1?x=1", ""},
		{"allowed host in the query", "http://127.0.0.1:18004/v1?x=http://127.0.0.1:18002/v1", "not allowed"},
		{"fragment", "http://127.0.0.1:18004/v1#http://127.0.0.1:18002/v1", "not allowed"},
		{"allowed host in the path", "http://127.0.0.1:18004/http://127.0.0.1:18002/v1", "not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := inlineTarget(cfg, []byte(`{"name":"x","url":"`+tt.url+`","model":"m"}`))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v\nwant %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), "s3cr3t"):
				t.Fatalf("the error quotes the URL: %v", err)
			}
		})
	}
}

// Files a config names must be regular files of bounded size, opened
// without blocking: /dev/zero as a credentials file passed the check and
// exhausted memory at the first window; a FIFO hung the check.
func TestNamedFilesRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	big := filepath.Join(dir, "big")
	os.WriteFile(big, make([]byte, MaxSecretFileBytes+1), 0o600)
	target := func(path string) string {
		return "global: {report_dir: /tmp/reports}\ntargets:\n- {name: a, url: 'http://127.0.0.1:1/v1', model: m, http_client: {authorization: {credentials_file: " + path + "}}}\n"
	}
	for _, tt := range []struct{ name, cfg, want string }{
		{"/dev/zero", target("/dev/zero"), "not a regular file"},
		{"FIFO credentials", target(fifo), "not a regular file"},
		{"huge credentials", target(big), "over the limit"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yml")
			os.WriteFile(path, []byte(tt.cfg), 0o600)
			if _, err := LoadFile(path); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
	// The config file itself: a FIFO is refused at once, not waited on.
	if _, err := LoadFile(fifo); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("a FIFO config: %v", err)
	}
}
