package config

import (
	"crypto/tls"
	"strings"
	"testing"
)

// TestDecodeAsYAMLDoes: what yaml.v3 accepted the config's own decoder
// accepts with the same meaning, and what it refused (or should have)
// is refused by field and line without quoting the value.
func TestDecodeAsYAMLDoes(t *testing.T) {
	const base = "global: {report_dir: /tmp/r}\n"
	const target = "targets:\n  - name: t\n    url: http://127.0.0.1:1/v1\n    model: m\n"
	const workload = "workloads:\n  - name: w\n    dataset: {kind: synthetic, input_tokens: 4, output_tokens: 4}\n    arrival: {kind: poisson, rate: 1}\n    requests: 1\n"
	for _, tc := range []struct {
		name, text string
		check      func(*Config) bool
		err        string // a substring of the error; "" for none
		notInErr   string
	}{
		{name: "TLS version as text", text: base + target + "    http_client: {tls_config: {min_version: TLS12}}\n",
			check: func(c *Config) bool { return c.Targets[0].HTTP.TLSConfig.MinVersion == tls.VersionTLS12 }},
		{name: "YAML 1.1 booleans", text: "global: {report_dir: /tmp/r, run_on_start: yes}\n" + target + "    http_client: {tls_config: {insecure_skip_verify: on}}\n" +
			workload + "    warm_connections: off\n",
			check: func(c *Config) bool {
				return c.Global.RunOnStart && c.Targets[0].HTTP.TLSConfig.InsecureSkipVerify && !*c.Workloads[0].WarmConnections
			}},
		{name: "a merge within a merge", text: base + workload + "    params: {extra_body: {<<: {<<: {top_k: 5}, top_p: 0.5}}}\n    slo: {<<: {<<: {ttft: 1s}, tpot: 2s}}\n",
			check: func(c *Config) bool {
				w := c.Workloads[0]
				return w.Params.ExtraBody["top_k"] == 5 && w.Params.ExtraBody["top_p"] == 0.5 && len(w.Params.ExtraBody) == 2 &&
					w.SLO.TTFT.D().Seconds() == 1 && w.SLO.TPOT.D().Seconds() == 2
			}},
		{name: "own keys win over merged ones", text: base + workload + "    slo: {<<: [{ttft: 1s}, {ttft: 2s, e2e: 3s}], ttft: 5s}\n",
			check: func(c *Config) bool {
				s := c.Workloads[0].SLO
				return s.TTFT.D().Seconds() == 5 && s.E2E.D().Seconds() == 3
			}},
		{name: "a merge of a number", text: base + workload + "    slo: {<<: 5, ttft: 1s}\n", err: "workloads[0].slo.<<: a merge (<<) takes a mapping or a list of mappings, got a whole number"},
		{name: "a key twice in a merged mapping", text: base + workload + "    slo: {<<: {ttft: 1s, ttft: 2s}}\n", err: "workloads[0].slo.ttft: given twice"},
		{name: "binary text", text: base + target + "    labels: {k: !!binary aGVsbG8=}\n",
			check: func(c *Config) bool { return c.Targets[0].Labels["k"] == "hello" }},
		{name: "a value that does not fit its tag", text: base + workload + "    params: {extra_body: {api_key: !!int sk-live-ABCDEF}}\n",
			err: "params.extra_body.api_key: not a valid int", notInErr: "sk-live"},
		{name: "a bad proxy URL", text: base + target + "    http_client: {proxy_url: 'http://u:hunter2@[::1'}\n",
			err: "targets[0].http_client: not a valid URL", notInErr: "hunter2"},
		{name: "rate with a closed loop", text: base + strings.Replace(workload, "{kind: poisson, rate: 1}", "{kind: concurrency, concurrency: 4, rate: 5}", 1),
			err: "workloads[0].arrival: rate and concurrency together"},
		{name: "a check's misspelt key", text: base + workload + "    checks: [{check: 'contains:a', nam: x}]\n", err: "checks[0].nam: unknown field nam"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load([]byte(tc.text), "d.yml")
			switch {
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				if tc.notInErr != "" && strings.Contains(err.Error(), tc.notInErr) {
					t.Errorf("the error quotes the value: %v", err)
				}
			case err != nil:
				t.Fatal(err)
			case !tc.check(c):
				t.Errorf("decoded %+v %+v", c.Targets, c.Workloads)
			}
		})
	}
}

// TestUntrustedMergeKeys: a merge key could bring a refused key (a proxy,
// a file) into an untrusted body past the check of its own keys.
func TestUntrustedMergeKeys(t *testing.T) {
	cfg, err := Load([]byte(apiConfig), "api.yml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = inlineTarget(cfg, []byte("name: x\nurl: http://127.0.0.1:1/v1\nmodel: m\nhttp_client:\n  <<: {proxy_url: 'http://10.0.0.1:3128'}\n"))
	if err == nil || !strings.Contains(err.Error(), "http_client.<<: merge keys are not accepted here") {
		t.Errorf("got %v", err)
	}
}

// TestJSONBodies: what encoding/json writes is read as JSON, escapes YAML
// lacks included (PHP's `\/`, Python's surrogate pairs); repeated keys
// are refused as in YAML.
func TestJSONBodies(t *testing.T) {
	cfg, err := Load([]byte(apiConfig), "api.yml")
	if err != nil {
		t.Fatal(err)
	}
	tg, err := inlineTarget(cfg, []byte(`{"name":"x","url":"http:\/\/127.0.0.1:1\/v1","model":"m"}`))
	if err != nil || tg.URL != "http://127.0.0.1:1/v1" {
		t.Fatalf("escaped slashes: %+v, %v", tg, err)
	}
	w, err := inlineWorkload(cfg, []byte(`{"dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":4},"arrival":{"kind":"poisson","rate":1},`+
		`"requests":2,"params":{"extra_body":{"stop":["\ud83d\ude00"],"seed":12,"top_p":0.5,"echo":false,"user":null}}}`))
	if err != nil {
		t.Fatal(err)
	}
	extra := w.Params.ExtraBody
	if stop := extra["stop"].([]any); stop[0] != "😀" || extra["seed"] != 12 || extra["top_p"] != 0.5 || extra["echo"] != false || extra["user"] != nil {
		t.Errorf("extra_body %#v", extra)
	}
	if _, err := inlineWorkload(cfg, []byte(`{"requests":1,"requests":2}`)); err == nil || !strings.Contains(err.Error(), "requests: given twice") {
		t.Errorf("a repeated key: %v", err)
	}
}
