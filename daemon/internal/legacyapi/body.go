package legacyapi

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	promconfig "github.com/prometheus/common/config"

	"github.com/inferno-llm/inferno/config"
	"github.com/inferno-llm/inferno/config/schema"
	"github.com/inferno-llm/inferno/daemon/internal/jsonapi"
	"github.com/inferno-llm/inferno/prober"
)

// testConfig is the old tool's TestConfig.
type testConfig struct {
	URL           string         `json:"url"`
	Model         string         `json:"model"`
	DatasetName   string         `json:"dataset_name"`
	EndpointType  string         `json:"endpoint_type"`
	Key           string         `json:"key"`
	RandomSeed    *uint64        `json:"random_seed"`
	MaxRunTime    *float64       `json:"max_run_time"`
	Legacy        bool           `json:"legacy"`
	WorkloadRange []int          `json:"workload_range"`
	TestID        string         `json:"test_id"`
	DatasetConfig datasetConfig  `json:"dataset_config"`
	Kwargs        map[string]any `json:"kwargs"`
	Nickname      string         `json:"nickname"`
}

type datasetConfig struct {
	Func             string   `json:"func"`
	PromptSource     string   `json:"prompt_source"`
	RandomSeed       *uint64  `json:"random_seed"`
	Temperature      *float64 `json:"temperature"`
	TopP             *float64 `json:"top_p"`
	MaxTokens        *int     `json:"max_tokens"`
	CompressionRatio *float64 `json:"compression_ratio"`
}

// The old tool's defaults: 600 s runs, 512 tokens.
const (
	defaultRunTime   = 600 * time.Second
	defaultMaxTokens = 512
	promptTokens     = 128 // synthetic stand-in for the hub datasets
)

// Resolve is the old tool's door: its register body, resolved
// as the register routes resolve it (id names the target).
func Resolve(cfg *config.Config, id string, body []byte) (*config.Target, *config.Workload, error) {
	var b testConfig
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, nil, jsonapi.BodyError(err)
	}
	return b.toWindow(id, cfg)
}

// toWindow maps the old body onto a target and workload.
func (b *testConfig) toWindow(id string, cfg *config.Config) (*config.Target, *config.Workload, error) {
	if b.URL == "" || b.Model == "" {
		return nil, nil, fmt.Errorf("url and model are required")
	}
	endpoint := b.EndpointType
	if endpoint == "" {
		endpoint = "openai"
	}
	api, err := prober.LegacyAPI(endpoint, b.Legacy)
	if err != nil {
		return nil, nil, fmt.Errorf("endpoint_type: %w", err)
	}
	t := config.NewTarget()
	t.Name, t.URL, t.API, t.Model = "legacy-"+id, b.URL, api.Name(), b.Model
	if b.Key != "" && b.Key != "EMPTY" {
		t.HTTP.Authorization = &promconfig.Authorization{Type: "Bearer", Credentials: promconfig.Secret(b.Key)}
	}
	if b.DatasetName != "synthesizer" {
		return nil, nil, fmt.Errorf("dataset_name %q: this API runs only synthesizer, since its body cannot name a data file; replay %s through POST /api/v1/runs with a workload that names the file or the hub repository (README: Workloads)", b.DatasetName, b.DatasetName)
	}
	seed := uint64(0)
	for _, s := range []*uint64{b.RandomSeed, b.DatasetConfig.RandomSeed} {
		if s != nil {
			seed = *s
		}
	}
	runTime := defaultRunTime
	if b.MaxRunTime != nil && *b.MaxRunTime > 0 {
		// Compared in seconds first: a huge float overflows a Duration.
		if limit := cfg.Limits.MaxDuration.D(); *b.MaxRunTime > limit.Seconds() {
			return nil, nil, fmt.Errorf("max_run_time: %v s is over the limit of %v (limits.max_duration)", *b.MaxRunTime, cfg.Limits.MaxDuration)
		}
		runTime = time.Duration(*b.MaxRunTime * float64(time.Second))
	}
	w := &config.Workload{
		Name:     "legacy-synthesizer",
		Dataset:  config.Dataset{Kind: "synthetic"},
		Arrival:  schema.Arrival{Kind: "synthesizer", Func: b.DatasetConfig.Func},
		Deadline: config.Duration(runTime),
		Duration: config.Duration(runTime),
		Seed:     seed,
	}
	w.Dataset.InputTokens = promptTokens
	w.Dataset.OutputTokens = defaultMaxTokens
	extra := map[string]any{}
	for k, v := range b.Kwargs {
		switch k {
		case "hf_auth_key": // a tokenizer credential; never sent to the endpoint
		case "request_timeout":
			if f, ok := v.(float64); ok && f > 0 {
				if f > cfg.Limits.MaxDuration.D().Seconds() {
					return nil, nil, fmt.Errorf("kwargs.request_timeout: %v s is over the limit of %v (limits.max_duration)", f, cfg.Limits.MaxDuration)
				}
				w.RequestTimeout = config.Duration(time.Duration(f * float64(time.Second)))
			}
		case "max_tokens":
			if f, ok := v.(float64); ok && f > 0 {
				w.Dataset.OutputTokens = int(min(f, float64(math.MaxInt32)))
			}
		case "temperature":
			if f, ok := v.(float64); ok {
				w.Params.Temperature = &f
			}
		case "top_p":
			if f, ok := v.(float64); ok {
				w.Params.TopP = &f
			}
		default:
			extra[k] = v
		}
	}
	dc := b.DatasetConfig
	if dc.Temperature != nil {
		w.Params.Temperature = dc.Temperature
	}
	if dc.TopP != nil {
		w.Params.TopP = dc.TopP
	}
	if dc.MaxTokens != nil && *dc.MaxTokens > 0 {
		w.Dataset.OutputTokens = *dc.MaxTokens
	}
	if len(extra) > 0 {
		w.Params.ExtraBody = extra
	}
	// Resolved as an API body's definitions are, under the config's limits.
	return cfg.Resolve(cfg.OldAPIDoor(), config.Input{Target: t, Workload: w})
}
