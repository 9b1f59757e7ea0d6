package cli

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/alecthomas/kingpin/v2"
	promconfig "github.com/prometheus/common/config"

	"github.com/inferno-llm/inferno/checks"
	"github.com/inferno-llm/inferno/config"
	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/internal/httpclient"
	"github.com/inferno-llm/inferno/internal/hub"
	"github.com/inferno-llm/inferno/prober"
)

// inferno run's flags write straight into the config schema: a target, a
// workload and the hub settings of global, as a config file would hold
// them. The config package validates them and the window package builds
// the window, as for the daemon's windows; this file is only the mapping.

// Which part of the schema a flag writes, as the config names it in errors.
const (
	scopeTarget   = "targets[0]"
	scopeWorkload = "workloads[0]"
	scopeGlobal   = "global"
	scopeRun      = "" // inferno run's own: the workload file, reports, progress
)

// runFlag is one flag and the schema field it writes.
type runFlag struct {
	name   string
	scope  string
	field  string // the YAML path under scope: "arrival.rate"
	hidden bool   // an old spelling kept for scripts
	set    bool   // given on the command line
}

func (f *runFlag) path() string { return strings.TrimPrefix(f.scope+"."+f.field, ".") }

type runCommand struct {
	cmd   *kingpin.CmdClause
	flags []*runFlag

	target     config.Target
	workload   config.Workload
	global     config.Global
	hub        dataset.HubFile
	apiKeyFile string
	caFile     string
	insecure   bool
	headers    map[string]string
	// serverMetrics is --server-metrics: auto or a URL.
	serverMetrics string

	workloadFile, workloadName, targetName string

	reportDir  string
	transport  string
	perRequest bool
	progress   string
}

// flag adds a flag that writes field (a YAML path) of scope.
func (c *runCommand) flag(scope, field, name, help string) *kingpin.FlagClause {
	f := &runFlag{name: name, scope: scope, field: field}
	c.flags = append(c.flags, f)
	return c.cmd.Flag(name, help).IsSetByUser(&f.set)
}

// alias adds an old spelling of a flag, hidden from help.
func (c *runCommand) alias(scope, field, name string) *kingpin.FlagClause {
	fc := c.flag(scope, field, name, "Old spelling of --"+strings.ReplaceAll(name, ".", "-")+".").Hidden()
	c.flags[len(c.flags)-1].hidden = true
	return fc
}

func newRunCommand(app *kingpin.Application) *runCommand {
	c := &runCommand{headers: map[string]string{}, global: config.DefaultConfig().Global}
	c.cmd = app.Command("run", "Run one benchmark window against an endpoint and write its report.")
	w, t := &c.workload, &c.target
	// Each setting's flag is named after its YAML field (underscores as
	// dashes); README's flag table gives the field of every flag.
	T, W, G, R := scopeTarget, scopeWorkload, scopeGlobal, scopeRun

	c.flag(R, "", "workload-file", "Run the workload of this YAML file instead of the workload flags: one workload (as an item of a config's workloads), or a whole config file with --workload NAME (and --target NAME). Not mixed with workload flags.").StringVar(&c.workloadFile)
	c.flag(R, "", "workload", "The workload to run from the config given with --workload-file.").StringVar(&c.workloadName)
	c.flag(R, "", "target", "The target to run against from the config given with --workload-file, instead of --url and --model.").StringVar(&c.targetName)

	c.flag(T, "url", "url", "Endpoint base URL (for OpenAI APIs the /v1 base, e.g. http://127.0.0.1:8000/v1).").StringVar(&t.URL)
	c.flag(T, "api", "api", "API: "+strings.Join(prober.APINames(), ", ")+".").Default("openai-chat").StringVar(&t.API)
	c.flag(T, "model", "model", "Model name sent to the endpoint.").StringVar(&t.Model)
	c.flag(T, "name", "name", "Target name recorded in the report (default: the URL's host).").StringVar(&t.Name)
	c.flag(T, "http_client.authorization.credentials_file", "api-key-file", "File holding the API key, sent as a bearer token.").StringVar(&c.apiKeyFile)
	c.flag(T, "http_client.http_headers", "header", "Extra request header, Name=value (repeatable).").StringMapVar(&c.headers)
	c.flag(T, "server_metrics.url", "server-metrics", "The server's own Prometheus metrics, scraped across the window for its view beside the client's: auto (the --url's origin + /metrics) or a URL.").StringVar(&c.serverMetrics)
	c.flag(T, "http_client.tls_config.ca_file", "tls-ca-file", "CA certificate file for the endpoint.").StringVar(&c.caFile)
	c.alias(T, "http_client.tls_config.ca_file", "tls.ca-file").StringVar(&c.caFile)
	c.flag(T, "http_client.tls_config.insecure_skip_verify", "tls-insecure-skip-verify", "Do not verify the endpoint's certificate.").BoolVar(&c.insecure)
	c.alias(T, "http_client.tls_config.insecure_skip_verify", "tls.insecure-skip-verify").BoolVar(&c.insecure)

	ds := &w.Dataset
	c.flag(W, "dataset.kind", "dataset", "Prompt source: synthetic, canary (built-in prompts with known answers, each with its check), or a file of "+strings.Join(dataset.FileKinds(), ", ")+" (--dataset-path).").Default("synthetic").
		EnumVar(&ds.Kind, append([]string{"synthetic", dataset.CanaryKind}, dataset.FileKinds()...)...)
	c.flag(W, "dataset.path", "dataset-path", "Data file (.json, .jsonl or .parquet) for a file dataset.").StringVar(&ds.Path)
	c.flag(W, "dataset.hub.repo", "hf-repo", "Download the dataset file from this Hugging Face dataset repository (owner/name) instead of --dataset-path.").StringVar(&c.hub.Repo)
	c.flag(W, "dataset.hub.file", "hf-file", "File in --hf-repo, e.g. data/train-00000-of-00001.parquet.").StringVar(&c.hub.File)
	c.flag(W, "dataset.hub.revision", "hf-revision", "Branch, tag or commit of --hf-repo (default main).").StringVar(&c.hub.Revision)
	c.flag(G, "hf_token_file", "hf-token-file", "File holding a Hugging Face token (else HF_TOKEN), for gated datasets.").StringVar(&c.global.HFTokenFile)
	c.flag(G, "hf_endpoint", "hf-endpoint", "Hub address (default "+hub.DefaultEndpoint+").").StringVar(&c.global.HFEndpoint)
	c.flag(G, "dataset_cache_dir", "cache-dir", "Where downloaded datasets are kept and reused offline.").Default(config.DefaultCacheDir()).StringVar(&c.global.DatasetCacheDir)
	c.flag(W, "dataset.first_turn_only", "first-turn-only", "Send only each conversation's first turn instead of whole sessions.").BoolVar(&ds.FirstTurnOnly)
	c.flag(W, "dataset.input_tokens", "input-tokens", "Synthetic prompt length in tokens.").Default("128").IntVar(&ds.InputTokens)
	c.flag(W, "dataset.output_tokens", "output-tokens", "Output length asked for (max_tokens).").Default("128").IntVar(&ds.OutputTokens)
	c.flag(W, "dataset.spread", "length-spread", "Draw lengths uniformly within ±spread of the targets (0 to 1).").SetValue(finiteFloat{&ds.Spread})
	c.flag(W, "dataset.tokenizer", "tokenizer", "Count tokens with this tokenizer: "+strings.Join(dataset.BuiltinTokenizers, ", ")+", a tokenizer.json path, or hf:owner/name[@revision] (the model repository's tokenizer.json). Synthetic prompts are then exactly --input-tokens long, and output is counted from the text where the server reports no usage.").
		StringVar((*string)(&ds.Tokenizer))
	c.flag(W, "dataset.max_input_tokens", "max-input-tokens", "Drop dataset turns longer than this many tokens (needs --tokenizer; 0: no limit).").IntVar(&ds.MaxInputTokens)
	c.flag(W, "dataset.truncate_input", "truncate-input", "Cut turns longer than --max-input-tokens to fit instead of dropping them.").BoolVar(&ds.TruncateInput)
	c.flag(W, "dataset.images", "images", "Attach this many generated PNG images to each conversation's first turn (openai-chat; at most 32).").IntVar(&ds.Images)
	c.flag(W, "dataset.image_size", "image-size", "Size of each --images image, WIDTHxHEIGHT (default 512x512).").StringVar(&ds.ImageSize)
	c.flag(W, "dataset.prefix_tokens", "prefix-tokens", "Start each synthetic prompt with a shared prefix of this many tokens (prefix caching).").IntVar(&ds.PrefixTokens)
	c.flag(W, "dataset.prefixes", "prefixes", "Number of distinct shared prefixes, each prompt drawing one (default 1 with --prefix-tokens).").IntVar(&ds.Prefixes)
	c.flag(W, "dataset.turns", "turns", "Make each synthetic conversation a session of this many turns, sent with the growing history.").IntVar(&ds.Turns)

	a := &w.Arrival
	c.flag(W, "arrival.kind", "arrival", "Arrival pattern: constant, poisson, gamma, concurrency, ramp (--rate to --end-rate over --ramp-duration), stages (--stage), synthesizer (--func), replay (the dataset's timestamps) or capacity (search for the highest rate meeting the SLOs, from --rate) (default: poisson with --rate, gamma with --burstiness, concurrency with --concurrency).").
		EnumVar(&a.Kind, "constant", "poisson", "gamma", "concurrency", "ramp", "stages", "synthesizer", "replay", "capacity")
	c.flag(W, "arrival.rate", "rate", "Requests per second for open-loop arrivals (a ramp's start, a capacity search's first step).").SetValue(finiteFloat{&a.Rate})
	c.flag(W, "arrival.burstiness", "burstiness", "Gamma shape of the gaps: 1 is Poisson, lower is burstier (default 1).").SetValue(finiteFloat{&a.Burstiness})
	c.flag(W, "arrival.concurrency", "concurrency", "Requests kept in flight for --arrival=concurrency.").IntVar(&a.Concurrency)
	c.flag(W, "arrival.func", "func", "The old tool's arrival function for --arrival synthesizer: 'lambda t: int(t/A+B) if t<C else None'.").StringVar(&a.Func)
	c.flag(W, "arrival.compression_ratio", "compression-ratio", "Replay the dataset's timeline this many times faster (--arrival replay; default 1).").SetValue(finiteFloat{&a.CompressionRatio})
	c.flag(W, "arrival.workload_range", "workload-range", "Replay only conversations [start, end) in time order: give start and end (--workload-range 0 --workload-range 100).").IntsVar(&a.WorkloadRange)
	c.flag(W, "arrival.end_rate", "end-rate", "Requests per second at the end of --arrival ramp.").SetValue(finiteFloat{&a.EndRate})
	c.flag(W, "arrival.ramp_duration", "ramp-duration", "How long --arrival ramp takes from --rate to --end-rate.").SetValue(&a.RampDuration)
	c.flag(W, "arrival.steps", "steps", "Climb --arrival ramp in this many equal steps (0: linearly).").IntVar(&a.Steps)
	c.flag(W, "arrival.stages", "stage", "One stage of --arrival stages, rate=R,duration=D or concurrency=N,duration=D (repeatable, run in order).").SetValue(stageList{&a.Stages})
	c.flag(W, "arrival.slo_objective", "slo-objective", "Share of requests that must meet the SLOs for a capacity step to pass (--arrival capacity; 0: 0.95).").SetValue(finiteFloat{&a.Objective})
	c.flag(W, "arrival.step_duration", "step-duration", "Duration of each capacity step (--arrival capacity; 0: 10s).").SetValue(&a.StepDuration)
	c.flag(W, "arrival.max_steps", "max-steps", "Most capacity steps to run (--arrival capacity; 0: 10).").IntVar(&a.MaxSteps)

	p := &w.Params
	c.flag(W, "params.temperature", "temperature", "Sampling temperature.").SetValue(optionalFloat{&p.Temperature})
	c.flag(W, "params.top_p", "top-p", "Nucleus sampling top_p.").SetValue(optionalFloat{&p.TopP})
	c.flag(W, "params.ignore_eos", "ignore-eos", "Ask the server to ignore EOS so every answer has the asked length (sent to every OpenAI-style API; vLLM and SGLang honour it).").BoolVar(&p.IgnoreEOS)
	c.flag(W, "params.min_tokens", "min-tokens", "Fewest tokens each answer must have (min_tokens; sent to every OpenAI-style API).").IntVar(&p.MinTokens)
	c.flag(W, "params.extra_body", "extra-body", "JSON object merged into each request body.").SetValue(jsonObject{&p.ExtraBody})
	c.flag(W, "params.response_format", "response-format", "OpenAI response_format: json_object, text, or the JSON object ({\"type\": \"json_schema\", ...}).").SetValue(responseFormat{&p.ResponseFormat})
	c.flag(W, "params.tools", "tools", "OpenAI tools, a JSON array of {\"type\": \"function\", \"function\": {name, parameters}} (openai-chat).").SetValue(jsonArray{&p.Tools})
	c.flag(W, "params.tool_choice", "tool-choice", "OpenAI tool_choice: none, auto, required, or a declared tool's name.").SetValue(toolChoice{&p.ToolChoice})
	c.flag(W, "checks", "check", "Check every answer: "+strings.Join(checks.Kinds, ", ")+", as KIND[:ARG] (contains:TEXT, regex:RE, json_schema:FILE or {inline}, tool_call[:NAME], not_refusal[:RE]); repeatable. A failed check is counted apart, never a failed request.").SetValue(checkList{&w.Checks})

	c.flag(W, "requests", "requests", "Number of measured requests (0: until --duration).").IntVar(&w.Requests)
	c.flag(W, "duration", "duration", "Length of the window on the wall clock: nothing is sent after it; arrivals due but never sent are counted as not_sent.").SetValue(&w.Duration)
	c.flag(W, "grace", "grace", "After --duration, how long requests in flight may finish before they are cancelled (default 30s; 0: none).").SetValue(optionalDuration{&w.Grace})
	c.flag(W, "deadline", "deadline", "Hard end of the whole run, warm-up included; requests still in flight are cancelled (0: none).").SetValue(&w.Deadline)
	c.flag(W, "warm_connections", "warm-connections", "Open the window's connections before it starts (default); --no-warm-connections measures cold connection setup.").SetValue(optionalBool{&w.WarmConnections})
	c.flag(W, "warmup", "warmup", "Requests sent before the window and left out of the results.").IntVar(&w.Warmup)
	c.flag(W, "max_concurrency", "max-concurrency", "Cap on requests in flight for open-loop arrivals (0: limits.max_in_flight, 10000).").IntVar(&w.MaxConcurrency)
	c.flag(W, "request_timeout", "request-timeout", "Timeout of each request.").Default("5m").SetValue(&w.RequestTimeout)
	c.flag(W, "models", "models", "A model mix: each request's model drawn by weight from the seed, as name=weight,name=weight (a name alone weighs 1); overrides --model in requests.").SetValue(modelList{&w.Models})
	c.flag(W, "batch", "batch", "Inputs per request for --api openai-embeddings, documents per query for --api rerank (0: one).").IntVar(&w.Batch)
	c.flag(W, "seed", "seed", "Seed for prompts and arrival times.").Uint64Var(&w.Seed)
	c.flag(W, "slo.ttft", "slo-ttft", "SLO threshold on TTFT (0: none).").SetValue(&w.SLO.TTFT)
	c.flag(W, "slo.tpot", "slo-tpot", "SLO threshold on TPOT (0: none).").SetValue(&w.SLO.TPOT)
	c.flag(W, "slo.e2e", "slo-e2e", "SLO threshold on end-to-end latency (0: none).").SetValue(&w.SLO.E2E)

	c.flag(R, "", "prober.transport", "HTTP transport: fast (a streaming HTTP/1.1 transport for plain-HTTP targets, tuned net/http for the rest) or std (prometheus/common's net/http client for every target).").
		Default(httpclient.TransportFast).EnumVar(&c.transport, httpclient.TransportFast, httpclient.TransportStd)
	c.flag(R, "", "report-dir", "Directory for report_<id>.json.").Default("reports").StringVar(&c.reportDir)
	c.flag(R, "", "per-request", "Also write requests_<id>.jsonl with one line per request.").BoolVar(&c.perRequest)
	c.flag(R, "", "progress", "Progress bar: auto (on a terminal), always or never.").Default("auto").EnumVar(&c.progress, "auto", "always", "never")
	return c
}

// cliWorkloadName names a workload given by flags in reports and metrics.
const cliWorkloadName = "cli"

// definitions hands the command line to the config's one resolve: the
// config whose global settings and limits apply, and the target and
// workload given by flags, by a workload file or by name from a config
// file.
func (c *runCommand) definitions() (*config.Config, *config.Target, *config.Workload, error) {
	base, in, err := c.input()
	if err != nil {
		return nil, nil, nil, err
	}
	if c.targetName != "" {
		if base.Target(c.targetName) == nil {
			return nil, nil, nil, fmt.Errorf("--target %s: %s defines no such target (defined: %s)", c.targetName, c.workloadFile, base.TargetNames())
		}
		in.TargetName = c.targetName
	} else if in.Target, err = c.flagTarget(); err != nil {
		return nil, nil, nil, err
	}
	t, w, err := base.Resolve(config.CommandLine, in)
	if err != nil {
		return nil, nil, nil, c.flagError(err)
	}
	return base, t, w, nil
}

// input is the workload of the flags, or of --workload-file.
func (c *runCommand) input() (*config.Config, config.Input, error) {
	if c.workloadFile == "" {
		for _, name := range []string{"workload", "target"} {
			if c.isSet(name) {
				return nil, config.Input{}, fmt.Errorf("--%s names a definition of the config file given with --workload-file, and none is given", name)
			}
		}
		base := config.DefaultConfig()
		c.applyGlobal(base)
		w := c.workload
		w.Name = cliWorkloadName
		if c.hub != (dataset.HubFile{}) {
			hf := c.hub
			w.Dataset.Hub = &hf
		}
		return base, config.Input{Workload: &w}, nil
	}
	// Flags and a file are not mixed: a run's workload is then wholly in
	// the file, where it can be read, kept and scheduled as it ran.
	if given := c.given(scopeWorkload); len(given) > 0 {
		return nil, config.Input{}, fmt.Errorf("%s with --workload-file: the workload is the file's; set the field%s there (%s), or run it by flags alone",
			strings.Join(given, ", "), plural(len(given)), c.fieldsOf(given))
	}
	cfg, text, err := config.LoadWorkloadFile(c.workloadFile)
	if err != nil {
		return nil, config.Input{}, err
	}
	if cfg == nil {
		if c.isSet("target") || c.isSet("workload") {
			return nil, config.Input{}, fmt.Errorf("--target and --workload pick from a whole config file; %s holds one workload", c.workloadFile)
		}
		base := config.DefaultConfig()
		c.applyGlobal(base)
		// A workload without a name takes its file's.
		w := &config.Workload{Name: config.WorkloadFileName(c.workloadFile)}
		return base, config.Input{Workload: w, WorkloadText: text, TextName: c.workloadFile}, nil
	}
	if given := c.given(scopeGlobal); len(given) > 0 {
		return nil, config.Input{}, fmt.Errorf("%s with a config file: its global section applies; set them there", strings.Join(given, ", "))
	}
	if c.targetName != "" {
		if given := c.given(scopeTarget); len(given) > 0 {
			return nil, config.Input{}, fmt.Errorf("%s with --target: the target is the config's; give --url and --model without --target to define one by flags", strings.Join(given, ", "))
		}
	}
	name := c.workloadName
	if name == "" {
		if len(cfg.Workloads) != 1 {
			return nil, config.Input{}, fmt.Errorf("--workload-file %s is a config file with %d workloads: name one with --workload (defined: %s)", c.workloadFile, len(cfg.Workloads), cfg.WorkloadNames())
		}
		name = cfg.Workloads[0].Name
	}
	if cfg.Workload(name) == nil {
		return nil, config.Input{}, fmt.Errorf("--workload %s: %s defines no such workload (defined: %s)", name, c.workloadFile, cfg.WorkloadNames())
	}
	return cfg, config.Input{WorkloadName: name}, nil
}

// applyGlobal puts the hub flags into base's global settings.
func (c *runCommand) applyGlobal(base *config.Config) {
	if c.isSet("hf-token-file") {
		base.Global.HFTokenFile = c.global.HFTokenFile
	}
	if c.isSet("hf-endpoint") {
		base.Global.HFEndpoint = c.global.HFEndpoint
	}
	if c.isSet("cache-dir") || c.workloadFile == "" {
		base.Global.DatasetCacheDir = c.global.DatasetCacheDir
	}
}

// flagTarget is the target given by --url, --model and the client flags.
func (c *runCommand) flagTarget() (*config.Target, error) {
	if c.target.URL == "" || c.target.Model == "" {
		return nil, errors.New("--url and --model are required (or --target NAME with a config file given by --workload-file)")
	}
	t := config.NewTarget()
	t.Name, t.URL, t.API, t.Model = c.target.Name, c.target.URL, c.target.API, c.target.Model
	if c.apiKeyFile != "" {
		t.HTTP.Authorization = &promconfig.Authorization{Type: "Bearer", CredentialsFile: c.apiKeyFile}
	}
	t.HTTP.TLSConfig = promconfig.TLSConfig{CAFile: c.caFile, InsecureSkipVerify: c.insecure}
	if c.serverMetrics != "" {
		t.ServerMetrics = &config.ServerMetrics{URL: c.serverMetrics}
	}
	if len(c.headers) > 0 {
		h := promconfig.Headers{Headers: map[string]promconfig.Header{}}
		for k, v := range c.headers {
			if http.CanonicalHeaderKey(k) == "Authorization" {
				// http_headers may not set it; authorization does, as
				// the config file's would.
				if c.apiKeyFile != "" {
					return nil, errors.New("--header Authorization and --api-key-file both set the Authorization header: give one")
				}
				auth, basic, err := authorizationHeader(v)
				if err != nil {
					return nil, err
				}
				t.HTTP.Authorization, t.HTTP.BasicAuth = auth, basic
				continue
			}
			h.Headers[k] = promconfig.Header{Values: []string{v}}
		}
		if len(h.Headers) > 0 {
			t.HTTP.HTTPHeaders = &h
		}
	}
	return t, nil
}

// authorizationHeader maps an Authorization header's value onto the
// client config's authorization, or its basic_auth for Basic (which
// authorization refuses); errors never quote the credential.
func authorizationHeader(v string) (*promconfig.Authorization, *promconfig.BasicAuth, error) {
	typ, cred, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		typ, cred = "Bearer", typ
	}
	cred = strings.TrimSpace(cred)
	if !strings.EqualFold(typ, "Basic") {
		return &promconfig.Authorization{Type: typ, Credentials: promconfig.Secret(cred)}, nil, nil
	}
	raw, err := base64.StdEncoding.DecodeString(cred)
	user, password, found := strings.Cut(string(raw), ":")
	if err != nil || !found {
		return nil, nil, errors.New("--header Authorization=Basic ...: want the base64 of user:password")
	}
	return nil, &promconfig.BasicAuth{Username: user, Password: promconfig.Secret(password)}, nil
}

// flagError names the flag a config error is about, keeping the config's
// own message: "--rate (arrival.rate): 20000 requests per second is over
// the limit of 10000 (limits.max_rate)".
func (c *runCommand) flagError(err error) error {
	var e *config.Error
	if !errors.As(err, &e) {
		return err
	}
	scope, part := scopeWorkload, "workload"
	switch e.File {
	case config.CommandLine.Name + " target":
		scope, part = scopeTarget, "target"
	case config.CommandLine.Name + " workload":
	default:
		return err
	}
	if f := c.flagFor(scope + "." + e.Field); f != nil {
		return fmt.Errorf("--%s (%s): %w", f.name, e.Field, e.Err)
	}
	if e.Field != "" {
		return fmt.Errorf("%s %s: %w", part, e.Field, e.Err)
	}
	return fmt.Errorf("%s: %w", part, e.Err)
}

// flagFor is the flag writing the field at path or the nearest field
// enclosing it (arrival.stages for arrival.stages[1].rate); with several,
// the one given on the command line.
func (c *runCommand) flagFor(path string) *runFlag {
	var best *runFlag
	for _, f := range c.flags {
		if f.field == "" || f.hidden {
			continue
		}
		p := f.path()
		if path != p && !strings.HasPrefix(path, p+".") && !strings.HasPrefix(path, p+"[") {
			continue
		}
		if best == nil || len(p) > len(best.path()) || (len(p) == len(best.path()) && f.set && !best.set) {
			best = f
		}
	}
	if best == nil {
		// A section's own errors (arrival, dataset) go to the flag of the
		// section's name.
		scope, section, _ := strings.Cut(path, ".")
		for _, f := range c.flags {
			if f.scope == scope && !strings.Contains(section, ".") && f.name == strings.ReplaceAll(section, "_", "-") {
				return f
			}
		}
	}
	return best
}

func (c *runCommand) isSet(name string) bool {
	for _, f := range c.flags {
		if f.set && (f.name == name || f.hidden && strings.ReplaceAll(f.name, ".", "-") == name) {
			return true
		}
	}
	return false
}

// given lists the flags of a scope given on the command line.
func (c *runCommand) given(scope string) []string {
	var names []string
	for _, f := range c.flags {
		if f.set && f.scope == scope && f.field != "" {
			names = append(names, "--"+f.name)
		}
	}
	return names
}

// fieldsOf lists the YAML fields of flags.
func (c *runCommand) fieldsOf(flags []string) string {
	var fields []string
	for _, f := range c.flags {
		if slices.Contains(flags, "--"+f.name) {
			fields = append(fields, f.field)
		}
	}
	return strings.Join(fields, ", ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
