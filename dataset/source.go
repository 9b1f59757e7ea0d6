package dataset

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/inferno-llm/inferno/arrival"
	"github.com/inferno-llm/inferno/config/schema"
	"github.com/inferno-llm/inferno/internal/hub"
	"github.com/inferno-llm/inferno/tokenizer"
	"github.com/inferno-llm/inferno/traces"
)

// Source yields the conversations a window sends, one per arrival. Next
// returns false when a finite source is exhausted.
type Source interface {
	Next() (Conversation, bool)
}

// EstimateTokens approximates a text's token count by its words, for
// reports where the server gives no usage.
func EstimateTokens(msgs []Message) int {
	n := 0
	for _, m := range msgs {
		n += len(strings.Fields(m.Content))
	}
	return n
}

// SourceOptions shape a source of recorded conversations.
type SourceOptions struct {
	// FirstTurnOnly sends each conversation's first turn alone (ShareGPT's
	// usual benchmark), instead of whole sessions.
	FirstTurnOnly bool
	// MaxTokens applies to turns whose data sets none.
	MaxTokens int
}

func (o SourceOptions) shape(c Conversation) Conversation {
	if o.FirstTurnOnly && len(c.Turns) > 1 {
		c.Turns = c.Turns[:1]
	}
	if o.MaxTokens > 0 {
		turns := make([]Turn, len(c.Turns))
		for i, t := range c.Turns {
			if t.MaxTokens <= 0 {
				t.MaxTokens = o.MaxTokens
			}
			turns[i] = t
		}
		c.Turns = turns
	}
	return c
}

// NewSampler draws conversations at random (with replacement, endless),
// reproducibly for a seed: the old tool's prompt_source for synthetic
// arrivals.
func NewSampler(convs []Conversation, seed uint64, opts SourceOptions) (Source, error) {
	if len(convs) == 0 {
		return nil, errors.New("no conversations to draw from")
	}
	return &sampler{convs: convs, opts: opts, rng: rand.New(rand.NewPCG(seed, seed^0xda7a))}, nil
}

type sampler struct {
	convs []Conversation
	opts  SourceOptions
	rng   *rand.Rand
}

func (s *sampler) Next() (Conversation, bool) {
	return s.opts.shape(s.convs[s.rng.IntN(len(s.convs))]), true
}

// NewReplay returns the arrival and the source of a replayed trace:
// conversations start at their recorded offsets divided by the spec's
// compression ratio, optionally only those in its workload range. Both
// follow the conversations in time order, so the i-th arrival sends the
// i-th conversation.
func NewReplay(convs []Conversation, spec ArrivalSpec, opts SourceOptions) (arrival.Arrival, Source, error) {
	ratio := spec.CompressionRatio
	if ratio == 0 {
		ratio = 1
	}
	if !(ratio > 0) {
		return nil, nil, fmt.Errorf("compression_ratio must be positive, got %v", spec.CompressionRatio)
	}
	for i, c := range convs {
		if !c.HasOffset {
			return nil, nil, fmt.Errorf("conversation %d has no timestamp: this dataset cannot be replayed; use another arrival", i+1)
		}
	}
	sorted := append([]Conversation(nil), convs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Offset < sorted[j].Offset })
	if r := spec.WorkloadRange; len(r) > 0 {
		if len(r) != 2 || r[0] < 0 || r[1] < r[0] || r[1] > len(sorted) {
			return nil, nil, fmt.Errorf("workload_range %v: want [start, end] with 0 ≤ start ≤ end ≤ %d", r, len(sorted))
		}
		sorted = sorted[r[0]:r[1]]
	}
	if len(sorted) == 0 {
		return nil, nil, errors.New("workload_range selects no conversation")
	}
	offsets := make([]time.Duration, len(sorted))
	for i, c := range sorted {
		offsets[i] = seconds((c.Offset - sorted[0].Offset) / ratio)
	}
	return arrival.Replay(offsets), &listSource{convs: sorted, opts: opts}, nil
}

// seconds is a recorded offset as a time from the window's start.
func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

type listSource struct {
	convs []Conversation
	opts  SourceOptions
	i     int
}

func (s *listSource) Next() (Conversation, bool) {
	if s.i >= len(s.convs) {
		return Conversation{}, false
	}
	s.i++
	return s.opts.shape(s.convs[s.i-1]), true
}

// Spec is everything that decides what a window sends.
type Spec struct {
	// Dataset is synthetic or a file kind (arena, oasst1, dolly, openorca,
	// sharegpt, jsonl) read from Path.
	Dataset string
	Path    string
	// HubFile, when set, is downloaded through Hub (once, into its cache)
	// and read instead of Path.
	HubFile   *HubFile
	Hub       *hub.Hub
	Synthetic SyntheticSpec
	Arrival   ArrivalSpec
	Options   SourceOptions
	Seed      uint64
	// Tokenizer, when set, makes synthetic lengths exact in its tokens,
	// lets MaxInputTokens apply to data files, and counts output where the
	// server reports no usage. Hub loads an hf: tokenizer.
	Tokenizer TokenizerRef
	// MaxInputTokens drops (or, with TruncateInput, cuts) data-file turns
	// longer than this many tokens; it needs a Tokenizer.
	MaxInputTokens int
	TruncateInput  bool
	// CanaryWithoutTools leaves the canary prompts that need tools out, for
	// APIs that cannot declare tools.
	CanaryWithoutTools bool
}

// Build returns the window's arrival schedule and conversation source.
func (s Spec) Build(ctx context.Context) (arrival.Arrival, Source, error) {
	arr, src, _, err := s.BuildTokenized(ctx)
	return arr, src, err
}

// BuildTokenized is Build that also returns the workload's tokenizer (nil
// when it names none), for counting output tokens.
func (s Spec) BuildTokenized(ctx context.Context) (arrival.Arrival, Source, tokenizer.Tokenizer, error) {
	if err := arrival.Check(s.Arrival); err != nil {
		return nil, nil, nil, err
	}
	if s.MaxInputTokens < 0 {
		return nil, nil, nil, fmt.Errorf("max_input_tokens must not be negative, got %d", s.MaxInputTokens)
	}
	if s.MaxInputTokens > 0 && s.Tokenizer == "" {
		return nil, nil, nil, errors.New("max_input_tokens needs a tokenizer to count with")
	}
	var tok tokenizer.Tokenizer
	if s.Tokenizer != "" {
		var err error
		if tok, err = tokenizer.Load(ctx, s.Tokenizer, s.Hub); err != nil {
			return nil, nil, nil, err
		}
	}
	arr, src, err := s.build(ctx, tok)
	return arr, src, tok, err
}

func (s Spec) build(ctx context.Context, tok tokenizer.Tokenizer) (arrival.Arrival, Source, error) {
	if s.Dataset == "" || s.Dataset == "synthetic" {
		if s.Arrival.Kind == "replay" {
			return nil, nil, errors.New("arrival replay needs a dataset with timestamps, not synthetic prompts")
		}
		src, err := NewSyntheticTokenized(s.Synthetic, s.Seed, tok)
		if err != nil {
			return nil, nil, err
		}
		arr, err := arrival.New(s.Arrival, s.Seed)
		return arr, src, err
	}
	if s.Dataset == CanaryKind {
		if s.Arrival.Kind == "replay" {
			return nil, nil, errors.New("arrival replay needs a dataset with timestamps, not the canary prompts")
		}
		convs, err := CanaryConversations(!s.CanaryWithoutTools)
		if err != nil {
			return nil, nil, err
		}
		arr, err := arrival.New(s.Arrival, s.Seed)
		return arr, &cycle{convs: convs, opts: s.Options}, err
	}
	path := s.Path
	if s.HubFile != nil {
		if s.Hub == nil {
			return nil, nil, errors.New("a hub file needs hub settings")
		}
		var err error
		if path, err = s.Hub.Fetch(ctx, *s.HubFile); err != nil {
			return nil, nil, err
		}
	}
	if path == "" {
		return nil, nil, fmt.Errorf("dataset %s needs a file path or a hub file", s.Dataset)
	}
	if traces.IsFormat(s.Dataset) {
		return s.buildTrace(path, tok)
	}
	convs, err := LoadConversations(s.Dataset, path)
	if err != nil {
		return nil, nil, err
	}
	// Counting every turn of a large data file takes a while, so only a
	// limit makes a window pay for it.
	if tok != nil && s.MaxInputTokens > 0 {
		if convs, err = fitInputTokens(convs, tok, s.MaxInputTokens, s.TruncateInput); err != nil {
			return nil, nil, err
		}
	}
	if s.Arrival.Kind == "replay" {
		return NewReplay(convs, s.Arrival, s.Options)
	}
	src, err := NewSampler(convs, s.Seed, s.Options)
	if err != nil {
		return nil, nil, err
	}
	arr, err := arrival.New(s.Arrival, s.Seed)
	return arr, src, err
}

// buildTrace replays a public trace at its own times, or draws its
// requests for another arrival.
func (s Spec) buildTrace(path string, tok tokenizer.Tokenizer) (arrival.Arrival, Source, error) {
	recs, err := traces.Load(s.Dataset, path)
	if err != nil {
		return nil, nil, err
	}
	if s.MaxInputTokens > 0 {
		if recs, err = traces.Fit(recs, s.MaxInputTokens, s.TruncateInput); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	if s.Arrival.Kind == "replay" {
		return NewTraceReplay(recs, s.Arrival, s.Options, tok, s.Seed)
	}
	src, err := NewTraceSampler(recs, s.Options, tok, s.Seed)
	if err != nil {
		return nil, nil, err
	}
	arr, err := arrival.New(s.Arrival, s.Seed)
	return arr, src, err
}

// The schema's types, owned by the config package.
type (
	ArrivalSpec   = schema.Arrival
	StageSpec     = schema.Stage
	SyntheticSpec = schema.Synthetic
	TokenizerRef  = schema.TokenizerRef
	HubFile       = schema.HubFile
)

// BuiltinTokenizers are the tiktoken encodings embedded in the binary.
var BuiltinTokenizers = schema.BuiltinTokenizers
