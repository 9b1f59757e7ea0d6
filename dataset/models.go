package dataset

import (
	"math/rand/v2"
	"sort"
)

// WithModels draws each conversation's model by weight, reproducibly for
// the seed, and sets it on every turn: a session stays with one model (an
// adapter keeps its conversation), and the draws do not depend on how
// the prompts were made.
func WithModels(src Source, names []string, weights []float64, seed uint64) Source {
	cum := make([]float64, len(weights))
	total := 0.0
	for i, w := range weights {
		total += w
		cum[i] = total
	}
	return &modelMix{src: src, names: names, cum: cum, rng: rand.New(rand.NewPCG(seed, seed^0x30de1))}
}

type modelMix struct {
	src   Source
	names []string
	cum   []float64
	rng   *rand.Rand
}

func (m *modelMix) Next() (Conversation, bool) {
	c, ok := m.src.Next()
	if !ok || len(m.names) == 0 {
		return c, ok
	}
	x := m.rng.Float64() * m.cum[len(m.cum)-1]
	// The first model whose cumulative weight passes x: each model owns
	// a half-open share [cum[i-1], cum[i]) of the draws.
	i := min(sort.Search(len(m.cum), func(i int) bool { return x < m.cum[i] }), len(m.names)-1)
	turns := make([]Turn, len(c.Turns))
	for j, t := range c.Turns {
		t.Model = m.names[i]
		turns[j] = t
	}
	c.Turns = turns
	return c, true
}
