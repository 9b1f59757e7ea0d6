// Package config is the daemon's YAML configuration: schema, defaults,
// strict decoding with file and line in every error, and validation.
package config

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	promconfig "github.com/prometheus/common/config"
	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"

	"github.com/inferno-llm/inferno/config/schema"
	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/internal/addrcheck"
	"github.com/inferno-llm/inferno/internal/strictyaml"
)

// Config is the whole file.
type Config struct {
	Global    Global             `yaml:"global"`
	Simulator *Simulator         `yaml:"simulator,omitempty"`
	Targets   []*Target          `yaml:"targets"`
	Workloads []*Workload        `yaml:"workloads"`
	Schedules []*Schedule        `yaml:"schedules"`
	Modules   map[string]*Module `yaml:"modules,omitempty"`
	// API governs the runs API's inline definitions (see inline.go).
	API API `yaml:"api,omitempty"`
	// Limits bound windows, API bodies and queues (see limits.go).
	Limits Limits `yaml:"limits"`

	file  string
	lines map[string]int // where each field stands, for errors
	// inline is the field path a door's definition stands at
	// ("targets[0]"), cut from its errors; empty for a file.
	inline string
}

// Global holds daemon-wide settings.
type Global struct {
	ReportDir string `yaml:"report_dir"`
	// ReportRetention deletes reports older than this (0 keeps them all).
	ReportRetention Duration `yaml:"report_retention"`
	// ReportRetentionCount keeps at most this many reports, the newest,
	// and ReportRetentionBytes at most this much of them (0: no cap).
	ReportRetentionCount int             `yaml:"report_retention_count,omitempty"`
	ReportRetentionBytes schema.ByteSize `yaml:"report_retention_bytes,omitempty"`
	// ReportIndex is the archive index's file (default: index.sqlite in
	// ReportDir), for reports on a disk SQLite should not lock (NFS).
	ReportIndex string `yaml:"report_index,omitempty"`
	// MaxConcurrentWindows caps windows running at once, scheduled and ad hoc.
	MaxConcurrentWindows int `yaml:"max_concurrent_windows"`
	// APIWindows is the share of MaxConcurrentWindows that ad hoc windows
	// (runs API, old API, /probe) may hold, so scheduled windows always
	// have the rest. Default: half (all of them with no schedules).
	APIWindows     int      `yaml:"api_windows,omitempty"`
	RequestTimeout Duration `yaml:"request_timeout"`
	RunOnStart     bool     `yaml:"run_on_start"`
	// Hugging Face hub downloads: where to, from where, with what token
	// (else the HF_TOKEN environment variable).
	DatasetCacheDir string `yaml:"dataset_cache_dir"`
	HFEndpoint      string `yaml:"hf_endpoint,omitempty"`
	HFTokenFile     string `yaml:"hf_token_file,omitempty"`
}

// Simulator starts the built-in simulator inside the daemon, so the
// example config has a target to probe with no server of its own.
type Simulator struct {
	Listen         string   `yaml:"listen"`
	Model          string   `yaml:"model"`
	TTFT           Duration `yaml:"ttft"`
	ITL            Duration `yaml:"itl"`
	Jitter         float64  `yaml:"jitter"`
	MaxConcurrency int      `yaml:"max_concurrency"`
	Seed           uint64   `yaml:"seed"`
}

// Hardware describes what serves a target, for comparisons.
type Hardware struct {
	GPU   string `yaml:"gpu" json:"gpu"`
	Count int    `yaml:"count" json:"count"`
}

// Target is one endpoint.
type Target struct {
	Name  string `yaml:"name"`
	URL   string `yaml:"url"`
	API   string `yaml:"api"`
	Model string `yaml:"model"`
	// HTTP is prometheus/common's client config: authorization (bearer),
	// basic_auth, tls_config, http_headers, proxy_url, follow_redirects.
	HTTP promconfig.HTTPClientConfig `yaml:"http_client,omitempty"`
	// Labels are recorded in reports (not in metric labels, whose set is fixed).
	Labels      map[string]string `yaml:"labels,omitempty"`
	CostPerHour float64           `yaml:"cost_per_hour,omitempty"`
	Hardware    *Hardware         `yaml:"hardware,omitempty"`
	// ServerMetrics, when set, is the server's own metrics endpoint,
	// scraped across each window for the server's view of it.
	ServerMetrics *ServerMetrics `yaml:"server_metrics,omitempty"`
	// Untrusted marks a target defined by an API body or a /probe URL:
	// its client never follows a redirect, which could lead past the
	// allow-list to any host. Never read from YAML.
	Untrusted bool `yaml:"-"`

	line int
}

// ServerMetrics is a target server's Prometheus endpoint: URL is "auto"
// (the target URL's origin + /metrics, where vLLM, SGLang and TGI serve
// theirs) or a URL. HTTP is its own client config; unset, none of the
// target's credentials go to it.
type ServerMetrics struct {
	URL  string                       `yaml:"url"`
	HTTP *promconfig.HTTPClientConfig `yaml:"http_client,omitempty"`
}

// ServerMetricsAuto is the url that derives the endpoint from the target's.
const ServerMetricsAuto = "auto"

// Dataset selects the prompt source: synthetic prompts of set lengths, or
// a data file (arena, oasst1, dolly, openorca, sharegpt, jsonl) at Path.
// OutputTokens is the output length for turns whose data sets none.
type Dataset struct {
	Kind string `yaml:"kind"`
	Path string `yaml:"path,omitempty"`
	// Hub downloads the file from the Hugging Face hub instead (once, into
	// global.dataset_cache_dir).
	Hub           *dataset.HubFile `yaml:"hub,omitempty"`
	FirstTurnOnly bool             `yaml:"first_turn_only,omitempty"`
	// Tokenizer (cl100k_base, o200k_base, a tokenizer.json path, or
	// hf:owner/name[@revision]) makes synthetic lengths exact in its
	// tokens, lets max_input_tokens apply, and counts output tokens where
	// the server reports no usage.
	Tokenizer dataset.TokenizerRef `yaml:"tokenizer,omitempty"`
	// MaxInputTokens drops data-file turns longer than this, or cuts them
	// to fit with TruncateInput.
	MaxInputTokens        int  `yaml:"max_input_tokens,omitempty"`
	TruncateInput         bool `yaml:"truncate_input,omitempty"`
	dataset.SyntheticSpec `yaml:",inline"`

	// Images attaches that many generated PNGs of ImageSize (WxH, default
	// 512x512) to each conversation's first turn (api openai-chat).
	Images    int    `yaml:"images,omitempty"`
	ImageSize string `yaml:"image_size,omitempty"`
}

// Params are the request parameters sent to the endpoint.
type Params struct {
	Temperature *float64       `yaml:"temperature,omitempty"`
	TopP        *float64       `yaml:"top_p,omitempty"`
	IgnoreEOS   bool           `yaml:"ignore_eos,omitempty"`
	MinTokens   int            `yaml:"min_tokens,omitempty"`
	ExtraBody   map[string]any `yaml:"extra_body,omitempty"`
	// ResponseFormat, Tools and ToolChoice are OpenAI's (see output.go).
	ResponseFormat map[string]any `yaml:"response_format,omitempty"`
	Tools          []any          `yaml:"tools,omitempty"`
	ToolChoice     any            `yaml:"tool_choice,omitempty"`
}

// SLO thresholds; zero is not applied.
type SLO struct {
	TTFT Duration `yaml:"ttft,omitempty"`
	TPOT Duration `yaml:"tpot,omitempty"`
	E2E  Duration `yaml:"e2e,omitempty"`
}

// Workload is what one window sends.
type Workload struct {
	Name           string              `yaml:"name"`
	Dataset        Dataset             `yaml:"dataset"`
	Arrival        dataset.ArrivalSpec `yaml:"arrival"`
	Params         Params              `yaml:"params,omitempty"`
	Requests       int                 `yaml:"requests,omitempty"`
	Duration       Duration            `yaml:"duration,omitempty"`
	Deadline       Duration            `yaml:"deadline,omitempty"`
	Warmup         int                 `yaml:"warmup,omitempty"`
	MaxConcurrency int                 `yaml:"max_concurrency,omitempty"`
	RequestTimeout Duration            `yaml:"request_timeout,omitempty"`
	Seed           uint64              `yaml:"seed,omitempty"`
	SLO            SLO                 `yaml:"slo,omitempty"`
	// Checks judge every successful answer (see output.go).
	Checks []CheckSpec `yaml:"checks,omitempty"`
	// Batch is how many inputs one embeddings request carries, or
	// documents one rerank query (apis openai-embeddings and rerank only;
	// 0 or 1: one).
	Batch int `yaml:"batch,omitempty"`
	// Models, when set, draws each conversation's model by weight from the
	// seed instead of sending the target's: many LoRA adapters (or models)
	// behind one endpoint.
	Models []ModelWeight `yaml:"models,omitempty"`

	// Grace is how long requests in flight at the end of Duration may
	// finish before they are cancelled; unset means 30s, 0 none.
	Grace *Duration `yaml:"grace,omitempty"`
	// WarmConnections opens the connections the window will keep in
	// flight before it starts; unset means true, false measures cold
	// connections.
	WarmConnections *bool `yaml:"warm_connections,omitempty"`

	line int
}

// ModelWeight is one model of a mix and its share of the requests.
type ModelWeight struct {
	Name string `yaml:"name"`
	// Weight is relative to the others' (omitted: 1).
	Weight float64 `yaml:"weight,omitempty"`
}

// Schedule runs a workload against targets on a cron spec.
type Schedule struct {
	Name string `yaml:"name"`
	// Cron is a standard spec with an optional leading seconds field, a
	// descriptor (@every 1m, @hourly) and an optional CRON_TZ= prefix.
	Cron     string   `yaml:"cron"`
	Targets  []string `yaml:"targets"`
	Workload string   `yaml:"workload"`
	Jitter   Duration `yaml:"jitter,omitempty"`
	// LoadShare makes every replica of a scaled-out Inferno (--shard.count)
	// run this schedule's windows together, each sending its 1/count share
	// of the load; without it each target's windows run on one replica.
	LoadShare bool `yaml:"load_share,omitempty"`

	line     int
	schedule cron.Schedule
}

// Module is what /probe may run.
type Module struct {
	Workload string   `yaml:"workload"`
	Timeout  Duration `yaml:"timeout,omitempty"`
	// AllowURLs are regular expressions; a probe target that is a URL must
	// match one. With none, only configured target names are accepted.
	AllowURLs []string `yaml:"allow_urls,omitempty"`
	// API and Model apply to URL targets.
	API     string `yaml:"api,omitempty"`
	Model   string `yaml:"model,omitempty"`
	Archive bool   `yaml:"archive,omitempty"`

	line    int
	allowed []*regexp.Regexp
}

// Defaults applied before decoding.
func defaults() Config {
	return Config{Global: Global{
		ReportDir:            "reports",
		ReportRetention:      Duration(7 * 24 * time.Hour),
		MaxConcurrentWindows: 4,
		RequestTimeout:       Duration(2 * time.Minute),
		DatasetCacheDir:      DefaultCacheDir(),
	}, Limits: DefaultLimits()}
}

// Error is a configuration error with its place in the file.
type Error = strictyaml.Error

// LoadFile reads and validates a config file.
func LoadFile(path string) (*Config, error) {
	b, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Load(b, path)
}

// readFile reads a regular file of at most MaxFileSize: one byte past
// the limit, so a larger file is refused without reading (or parsing)
// the rest. It is opened without blocking, so a FIFO or a device in its
// place is refused instead of wedging a reload.
func readFile(path string) ([]byte, error) {
	f, err := openRegular(path, 0) // the size is judged below, in the words of its own error
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, MaxFileSize+1))
}

// openRegular opens a file a config names, without blocking (a FIFO
// there hung --config.check and a reload), and refuses anything but a
// regular file of at most limit bytes (0: any size): credentials_file
// /dev/zero passed the check and then exhausted memory at the first
// window.
func openRegular(path string, limit int64) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	switch {
	case err != nil:
		f.Close()
		return nil, err
	case info.IsDir():
		f.Close()
		return nil, fmt.Errorf("%s is a directory, not a file", path)
	case !info.Mode().IsRegular():
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file (%v)", path, info.Mode().Type())
	case limit > 0 && info.Size() > limit:
		f.Close()
		return nil, fmt.Errorf("%s is %d bytes, over the limit of %d", path, info.Size(), limit)
	}
	return f, nil
}

// Load parses and validates config bytes; file names the source in errors.
func Load(b []byte, file string) (*Config, error) {
	root, err := parseDocument(file, b)
	if err != nil {
		return nil, err
	}
	return load(root, file)
}

// load decodes and validates a parsed config file.
func load(root *yaml.Node, file string) (*Config, error) {
	cfg := defaults()
	cfg.file, cfg.lines = file, map[string]int{}
	if err := decoder(file, cfg.lines).Decode(root, &cfg); err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := cfg.checkFiles(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// Target returns the named target.
func (c *Config) Target(name string) *Target {
	for _, t := range c.Targets {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Workload returns the named workload.
func (c *Config) Workload(name string) *Workload {
	for _, w := range c.Workloads {
		if w.Name == name {
			return w
		}
	}
	return nil
}

// CronSchedule is the parsed cron spec.
func (s *Schedule) CronSchedule() cron.Schedule { return s.schedule }

// Allows reports whether a probe may send to rawURL.
func (m *Module) Allows(rawURL string) bool { return addrcheck.MatchURL(m.allowed, rawURL) }

func (c *Config) fail(line int, field string, format string, args ...any) error {
	if c.inline != "" {
		field = strings.TrimPrefix(strings.TrimPrefix(field, c.inline), ".")
	}
	// The line of the field itself where the text has it, else of the
	// nearest enclosing item.
	if l := strictyaml.LineOf(c.lines, field); l > 0 {
		line = l
	}
	return &Error{File: c.file, Line: line, Field: field, Err: fmt.Errorf(format, args...)}
}

func (t *Target) setLine(l int)   { t.line = l }
func (w *Workload) setLine(l int) { w.line = l }
func (s *Schedule) setLine(l int) { s.line = l }
func (m *Module) setLine(l int)   { m.line = l }

// DefaultCacheDir is where downloaded datasets go: the user's cache
// directory, or a relative one where there is none (a container without HOME).
func DefaultCacheDir() string {
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "inferno")
	}
	return ".cache/inferno"
}
