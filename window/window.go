// Package window builds a load-generator window from a validated target and
// workload of the config schema. It is the one road into a window: the
// daemon's schedules, /probe and runs API, and `inferno run` (whose flags
// are mapped onto the same schema) all build theirs here, so a setting
// means the same wherever it was written.
package window

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"go.yaml.in/yaml/v3"

	promconfig "github.com/prometheus/common/config"

	"github.com/inferno-llm/inferno/config"
	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/internal/httpclient"
	"github.com/inferno-llm/inferno/internal/hub"
	"github.com/inferno-llm/inferno/loadgen"
	"github.com/inferno-llm/inferno/measure"
	"github.com/inferno-llm/inferno/prober"
	"github.com/inferno-llm/inferno/redact"
	"github.com/inferno-llm/inferno/servermetrics"
)

// Spec is what a window is built from. Target and Workload must have
// passed the config package's validation.
type Spec struct {
	Target   *config.Target
	Workload *config.Workload
	// Global supplies the request timeout of a workload that sets none and
	// the hub settings (endpoint, token file, cache directory).
	Global config.Global
	// Deadline, when set, shortens the workload's own (a probe's scrape
	// timeout).
	Deadline time.Duration
	// MaxInFlight is limits.max_in_flight: the cap of an open-loop window
	// that sets no max_concurrency of its own.
	MaxInFlight int
	// Share, when active, makes the window this replica's share of a
	// window every replica runs (a load_share schedule).
	Share loadgen.Share
	// Transport is the transport policy (httpclient.TransportFast, the
	// default, or TransportStd).
	Transport string
}

// Build turns the spec into a load-generator window, loading its dataset and
// tokenizer and making its HTTP client.
func Build(ctx context.Context, s Spec) (*loadgen.Window, error) {
	t, w := s.Target, s.Workload
	api, err := prober.LookupAPI(t.API)
	if err != nil {
		return nil, err
	}
	client, transport, err := httpclient.NewForTarget(t.HTTP, t.Name, t.URL, s.Transport)
	if err != nil {
		return nil, err
	}
	if t.Untrusted {
		// The 3xx itself is the answer (a failed request): a redirect
		// could lead past api.allow_urls to any host.
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	spec, err := datasetSpec(w, s.Global)
	if err != nil {
		return nil, fmt.Errorf("workload %s: %w", w.Name, err)
	}
	params, err := outputParams(api, w)
	if err != nil {
		return nil, fmt.Errorf("workload %s: %w", w.Name, err)
	}
	spec.CanaryWithoutTools = !prober.DeclaresTools(api)
	arrival, source, tok, err := spec.BuildTokenized(ctx)
	if err != nil {
		return nil, fmt.Errorf("workload %s: %w", w.Name, err)
	}
	if prober.Embeddings(api) {
		if len(params.Checks) > 0 || params.ResponseFormat != nil || len(params.Tools) > 0 {
			return nil, fmt.Errorf("workload %s: api %s answers with vectors: checks, response_format and tools do not apply", w.Name, api.Name())
		}
		source = dataset.Batched(source, max(w.Batch, 1)+prober.QueryInputs(api))
	} else if w.Batch > 1 {
		return nil, fmt.Errorf("workload %s: batch %d: only apis openai-embeddings and rerank send batches", w.Name, w.Batch)
	}
	if n := w.Dataset.Images; n > 0 {
		if !prober.DeclaresTools(api) {
			return nil, fmt.Errorf("workload %s: dataset.images: api %s cannot carry images (openai-chat and vllm can)", w.Name, api.Name())
		}
		size, err := w.Dataset.ImageDimensions()
		if err != nil {
			return nil, fmt.Errorf("workload %s: %w", w.Name, err)
		}
		source = dataset.WithImages(source, n, size, w.Seed)
	}
	if len(w.Models) > 0 {
		names, weights := make([]string, len(w.Models)), make([]float64, len(w.Models))
		for i, m := range w.Models {
			names[i], weights[i] = m.Name, m.Weight
		}
		source = dataset.WithModels(source, names, weights, w.Seed)
	}
	timeout := time.Duration(w.RequestTimeout)
	if timeout <= 0 {
		timeout = time.Duration(s.Global.RequestTimeout)
	}
	// A window with a duration ends by its grace; the deadline is only
	// the explicit hard end (and a probe's scrape timeout).
	deadline := time.Duration(w.Deadline)
	if s.Deadline > 0 && (deadline <= 0 || s.Deadline < deadline) {
		deadline = s.Deadline
	}
	target := &measure.Target{Name: t.Name, URL: t.URL, Model: t.Model, API: api, Client: client, Transport: transport, Tokenizer: tok}
	target.Traceparent, target.TraceparentConfigured = measure.ConfiguredTraceparent(t.HTTP)
	win := &loadgen.Window{
		Target:         target,
		Arrival:        arrival,
		Source:         source,
		Params:         params,
		Requests:       w.Requests,
		Duration:       time.Duration(w.Duration),
		Deadline:       deadline,
		MaxConcurrency: cmp.Or(w.MaxConcurrency, s.MaxInFlight),
		Warmup:         w.Warmup,
		RequestTimeout: timeout,
		Share:          s.Share,
		Progress:       &loadgen.Progress{},
	}
	win.Grace, win.WarmConnections = Grace(w.Grace), WarmConnections(w.WarmConnections)
	return win, nil
}

// ServerMetrics returns the watcher of the target's server metrics, or
// nil when it names none. auto is the target URL's origin + /metrics.
func ServerMetrics(t *config.Target) (*servermetrics.Watcher, error) {
	m := t.ServerMetrics
	if m == nil {
		return nil, nil
	}
	raw := m.URL
	if raw == config.ServerMetricsAuto {
		u, err := url.Parse(t.URL)
		if err != nil {
			return nil, fmt.Errorf("server_metrics: the target URL: %w", err)
		}
		raw = (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/metrics"}).String()
	}
	httpCfg := promconfig.DefaultHTTPClientConfig
	if m.HTTP != nil {
		httpCfg = *m.HTTP
	}
	client, err := httpclient.New(httpCfg, t.Name+" server metrics")
	if err != nil {
		return nil, err
	}
	if t.Untrusted {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return servermetrics.New(servermetrics.Config{URL: raw, DisplayURL: redact.URL(raw), Client: client, Model: t.Model}), nil
}

// datasetSpec is the dataset package's description of what a workload sends.
func datasetSpec(w *config.Workload, g config.Global) (dataset.Spec, error) {
	var hf *hub.Hub
	if w.Dataset.Hub != nil || w.Dataset.Tokenizer.FromHub() {
		token, err := hub.FindToken(g.HFTokenFile, "")
		if err != nil {
			return dataset.Spec{}, err
		}
		hf = &hub.Hub{Endpoint: g.HFEndpoint, Token: token, CacheDir: g.DatasetCacheDir}
	}
	return dataset.Spec{
		Dataset: w.Dataset.Kind, Path: w.Dataset.Path, HubFile: w.Dataset.Hub, Hub: hf,
		Synthetic: w.Dataset.SyntheticSpec, Arrival: w.Arrival, Seed: w.Seed,
		Options:   dataset.SourceOptions{FirstTurnOnly: w.Dataset.FirstTurnOnly, MaxTokens: w.Dataset.OutputTokens},
		Tokenizer: w.Dataset.Tokenizer, MaxInputTokens: w.Dataset.MaxInputTokens, TruncateInput: w.Dataset.TruncateInput,
	}, nil
}

// outputParams are the workload's request parameters with its checks
// compiled. A field the target's API cannot send is an error, not a
// silent drop: a JSON-mode canary that never asked for JSON mode would
// measure something else.
func outputParams(api prober.API, w *config.Workload) (prober.Params, error) {
	p := prober.Params{
		MaxTokens: w.Dataset.OutputTokens, MinTokens: w.Params.MinTokens, IgnoreEOS: w.Params.IgnoreEOS,
		Temperature: w.Params.Temperature, TopP: w.Params.TopP, Extra: w.Params.ExtraBody,
		ResponseFormat: w.Params.ResponseFormat, Tools: w.Params.Tools, ToolChoice: w.Params.ToolChoice,
	}
	if p.ResponseFormat != nil && !prober.TakesResponseFormat(api) {
		return p, fmt.Errorf("params.response_format: api %s has no response_format (the OpenAI APIs do)", api.Name())
	}
	if len(p.Tools) > 0 && !prober.DeclaresTools(api) {
		return p, fmt.Errorf("params.tools: api %s cannot declare tools (openai-chat and vllm can)", api.Name())
	}
	var err error
	if p.Checks, err = w.CheckSet(); err != nil {
		return p, err
	}
	p.ToolSchemas, err = w.ToolSchemas()
	return p, err
}

// Grace maps a workload's grace onto the load generator's: unset is the default,
// an explicit 0 is none.
func Grace(g *config.Duration) time.Duration {
	switch {
	case g == nil:
		return 0
	case *g == 0:
		return -1
	}
	return time.Duration(*g)
}

// WarmConnections maps warm_connections onto the load generator's count: unset or
// true lets the load generator size them, false opens none.
func WarmConnections(warm *bool) int {
	if warm != nil && !*warm {
		return -1
	}
	return 0
}

// RedactedWorkload is the workload as reports and /config show it:
// extra_body keys that look like credentials are replaced (a key sent in
// the body, as some gateways want, must not be shown or archived).
func RedactedWorkload(w *config.Workload) *config.Workload {
	if len(w.Params.ExtraBody) == 0 {
		return w
	}
	c := *w
	c.Params.ExtraBody = redact.Body(w.Params.ExtraBody)
	return &c
}

// ReportedWorkload is the workload as a report archives it: redacted, and
// spelled with the schema's field names, so the daemon's and the CLI's
// reports of the same workload read the same.
func ReportedWorkload(w *config.Workload) map[string]any {
	return asSchema(RedactedWorkload(w))
}

// asSchema returns a workload as the config file spells it: maps keyed by
// the YAML schema's names (first_turn_only, extra_body), durations as
// 30s, unset optional fields left out. Reports archive a window's
// workload in this form, so run.config reads like the config that made it
// rather than like Go (FirstTurnOnly, ExtraBody) and can be pasted back
// into a config file or a runs API body.
func asSchema(w *config.Workload) map[string]any {
	b, err := yaml.Marshal(w)
	if err != nil {
		return nil
	}
	var out map[string]any
	if yaml.Unmarshal(b, &out) != nil {
		return nil
	}
	return out
}
