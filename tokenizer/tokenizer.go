// Package tokenizer counts, encodes and decodes text as a model does: the
// tiktoken encodings built into the binary and Hugging Face tokenizer.json
// files, loaded once into a cache, and the text of an exact number of
// tokens that synthetic and trace prompts are made of.
package tokenizer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	hftokenizer "github.com/sugarme/tokenizer"
	"github.com/sugarme/tokenizer/pretrained"
	tiktoken "github.com/tiktoken-go/tokenizer"

	"github.com/inferno-llm/inferno/config/schema"
	"github.com/inferno-llm/inferno/internal/hub"
)

// MaxFileBytes bounds a tokenizer file and the memory a loaded tokenizer
// is counted for in the cache's budget.
const MaxFileBytes = 64 << 20

// Tokenizer counts, encodes and decodes text as a model does, so prompts
// can be exactly N tokens long and output can be counted where a server
// reports no usage. Implementations are safe for concurrent use.
type Tokenizer interface {
	Name() string
	Encode(text string) ([]int, error)
	Decode(ids []int) (string, error)
	// Words are the ids of tokens that decode to a plain word, from which
	// random prompts are drawn (vllm bench draws from the whole vocabulary;
	// plain words keep prompts readable and re-encode stably).
	Words() []int
}

// Count is the number of tokens of text, special tokens not added.
func Count(t Tokenizer, text string) (int, error) {
	ids, err := t.Encode(text)
	return len(ids), err
}

// loaded keeps tokenizers once loaded: a daemon builds a window per run,
// and loading a vocabulary of 200k tokens each time would cost more than
// the window's own setup. The cache has a byte budget and evicts the least
// recently used: a hub tokenizer can take hundreds of megabytes a revision,
// and one per revision was kept for good. Each key loads on its own, so
// one slow load holds up only the windows that need that tokenizer.
var loaded = cache{entries: map[string]*cachedTokenizer{}}

type cache struct {
	sync.Mutex
	entries map[string]*cachedTokenizer
	cost    int64
	clock   int64
}

type cachedTokenizer struct {
	ready chan struct{} // closed once t or err is set
	t     Tokenizer
	err   error
	cost  int64
	used  int64
}

// cacheBudget bounds the memory the cache is counted for; a
// tokenizer's memory is estimated as costPerByte times its file.
var cacheBudget int64 = 256 << 20

const costPerByte = 16

// maxTokenizerFile caps a tokenizer.json, a variable so tests prove it.
var maxTokenizerFile int64 = MaxFileBytes

func (c *cache) get(key string, cost int64, load func() (Tokenizer, error)) (Tokenizer, error) {
	c.Lock()
	c.clock++
	if e, ok := c.entries[key]; ok {
		e.used = c.clock
		c.Unlock()
		<-e.ready
		return e.t, e.err
	}
	e := &cachedTokenizer{ready: make(chan struct{}), cost: cost, used: c.clock}
	c.entries[key] = e
	c.cost += cost
	c.evict(e)
	c.Unlock()
	e.t, e.err = load()
	close(e.ready)
	if e.err != nil {
		c.Lock()
		if c.entries[key] == e {
			delete(c.entries, key)
			c.cost -= e.cost
		}
		c.Unlock()
	}
	return e.t, e.err
}

// evict drops the least recently used loaded entries until the cache is
// within its budget, never keep (the one being added). Windows holding an
// evicted tokenizer keep it until they end.
func (c *cache) evict(keep *cachedTokenizer) {
	for c.cost > cacheBudget {
		var oldest string
		var victim *cachedTokenizer
		for k, e := range c.entries {
			select {
			case <-e.ready:
			default:
				continue // still loading: its loader holds it
			}
			if e != keep && (victim == nil || e.used < victim.used) {
				oldest, victim = k, e
			}
		}
		if victim == nil {
			return
		}
		delete(c.entries, oldest)
		c.cost -= victim.cost
	}
}

// Load loads the referenced tokenizer; h (needed only for an hf:
// reference) downloads and caches the repository's tokenizer.json.
func Load(ctx context.Context, ref schema.TokenizerRef, h *hub.Hub) (Tokenizer, error) {
	builtin, path, hubFile, err := ref.Parse()
	if err != nil {
		return nil, err
	}
	if hubFile != nil {
		if h == nil {
			return nil, fmt.Errorf("tokenizer %s: a hub tokenizer needs hub settings", ref)
		}
		if path, err = h.FetchModel(ctx, *hubFile); err != nil {
			return nil, fmt.Errorf("tokenizer %s: %w", ref, err)
		}
	}
	key := builtin
	var cost int64
	if path != "" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, err
		}
		info, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("tokenizer %s: %w", ref, err)
		}
		if !info.Mode().IsRegular() {
			return nil, fmt.Errorf("tokenizer %s: not a regular file", ref)
		}
		if info.Size() > maxTokenizerFile {
			return nil, fmt.Errorf("tokenizer %s: %d bytes, over the cap of %d bytes", ref, info.Size(), maxTokenizerFile)
		}
		// A file replaced in place is loaded again.
		key = fmt.Sprintf("%s\x00%d\x00%d", abs, info.Size(), info.ModTime().UnixNano())
		cost = info.Size() * costPerByte
	}
	return loaded.get(key, cost, func() (Tokenizer, error) {
		if builtin != "" {
			return newTiktoken(builtin)
		}
		return newHFTokenizer(path)
	})
}

// tiktokenizer is a tiktoken encoding from github.com/tiktoken-go/tokenizer,
// whose vocabularies are compiled into the binary (no download at run time).
type tiktokenizer struct {
	codec tiktoken.Codec
	plain []int
}

func newTiktoken(name string) (*tiktokenizer, error) {
	codec, err := tiktoken.Get(tiktoken.Encoding(name))
	if err != nil {
		return nil, fmt.Errorf("tokenizer %s: %w", name, err)
	}
	t := &tiktokenizer{codec: codec}
	// The vocabulary is not exposed; decoding each id finds its words. Ids
	// past the vocabulary fail to decode, which ends the scan.
	misses := 0
	for id := 0; misses < 4096; id++ {
		s, err := codec.Decode([]uint{uint(id)})
		if err != nil {
			misses++
			continue
		}
		misses = 0
		if plainWord(s) {
			t.plain = append(t.plain, id)
		}
	}
	if len(t.plain) == 0 {
		return nil, fmt.Errorf("tokenizer %s: no plain-word tokens to draw prompts from", name)
	}
	return t, nil
}

func (t *tiktokenizer) Name() string { return t.codec.GetName() }
func (t *tiktokenizer) Words() []int { return t.plain }

func (t *tiktokenizer) Encode(text string) ([]int, error) {
	ids, _, err := t.codec.Encode(text)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = int(id)
	}
	return out, nil
}

func (t *tiktokenizer) Decode(ids []int) (string, error) {
	u := make([]uint, len(ids))
	for i, id := range ids {
		if id < 0 {
			return "", fmt.Errorf("invalid token %d", id)
		}
		u[i] = uint(id)
	}
	return t.codec.Decode(u)
}

// hfTokenizer is a Hugging Face tokenizer.json (BPE, WordPiece, WordLevel
// or Unigram, with its normalizer, pre-tokenizer and decoder) read by
// github.com/sugarme/tokenizer. That library keeps caches without locks
// and panics on some malformed files, hence the mutex and the recovers.
type hfTokenizer struct {
	mu    sync.Mutex
	name  string
	tk    *hftokenizer.Tokenizer
	plain []int
}

func newHFTokenizer(path string) (t *hfTokenizer, err error) {
	defer func() {
		if p := recover(); p != nil {
			t, err = nil, fmt.Errorf("tokenizer %s: not a usable tokenizer.json: %v", path, p)
		}
	}()
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("tokenizer %s: %w", path, err)
	}
	tk, err := pretrained.FromFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer %s: not a usable tokenizer.json: %w", path, err)
	}
	t = &hfTokenizer{name: path, tk: tk}
	special := map[string]bool{}
	for _, s := range tk.GetSpecialTokens() {
		special[s] = true
	}
	vocab := tk.GetVocab(false)
	ids := make([]int, 0, len(vocab))
	for tok, id := range vocab {
		if !special[tok] {
			ids = append(ids, id)
		}
	}
	sort.Ints(ids) // map order would make prompts differ between runs of one seed
	for _, id := range ids {
		if plainWord(tk.Decode([]int{id}, true)) {
			t.plain = append(t.plain, id)
		}
	}
	if len(t.plain) == 0 {
		return nil, fmt.Errorf("tokenizer %s: no plain-word tokens to draw prompts from", path)
	}
	return t, nil
}

func (t *hfTokenizer) Name() string { return t.name }
func (t *hfTokenizer) Words() []int { return t.plain }

func (t *hfTokenizer) Encode(text string) (ids []int, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	defer func() {
		if p := recover(); p != nil {
			ids, err = nil, fmt.Errorf("tokenizer %s: encode: %v", t.name, p)
		}
	}()
	enc, err := t.tk.EncodeSingle(text, false)
	if err != nil {
		return nil, err
	}
	return append([]int(nil), enc.Ids...), nil
}

func (t *hfTokenizer) Decode(ids []int) (s string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	defer func() {
		if p := recover(); p != nil {
			s, err = "", fmt.Errorf("tokenizer %s: decode: %v", t.name, p)
		}
	}()
	return t.tk.Decode(ids, true), nil
}

// plainWord reports whether a token decodes to a word of two or more
// letters, with at most a leading space: such tokens join into text that
// re-encodes to nearly the same tokens.
func plainWord(s string) bool {
	s = strings.TrimPrefix(s, " ")
	if utf8.RuneCountInString(s) < 2 || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r > unicode.MaxASCII || !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}
