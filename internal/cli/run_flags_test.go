package cli

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	"go.yaml.in/yaml/v3"

	"github.com/inferno-llm/inferno/config"
	"github.com/inferno-llm/inferno/internal/testutil"
	"github.com/inferno-llm/inferno/simulator"
	"github.com/inferno-llm/inferno/window"
)

// parseRunFlags parses `inferno run` args as the command line would.
func parseRunFlags(t *testing.T, args ...string) *runCommand {
	t.Helper()
	app := kingpin.New("inferno", "")
	c := newRunCommand(app)
	if _, err := app.Parse(append([]string{"run"}, args...)); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	return c
}

// writeFile writes a file under a test's temporary directory.
func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// asYAML is a workload as its YAML: comparable whatever the unexported
// bookkeeping (the line it was read from) and the number types (a JSON
// flag's 20.0 and YAML's 20 are both 20).
func asYAML(t *testing.T, w *config.Workload) string {
	t.Helper()
	b, err := yaml.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const endpointFlags = "--url=http://127.0.0.1:1/v1 --model=m"

// TestRunFlagsMatchYAML: flags give the very workload the YAML of the
// same fields gives (with the command line's defaults written out: 128
// tokens each way and a 5m request timeout).
func TestRunFlagsMatchYAML(t *testing.T) {
	data := writeFile(t, "data.jsonl", "{}\n")
	const defaults = "name: cli\nrequest_timeout: 5m\n"
	const synthetic = "dataset: {kind: synthetic, input_tokens: 128, output_tokens: 128}\n"
	for _, tc := range []struct {
		name  string
		flags []string
		yaml  string
	}{
		{"constant", []string{"--arrival", "constant", "--rate", "5", "--requests", "10"},
			synthetic + "arrival: {kind: constant, rate: 5}\nrequests: 10\n"},
		{"poisson from --rate", []string{"--rate", "2.5", "--duration", "1m"},
			synthetic + "arrival: {kind: poisson, rate: 2.5}\nduration: 1m\n"},
		{"gamma from --burstiness", []string{"--rate", "2", "--burstiness", "0.5", "--requests", "5"},
			synthetic + "arrival: {kind: gamma, rate: 2, burstiness: 0.5}\nrequests: 5\n"},
		{"closed loop", []string{"--concurrency", "8", "--requests", "100", "--warmup", "4"},
			synthetic + "arrival: {kind: concurrency, concurrency: 8}\nrequests: 100\nwarmup: 4\n"},
		{"ramp", []string{"--arrival", "ramp", "--rate", "1", "--end-rate", "10", "--ramp-duration", "2m", "--steps", "4", "--duration", "2m"},
			synthetic + "arrival: {kind: ramp, rate: 1, end_rate: 10, ramp_duration: 2m, steps: 4}\nduration: 2m\n"},
		{"stages", []string{"--stage", "rate=2,duration=1m", "--stage", "concurrency=4,duration=30s", "--duration", "90s"},
			synthetic + "arrival:\n  kind: stages\n  stages:\n  - {rate: 2, duration: 1m}\n  - {concurrency: 4, duration: 30s}\nduration: 90s\n"},
		{"capacity", []string{"--arrival", "capacity", "--rate", "2", "--step-duration", "5s", "--max-steps", "6", "--slo-objective", "0.9", "--slo-ttft", "500ms"},
			synthetic + "arrival: {kind: capacity, rate: 2, step_duration: 5s, max_steps: 6, slo_objective: 0.9}\nslo: {ttft: 500ms}\n"},
		{"synthesizer", []string{"--arrival", "synthesizer", "--func", "lambda t: int(t/2+1) if t<10 else None"},
			synthetic + "arrival: {kind: synthesizer, func: 'lambda t: int(t/2+1) if t<10 else None'}\n"},
		{"replay", []string{"--dataset", "arena", "--dataset-path", data, "--arrival", "replay", "--compression-ratio", "10", "--workload-range", "0", "--workload-range", "100"},
			"dataset: {kind: arena, path: " + data + ", input_tokens: 128, output_tokens: 128}\narrival: {kind: replay, compression_ratio: 10, workload_range: [0, 100]}\n"},
		{"tokenized file", []string{"--dataset", "dolly", "--dataset-path", data, "--tokenizer", "cl100k_base", "--max-input-tokens", "512", "--truncate-input", "--first-turn-only", "--rate", "1", "--requests", "3"},
			"dataset: {kind: dolly, path: " + data + ", tokenizer: cl100k_base, max_input_tokens: 512, truncate_input: true, first_turn_only: true, input_tokens: 128, output_tokens: 128}\narrival: {kind: poisson, rate: 1}\nrequests: 3\n"},
		{"hub file", []string{"--dataset", "sharegpt", "--hf-repo", "owner/name", "--hf-file", "data.json", "--hf-revision", "v1", "--rate", "1", "--requests", "3"},
			"dataset: {kind: sharegpt, hub: {repo: owner/name, file: data.json, revision: v1}, input_tokens: 128, output_tokens: 128}\narrival: {kind: poisson, rate: 1}\nrequests: 3\n"},
		{"prefixes and sessions", []string{"--input-tokens", "64", "--output-tokens", "16", "--length-spread", "0.2", "--prefix-tokens", "256", "--prefixes", "4", "--turns", "3", "--concurrency", "2", "--requests", "6"},
			"dataset: {kind: synthetic, input_tokens: 64, output_tokens: 16, spread: 0.2, prefix_tokens: 256, prefixes: 4, turns: 3}\narrival: {kind: concurrency, concurrency: 2}\nrequests: 6\n"},
		{"params", []string{"--temperature", "0", "--top-p", "0.9", "--ignore-eos", "--min-tokens", "8", "--extra-body", `{"top_k": 20, "stop": ["x"]}`, "--concurrency", "1", "--requests", "1"},
			synthetic + "params: {temperature: 0, top_p: 0.9, ignore_eos: true, min_tokens: 8, extra_body: {top_k: 20, stop: [x]}}\narrival: {kind: concurrency, concurrency: 1}\nrequests: 1\n"},
		{"canary and checks", []string{"--dataset", "canary", "--check", "json", "--check", "regex:^4", "--response-format", "json_object",
			"--tools", `[{"type": "function", "function": {"name": "f"}}]`, "--tool-choice", "f", "--rate", "1", "--requests", "4"},
			"dataset: {kind: canary, input_tokens: 128, output_tokens: 128}\narrival: {kind: poisson, rate: 1}\nrequests: 4\nchecks: [json, 'regex:^4']\n" +
				"params: {response_format: {type: json_object}, tools: [{type: function, function: {name: f}}], tool_choice: {type: function, function: {name: f}}}\n"},
		{"window settings", []string{"--rate", "4", "--duration", "30s", "--grace", "0s", "--no-warm-connections", "--deadline", "10m", "--max-concurrency", "16", "--request-timeout", "30s", "--seed", "7", "--slo-tpot", "50ms", "--slo-e2e", "5s"},
			synthetic + "arrival: {kind: poisson, rate: 4}\nduration: 30s\ngrace: 0s\nwarm_connections: false\ndeadline: 10m\nmax_concurrency: 16\nrequest_timeout: 30s\nseed: 7\nslo: {tpot: 50ms, e2e: 5s}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := parseRunFlags(t, append(strings.Fields(endpointFlags), tc.flags...)...)
			_, _, got, err := c.definitions()
			if err != nil {
				t.Fatalf("flags %v: %v", tc.flags, err)
			}
			text := tc.yaml
			if !strings.Contains(text, "request_timeout:") {
				text = defaults + text
			} else {
				text = "name: cli\n" + text
			}
			fromFile, err := workloadFile(t, writeFile(t, "w.yml", text))
			if err != nil {
				t.Fatalf("YAML: %v", err)
			}
			if g, w := asYAML(t, got), asYAML(t, fromFile); g != w {
				t.Errorf("flags %v give\n%s\nthe YAML gives\n%s", tc.flags, g, w)
			}
		})
	}
}

// workloadFile resolves a workload file as inferno run --workload-file
// does, through the config's resolve.
func workloadFile(t *testing.T, path string) (*config.Workload, error) {
	t.Helper()
	cfg, text, err := config.LoadWorkloadFile(path)
	if err != nil {
		return nil, err
	}
	if cfg != nil {
		t.Fatalf("%s read as a whole config", path)
	}
	target := config.NewTarget()
	target.URL, target.Model = "http://127.0.0.1:1/v1", "m"
	_, w, err := config.DefaultConfig().Resolve(config.FileDoor(path),
		config.Input{Target: target, Workload: &config.Workload{Name: config.WorkloadFileName(path)}, WorkloadText: text, TextName: path})
	return w, err
}

// renamedFlags are the workload flags not named after their field's last
// YAML key, each for its reason; every other flag is.
var renamedFlags = map[string]string{
	"dataset":       "dataset.kind: the prompt source's kind is the dataset's name",
	"dataset-path":  "dataset.path: --path alone would not say of what",
	"hf-repo":       "dataset.hub.repo: the Hugging Face hub's fields, prefixed as huggingface-cli's",
	"hf-file":       "dataset.hub.file",
	"hf-revision":   "dataset.hub.revision",
	"length-spread": "dataset.spread: the spread of prompt and output lengths",
	"arrival":       "arrival.kind: the arrival's kind is the arrival's name",
	"stage":         "arrival.stages: each --stage adds one",
	"slo-ttft":      "slo.ttft: the section's name prefixes its fields",
	"slo-tpot":      "slo.tpot",
	"slo-e2e":       "slo.e2e",
	"check":         "checks: each --check adds one",
}

// cliLessFields are workload fields no flag sets, each for its reason.
var cliLessFields = map[string]string{
	"name": "a workload given by flags is named cli in reports and metrics; --name names the target (targets[].name), as it always has",
}

// workloadFields walks a type's YAML fields: structs (and pointers to
// them) are entered, anything else (numbers, lists, maps) is a field.
func workloadFields(t reflect.Type, prefix string, out *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if strings.Contains(opts, "inline") {
			workloadFields(ft, prefix, out)
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		path := strings.TrimPrefix(prefix+"."+name, ".")
		if ft.Kind() == reflect.Struct {
			workloadFields(ft, path, out)
			continue
		}
		*out = append(*out, path)
	}
}

// TestRunFlagsCoverWorkloadSchema walks the workload's YAML schema: every
// field has its flag or a reason to have none, every workload flag writes
// a field of the schema, and a flag named after a field writes that field.
func TestRunFlagsCoverWorkloadSchema(t *testing.T) {
	var fields []string
	workloadFields(reflect.TypeFor[config.Workload](), "", &fields)
	if len(fields) < 40 {
		t.Fatalf("the walk found %d fields: %v", len(fields), fields)
	}
	c := newRunCommand(kingpin.New("inferno", ""))
	byField := map[string]*runFlag{}
	for _, f := range c.flags {
		if f.scope != scopeWorkload {
			continue
		}
		if !slices.Contains(fields, f.field) {
			t.Errorf("--%s writes %s, which the workload schema does not have", f.name, f.field)
		}
		byField[f.field] = f
	}
	for _, field := range fields {
		f, ok := byField[field]
		_, cliLess := cliLessFields[field]
		switch {
		case ok && cliLess:
			t.Errorf("%s has --%s and is listed as having no flag", field, f.name)
		case !ok && !cliLess:
			t.Errorf("workload field %s has no inferno run flag (add one named %s, or list it in cliLessFields with the reason)",
				field, strings.ReplaceAll(field[strings.LastIndex(field, ".")+1:], "_", "-"))
		case ok:
			last := strings.ReplaceAll(field[strings.LastIndex(field, ".")+1:], "_", "-")
			if _, renamed := renamedFlags[f.name]; f.name != last && !renamed {
				t.Errorf("--%s writes %s: name it --%s, or list it in renamedFlags with the reason", f.name, field, last)
			}
		}
	}
	// No flag of any scope takes the name of a workload field it does not
	// write (the target's --name is the one listed exception).
	for _, f := range c.flags {
		for _, field := range fields {
			last := strings.ReplaceAll(field[strings.LastIndex(field, ".")+1:], "_", "-")
			if f.name == last && f.field != field && !(f.name == "name" && f.scope == scopeTarget) {
				t.Errorf("--%s writes %s %s, but the workload field %s has its name", f.name, f.scope, f.field, field)
			}
		}
	}
}

// TestRunRefusalsAreTheConfigs: a bad setting by flag is refused with the
// config's own message for the same field in YAML, prefixed by the flag.
func TestRunRefusalsAreTheConfigs(t *testing.T) {
	const synthetic = "name: cli\nrequest_timeout: 5m\ndataset: {kind: synthetic, input_tokens: 128, output_tokens: 128}\n"
	for _, tc := range []struct {
		name   string
		flags  []string
		yaml   string // the same workload in YAML; empty for target fields
		prefix string
	}{
		{"rate over the limit", []string{"--rate", "20000", "--requests", "3"}, synthetic + "arrival: {kind: poisson, rate: 20000}\nrequests: 3\n", "--rate (arrival.rate): "},
		{"negative requests", []string{"--rate", "5", "--requests=-1"}, synthetic + "arrival: {kind: poisson, rate: 5}\nrequests: -1\n", "--requests (requests): "},
		{"no end", []string{"--rate", "5"}, synthetic + "arrival: {kind: poisson, rate: 5}\n", "workload: "},
		{"stage without duration", []string{"--stage", "rate=2", "--requests", "3"}, synthetic + "arrival: {kind: stages, stages: [{rate: 2}]}\nrequests: 3\n", "--arrival (arrival): "},
		{"steps of one", []string{"--arrival", "ramp", "--rate", "1", "--end-rate", "2", "--ramp-duration", "1m", "--steps", "1", "--duration", "1m"},
			synthetic + "arrival: {kind: ramp, rate: 1, end_rate: 2, ramp_duration: 1m, steps: 1}\nduration: 1m\n", "--arrival (arrival): "},
		{"capacity over max_duration", []string{"--arrival", "capacity", "--step-duration", "200h", "--max-steps", "10"},
			synthetic + "arrival: {kind: capacity, step_duration: 200h, max_steps: 10}\n", "--max-steps (arrival.max_steps): "},
		{"max input tokens without tokenizer", []string{"--dataset", "dolly", "--dataset-path", "/dev/null", "--max-input-tokens", "9", "--rate", "1", "--requests", "1"},
			"name: cli\nrequest_timeout: 5m\ndataset: {kind: dolly, path: /dev/null, input_tokens: 128, output_tokens: 128, max_input_tokens: 9}\narrival: {kind: poisson, rate: 1}\nrequests: 1\n", "--max-input-tokens (dataset.max_input_tokens): "},
		{"extra body n", []string{"--extra-body", `{"n": 2}`, "--rate", "1", "--requests", "1"}, synthetic + "arrival: {kind: poisson, rate: 1}\nrequests: 1\nparams: {extra_body: {n: 2}}\n", "--extra-body (params.extra_body): "},
		{"bad URL", []string{"--url", "ftp://x", "--rate", "1", "--requests", "1"}, "", "--url (url): the scheme must be http or https"},
		{"unknown API", []string{"--api", "grpc", "--rate", "1", "--requests", "1"}, "", "--api (api): unknown api"},
		{"bad server metrics URL", []string{"--server-metrics", "ftp://x/metrics", "--rate", "1", "--requests", "1"}, "", "--server-metrics (server_metrics.url): the scheme must be http or https (or auto)"},
		{"missing key file", []string{"--api-key-file", "/nonexistent/key", "--rate", "1", "--requests", "1"}, "", "--api-key-file (http_client.authorization.credentials_file): cannot read /nonexistent/key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.flags
			if !slices.ContainsFunc(args, func(a string) bool { return a == "--url" }) {
				args = append(strings.Fields(endpointFlags), args...)
			} else {
				args = append([]string{"--model", "m"}, args...)
			}
			_, _, _, err := parseRunFlags(t, args...).definitions()
			if err == nil {
				t.Fatalf("flags %v accepted", tc.flags)
			}
			if !strings.HasPrefix(err.Error(), tc.prefix) {
				t.Errorf("error %q, want it to start %q", err, tc.prefix)
			}
			if tc.yaml == "" {
				return
			}
			_, yerr := workloadFile(t, writeFile(t, "w.yml", tc.yaml))
			var e *config.Error
			if !errors.As(yerr, &e) {
				t.Fatalf("the YAML's error %v is not a config error", yerr)
			}
			if want := tc.prefix + e.Err.Error(); err.Error() != want {
				t.Errorf("flags: %q\nYAML:  %q (%s)", err, want, yerr)
			}
		})
	}
}

// TestRunWorkloadFile: --workload-file takes one workload, or a whole
// config's workload and target by name; workload flags are not mixed in.
func TestRunWorkloadFile(t *testing.T) {
	one := writeFile(t, "smoke.yml", "# a workload\ndataset: {kind: synthetic, input_tokens: 16, output_tokens: 4}\narrival: {kind: concurrency, concurrency: 2}\nrequests: 6\nslo: {ttft: 1s}\n")
	whole := writeFile(t, "inferno.yml", `targets:
  - {name: sim, url: "http://127.0.0.1:1/v1", model: sim-model, api: openai-completions}
  - {name: other, url: "http://127.0.0.1:2/v1", model: m2}
workloads:
  - name: small
    dataset: {kind: synthetic, input_tokens: 8, output_tokens: 2}
    arrival: {kind: constant, rate: 4}
    requests: 3
  - name: large
    dataset: {kind: synthetic, input_tokens: 800, output_tokens: 200}
    arrival: {kind: concurrency, concurrency: 4}
    duration: 1m
`)
	bad := writeFile(t, "bad.yml", "dataset: {kind: synthetic, input_tokens: 16, output_tokens: 4}\narrival: {kind: poisson, rate: 1}\n\nrequests: -2\n")
	for _, tc := range []struct {
		name                 string
		args                 []string
		workload, target     string
		requests             int
		targetURL, targetAPI string
		err                  string
	}{
		{name: "one workload", args: []string{"--workload-file", one, "--url", "http://127.0.0.1:3/v1", "--model", "m"},
			workload: "smoke", target: "127.0.0.1:3", requests: 6, targetURL: "http://127.0.0.1:3/v1", targetAPI: "openai-chat"},
		{name: "a config's workload and target", args: []string{"--workload-file", whole, "--workload", "small", "--target", "sim"},
			workload: "small", target: "sim", requests: 3, targetURL: "http://127.0.0.1:1/v1", targetAPI: "openai-completions"},
		{name: "a config's workload, target by flags", args: []string{"--workload-file", whole, "--workload", "large", "--url", "http://127.0.0.1:3/v1", "--model", "m", "--name", "mine"},
			workload: "large", target: "mine", targetURL: "http://127.0.0.1:3/v1", targetAPI: "openai-chat"},
		{name: "workload flags with a file", args: []string{"--workload-file", one, "--url", "http://127.0.0.1:3/v1", "--model", "m", "--rate", "5", "--slo-ttft", "1s"},
			err: "--rate, --slo-ttft with --workload-file: the workload is the file's; set the fields there (arrival.rate, slo.ttft)"},
		{name: "target flags with --target", args: []string{"--workload-file", whole, "--workload", "small", "--target", "sim", "--url", "http://127.0.0.1:3/v1"},
			err: "--url with --target: the target is the config's"},
		{name: "no workload named", args: []string{"--workload-file", whole, "--target", "sim"},
			err: "is a config file with 2 workloads: name one with --workload (defined: small, large)"},
		{name: "unknown workload", args: []string{"--workload-file", whole, "--workload", "huge", "--target", "sim"},
			err: "--workload huge: " + whole + " defines no such workload (defined: small, large)"},
		{name: "unknown target", args: []string{"--workload-file", whole, "--workload", "small", "--target", "gpu"},
			err: "--target gpu: " + whole + " defines no such target (defined: sim, other)"},
		{name: "--target with one workload", args: []string{"--workload-file", one, "--target", "sim"},
			err: "--target and --workload pick from a whole config file"},
		{name: "--workload without a file", args: []string{"--workload", "small", "--url", "http://127.0.0.1:3/v1", "--model", "m"},
			err: "--workload names a definition of the config file given with --workload-file"},
		{name: "a bad workload file names its line", args: []string{"--workload-file", bad, "--url", "http://127.0.0.1:3/v1", "--model", "m"},
			err: bad + ":4: requests: must not be negative, got -2"},
		{name: "no target", args: []string{"--workload-file", one},
			err: "--url and --model are required (or --target NAME"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, tg, w, err := parseRunFlags(t, tc.args...).definitions()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w.Name != tc.workload || w.Requests != tc.requests || tg.Name != tc.target || tg.URL != tc.targetURL || tg.API != tc.targetAPI {
				t.Errorf("workload %s (%d requests) against %s %s %s; want %s (%d) against %s %s %s",
					w.Name, w.Requests, tg.Name, tg.URL, tg.API, tc.workload, tc.requests, tc.target, tc.targetURL, tc.targetAPI)
			}
		})
	}
}

// TestCommandHelpAndDefault: each command's help lists its own flags (the
// daemon's are not under inferno run), the old spellings of inferno run's
// TLS flags still work unlisted, and the daemon still starts with no
// command named, as README's main command does.
func TestCommandHelpAndDefault(t *testing.T) {
	help := func(args ...string) string {
		var out bytes.Buffer
		app, _ := newApp(&promslog.Config{})
		app.UsageWriter(&out).ErrorWriter(&out).Terminate(func(int) {})
		app.Parse(args)
		return out.String()
	}
	runHelp := help("run", "--help")
	for _, want := range []string{"--url", "--workload-file", "--stage", "--end-rate", "--tls-ca-file", "]tls-insecure-skip-verify", "--[no-]warm-connections", "--log.level"} {
		if !strings.Contains(runHelp, want) {
			t.Errorf("inferno run --help lacks %s", want)
		}
	}
	for _, unwanted := range []string{"config.file", "config.check", "web.", "shard.", "tls."} {
		if strings.Contains(runHelp, unwanted) {
			t.Errorf("inferno run --help lists %s", unwanted)
		}
	}
	daemonHelp := help("daemon", "--help")
	for _, want := range []string{"--config.file", "]config.check", "--web.listen-address", "--shard.count"} {
		if !strings.Contains(daemonHelp, want) {
			t.Errorf("inferno daemon --help lacks %s", want)
		}
	}
	if strings.Contains(daemonHelp, "--workload-file") {
		t.Error("inferno daemon --help lists inferno run's flags")
	}

	for _, args := range [][]string{
		{"--config.file=inferno-test.yml", "--shard.count=2"},
		{"--log.level=warn", "--config.file", "inferno-test.yml", "--shard.count", "2"},
		{"daemon", "--config.file=inferno-test.yml", "--shard.count=2"},
	} {
		app, cmds := newApp(&promslog.Config{})
		cmd, err := app.Parse(args)
		if err != nil || cmd != "daemon" || cmds.daemon.configFile != "inferno-test.yml" || cmds.daemon.shardCount != 2 {
			t.Errorf("%v: command %q, config %q, shards %d, err %v; want the daemon with inferno-test.yml and 2 shards",
				args, cmd, cmds.daemon.configFile, cmds.daemon.shardCount, err)
		}
	}
	app, _ := newApp(&promslog.Config{})
	if _, err := app.Parse([]string{"run", "--config.file=inferno.yml"}); err == nil {
		t.Error("inferno run took the daemon's --config.file")
	}

	old := parseRunFlags(t, "--tls.ca-file", "/ca.pem", "--tls.insecure-skip-verify")
	current := parseRunFlags(t, "--tls-ca-file", "/ca.pem", "--tls-insecure-skip-verify")
	if old.caFile != "/ca.pem" || !old.insecure || current.caFile != old.caFile || current.insecure != old.insecure {
		t.Errorf("old spelling: %q %v; new: %q %v", old.caFile, old.insecure, current.caFile, current.insecure)
	}
}

// TestREADMEListsRunFlags: every inferno run flag is in README's table.
func TestREADMEListsRunFlags(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(readme), "### `inferno run`")
	end := strings.Index(string(readme), "### `inferno simulate`")
	if start < 0 || end < start {
		t.Fatal("README has no inferno run section before inferno simulate's")
	}
	section := string(readme[start:end])
	c := newRunCommand(kingpin.New("inferno", ""))
	var missing []string
	for _, f := range c.flags {
		named := regexp.MustCompile(`(^|[^a-z-])--` + regexp.QuoteMeta(f.name) + `([^a-z-]|$)`)
		if !f.hidden && !named.MatchString(section) {
			missing = append(missing, "--"+f.name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("README's inferno run section lacks %v", missing)
	}
}

// TestRunWorkloadFileRuns runs a config's workload against its target and
// a one-workload file against --url, end to end against the simulator.
func TestRunWorkloadFileRuns(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(simulator.New(simulator.Config{TTFT: time.Millisecond, ITL: time.Millisecond,
		OnRequest: func(string, map[string]any) { requests.Add(1) }}))
	defer srv.Close()
	whole := writeFile(t, "inferno.yml", `targets:
  - {name: sim, url: "`+srv.URL+`/v1", model: sim, api: openai-completions}
workloads:
  - name: small
    dataset: {kind: synthetic, input_tokens: 8, output_tokens: 3}
    arrival: {kind: concurrency, concurrency: 2}
    requests: 4
    slo: {ttft: 1m}
`)
	one := writeFile(t, "smoke.yml", "dataset: {kind: synthetic, input_tokens: 8, output_tokens: 2}\narrival: {kind: concurrency, concurrency: 1}\nrequests: 3\n")
	for _, tc := range []struct {
		name             string
		args             []string
		workload, target string
		requests         int
		outputTokens     int64
	}{
		{"config file", []string{"--workload-file", whole, "--workload", "small", "--target", "sim"}, "small", "sim", 4, 12},
		{"one workload", []string{"--workload-file", one, "--url", srv.URL + "/v1", "--model", "sim", "--name", "local"}, "smoke", "local", 3, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := requests.Load()
			dir := t.TempDir()
			if code := Run(append(append([]string{"run"}, tc.args...), "--report-dir", dir, "--log.level", "error", "--progress", "never")); code != 0 {
				t.Fatalf("exit status %d", code)
			}
			r := testutil.OnlyReport(t, dir)
			if r.Run.Workload != tc.workload || r.Run.Target.Name != tc.target || r.Summary.Successes != tc.requests ||
				r.Summary.OutputTokens != tc.outputTokens {
				t.Errorf("workload %s against %s: %d successes, %d output tokens; want %s against %s, %d and %d",
					r.Run.Workload, r.Run.Target.Name, r.Summary.Successes, r.Summary.OutputTokens, tc.workload, tc.target, tc.requests, tc.outputTokens)
			}
			// Warm connections are set up without requests; the server saw
			// exactly the window's.
			if got := requests.Load() - before; got != int64(tc.requests) {
				t.Errorf("the simulator served %d requests, want %d", got, tc.requests)
			}
		})
	}
}

// TestRunAuthorizationHeader: --header Authorization=... maps onto the
// client config's authorization (http_headers may not carry it), so the
// endpoint receives the header as given.
func TestRunAuthorizationHeader(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case got <- r.Header.Get("Authorization") + "|" + r.Header.Get("X-Tag"):
		default:
		}
		http.Error(w, "no", http.StatusTeapot)
	}))
	defer srv.Close()
	for _, value := range []string{"Bearer sk-1", "Basic dTpw", "Token abc"} {
		c := parseRunFlags(t, "--url", srv.URL+"/v1", "--model", "m", "--header", "Authorization="+value, "--header", "X-Tag=canary",
			"--concurrency", "1", "--requests", "1", "--no-warm-connections")
		base, tg, wl, err := c.definitions()
		if err != nil {
			t.Fatalf("%s: %v", value, err)
		}
		window.Execute(t.Context(), window.Job{ID: "x", Trigger: "cli",
			Spec: window.Spec{Target: tg, Workload: wl, Global: base.Global, MaxInFlight: base.Limits.MaxInFlight}})
		if h := <-got; h != value+"|canary" {
			t.Errorf("the endpoint received %q, want %q", h, value+"|canary")
		}
	}
	c := parseRunFlags(t, "--url", srv.URL, "--model", "m", "--header", "Authorization=Basic !!", "--concurrency", "1", "--requests", "1")
	if _, _, _, err := c.definitions(); err == nil || strings.Contains(err.Error(), "!!") {
		t.Errorf("a malformed Basic credential: %v", err)
	}
}

// TestRunFlagsRefuseNonFinite: NaN and infinities never reach the schema
// from the command line, as the config's decoder refuses them in text.
func TestRunFlagsRefuseNonFinite(t *testing.T) {
	for _, args := range [][]string{
		{"--rate", "NaN"}, {"--burstiness", "+Inf"}, {"--length-spread", "nan"}, {"--temperature", "Inf"},
		{"--top-p=-Inf"}, {"--stage", "rate=NaN,duration=1s"}, {"--slo-objective", "NaN"},
	} {
		app := kingpin.New("inferno", "")
		newRunCommand(app)
		if _, err := app.Parse(append([]string{"run", "--url", "http://127.0.0.1:1/v1", "--model", "m"}, args...)); err == nil ||
			!strings.Contains(err.Error(), "finite") {
			t.Errorf("%v: %v, want a refusal of a non-finite number", args, err)
		}
	}
}
