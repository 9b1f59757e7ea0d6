package dataset

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/inferno-llm/inferno/arrival"
	"github.com/inferno-llm/inferno/tokenizer"
	"github.com/inferno-llm/inferno/traces"
)

// A public trace's requests become conversations here, each prompt made as
// it is taken (package traces reads the files and makes the text).

// traceConversation is rec as a one-turn conversation with a prompt of its
// recorded length.
func traceConversation(t *traces.Text, rec traces.Record, own uint64, opts SourceOptions) (Conversation, bool) {
	text, err := t.Prompt(rec, own)
	if err != nil {
		// Only a tokenizer failing on its own words gets here; the source
		// has no error to return, so it ends.
		return Conversation{}, false
	}
	turn := Turn{Messages: []Message{{Role: "user", Content: text}}, InputTokens: rec.Input, MaxTokens: rec.Output}
	if turn.MaxTokens == 0 {
		// A zero-length answer is a failed request in BurstGPT; asking for
		// one token keeps the prompt's prefill load.
		turn.MaxTokens = 1
	}
	return opts.shape(Conversation{ID: strconv.Itoa(rec.Line), Offset: rec.Offset, HasOffset: true, Turns: []Turn{turn}}), true
}

// NewTraceReplay returns the arrival and source replaying a trace: each
// request at its recorded time divided by the compression ratio (the
// first selected one at 0), with a prompt of its recorded length. The
// workload range selects requests by position in the trace.
func NewTraceReplay(recs []traces.Record, spec ArrivalSpec, opts SourceOptions, tok tokenizer.Tokenizer, seed uint64) (arrival.Arrival, Source, error) {
	ratio := spec.CompressionRatio
	if ratio == 0 {
		ratio = 1
	}
	if !(ratio > 0) {
		return nil, nil, fmt.Errorf("compression_ratio must be positive, got %v", spec.CompressionRatio)
	}
	if r := spec.WorkloadRange; len(r) > 0 {
		if len(r) != 2 || r[0] < 0 || r[1] < r[0] || r[1] > len(recs) {
			return nil, nil, fmt.Errorf("workload_range %v: want [start, end] with 0 ≤ start ≤ end ≤ %d", r, len(recs))
		}
		recs = recs[r[0]:r[1]]
	}
	if len(recs) == 0 {
		return nil, nil, errors.New("workload_range selects no request")
	}
	offsets := make([]time.Duration, len(recs))
	for i, rec := range recs {
		offsets[i] = seconds((rec.Offset - recs[0].Offset) / ratio)
	}
	text, err := traces.NewText(tok, seed)
	if err != nil {
		return nil, nil, err
	}
	return arrival.Replay(offsets), &traceSource{recs: recs, text: text, opts: opts}, nil
}

// NewTraceSampler draws a trace's requests at random, for arrivals of
// their own (a trace's lengths at a chosen rate).
func NewTraceSampler(recs []traces.Record, opts SourceOptions, tok tokenizer.Tokenizer, seed uint64) (Source, error) {
	if len(recs) == 0 {
		return nil, errors.New("no requests to draw from")
	}
	text, err := traces.NewText(tok, seed)
	if err != nil {
		return nil, err
	}
	return &traceSource{recs: recs, text: text, opts: opts, rng: rand.New(rand.NewPCG(seed, seed^0x7ace))}, nil
}

// traceSource makes each prompt as it is taken: a production trace's
// prompts together run to gigabytes.
type traceSource struct {
	recs []traces.Record
	text *traces.Text
	opts SourceOptions
	rng  *rand.Rand // nil: in order, once
	i    int
}

func (s *traceSource) Next() (Conversation, bool) {
	if s.rng != nil {
		// Each draw's own words are its own: a record drawn twice is two
		// requests, which share only their hash blocks.
		s.i++
		return traceConversation(s.text, s.recs[s.rng.IntN(len(s.recs))], uint64(s.i), s.opts)
	}
	if s.i >= len(s.recs) {
		return Conversation{}, false
	}
	s.i++
	return traceConversation(s.text, s.recs[s.i-1], uint64(s.recs[s.i-1].Line), s.opts)
}
