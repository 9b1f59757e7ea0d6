package tokenizer

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/inferno-llm/inferno/config/schema"
	"github.com/inferno-llm/inferno/internal/hub"
)

// The tokenizers every test runs against: both embedded tiktoken encodings
// and two tokenizer.json files written by testdata/tokenizers/make.py.
var testTokenizers = []schema.TokenizerRef{"cl100k_base", "o200k_base", "testdata/tokenizers/bpe.json", "testdata/tokenizers/wordpiece.json"}

func loadTok(t *testing.T, ref schema.TokenizerRef) Tokenizer {
	t.Helper()
	tok, err := Load(context.Background(), ref, nil)
	if err != nil {
		t.Fatalf("load %s: %v", ref, err)
	}
	return tok
}

func count(t *testing.T, tok Tokenizer, s string) int {
	t.Helper()
	n, err := Count(tok, s)
	if err != nil {
		t.Fatalf("count: %v", err)
	}
	return n
}

func TestTokenizerRoundTrip(t *testing.T) {
	for _, ref := range testTokenizers {
		t.Run(string(ref), func(t *testing.T) {
			tok := loadTok(t, ref)
			text := "the people made time for water and words"
			ids, err := tok.Encode(text)
			if err != nil || len(ids) == 0 {
				t.Fatalf("encode: %v, %v", ids, err)
			}
			back, err := tok.Decode(ids)
			if err != nil || back != text {
				t.Fatalf("decode(encode(%q)) = %q, %v", text, back, err)
			}
			if len(tok.Words()) == 0 {
				t.Fatal("no plain-word tokens")
			}
		})
	}
}

func TestTokenizerRefErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"model": {"type": "Nonsense"}}`), 0o644)
	garbage := filepath.Join(dir, "garbage.json")
	os.WriteFile(garbage, []byte(`not json`), 0o644)
	for _, tc := range []struct {
		ref  schema.TokenizerRef
		want string
	}{
		{"", "empty"},
		{"gpt2", "want cl100k_base or o200k_base"},
		{"hf:nope", "want owner/name"},
		{"hf:a/b", "needs hub settings"},
		{schema.TokenizerRef(filepath.Join(dir, "missing.json")), "no such file"},
		{schema.TokenizerRef(bad), "not a usable tokenizer.json"},
		{schema.TokenizerRef(garbage), "not a usable tokenizer.json"},
	} {
		_, err := Load(context.Background(), tc.ref, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.ref, err, tc.want)
		}
	}
}

// An hf: tokenizer comes from the model repository's resolve URL (no
// /datasets/ segment), once, then from the cache.
func TestTokenizerFromHub(t *testing.T) {
	content, err := os.ReadFile("testdata/tokenizers/bpe.json")
	if err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/acme/gated/resolve/main/tokenizer.json" {
			http.Error(w, "gated", http.StatusUnauthorized)
			return
		}
		if r.URL.Path != "/acme/tiny-model/resolve/v1/tokenizer.json" {
			http.NotFound(w, r)
			return
		}
		hits.Add(1)
		w.Write(content)
	}))
	defer srv.Close()
	h := &hub.Hub{Endpoint: srv.URL, CacheDir: t.TempDir()}
	for range 2 {
		tok, err := Load(context.Background(), "hf:acme/tiny-model@v1", h)
		if err != nil {
			t.Fatal(err)
		}
		if n := count(t, tok, "the people"); n != 2 {
			t.Fatalf("%d tokens for two words of the vocabulary, want 2", n)
		}
	}
	if hits.Load() != 1 {
		t.Fatalf("%d downloads, want 1", hits.Load())
	}
	if _, err := Load(context.Background(), "hf:acme/other", h); err == nil || !strings.Contains(err.Error(), `model acme/other has no file "tokenizer.json"`) {
		t.Fatalf("a repository without tokenizer.json: %v", err)
	}
	// A gated model's message points at the model's page, not a dataset's.
	if _, err := Load(context.Background(), "hf:acme/gated", h); err == nil || !strings.Contains(err.Error(), "model acme/gated is gated or private: request access at https://huggingface.co/acme/gated,") {
		t.Fatalf("a gated model: %v", err)
	}
}

// Tokenizers are cached within a byte budget, least recently used first
// out; a file over the cap is refused before it is parsed.
func TestTokenizerCacheBudget(t *testing.T) {
	content, err := os.ReadFile("testdata/tokenizers/bpe.json")
	if err != nil {
		t.Fatal(err)
	}
	defer func(b, f int64) { cacheBudget, maxTokenizerFile = b, f }(cacheBudget, maxTokenizerFile)
	one := int64(len(content)) * costPerByte
	cacheBudget = 2 * one
	dir := t.TempDir()
	for i := range 5 {
		path := filepath.Join(dir, fmt.Sprintf("t%d.json", i))
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(context.Background(), schema.TokenizerRef(path), nil); err != nil {
			t.Fatal(err)
		}
	}
	loaded.Lock()
	cost, n := loaded.cost, len(loaded.entries)
	loaded.Unlock()
	if cost > cacheBudget {
		t.Errorf("cache counts %d bytes in %d entries, over its budget of %d", cost, n, cacheBudget)
	}
	maxTokenizerFile = int64(len(content)) - 1
	big := filepath.Join(dir, "big.json")
	os.WriteFile(big, content, 0o600)
	if _, err := Load(context.Background(), schema.TokenizerRef(big), nil); err == nil || !strings.Contains(err.Error(), "over the cap") {
		t.Errorf("a tokenizer over the cap: %v", err)
	}
}
