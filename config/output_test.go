package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestChecksAndOpenAIFields loads a workload with checks in both forms
// and OpenAI's request fields, compiles them, and reads the workload
// back as reports archive it.
func TestChecksAndOpenAIFields(t *testing.T) {
	dir := t.TempDir()
	schema := filepath.Join(dir, "answer.json")
	os.WriteFile(schema, []byte(`{"type": "object", "required": ["answer"]}`), 0o600)
	src := `
targets: [{name: prod, url: "https://llm.example/v1", model: m}]
workloads:
  - name: canary
    dataset: {kind: canary, output_tokens: 256}
    arrival: {kind: constant, rate: 1}
    requests: 4
    checks:
      - not_refusal
      - {name: answer-schema, check: "json_schema:` + schema + `"}
      - 'regex:(?i)\bparis\b'
    params:
      response_format: {type: json_object}
      tools:
        - type: function
          function: {name: get_weather, parameters: {type: object, required: [city], properties: {city: {type: string}}}}
      tool_choice: auto
`
	cfg, err := Load([]byte(src), "test.yml")
	if err != nil {
		t.Fatal(err)
	}
	w := cfg.Workload("canary")
	set, err := w.CheckSet()
	if err != nil || len(set) != 3 {
		t.Fatalf("CheckSet: %v, %d checks", err, len(set))
	}
	if names := []string{set[0].Name, set[1].Name, set[2].Name}; !reflect.DeepEqual(names, []string{"not_refusal", "answer-schema", `regex:(?i)\bparis\b`}) {
		t.Errorf("names %q", names)
	}
	if tools, err := w.ToolSchemas(); err != nil || tools["get_weather"] == nil {
		t.Errorf("ToolSchemas: %v %v", tools, err)
	}
	var archived map[string]any
	if out, err := yaml.Marshal(w); err != nil || yaml.Unmarshal(out, &archived) != nil {
		t.Fatal(err)
	}
	b, _ := yaml.Marshal(archived["checks"])
	if want := "- not_refusal\n- check: json_schema:" + schema + "\n  name: answer-schema\n- regex:(?i)\\bparis\\b\n"; string(b) != want {
		t.Errorf("archived checks:\n%s\nwant:\n%s", b, want)
	}
	if archived["params"].(map[string]any)["tool_choice"] != "auto" {
		t.Errorf("params archived as %v", archived["params"])
	}
}

// TestInlineChecks: an API body's workload may give a schema inline but
// never name a schema file.
func TestInlineChecks(t *testing.T) {
	cfg := DefaultConfig()
	body := `{"name": "w", "dataset": {"kind": "canary"}, "arrival": {"kind": "constant", "rate": 1}, "requests": 2, "checks": [%s]}`
	if _, err := inlineWorkload(cfg, []byte(strings.Replace(body, "%s", `"json_schema:{\"type\":\"object\"}"`, 1))); err != nil {
		t.Errorf("inline schema refused: %v", err)
	}
	_, err := inlineWorkload(cfg, []byte(strings.Replace(body, "%s", `"json", "json_schema:/etc/passwd"`, 1)))
	if err == nil || !strings.Contains(err.Error(), "checks[1]: an API body may not name a local file") {
		t.Errorf("schema file in an API body: %v", err)
	}
}
