package daemon

import (
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/inferno-llm/inferno/simulator"
)

// TestRunsAPIInlineChecks: an inline workload takes the durations a
// config file takes (d, w, y), is held to limits.max_duration through a
// synthesizer's span and its grace, and its errors carry their prefix
// once.
func TestRunsAPIInlineChecks(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	hang := hangServer(t)
	cfgPath, _ := hostileConfig(t, sim.URL, hang.URL, "limits: {max_duration: 2d}\n")
	d := startDaemon(t, cfgPath)
	workload := func(arrival, extra string) string {
		return `{"dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":4},"arrival":` + arrival + extra + `}`
	}
	tests := []struct {
		name, workload string
		code           int
		want           string
	}{
		{"ramp over a day", workload(`{"kind":"ramp","rate":50,"end_rate":100,"ramp_duration":"1d"}`, `,"requests":2`), http.StatusAccepted, `"status"`},
		{"capacity steps of a week", workload(`{"kind":"capacity","rate":1,"step_duration":"7d","max_steps":2}`, ""), http.StatusBadRequest,
			"inline workload: arrival.max_steps: 2 steps of 1w last over the limit of 2d (limits.max_duration)"},
		{"endless synthesizer", workload(`{"kind":"synthesizer","func":"lambda t: int(t/1+1) if t<100000000000 else None"}`, ""), http.StatusBadRequest,
			"inline workload: arrival.func: still issues requests at second 172800, past the limit of 2d (limits.max_duration)"},
		{"grace of a century", workload(`{"kind":"poisson","rate":1}`, `,"requests":1,"grace":"100y"`), http.StatusBadRequest,
			"inline workload: grace: grace 100y is over the limit of 2d (limits.max_duration)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, answer := send(t, "POST", d.server.URL+"/api/v1/runs", `{"target":"sim","workload":`+tt.workload+`}`)
			if code != tt.code || !strings.Contains(answer, tt.want) {
				t.Fatalf("answered %d %.300s\nwant %d with %q", code, answer, tt.code, tt.want)
			}
			if strings.Count(answer, "inline workload:") > 1 {
				t.Errorf("the prefix is repeated: %s", answer)
			}
		})
	}
}

// TestLegacyAllowListMessage: the old API says whether it is off (no
// api.allow_urls) or the URL is not among those allowed.
func TestLegacyAllowListMessage(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	hang := hangServer(t)
	withList, _ := hostileConfig(t, sim.URL, hang.URL, "")
	b, err := os.ReadFile(withList)
	if err != nil {
		t.Fatal(err)
	}
	// The same config without its api: section.
	cfg := string(b)
	i := strings.Index(cfg, "api:\n")
	withoutList := withList + ".off.yml"
	if err := os.WriteFile(withoutList, []byte(cfg[:i]), 0o644); err != nil {
		t.Fatal(err)
	}
	body := `{"url":"http://10.1.2.3:8000/v1","model":"sim","dataset_name":"synthesizer","dataset_config":{"func":"lambda t: int(t/1+1) if t<2 else None"}}`
	for _, tt := range []struct{ name, cfg, want, not string }{
		{"a list", withList, "url: not allowed by the daemon's api.allow_urls", "empty"},
		{"no list", withoutList, "url: the old API is off: this daemon's api.allow_urls is empty", "not allowed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := startDaemon(t, tt.cfg)
			code, answer := send(t, "POST", d.server.URL+"/register_test", body)
			if code != http.StatusBadRequest || !strings.Contains(answer, tt.want) || strings.Contains(answer, tt.not) {
				t.Fatalf("answered %d %s\nwant 400 with %q and without %q", code, answer, tt.want, tt.not)
			}
		})
	}
}

// goTypeName matches what yaml.v3 and encoding/json say of Go types.
var goTypeName = regexp.MustCompile(`Go (struct|value)|\b(config|daemon|dataset)\.[A-Za-z]|!!\w+|into \S+|\[\]\w+|\b(float|u?int)(64|32)?\b`)

// TestAPITypeErrors: a value of the wrong kind in an API body is named by
// its field, in words, never by a Go type name.
func TestAPITypeErrors(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	hang := hangServer(t)
	cfgPath, _ := hostileConfig(t, sim.URL, hang.URL, "")
	d := startDaemon(t, cfgPath)
	legacy := `{"url":"` + sim.URL + `/v1","model":"sim","dataset_name":"synthesizer","dataset_config":{"func":"lambda t: int(t/1+1) if t<2 else None"}`
	for _, tt := range []struct{ name, path, body, want string }{
		{"inline credentials list", "/api/v1/runs", `{"target":{"name":"x","url":"` + sim.URL + `/v1","model":"sim","http_client":{"authorization":{"type":"Bearer","credentials":["x"]}}},"workload":"small"}`,
			"inline target: http_client.authorization.credentials: want text, got a list"},
		{"inline basic_auth list", "/api/v1/runs", `{"target":{"name":"x","url":"` + sim.URL + `/v1","model":"sim","http_client":{"basic_auth":["x"]}},"workload":"small"}`,
			"inline target: http_client.basic_auth: want a mapping, got a list"},
		{"inline workload of the wrong kind", "/api/v1/runs", `{"target":"sim","workload":[1]}`, "inline workload: want a mapping, got a list"},
		{"inline requests as text", "/api/v1/runs", `{"target":"sim","workload":{"dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":4},"arrival":{"kind":"poisson","rate":1},"requests":"many"}}`,
			"inline workload: requests: want a whole number, got text"},
		{"runs body a list", "/api/v1/runs", `[1]`, "request body: want a mapping, got a list"},
		{"legacy max_run_time as text", "/register_test", legacy + `,"max_run_time":"soon"}`, "request body: max_run_time: want a number, got text"},
		{"legacy nested", "/register_test", strings.Replace(legacy, `"func":`, `"max_tokens":"x","func":`, 1) + `}`, "request body: dataset_config.max_tokens: want a whole number, got text"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, answer := send(t, "POST", d.server.URL+tt.path, tt.body)
			if code != http.StatusBadRequest || !strings.Contains(answer, tt.want) {
				t.Fatalf("answered %d %s\nwant 400 with %q", code, answer, tt.want)
			}
			if leak := goTypeName.FindString(answer); leak != "" {
				t.Errorf("the answer shows %q: %s", leak, answer)
			}
		})
	}
}

// TestReportConfigUsesSchemaNames: a report's run.config.workload reads
// as the config file's schema (first_turn_only, extra_body), never as Go
// field names, and keeps extra_body credentials redacted.
func TestReportConfigUsesSchemaNames(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	hang := hangServer(t)
	cfgPath, _ := hostileConfig(t, sim.URL, hang.URL, "")
	d := startDaemon(t, cfgPath)
	body := `{"target":"sim","workload":{"name":"schema","dataset":{"kind":"synthetic","input_tokens":4,"output_tokens":4},
		"arrival":{"kind":"concurrency","concurrency":1},"requests":2,"grace":"5s",
		"params":{"temperature":0.5,"extra_body":{"api_key":"planted-secret","top_k":3}},"slo":{"ttft":"1s"}}}`
	code, answer := send(t, "POST", d.server.URL+"/api/v1/runs", body)
	if code != http.StatusAccepted {
		t.Fatalf("answered %d %s", code, answer)
	}
	var view RunView
	if err := json.Unmarshal([]byte(answer), &view); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the run to finish", func() bool { return d.run(view.ID).Finished() })
	code, text := get(t, d.server.URL+"/api/v1/runs/"+view.ID+"/report")
	if code != 200 {
		t.Fatalf("report: %d %s", code, text)
	}
	var rep struct {
		Run struct {
			Config struct {
				Workload map[string]any `json:"workload"`
			} `json:"config"`
		} `json:"run"`
	}
	if err := json.Unmarshal([]byte(text), &rep); err != nil {
		t.Fatal(err)
	}
	w := rep.Run.Config.Workload
	want := map[string]any{
		"name": "schema", "requests": 2.0, "grace": "5s",
		"dataset": map[string]any{"kind": "synthetic", "input_tokens": 4.0, "output_tokens": 4.0},
		"arrival": map[string]any{"kind": "concurrency", "concurrency": 1.0},
		"params":  map[string]any{"temperature": 0.5, "extra_body": map[string]any{"api_key": "<secret>", "top_k": 3.0}},
		"slo":     map[string]any{"ttft": "1s"},
	}
	if !reflect.DeepEqual(w, want) {
		got, _ := json.Marshal(w)
		t.Errorf("run.config.workload = %s\nwant the schema's names and only the fields set", got)
	}
	if strings.Contains(text, "planted-secret") {
		t.Error("the report shows extra_body's api_key")
	}
}
