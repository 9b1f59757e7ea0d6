package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// apiConfig is a daemon config that allows inline targets on loopback.
const apiConfig = `global: {report_dir: /tmp/reports}
api:
  allow_urls: ['http://127\.0\.0\.1:\d+/v1']
limits: {max_body_keys: 200}
`

const inlineWorkloadBody = `{"dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":4},"arrival":{"kind":"concurrency","concurrency":1},"requests":2}`

// TestInlineUntrusted: an API body may reach only allowed URLs and never
// names a local file; each refusal names the field, and no error differs
// between a path that exists and one that does not.
func TestInlineUntrusted(t *testing.T) {
	cfg, err := Load([]byte(apiConfig), "api.yml")
	if err != nil {
		t.Fatal(err)
	}
	existing := filepath.Join(t.TempDir(), "token")
	os.WriteFile(existing, []byte("sa-token"), 0o600)
	target := func(extra string) string {
		return `{"name":"x","url":"http://127.0.0.1:1/v1","model":"m"` + extra + `}`
	}
	tests := []struct {
		name, body, want string
	}{
		{"allowed", target(""), ""},
		{"url not allowed", `{"name":"x","url":"http://10.0.0.1:1/v1","model":"m"}`, "url: not allowed by the daemon's api.allow_urls"},
		{"allow-list is anchored", `{"name":"x","url":"http://evil/?http://127.0.0.1:1/v1","model":"m"}`, "url: not allowed"},
		{"credentials_file", target(`,"http_client":{"authorization":{"type":"Bearer","credentials_file":"PATH"}}`), "http_client.authorization.credentials_file: an API body may not name a local file"},
		{"password_file", target(`,"http_client":{"basic_auth":{"username":"u","password_file":"PATH"}}`), "http_client.basic_auth.password_file: an API body may not name a local file"},
		{"ca_file", target(`,"http_client":{"tls_config":{"ca_file":"PATH"}}`), "http_client.tls_config.ca_file: an API body"},
		{"cert_file", target(`,"http_client":{"tls_config":{"cert_file":"PATH","key_file":"PATH"}}`), "http_client.tls_config.cert_file: an API body"},
		{"header files", target(`,"http_client":{"http_headers":{"X-A":{"files":["PATH"]}}}`), "http_client.http_headers.X-A.files: an API body"},
		{"proxy", target(`,"http_client":{"proxy_url":"http://10.0.0.1:3128"}`), "http_client.proxy_url: an API body may not route around api.allow_urls"},
		{"oauth2", target(`,"http_client":{"oauth2":{"client_id":"a","client_secret":"b","token_url":"http://10.0.0.1/"}}`), "http_client.oauth2: an API body"},
		{"unknown field", target(`,"colour":1`), "unknown field colour"},
	}
	for _, tt := range tests {
		for _, path := range []string{existing, "/nonexistent/token"} {
			t.Run(tt.name, func(t *testing.T) {
				body := strings.ReplaceAll(tt.body, "PATH", path)
				_, err := inlineTarget(cfg, []byte(body))
				switch {
				case tt.want == "" && err != nil:
					t.Fatalf("refused: %v", err)
				case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
					t.Fatalf("got %v\nwant %q", err, tt.want)
				case err != nil && (strings.Contains(err.Error(), path) || strings.Contains(err.Error(), "no such file")):
					t.Fatalf("the error tells about the path: %v", err)
				}
			})
		}
	}
	empty, _ := Load([]byte("global: {report_dir: /tmp/reports}\n"), "empty.yml")
	if _, err := inlineTarget(empty, []byte(target(""))); err == nil || !strings.Contains(err.Error(), "api.allow_urls is empty") {
		t.Errorf("no allow-list: %v", err)
	}
	tgt, err := inlineTarget(cfg, []byte(target(`,"http_client":{"follow_redirects":false}`)))
	if err == nil {
		t.Errorf("follow_redirects accepted: %+v", tgt)
	}
}

func TestInlineWorkloads(t *testing.T) {
	cfg, err := Load([]byte(apiConfig), "api.yml")
	if err != nil {
		t.Fatal(err)
	}
	w, err := inlineWorkload(cfg, []byte(inlineWorkloadBody))
	if err != nil || w.Name != "inline" {
		t.Fatalf("%+v %v", w, err)
	}
	many := `{"name":"w","dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":4},"arrival":{"kind":"concurrency","concurrency":1},"requests":2,"params":{"extra_body":{` +
		strings.Repeat(`"k":1,`, 0)
	var keys []string
	for i := range 300 {
		keys = append(keys, `"k`+strings.Repeat("x", i%5)+string(rune('a'+i%26))+`_`+itoa(i)+`":1`)
	}
	many += strings.Join(keys, ",") + `}}}`
	tests := []struct {
		name, body, want string
	}{
		{"jsonl file", `{"dataset":{"kind":"jsonl","path":"/etc/passwd"},"arrival":{"kind":"poisson","rate":1},"requests":1}`, "dataset.path: an API body may not name a local file"},
		{"jsonl missing file", `{"dataset":{"kind":"jsonl","path":"/nonexistent"},"arrival":{"kind":"poisson","rate":1},"requests":1}`, "dataset.path: an API body may not name a local file"},
		{"huge concurrency", strings.Replace(inlineWorkloadBody, `"concurrency":1`, `"concurrency":1000000000`, 1), "arrival.concurrency: concurrency 1000000000 is over the limit of 10000 (limits.max_concurrency)"},
		{"huge prompt", strings.Replace(inlineWorkloadBody, `"input_tokens":4`, `"input_tokens":2000000000`, 1), "dataset.input_tokens: input_tokens 2000000000 is over the limit of 1000000 (limits.max_input_tokens)"},
		{"100 years", strings.Replace(inlineWorkloadBody, `"requests":2`, `"duration":"100y"`, 1), "duration: duration 100y is over the limit of 1w (limits.max_duration)"},
		{"synthesizer 1e9/s", `{"dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":4},"arrival":{"kind":"synthesizer","func":"lambda t: int(t/1e-9+1) if t<60 else None"}}`, "arrival.func: issues 999999999 requests at second 1, over the limit of 10000 (limits.max_synthesizer_tick)"},
		{"too many keys", many, "more than 200 keys (limits.max_body_keys)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := inlineWorkload(cfg, []byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v\nwant %q", err, tt.want)
			}
		})
	}
}

func itoa(i int) string {
	return strings.TrimSpace(strings.Repeat(" ", 0) + string(rune('0'+i/100)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10)))
}
