package daemon

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/simulator"
)

// readmeBody is the old tool's README example, its private-network URL
// replaced by the simulator's loopback address and its minute cut to 6 s:
// arrival's TestSynthesizerReadmeExample counts the whole minute.
const readmeBody = `{
  "url": "SIM_URL/v1",
  "model": "mistralai/Mistral-7B-Instruct-v0.1",
  "dataset_name": "synthesizer",
  "endpoint_type": "vllm",
  "dataset_config": {
    "func": "lambda t: int(t / 0.1 + 1) if t < 6 else None",
    "random_seed": 1234,
    "prompt_source": "arena"
  },
  "kwargs": {
    "temperature": 0.9,
    "top_p": 1,
    "max_tokens": 512,
    "request_timeout": 3600,
    "hf_auth_key": "hf_1234567890qwertyuiop"
  }
}`

func jsonCall(t *testing.T, method, url, body string) (int, any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v any
	json.Unmarshal(b, &v)
	return resp.StatusCode, v
}

// TestLegacySequence runs the old tool's register, start, status and
// report sequence with its README's body: 51 requests over 6 seconds.
func TestLegacySequence(t *testing.T) {
	if testing.Short() {
		t.Skip("the README's workload runs for 6 s")
	}
	var (
		bodies   []map[string]any
		bodiesMu = make(chan struct{}, 1)
	)
	sim := newSim(t, simulator.Config{TTFT: 5 * time.Millisecond, ITL: 100 * time.Microsecond, OnRequest: func(_ string, b map[string]any) {
		bodiesMu <- struct{}{}
		if len(bodies) < 3 {
			bodies = append(bodies, b)
		}
		<-bodiesMu
	}})
	cfgPath, _ := testConfig(t, sim.URL, never)
	d := startDaemon(t, cfgPath)
	base := d.server.URL

	code, id := jsonCall(t, "POST", base+"/register_test", strings.ReplaceAll(readmeBody, "SIM_URL", sim.URL))
	testID, _ := id.(string)
	if code != 200 || testID == "" {
		t.Fatalf("register: %d %v", code, id)
	}
	if code, st := jsonCall(t, "GET", base+"/tests/status/"+testID, ""); code != 200 || st != "init" {
		t.Errorf("status before start: %d %v", code, st)
	}
	if code, _ := jsonCall(t, "GET", base+"/tests/start/nope", ""); code != 404 {
		t.Errorf("starting an unknown test: %d, want 404 (the old tool said OK)", code)
	}
	if code, ok := jsonCall(t, "GET", base+"/start_test/"+testID, ""); code != 200 || ok != "OK" {
		t.Fatalf("start: %d %v", code, ok)
	}
	waitForLong(t, 90*time.Second, func() bool {
		_, st := jsonCall(t, "GET", base+"/tests/status/"+testID, "")
		return st == "finish" || st == "error"
	})
	code, rep := jsonCall(t, "GET", base+"/tests/report/json/"+testID, "")
	m, _ := rep.(map[string]any)
	if code != 200 || m["Total_request_num"] != float64(51) || m["Fail_rate"] != float64(0) {
		t.Fatalf("report: %d Total_request_num %v Fail_rate %v", code, m["Total_request_num"], m["Fail_rate"])
	}
	for _, k := range []string{"TTFT", "TPOT", "latency", "SLO", "Throughput", "Total_duration_sec", "RPS"} {
		if _, ok := m[k]; !ok {
			t.Errorf("report lacks the old key %s", k)
		}
	}
	_, list := jsonCall(t, "GET", base+"/tests/id_list", "")
	if rows, _ := list.([]any); len(rows) == 0 || rows[0].([]any)[0] != testID {
		t.Errorf("id_list %v does not start with %s", list, testID)
	}
	// vllm: OpenAI chat with the kwargs passed through, the tokenizer key not.
	b := bodies[0]
	if b["max_tokens"] != float64(512) || b["temperature"] != 0.9 || b["top_p"] != float64(1) || b["stream"] != true {
		t.Errorf("request body %v", b)
	}
	if _, leaked := b["hf_auth_key"]; leaked {
		t.Error("hf_auth_key was sent to the endpoint")
	}
	if _, cfgText := get(t, base+"/api/v1/runs/"+testID+"/report"); strings.Contains(cfgText, "hf_1234567890") {
		t.Error("hf_auth_key appears in the report")
	}
}

func waitForLong(t *testing.T, limit time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("timed out")
}

func TestLegacyRegisterErrors(t *testing.T) {
	sim := newSim(t, simulator.Config{})
	cfgPath, _ := testConfig(t, sim.URL, never)
	d := startDaemon(t, cfgPath)
	tests := map[string]string{
		`{"model":"m","dataset_name":"synthesizer"}`: "url and model are required",
		`{"url":"` + sim.URL + `/v1","model":"m","dataset_name":"synthesizer","dataset_config":{"func":"lambda t: t"}}`: "must have the form",
		`{"url":"` + sim.URL + `/v1","model":"m","dataset_name":"arena"}`:                                               "through POST /api/v1/runs",
		`{"url":"` + sim.URL + `/v1","model":"m","dataset_name":"synthesizer","endpoint_type":"grpc"}`:                  "unknown api",
		`{"url":"` + sim.URL + `/v1","model":"m","test_id":"../../x"}`:                                                  "test_id",
		`not json`: "request body",
		// Several choices per request would mix answers in every per-request figure.
		`{"url":"` + sim.URL + `/v1","model":"m","dataset_name":"synthesizer","dataset_config":{"func":"lambda t: int(t/1+1) if t<2 else None"},"kwargs":{"n":2}}`: "params.extra_body: n: 2 is refused",
	}
	for body, want := range tests {
		code, v := jsonCall(t, "POST", d.server.URL+"/tests/register", body)
		msg, _ := v.(map[string]any)["error"].(string)
		if code != 400 || !strings.Contains(msg, want) {
			t.Errorf("%s: %d %v; want 400 with %q", body, code, v, want)
		}
	}
}
