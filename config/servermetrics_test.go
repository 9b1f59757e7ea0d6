package config

import (
	"strings"
	"testing"
)

// TestServerMetrics: a target's server_metrics is auto or a URL, with an
// http_client of its own; an API body may name only an allowed URL.
func TestServerMetrics(t *testing.T) {
	tests := []struct {
		name, metrics, err string
	}{
		{"auto", `{url: auto}`, ""},
		{"url", `{url: 'http://127.0.0.1:9000/metrics', http_client: {basic_auth: {username: u, password: p}}}`, ""},
		{"not a url", `{url: 'ftp://x/metrics'}`, "targets[0].server_metrics.url: the scheme must be http or https (or auto)"},
		{"bad client", `{url: auto, http_client: {bearer_token: a, basic_auth: {username: u, password: p}}}`, "at most one of basic_auth"},
		{"unknown key", `{url: auto, interval: 1s}`, "interval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yml := strings.Replace(good, "    model: m\n", "    model: m\n    server_metrics: "+tt.metrics+"\n", 1)
			cfg, err := Load([]byte(yml), "sm.yml")
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if cfg.Target("a").ServerMetrics == nil {
					t.Fatal("server_metrics not read")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error %v, want one with %q", err, tt.err)
			}
		})
	}

	cfg, err := Load([]byte(apiConfig), "api.yml")
	if err != nil {
		t.Fatal(err)
	}
	for metrics, wantErr := range map[string]string{
		`{"url":"auto"}`:                         "",
		`{"url":"http://127.0.0.1:2/v1"}`:        "",
		`{"url":"http://10.0.0.1:9000/metrics"}`: "server_metrics.url: not allowed",
		`{"url":"auto","http_client":{"basic_auth":{"username":"u","password_file":"/etc/shadow"}}}`: "password_file",
	} {
		tgt, err := inlineTarget(cfg, []byte(`{"name":"x","url":"http://127.0.0.1:1/v1","model":"m","server_metrics":`+metrics+`}`))
		switch {
		case wantErr == "" && err != nil:
			t.Errorf("%s: %v", metrics, err)
		case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
			t.Errorf("%s: error %v, want one with %q", metrics, err, wantErr)
		case wantErr == "" && tgt.ServerMetrics == nil:
			t.Errorf("%s: not read", metrics)
		}
	}
}
