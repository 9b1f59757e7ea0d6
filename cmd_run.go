package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/alecthomas/kingpin/v2"
	promconfig "github.com/prometheus/common/config"
	"github.com/prometheus/common/version"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/inferno-llm/inferno/capacity"
	"github.com/inferno-llm/inferno/config"
	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/prober"
	"github.com/inferno-llm/inferno/render"
	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/result"
)

// Exit statuses of inferno run.
const (
	exitOK         = 0
	exitSetup      = 1   // bad flags, unreachable report dir: nothing ran
	exitNoSuccess  = 3   // the window ran but not one request succeeded
	exitReportLost = 4   // the window ran but its report could not be written
	exitAborted    = 130 // interrupted (Ctrl-C, SIGTERM): the report is written as aborted, as a shell reports SIGINT
)

type runCommand struct {
	cmd *kingpin.CmdClause

	url, api, model, name     string
	datasetName, datasetPath  string
	hub                       dataset.HubFile
	hubTokenFile, hubEndpoint string
	cacheDir                  string
	firstTurnOnly             bool
	tokenizer                 string
	maxInputTokens            int
	truncateInput             bool
	synthetic                 dataset.SyntheticSpec
	arrival, synthFunc        string
	compression               float64
	workloadRange             []int
	rate, burstiness          float64
	sloObjective              float64
	stepDuration              time.Duration
	maxSteps                  int
	concurrency, maxConc      int
	requests, warmup          int
	duration, deadline        time.Duration
	requestTimeout            time.Duration
	seed                      uint64
	sloTTFT, sloTPOT, sloE2E  time.Duration
	reportDir                 string
	perRequest                bool
	apiKeyFile                string
	headers                   map[string]string
	caFile                    string
	insecure                  bool
	temperature, topP         float64
	ignoreEOS                 bool
	minTokens                 int
	extraBody                 string
	progress                  string
	temperatureSet, topPSet   bool

	grace                   time.Duration
	noWarmConnections       bool
	rateSet, concurrencySet bool
}

func newRunCommand(app *kingpin.Application) *runCommand {
	c := &runCommand{headers: map[string]string{}}
	c.cmd = app.Command("run", "Run one benchmark window against an endpoint and write its report.")
	f := c.cmd.Flag
	f("url", "Endpoint base URL (for OpenAI APIs the /v1 base, e.g. http://127.0.0.1:8000/v1).").Required().StringVar(&c.url)
	f("api", "API: "+strings.Join(prober.APINames(), ", ")+".").Default("openai-chat").StringVar(&c.api)
	f("model", "Model name sent to the endpoint.").Required().StringVar(&c.model)
	f("name", "Target name recorded in the report (default: the URL's host).").StringVar(&c.name)
	f("dataset", "Prompt source: synthetic, or a file of "+strings.Join(dataset.FileKinds(), ", ")+" (--dataset-path).").Default("synthetic").
		EnumVar(&c.datasetName, append([]string{"synthetic"}, dataset.FileKinds()...)...)
	f("dataset-path", "Data file (.json, .jsonl or .parquet) for a file dataset.").StringVar(&c.datasetPath)
	f("hf-repo", "Download the dataset file from this Hugging Face dataset repository (owner/name) instead of --dataset-path.").StringVar(&c.hub.Repo)
	f("hf-file", "File in --hf-repo, e.g. data/train-00000-of-00001.parquet.").StringVar(&c.hub.File)
	f("hf-revision", "Branch, tag or commit of --hf-repo.").Default("main").StringVar(&c.hub.Revision)
	f("hf-token-file", "File holding a Hugging Face token (else HF_TOKEN), for gated datasets.").StringVar(&c.hubTokenFile)
	f("hf-endpoint", "Hub address.").Default(dataset.DefaultHubEndpoint).StringVar(&c.hubEndpoint)
	f("cache-dir", "Where downloaded datasets are kept and reused offline.").Default(config.DefaultCacheDir()).StringVar(&c.cacheDir)
	f("first-turn-only", "Send only each conversation's first turn instead of whole sessions.").BoolVar(&c.firstTurnOnly)
	f("input-tokens", "Synthetic prompt length in tokens.").Default("128").IntVar(&c.synthetic.InputTokens)
	f("output-tokens", "Output length asked for (max_tokens).").Default("128").IntVar(&c.synthetic.OutputTokens)
	f("length-spread", "Draw lengths uniformly within ±spread of the targets (0 to 1).").Default("0").Float64Var(&c.synthetic.Spread)
	f("tokenizer", "Count tokens with this tokenizer: "+strings.Join(dataset.BuiltinTokenizers, ", ")+", a tokenizer.json path, or hf:owner/name[@revision] (the model repository's tokenizer.json). Synthetic prompts are then exactly --input-tokens long, and output is counted from the text where the server reports no usage.").StringVar(&c.tokenizer)
	f("max-input-tokens", "Drop dataset turns longer than this many tokens (needs --tokenizer; 0: no limit).").Default("0").IntVar(&c.maxInputTokens)
	f("truncate-input", "Cut turns longer than --max-input-tokens to fit instead of dropping them.").BoolVar(&c.truncateInput)
	f("prefix-tokens", "Start each synthetic prompt with a shared prefix of this many tokens (prefix caching).").Default("0").IntVar(&c.synthetic.PrefixTokens)
	f("prefixes", "Number of distinct shared prefixes, each prompt drawing one (default 1 with --prefix-tokens).").Default("0").IntVar(&c.synthetic.Prefixes)
	f("turns", "Make each synthetic conversation a session of this many turns, sent with the growing history.").Default("0").IntVar(&c.synthetic.Turns)
	f("arrival", "Arrival pattern: constant, poisson, gamma, concurrency, synthesizer (--func), replay (the dataset's timestamps) or capacity (search for the highest rate meeting the SLOs, from --rate) (default: poisson with --rate, concurrency with --concurrency).").
		EnumVar(&c.arrival, "constant", "poisson", "gamma", "concurrency", "synthesizer", "replay", "capacity")
	f("func", "The old tool's arrival function for --arrival synthesizer: 'lambda t: int(t/A+B) if t<C else None'.").StringVar(&c.synthFunc)
	f("compression-ratio", "Replay the dataset's timeline this many times faster (--arrival replay).").Default("1").Float64Var(&c.compression)
	f("workload-range", "Replay only conversations [start, end) in time order: give start and end (--workload-range 0 --workload-range 100).").IntsVar(&c.workloadRange)
	f("rate", "Requests per second for open-loop arrivals.").IsSetByUser(&c.rateSet).Float64Var(&c.rate)
	f("slo-objective", "Share of requests that must meet the SLOs for a capacity step to pass (--arrival capacity; 0: 0.95).").Default("0").Float64Var(&c.sloObjective)
	f("step-duration", "Duration of each capacity step (--arrival capacity; 0: 10s).").Default("0s").DurationVar(&c.stepDuration)
	f("max-steps", "Most capacity steps to run (--arrival capacity; 0: 10).").Default("0").IntVar(&c.maxSteps)
	f("burstiness", "Gamma shape of the gaps: 1 is Poisson, lower is burstier.").Default("1").Float64Var(&c.burstiness)
	f("concurrency", "Requests kept in flight for --arrival=concurrency.").IsSetByUser(&c.concurrencySet).IntVar(&c.concurrency)
	f("max-concurrency", "Cap on requests in flight for open-loop arrivals (0: none).").Default("0").IntVar(&c.maxConc)
	f("requests", "Number of measured requests (0: until --duration).").Default("0").IntVar(&c.requests)
	f("duration", "Length of the window on the wall clock: nothing is sent after it; arrivals due but never sent are counted as not_sent.").Default("0s").DurationVar(&c.duration)
	f("grace", "After --duration, how long requests in flight may finish before they are cancelled (0: none).").Default("30s").DurationVar(&c.grace)
	f("deadline", "Hard end of the whole run, warm-up included; requests still in flight are cancelled (0: none).").Default("0s").DurationVar(&c.deadline)
	f("no-warm-connections", "Do not open connections before the window: measure cold connection setup.").BoolVar(&c.noWarmConnections)
	f("warmup", "Requests sent before the window and left out of the results.").Default("0").IntVar(&c.warmup)
	f("request-timeout", "Timeout of each request.").Default("5m").DurationVar(&c.requestTimeout)
	f("seed", "Seed for prompts and arrival times.").Default("0").Uint64Var(&c.seed)
	f("slo-ttft", "SLO threshold on TTFT (0: none).").Default("0s").DurationVar(&c.sloTTFT)
	f("slo-tpot", "SLO threshold on TPOT (0: none).").Default("0s").DurationVar(&c.sloTPOT)
	f("slo-e2e", "SLO threshold on end-to-end latency (0: none).").Default("0s").DurationVar(&c.sloE2E)
	f("report-dir", "Directory for report_<id>.json.").Default("reports").StringVar(&c.reportDir)
	f("per-request", "Also write requests_<id>.jsonl with one line per request.").BoolVar(&c.perRequest)
	f("api-key-file", "File holding the API key, sent as a bearer token.").StringVar(&c.apiKeyFile)
	f("header", "Extra request header, Name=value (repeatable).").StringMapVar(&c.headers)
	f("tls.ca-file", "CA certificate file for the endpoint.").StringVar(&c.caFile)
	f("tls.insecure-skip-verify", "Do not verify the endpoint's certificate.").BoolVar(&c.insecure)
	f("temperature", "Sampling temperature.").IsSetByUser(&c.temperatureSet).Float64Var(&c.temperature)
	f("top-p", "Nucleus sampling top_p.").IsSetByUser(&c.topPSet).Float64Var(&c.topP)
	f("ignore-eos", "Ask vLLM to ignore EOS so every answer has the asked length (api vllm).").BoolVar(&c.ignoreEOS)
	f("min-tokens", "vLLM min_tokens (api vllm).").Default("0").IntVar(&c.minTokens)
	f("extra-body", "JSON object merged into each request body.").StringVar(&c.extraBody)
	f("progress", "Progress bar: auto (on a terminal), always or never.").Default("auto").EnumVar(&c.progress, "auto", "always", "never")
	return c
}

// window builds the window and the report's target description from flags.
func (c *runCommand) window() (*prober.Window, report.Target, error) {
	if err := c.checkFlags(); err != nil {
		return nil, report.Target{}, err
	}
	u, err := url.Parse(c.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, report.Target{}, fmt.Errorf("--url %q: want an http or https URL with a host", c.url)
	}
	api, err := prober.LookupAPI(c.api)
	if err != nil {
		return nil, report.Target{}, fmt.Errorf("--api: %w", err)
	}
	spec := dataset.ArrivalSpec{Kind: c.arrival, Rate: c.rate, Burstiness: c.burstiness, Concurrency: c.concurrency,
		Func: c.synthFunc, CompressionRatio: c.compression, WorkloadRange: c.workloadRange,
		Objective: c.sloObjective, StepDuration: c.stepDuration, MaxSteps: c.maxSteps}
	if spec.Kind == "" {
		switch {
		case c.concurrency > 0:
			spec.Kind = "concurrency"
		case c.rate > 0 && c.burstiness != 1:
			spec.Kind = "gamma"
		case c.rate > 0:
			spec.Kind = "poisson"
		default:
			return nil, report.Target{}, fmt.Errorf("--arrival: give --rate (open loop) or --concurrency (closed loop)")
		}
	}
	ds := dataset.Spec{
		Dataset: c.datasetName, Path: c.datasetPath, Synthetic: c.synthetic, Arrival: spec, Seed: c.seed,
		Options:   dataset.SourceOptions{FirstTurnOnly: c.firstTurnOnly, MaxTokens: c.synthetic.OutputTokens},
		Tokenizer: dataset.TokenizerRef(c.tokenizer), MaxInputTokens: c.maxInputTokens, TruncateInput: c.truncateInput,
	}
	if spec.Kind == "capacity" && (c.requests > 0 || c.duration > 0) {
		return nil, report.Target{}, fmt.Errorf("--arrival capacity runs --max-steps steps of --step-duration each: leave --requests and --duration unset")
	}
	if c.truncateInput && c.maxInputTokens == 0 {
		return nil, report.Target{}, fmt.Errorf("--truncate-input needs --max-input-tokens")
	}
	if c.hub.Repo != "" || ds.Tokenizer.FromHub() {
		token, err := dataset.HubToken(c.hubTokenFile, "")
		if err != nil {
			return nil, report.Target{}, err
		}
		if c.hub.Repo != "" {
			ds.HubFile = &c.hub
		}
		ds.Hub = &dataset.Hub{Endpoint: c.hubEndpoint, Token: token, CacheDir: c.cacheDir}
	}
	arrival, source, tok, err := ds.BuildTokenized(context.Background())
	if err != nil {
		return nil, report.Target{}, fmt.Errorf("workload: %w", err)
	}
	params := prober.Params{MaxTokens: c.synthetic.OutputTokens, IgnoreEOS: c.ignoreEOS, MinTokens: c.minTokens}
	if c.temperatureSet {
		params.Temperature = &c.temperature
	}
	if c.topPSet {
		params.TopP = &c.topP
	}
	if c.extraBody != "" {
		if err := json.Unmarshal([]byte(c.extraBody), &params.Extra); err != nil {
			return nil, report.Target{}, fmt.Errorf("--extra-body: want a JSON object: %w", err)
		}
		if err := config.CheckExtraBody(params.Extra); err != nil {
			return nil, report.Target{}, fmt.Errorf("--extra-body: %w", err)
		}
	}
	httpCfg := promconfig.DefaultHTTPClientConfig
	if c.apiKeyFile != "" {
		// Read now: a missing file is a start-up error, not one
		// connection_error per request.
		f, err := os.Open(c.apiKeyFile)
		if err != nil {
			return nil, report.Target{}, fmt.Errorf("--api-key-file: %w", err)
		}
		f.Close()
		httpCfg.Authorization = &promconfig.Authorization{Type: "Bearer", CredentialsFile: c.apiKeyFile}
	}
	httpCfg.TLSConfig = promconfig.TLSConfig{CAFile: c.caFile, InsecureSkipVerify: c.insecure}
	if len(c.headers) > 0 {
		h := promconfig.Headers{Headers: map[string]promconfig.Header{}}
		for k, v := range c.headers {
			h.Headers[k] = promconfig.Header{Values: []string{v}}
		}
		httpCfg.HTTPHeaders = &h
	}
	name := c.name
	if name == "" {
		name = u.Host
	}
	client, err := prober.NewHTTPClient(httpCfg, name)
	if err != nil {
		return nil, report.Target{}, err
	}
	deadline := c.deadline
	w := &prober.Window{
		Target:         &prober.Target{Name: name, URL: c.url, Model: c.model, API: api, Client: client, Tokenizer: tok},
		Arrival:        arrival,
		Source:         source,
		Params:         params,
		Requests:       c.requests,
		Duration:       c.duration,
		Deadline:       deadline,
		MaxConcurrency: c.maxConc,
		Warmup:         c.warmup,
		RequestTimeout: c.requestTimeout,
	}
	w.Grace = c.grace
	if c.grace == 0 {
		w.Grace = -1 // the Runner's 0 is its default
	}
	if c.noWarmConnections {
		w.WarmConnections = -1
	}
	// Replays, synthesizer functions and capacity searches end on their
	// own; other arrivals need a cap.
	if w.Requests <= 0 && w.Duration <= 0 && spec.Kind != "replay" && spec.Kind != "synthesizer" && spec.Kind != "capacity" {
		return nil, report.Target{}, fmt.Errorf("give --requests or --duration: the window needs an end")
	}
	target := report.Target{Name: name, URL: report.RedactURL(c.url), API: api.Name(), Model: c.model}
	return w, target, nil
}

// checkFlags refuses flag combinations whose meaning is ambiguous and
// values that cannot be meant.
func (c *runCommand) checkFlags() error {
	if c.rateSet && c.concurrencySet {
		return fmt.Errorf("--rate and --concurrency together: --concurrency is a closed loop that ignores any rate; " +
			"to cap an open loop's requests in flight, give --rate with --max-concurrency (as vllm bench --request-rate --max-concurrency)")
	}
	for _, n := range []struct {
		flag  string
		value int64
	}{
		{"--requests", int64(c.requests)}, {"--warmup", int64(c.warmup)}, {"--max-concurrency", int64(c.maxConc)},
		{"--concurrency", int64(c.concurrency)}, {"--duration", int64(c.duration)}, {"--deadline", int64(c.deadline)},
		{"--request-timeout", int64(c.requestTimeout)}, {"--grace", int64(c.grace)},
	} {
		if n.value < 0 {
			return fmt.Errorf("%s must not be negative", n.flag)
		}
	}
	if c.rateSet && c.rate < 0 {
		return fmt.Errorf("--rate must not be negative, got %v", c.rate)
	}
	return nil
}

func (c *runCommand) execute(logger *slog.Logger) int {
	if hint := authHeaderHint(c.headers); hint != "" {
		logger.Warn(hint)
	}
	w, target, err := c.window()
	if err != nil {
		logger.Error("cannot start the window", "err", err)
		return exitSetup
	}
	if err := os.MkdirAll(c.reportDir, 0o755); err != nil {
		logger.Error("cannot create the report directory", "dir", c.reportDir, "err", err)
		return exitSetup
	}
	started := time.Now()
	id := report.NewRunID(started)
	var perRequest *os.File
	if c.perRequest {
		perRequest, err = os.CreateTemp(c.reportDir, ".requests-*.tmp")
		if err != nil {
			logger.Error("cannot create the per-request file", "dir", c.reportDir, "err", err)
			return exitSetup
		}
		defer os.Remove(perRequest.Name()) // no-op once renamed
	}
	slo := report.SLO{TTFT: c.sloTTFT, TPOT: c.sloTPOT, E2E: c.sloE2E}
	agg := report.NewAggregator(started, slo, writerOrNil(perRequest))
	w.OnStart = agg.SetStart
	w.Progress = &prober.Progress{}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	stopBar := c.showProgress(w)
	logger.Info("window starting", "id", id, "url", target.URL, "api", target.API, "model", c.model)
	var capResult *report.Capacity
	var info prober.RunInfo
	if c.arrival == "capacity" {
		capResult, info, err = c.searchCapacity(ctx, logger, w, slo, agg.Add)
	} else {
		info, err = w.Run(ctx, agg.Add)
	}
	stopBar()
	if err != nil {
		logger.Error("window could not run", "err", err)
		return exitSetup
	}
	status := report.StatusFinished
	if info.Aborted {
		status = report.StatusAborted
	}
	rep := agg.Report(report.Meta{
		ID: id, Status: status, Trigger: "cli", Version: version.Version,
		StartedAt: started, EndedAt: time.Now(), Target: target, Workload: "cli", Seed: c.seed,
		Config: c.redactedFlags(), Warmup: info.Warmup, WarmupFailed: info.WarmupFailed, DeadlineHit: info.DeadlineHit,
		WorkloadHash: info.WorkloadHash,
	})
	rep.Run.WarmConnections, rep.Run.GraceExpired = info.WarmConnections, info.GraceExpired
	rep.Run.WindowSeconds, rep.Run.GraceSeconds = info.Duration.Seconds(), info.Grace.Seconds()
	rep.Capacity = capResult
	top := report.MarkAllFailed(&rep)
	code := exitOK
	path, err := report.Write(c.reportDir, &rep)
	if err != nil {
		logger.Error("report not written", "err", err)
		code = exitReportLost
	} else if err := render.WriteReport(filepath.Join(c.reportDir, report.HTMLFileName(id)), &rep); err != nil {
		logger.Error("HTML report not written; inferno report render makes it from the JSON", "err", err)
	}
	if perRequest != nil {
		if err := finishPerRequest(perRequest, agg, filepath.Join(c.reportDir, report.RequestsFileName(id))); err != nil {
			logger.Error("per-request file not written", "err", err)
			code = exitReportLost
		}
	}
	printSummary(os.Stdout, &rep, path)
	if code == exitOK && rep.Run.Status == report.StatusAborted {
		// Interrupted: what ran is in the report, the requests cut off as
		// cancelled; the exit status says it did not run to its end.
		logger.Warn("window aborted; the report has what ran, requests in flight as cancelled", "report", path,
			"requests", rep.Summary.Requests, "cancelled", rep.Summary.Outcomes["cancelled"])
		return exitAborted
	}
	if code == exitOK && rep.Summary.Successes == 0 {
		if top != nil {
			logger.Warn("window failed: every request failed", "requests", rep.Summary.Requests, "top_error", top.String(), "top_error_count", top.Count)
		} else {
			logger.Error("no request succeeded", "requests", rep.Summary.Requests)
		}
		code = exitNoSuccess
	}
	return code
}

func writerOrNil(f *os.File) io.Writer {
	if f == nil {
		return nil
	}
	return f
}

func finishPerRequest(f *os.File, agg *report.Aggregator, path string) error {
	if err := agg.PerRequestError(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// redactedFlags records the run's configuration without secrets: the API
// key file's path is kept, header values are not (they often carry tokens).
func (c *runCommand) redactedFlags() map[string]any {
	headers := make([]string, 0, len(c.headers))
	for k := range c.headers {
		headers = append(headers, k+"=<secret>")
	}
	return map[string]any{
		"url": report.RedactURL(c.url), "api": c.api, "model": c.model, "dataset": c.datasetName, "dataset_path": c.datasetPath,
		"first_turn_only": c.firstTurnOnly, "func": c.synthFunc, "compression_ratio": c.compression, "workload_range": c.workloadRange,
		"input_tokens": c.synthetic.InputTokens, "output_tokens": c.synthetic.OutputTokens, "length_spread": c.synthetic.Spread,
		"tokenizer": c.tokenizer, "max_input_tokens": c.maxInputTokens, "truncate_input": c.truncateInput,
		"prefix_tokens": c.synthetic.PrefixTokens, "prefixes": c.synthetic.Prefixes, "turns": c.synthetic.Turns,
		"arrival": c.arrival, "rate": c.rate, "slo_objective": c.sloObjective, "step_duration": c.stepDuration.String(), "max_steps": c.maxSteps, "burstiness": c.burstiness, "concurrency": c.concurrency,
		"max_concurrency": c.maxConc, "requests": c.requests, "duration": c.duration.String(), "deadline": c.deadline.String(),
		"warmup": c.warmup, "request_timeout": c.requestTimeout.String(), "seed": c.seed,
		"slo_ttft": c.sloTTFT.String(), "slo_tpot": c.sloTPOT.String(), "slo_e2e": c.sloE2E.String(),
		"api_key_file": c.apiKeyFile, "headers": headers, "ignore_eos": c.ignoreEOS, "min_tokens": c.minTokens,
		"grace": c.grace.String(), "warm_connections": !c.noWarmConnections,
	}
}

// showProgress draws a bar on stderr while the window runs and returns a
// function that stops it.
func (c *runCommand) showProgress(w *prober.Window) func() {
	if c.progress == "never" || c.arrival == "capacity" || (c.progress == "auto" && !term.IsTerminal(int(os.Stderr.Fd()))) {
		return func() {}
	}
	total, byTime := int64(w.Requests), false
	if total <= 0 {
		total, byTime = int64(w.Duration.Seconds()), true
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetDescription("window"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	done := make(chan struct{})
	stopped := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(stopped)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				bar.Finish()
				return
			case <-tick.C:
			}
			p := w.Progress
			bar.Describe(fmt.Sprintf("in flight %d, failed %d", p.InFlight.Load(), p.Failed.Load()))
			if byTime {
				bar.Set64(min(total, int64(time.Since(start).Seconds())))
			} else {
				bar.Set64(p.Done.Load())
			}
		}
	}()
	return func() { close(done); <-stopped }
}

func printSummary(out io.Writer, r *report.Report, path string) {
	s := r.Summary
	fmt.Fprintf(out, "\nRun %s (%s): %s %s, model %s\n", r.Run.ID, r.Run.Status, r.Run.Target.API, r.Run.Target.URL, r.Run.Target.Model)
	fmt.Fprintf(out, "Requests %d: %d succeeded, %d failed (%d not sent); duration %.2fs; %.2f req/s\n",
		s.Requests, s.Successes, s.Failures, s.Outcomes[string(result.NotSent)], s.DurationSeconds, s.RPS)
	fmt.Fprintf(out, "Output tokens %d (%.1f tok/s); input tokens %d (requested %d); SLO attainment %.1f%% (%.1f%% from the actual send); goodput %.2f req/s\n",
		s.OutputTokens, s.OutputThroughput, s.InputTokens, s.RequestedInputTokens, 100*s.SLO.Attainment, 100*s.SLO.AttainmentFromSend, s.GoodputRPS)
	if s.ProtocolWarnings > 0 {
		fmt.Fprintf(out, "Protocol warnings %d: streams that ended without [DONE] after a complete answer\n", s.ProtocolWarnings)
	}
	if s.Successes == 0 {
		// A table of zeros would read as a very fast endpoint.
		fmt.Fprintln(out, "No successful request: no latency to report.")
	} else {
		printLatencies(out, r)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(out, "  %5d × %s: %s\n", e.Count, e.Outcome, e.Reason)
	}
	if cp := r.Capacity; cp != nil {
		fmt.Fprintf(out, "Capacity: %.2f req/s at %.0f%% SLO attainment (%d steps of %gs)\n",
			cp.RequestsPerSecond, 100*cp.Objective, len(cp.Steps), cp.StepSeconds)
		for _, st := range cp.Steps {
			verdict := "fail"
			if st.Passed {
				verdict = "pass"
			}
			fmt.Fprintf(out, "  %8.2f req/s: %s, attainment %.1f%%, TTFT p95 %.1f ms, %.1f tok/s\n",
				st.Rate, verdict, 100*st.Attainment, 1e3*st.TTFTP95, st.OutputTokensPerSecond)
		}
	}
	if path != "" {
		fmt.Fprintf(out, "Report: %s\n", path)
	}
}

func printLatencies(out io.Writer, r *report.Report) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "metric (ms)\tmean\tp50\tp90\tp99\tmax\t")
	row := func(name string, st report.Stats) {
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t\n", name, 1e3*st.Mean, 1e3*st.P50, 1e3*st.P90, 1e3*st.P99, 1e3*st.Max)
	}
	row("TTFT", r.Stats.TTFT)
	row("TTFT from schedule", r.Stats.TTFTFromSchedule)
	row("TPOT", r.Stats.TPOT)
	row("ITL", r.Stats.ITL)
	row("E2E latency", r.Stats.Latency)
	row("schedule lag", r.Stats.ScheduleLag)
	tw.Flush()
}

// authHeaderHint is advice for a credential given with --header: on the
// command line it is seen by ps, the shell's history and CI logs, while
// --api-key-file reads it from a file. Empty when no header carries one.
func authHeaderHint(headers map[string]string) string {
	for name := range headers {
		switch strings.ToLower(name) {
		case "authorization", "proxy-authorization", "x-api-key", "api-key":
			return fmt.Sprintf("--header %s=... puts a credential on the command line, where ps and the shell's history see it; "+
				"for a bearer token, write it to a file readable only by you and give --api-key-file FILE instead", name)
		}
	}
	return ""
}

// searchCapacity runs the capacity search with w as each step's window.
func (c *runCommand) searchCapacity(ctx context.Context, logger *slog.Logger, w *prober.Window, slo report.SLO,
	sink func(*result.Result)) (*report.Capacity, prober.RunInfo, error) {
	spec := dataset.ArrivalSpec{Kind: "capacity", Rate: c.rate, Objective: c.sloObjective, StepDuration: c.stepDuration, MaxSteps: c.maxSteps}
	search := &capacity.Search{Spec: spec, SLO: slo, Window: w, MaxRate: config.DefaultLimits().MaxRate, OnStep: func(st report.CapacityStep) {
		logger.Info("capacity step", "rate", st.Rate, "passed", st.Passed, "attainment", st.Attainment, "ttft_p95", st.TTFTP95)
	}}
	found, info, err := search.Run(ctx, sink)
	if err != nil {
		return nil, info, err
	}
	return &found, info, nil
}
