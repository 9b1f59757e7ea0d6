// Package schema holds the plain types of the configuration schema that
// the dataset package builds windows from (arrivals, synthetic prompts,
// hub files, tokenizer references) and the schema's one Duration. The
// config package owns it, decodes and validates its types; dataset uses
// them without importing config.
package schema

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
)

// Arrival describes an arrival pattern as configured.
type Arrival struct {
	// Kind is constant, poisson, gamma or concurrency.
	Kind string `yaml:"kind" json:"kind"`
	// Rate is requests per second for the open-loop kinds.
	Rate float64 `yaml:"rate,omitempty" json:"rate,omitempty"`
	// Burstiness is the gamma shape: 1 is Poisson, below 1 burstier,
	// above 1 more regular (as vllm bench serve defines it).
	Burstiness float64 `yaml:"burstiness,omitempty" json:"burstiness,omitempty"`
	// Concurrency is the fixed number in flight for kind concurrency.
	Concurrency int `yaml:"concurrency,omitempty" json:"concurrency,omitempty"`
	// Func is the old tool's cumulative arrival function for kind
	// synthesizer: `lambda t: int(t/A+B) if t<C else None`.
	Func string `yaml:"func,omitempty" json:"func,omitempty"`
	// CompressionRatio divides the recorded offsets for kind replay (10
	// replays a trace ten times faster).
	CompressionRatio float64 `yaml:"compression_ratio,omitempty" json:"compression_ratio,omitempty"`
	// WorkloadRange [start, end) selects conversations of a replay, in
	// time order.
	WorkloadRange []int `yaml:"workload_range,omitempty" json:"workload_range,omitempty"`
	// EndRate, RampDuration and Steps shape kind ramp: from Rate to EndRate
	// over RampDuration, linearly (Steps 0) or in Steps equal steps.
	EndRate      float64  `yaml:"end_rate,omitempty" json:"end_rate,omitempty"`
	RampDuration Duration `yaml:"ramp_duration,omitempty" json:"ramp_duration,omitempty"`
	Steps        int      `yaml:"steps,omitempty" json:"steps,omitempty"`
	// Stages are kind stages: each a rate or a concurrency for a duration.
	Stages []Stage `yaml:"stages,omitempty" json:"stages,omitempty"`
	// Kind capacity searches for the highest rate whose SLO attainment
	// meets Objective: steps of StepDuration at constant rates from Rate,
	// doubling until a step fails, then bisecting, at most MaxSteps steps.
	// Zero values take the defaults of CapacityDefaults.
	Objective    float64  `yaml:"slo_objective,omitempty" json:"slo_objective,omitempty"`
	StepDuration Duration `yaml:"step_duration,omitempty" json:"step_duration,omitempty"`
	MaxSteps     int      `yaml:"max_steps,omitempty" json:"max_steps,omitempty"`
}

// Capacity search defaults: GuideLLM's sweep and vllm bench's goodput
// judge at 95% SLO attainment too.
const (
	DefaultCapacityObjective = 0.95
	DefaultCapacityStart     = 1.0
	DefaultCapacityStep      = Duration(10 * time.Second)
	DefaultCapacityMaxSteps  = 10
	MaxCapacitySteps         = 100
)

// CapacityDefaults returns the spec with the capacity search's zero values
// replaced by their defaults.
func (s Arrival) CapacityDefaults() Arrival {
	if s.Objective == 0 {
		s.Objective = DefaultCapacityObjective
	}
	if s.Rate == 0 {
		s.Rate = DefaultCapacityStart
	}
	if s.StepDuration == 0 {
		s.StepDuration = DefaultCapacityStep
	}
	if s.MaxSteps == 0 {
		s.MaxSteps = DefaultCapacityMaxSteps
	}
	return s
}

// Stage is one stage of a staged window: a rate or a concurrency held
// for a duration.
type Stage struct {
	Rate        float64  `yaml:"rate,omitempty" json:"rate,omitempty"`
	Concurrency int      `yaml:"concurrency,omitempty" json:"concurrency,omitempty"`
	Duration    Duration `yaml:"duration" json:"duration"`
}

// Synthetic describes generated prompts of a target size.
type Synthetic struct {
	InputTokens  int `yaml:"input_tokens" json:"input_tokens"`
	OutputTokens int `yaml:"output_tokens" json:"output_tokens"`
	// Spread, between 0 and 1, draws each length uniformly from
	// [n·(1−spread), n·(1+spread)], as vllm bench serve's range ratio does.
	Spread float64 `yaml:"spread,omitempty" json:"spread,omitempty"`
	// PrefixTokens and Prefixes make prompts share prefixes, to exercise
	// prefix caching: Prefixes distinct prefixes of PrefixTokens each are
	// made from the seed, and each prompt starts with one of them (drawn by
	// the seed) followed by its own InputTokens.
	PrefixTokens int `yaml:"prefix_tokens,omitempty" json:"prefix_tokens,omitempty"`
	Prefixes     int `yaml:"prefixes,omitempty" json:"prefixes,omitempty"`
	// Turns makes each conversation a session of that many user turns of
	// InputTokens each; every turn is sent with the growing history (the
	// earlier turns and the server's live answers) as chat messages.
	Turns int `yaml:"turns,omitempty" json:"turns,omitempty"`
}

// Validate checks the spec.
func (s Synthetic) Validate() error {
	if s.InputTokens < 1 {
		return fmt.Errorf("synthetic: input_tokens must be at least 1, got %d", s.InputTokens)
	}
	if s.OutputTokens < 1 {
		return fmt.Errorf("synthetic: output_tokens must be at least 1, got %d", s.OutputTokens)
	}
	if s.Spread < 0 || s.Spread >= 1 {
		return fmt.Errorf("synthetic: spread must be in [0, 1), got %v", s.Spread)
	}
	if s.PrefixTokens < 0 || s.Prefixes < 0 || s.Turns < 0 {
		return fmt.Errorf("synthetic: prefix_tokens, prefixes and turns must not be negative")
	}
	if s.Prefixes > 0 && s.PrefixTokens == 0 {
		return fmt.Errorf("synthetic: prefixes %d needs prefix_tokens, the length of each prefix", s.Prefixes)
	}
	if s.Prefixes > maxPrefixes {
		return fmt.Errorf("synthetic: prefixes must be at most %d, got %d", maxPrefixes, s.Prefixes)
	}
	if s.Turns > maxTurns {
		return fmt.Errorf("synthetic: turns must be at most %d, got %d", maxTurns, s.Turns)
	}
	return nil
}

// Bounds that keep a typo from building a huge workload up front.
const (
	maxPrefixes = 10000
	maxTurns    = 1000
)

// BuiltinTokenizers are the tiktoken encodings embedded in the binary.
var BuiltinTokenizers = []string{"cl100k_base", "o200k_base"}

// TokenizerRef is a tokenizer as written in a workload or on the command
// line: a built-in encoding name (cl100k_base, o200k_base), the path of a
// Hugging Face tokenizer.json, or hf:owner/name[@revision] for the
// tokenizer.json of a model repository on the hub.
type TokenizerRef string

// hubPrefix marks a hub model repository in a TokenizerRef.
const hubPrefix = "hf:"

// Parse splits the reference into a built-in name, a local path or a hub
// file; exactly one is set.
func (r TokenizerRef) Parse() (builtin, path string, hub *HubFile, err error) {
	s := strings.TrimSpace(string(r))
	switch {
	case s == "":
		return "", "", nil, errors.New("tokenizer: empty")
	case strings.HasPrefix(s, hubPrefix):
		repo, rev, _ := strings.Cut(strings.TrimPrefix(s, hubPrefix), "@")
		f := HubFile{Repo: repo, File: "tokenizer.json", Revision: rev}
		if err := f.Validate(); err != nil {
			return "", "", nil, fmt.Errorf("tokenizer %q: %w", s, err)
		}
		return "", "", &f, nil
	case slices.Contains(BuiltinTokenizers, s):
		return s, "", nil, nil
	case strings.HasSuffix(strings.ToLower(s), ".json"):
		return "", s, nil, nil
	}
	// The value is not quoted back: it may be a misplaced secret.
	return "", "", nil, fmt.Errorf("tokenizer: want %s, the path of a tokenizer.json, or hf:owner/name[@revision]",
		strings.Join(BuiltinTokenizers, " or "))
}

// FromHub reports whether the tokenizer is downloaded from the hub.
func (r TokenizerRef) FromHub() bool {
	return strings.HasPrefix(strings.TrimSpace(string(r)), hubPrefix)
}

// Validate checks the reference's form without loading anything.
func (r TokenizerRef) Validate() error {
	_, _, _, err := r.Parse()
	return err
}

// HubFile names one file of a dataset repository on the hub.
type HubFile struct {
	Repo     string `yaml:"repo" json:"repo"` // e.g. lmsys/chatbot_arena_conversations
	File     string `yaml:"file" json:"file"` // path in the repo, e.g. data/train-00000-of-00001.parquet
	Revision string `yaml:"revision,omitempty" json:"revision,omitempty"`
}

// Validate checks the names: they become URL and cache paths.
func (f HubFile) Validate() error {
	parts := strings.Split(f.Repo, "/")
	if len(parts) != 2 || !safeName(parts[0]) || !safeName(parts[1]) {
		return fmt.Errorf("hub repo %q: want owner/name", f.Repo)
	}
	if f.File == "" || strings.HasPrefix(f.File, "/") || path.Clean(f.File) != f.File || strings.HasPrefix(f.File, "..") {
		return fmt.Errorf("hub file %q: want a relative path inside the repository", f.File)
	}
	if f.Revision != "" && !safeName(f.Revision) {
		return fmt.Errorf("hub revision %q: want a branch, tag or commit", f.Revision)
	}
	return nil
}

func safeName(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}
