package dataset

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// SyntheticSpec describes generated prompts of a target size.
type SyntheticSpec struct {
	InputTokens  int `yaml:"input_tokens" json:"input_tokens"`
	OutputTokens int `yaml:"output_tokens" json:"output_tokens"`
	// Spread, between 0 and 1, draws each length uniformly from
	// [n·(1−spread), n·(1+spread)], as vllm bench serve's range ratio does.
	Spread float64 `yaml:"spread,omitempty" json:"spread,omitempty"`
}

// Validate checks the spec.
func (s SyntheticSpec) Validate() error {
	if s.InputTokens < 1 {
		return fmt.Errorf("synthetic: input_tokens must be at least 1, got %d", s.InputTokens)
	}
	if s.OutputTokens < 1 {
		return fmt.Errorf("synthetic: output_tokens must be at least 1, got %d", s.OutputTokens)
	}
	if s.Spread < 0 || s.Spread >= 1 {
		return fmt.Errorf("synthetic: spread must be in [0, 1), got %v", s.Spread)
	}
	return nil
}

// New returns an endless source of one-turn conversations, seeded for
// reproducibility.
func (s SyntheticSpec) New(seed uint64) (Source, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &synthetic{spec: s, rng: rand.New(rand.NewPCG(seed, seed+1))}, nil
}

// syntheticWords are common English words that the usual BPE tokenizers
// (Llama, Mistral, GPT) encode as one token each with a leading space, so a
// prompt of n words is close to n tokens without shipping a tokenizer.
var syntheticWords = strings.Fields(`the of and to in is was for on are as with his they at be this from have or
by one had not but what all were when we there can an your which their said if do will each about how up out
them then she many some so these would other into has more her two like him see time could no make than first
been its who now people my made over did down only way find use may water long little very after words called
just where most know get through back much before go good new write our used me man too any day same right look
think also around another came come work three word must because does part even place well such here take why
help put different away again off went old number great tell men say small every found still between name
should home big give air line set own under read last never us left end along while might next sound below saw
something thought both few those always show large often together asked house world going want school important
until form food keep children feet land side without boy once animal life enough took four head above kind began
almost live page got earth need far hand high year mother light country father let night picture being study
second soon story since white ever paper hard near sentence better best across during today however sure knew
try told young sun thing whole hear example heard several change answer room sea against top turned learn point
city play toward five himself usually money seen car morning body upon family later turn move face door cut done
group true leave color red friend pretty eat front feel fact hand week eye open`)

type synthetic struct {
	spec SyntheticSpec
	rng  *rand.Rand
}

func (s *synthetic) Next() (Conversation, bool) {
	in := s.length(s.spec.InputTokens)
	var b strings.Builder
	b.Grow(in * 6)
	for i := range in {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(syntheticWords[s.rng.IntN(len(syntheticWords))])
	}
	return Conversation{Turns: []Turn{{
		Messages:    []Message{{Role: "user", Content: b.String()}},
		InputTokens: in,
		MaxTokens:   s.length(s.spec.OutputTokens),
	}}}, true
}

func (s *synthetic) length(n int) int {
	if s.spec.Spread == 0 {
		return n
	}
	lo := max(1, int(float64(n)*(1-s.spec.Spread)))
	hi := max(lo, int(float64(n)*(1+s.spec.Spread)))
	return lo + s.rng.IntN(hi-lo+1)
}
