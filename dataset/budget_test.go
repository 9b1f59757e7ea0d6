package dataset

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

type nullRow struct {
	Q *string `parquet:"q,optional"`
}

// A tiny Parquet file can declare millions of rows (20 million null rows
// fit in 31 KB); a JSONL file can be gigabytes. The readers stop at their
// caps instead of holding it all.
func TestReadersStopAtCaps(t *testing.T) {
	dir := t.TempDir()
	defer func(rows, bytes int) { maxDatasetRows, maxDatasetBytes = rows, bytes }(maxDatasetRows, maxDatasetBytes)
	maxDatasetRows, maxDatasetBytes = 1000, 1<<20

	pq := filepath.Join(dir, "nulls.parquet")
	if err := parquet.WriteFile(pq, make([]nullRow, 5000)); err != nil {
		t.Fatal(err)
	}
	rows, err := ReadRows(pq)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) > maxDatasetRows {
		t.Errorf("Parquet: %d rows read, over the cap of %d", len(rows), maxDatasetRows)
	}

	line := `{"conversations":[{"from":"human","value":"` + strings.Repeat("x", 1000) + `"}]}` + "\n"
	jl := filepath.Join(dir, "big.jsonl")
	if err := os.WriteFile(jl, []byte(strings.Repeat(line, 3000)), 0o600); err != nil {
		t.Fatal(err)
	}
	rows, err = ReadRows(jl)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) > maxDatasetRows || len(rows)*len(line) > maxDatasetBytes+len(line) {
		t.Errorf("JSONL: %d rows of %d bytes read, over the caps of %d rows and %d bytes", len(rows), len(line), maxDatasetRows, maxDatasetBytes)
	}
}

// A hub download is capped in size, and one slow download holds only its
// own file: another window's cached file is served meanwhile.
func TestHubDownloadBudgets(t *testing.T) {
	defer func(n int64) { maxDownloadBytes = n }(maxDownloadBytes)
	maxDownloadBytes = 1 << 20
	slow, slowSeen := make(chan struct{}), make(chan struct{})
	defer close(slow)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/endless.jsonl"):
			// Endless as far as the cap can tell, but never more than a few
			// times it: a regression must not fill the disk.
			chunk := []byte(strings.Repeat(`{"a":1}`+"\n", 1024))
			for sent := 0; r.Context().Err() == nil && sent < 8<<20; sent += len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		case strings.HasSuffix(r.URL.Path, "/slow.jsonl"):
			close(slowSeen)
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
			select {
			case <-slow:
			case <-r.Context().Done():
			}
		default:
			w.Write([]byte(`{"a":1}` + "\n"))
		}
	}))
	defer srv.Close()
	hub := &Hub{Endpoint: srv.URL, CacheDir: t.TempDir()}
	ctx := context.Background()

	_, err := hub.Fetch(ctx, HubFile{Repo: "o/r", File: "endless.jsonl"})
	if err == nil || !strings.Contains(err.Error(), "over the cap") {
		t.Fatalf("endless download: got %v, want a refusal over the cap", err)
	}
	if _, err := hub.Fetch(ctx, HubFile{Repo: "o/r", File: "small.jsonl"}); err != nil {
		t.Fatal(err)
	}
	slowDone := make(chan struct{})
	slowCtx, stopSlow := context.WithCancel(ctx)
	defer func() { stopSlow(); <-slowDone }()
	go func() {
		defer close(slowDone)
		hub.Fetch(slowCtx, HubFile{Repo: "o/r", File: "slow.jsonl"})
	}()
	<-slowSeen
	// The cached file must come back while slow.jsonl is still held: with
	// a global lock this waits for the slow download (the hang guard
	// below is not a verdict on speed).
	got := make(chan error, 1)
	go func() {
		_, err := hub.Fetch(ctx, HubFile{Repo: "o/r", File: "small.jsonl"})
		got <- err
	}()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a cached file waited for another file's download")
	}
}

// Tokenizers are cached within a byte budget, least recently used first
// out; a file over the cap is refused before it is parsed.
func TestTokenizerCacheBudget(t *testing.T) {
	content, err := os.ReadFile("testdata/tokenizers/bpe.json")
	if err != nil {
		t.Fatal(err)
	}
	defer func(b, f int64) { tokenizerCacheBudget, maxTokenizerFile = b, f }(tokenizerCacheBudget, maxTokenizerFile)
	one := int64(len(content)) * tokenizerCostPerByte
	tokenizerCacheBudget = 2 * one
	dir := t.TempDir()
	for i := range 5 {
		path := filepath.Join(dir, fmt.Sprintf("t%d.json", i))
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadTokenizer(context.Background(), TokenizerRef(path), nil); err != nil {
			t.Fatal(err)
		}
	}
	loaded.Lock()
	cost, n := loaded.cost, len(loaded.entries)
	loaded.Unlock()
	if cost > tokenizerCacheBudget {
		t.Errorf("cache counts %d bytes in %d entries, over its budget of %d", cost, n, tokenizerCacheBudget)
	}
	maxTokenizerFile = int64(len(content)) - 1
	big := filepath.Join(dir, "big.json")
	os.WriteFile(big, content, 0o600)
	if _, err := LoadTokenizer(context.Background(), TokenizerRef(big), nil); err == nil || !strings.Contains(err.Error(), "over the cap") {
		t.Errorf("a tokenizer over the cap: %v", err)
	}
}
