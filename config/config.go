// Package config is the daemon's YAML configuration: schema, defaults,
// strict decoding with file and line in every error, and validation.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	promconfig "github.com/prometheus/common/config"
	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"

	"github.com/inferno-llm/inferno/dataset"
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

	file string
	doc  *yaml.Node // the parsed file, for the line of a field in errors
	// inline is the field path an inline definition stands at
	// ("targets[0]"), cut from its errors; empty for a file.
	inline string
}

// Global holds daemon-wide settings.
type Global struct {
	ReportDir string `yaml:"report_dir"`
	// ReportRetention deletes reports older than this (0 keeps them all).
	ReportRetention Duration `yaml:"report_retention"`
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
	// Untrusted marks a target defined by an API body or a /probe URL:
	// its client never follows a redirect, which could lead past the
	// allow-list to any host. Never read from YAML.
	Untrusted bool `yaml:"-"`

	line int
}

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
}

// Spec is the dataset package's description of what the workload sends.
func (w *Workload) Spec(g Global) (dataset.Spec, error) {
	var hub *dataset.Hub
	if w.Dataset.Hub != nil || w.Dataset.Tokenizer.FromHub() {
		token, err := dataset.HubToken(g.HFTokenFile, "")
		if err != nil {
			return dataset.Spec{}, err
		}
		hub = &dataset.Hub{Endpoint: g.HFEndpoint, Token: token, CacheDir: g.DatasetCacheDir}
	}
	return dataset.Spec{
		Dataset: w.Dataset.Kind, Path: w.Dataset.Path, HubFile: w.Dataset.Hub, Hub: hub,
		Synthetic: w.Dataset.SyntheticSpec, Arrival: w.Arrival, Seed: w.Seed,
		Options:   dataset.SourceOptions{FirstTurnOnly: w.Dataset.FirstTurnOnly, MaxTokens: w.Dataset.OutputTokens},
		Tokenizer: w.Dataset.Tokenizer, MaxInputTokens: w.Dataset.MaxInputTokens, TruncateInput: w.Dataset.TruncateInput,
	}, nil
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

	// Grace is how long requests in flight at the end of Duration may
	// finish before they are cancelled; unset means 30s, 0 none.
	Grace *Duration `yaml:"grace,omitempty"`
	// WarmConnections opens the connections the window will keep in
	// flight before it starts; unset means true, false measures cold
	// connections.
	WarmConnections *bool `yaml:"warm_connections,omitempty"`

	line int
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

// CronParser accepts an optional seconds field and descriptors.
var CronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

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
type Error struct {
	File  string
	Line  int
	Field string
	Err   error
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %v", loc, e.Field, e.Err)
	}
	return fmt.Sprintf("%s: %v", loc, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// LoadFile reads and validates a config file.
func LoadFile(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	// Read one byte past the limit, so a larger file is refused without
	// reading (or parsing) the rest of it.
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Load(b, path)
}

// Load parses and validates config bytes; file names the source in errors.
func Load(b []byte, file string) (*Config, error) {
	cfg := defaults()
	cfg.file = file
	if len(b) > MaxFileSize {
		return nil, &Error{File: file, Err: fmt.Errorf("the file is over %d MiB, the limit of a config file", MaxFileSize>>20)}
	}
	if err := precheck(b, file); err != nil {
		return nil, err
	}
	b = normalizeDurations(b)
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: file, Err: errors.New("the file is empty")}
		}
		var te *yaml.TypeError
		if errors.As(err, &te) {
			if e := describeTypeError(te, b, reflect.TypeOf(cfg), file); e != nil {
				return nil, e
			}
		} else if e := httpClientError(b, file); e != nil {
			return nil, e
		}
		return nil, withField(&Error{File: file, Err: yamlError(err)}, b)
	}
	cfg.recordLines(b)
	var doc yaml.Node
	if yaml.Unmarshal(b, &doc) == nil && len(doc.Content) > 0 {
		cfg.doc = doc.Content[0]
	}
	cfg.defaultHTTPClients()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := cfg.checkFiles(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// yamlError keeps yaml.v3's messages, which already say "line N: ...".
func yamlError(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return errors.New(humanize(joinLines(te.Errors)))
	}
	return err
}

func joinLines(ss []string) string {
	var b bytes.Buffer
	for i, s := range ss {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(s)
	}
	return b.String()
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
func (m *Module) Allows(rawURL string) bool {
	for _, re := range m.allowed {
		if re.MatchString(rawURL) {
			return true
		}
	}
	return false
}

func (c *Config) fail(line int, field string, format string, args ...any) error {
	// The line of the field itself where the file has it, else of the
	// nearest enclosing item.
	if l := lineOf(c.doc, field); l > 0 {
		line = l
	}
	if c.inline != "" {
		field = strings.TrimPrefix(strings.TrimPrefix(field, c.inline), ".")
	}
	return &Error{File: c.file, Line: line, Field: field, Err: fmt.Errorf(format, args...)}
}

// validURL checks a target URL. Its errors never quote the URL: it may
// carry a password or a key.
func validURL(raw string) error {
	if strings.ContainsAny(raw, " \t\r\n") {
		return errors.New("contains whitespace")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URL (want e.g. http://host:8000/v1)")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("the scheme must be http or https")
	}
	if u.Host == "" {
		return errors.New("no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %s: want 1 to 65535", p)
		}
	}
	return nil
}

// decodeStrict decodes an inline definition as Load decodes a file:
// durations take d, w and y, fractions of whole numbers and unknown fields
// are errors.
func decodeStrict(b []byte, v any) error {
	// What yaml.v3 lets through silently (2.5 requests decoded as 2) is
	// refused as in a file.
	var doc yaml.Node
	if yaml.Unmarshal(b, &doc) == nil && len(doc.Content) > 0 {
		if err := checkNumbers(doc.Content[0], reflect.TypeOf(v).Elem(), "", ""); err != nil {
			if e := (*Error)(nil); errors.As(err, &e) && e.Field != "" {
				return fmt.Errorf("%s: %w", e.Field, e.Err)
			}
			return err
		}
	}
	b = normalizeDurations(b)
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			if e := describeTypeError(te, b, reflect.TypeOf(v).Elem(), ""); e != nil {
				// A body is one line of JSON: the field says where.
				if e.Field == "" {
					return e.Err
				}
				return fmt.Errorf("%s: %w", e.Field, e.Err)
			}
		}
		if ne := (*nodeError)(nil); errors.As(err, &ne) {
			var doc yaml.Node
			if yaml.Unmarshal(b, &doc) == nil && len(doc.Content) > 0 {
				if p := valueAt(doc.Content[0], ne.line, ne.column, ""); p != "" {
					return fmt.Errorf("%s: %s", p, ne.msg)
				}
			}
		}
		return yamlError(err)
	}
	return nil
}

// DefaultCacheDir is where downloaded datasets go: the user's cache
// directory, or a relative one where there is none (a container without HOME).
func DefaultCacheDir() string {
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "inferno")
	}
	return ".cache/inferno"
}

// defaultHTTPClients gives a target without an http_client section
// prometheus/common's defaults (follow redirects, HTTP/2 allowed), as an
// empty section or `inferno run` would: Go's zero value would otherwise
// turn both off for exactly the targets that asked for nothing.
func (c *Config) defaultHTTPClients() {
	if c.doc == nil || c.doc.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(c.doc.Content); i += 2 {
		if c.doc.Content[i].Value != "targets" {
			continue
		}
		for j, item := range c.doc.Content[i+1].Content {
			if j >= len(c.Targets) {
				continue
			}
			// Decoded rather than scanned, so a section that comes
			// through an alias or a merge key (<<: *base) counts; an
			// `http_client:` with no value is none.
			var has struct {
				HTTP *yaml.Node `yaml:"http_client"`
			}
			if err := item.Decode(&has); err == nil && c.Targets[j] != nil && has.HTTP == nil {
				c.Targets[j].HTTP = promconfig.DefaultHTTPClientConfig
			}
		}
	}
}
