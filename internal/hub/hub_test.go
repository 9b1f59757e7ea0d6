package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/config/schema"
)

// arenaFixture is a data file of dataset's tests, served as a hub file.
const arenaFixture = "../../dataset/testdata/arena.jsonl"

// fakeHub serves the hub's resolve URLs for a few files.
type fakeHub struct {
	mu        sync.Mutex
	files     map[string][]byte // "owner/name/rev/path" → content
	gated     map[string]string // repo → the token it needs
	cutFirst  bool              // cut the first download halfway
	corrupt   bool              // serve content that does not match the ETag
	ranges    []string
	downloads int
}

func (h *fakeHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	rest, ok := strings.CutPrefix(r.URL.Path, "/datasets/")
	parts := strings.SplitN(rest, "/", 5) // owner, name, "resolve", rev, path
	if !ok || len(parts) != 5 || parts[2] != "resolve" {
		http.NotFound(w, r)
		return
	}
	repo := parts[0] + "/" + parts[1]
	if need, gated := h.gated[repo]; gated {
		switch r.Header.Get("Authorization") {
		case "":
			http.Error(w, "Access to dataset is restricted", http.StatusUnauthorized)
			return
		case "Bearer " + need:
		default:
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
	}
	content, ok := h.files[repo+"/"+parts[3]+"/"+parts[4]]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h.downloads++
	sum := sha256.Sum256(content)
	w.Header().Set("X-Linked-Etag", `"`+hex.EncodeToString(sum[:])+`"`)
	w.Header().Set("X-Linked-Size", strconv.Itoa(len(content)))
	body := content
	if h.corrupt {
		body = append([]byte("X"), content[1:]...)
	}
	status := http.StatusOK
	if rg := r.Header.Get("Range"); rg != "" {
		h.ranges = append(h.ranges, rg)
		var from int
		fmt.Sscanf(rg, "bytes=%d-", &from)
		body = body[from:]
		status = http.StatusPartialContent
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if h.cutFirst && h.downloads == 1 {
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		conn, _, _ := http.NewResponseController(w).Hijack()
		conn.Close()
		return
	}
	w.Write(body)
}

func newFakeHub(t *testing.T) (*fakeHub, *httptest.Server) {
	arena, err := os.ReadFile(arenaFixture)
	if err != nil {
		t.Fatal(err)
	}
	h := &fakeHub{
		files: map[string][]byte{
			"lmsys/chatbot_arena_conversations/main/data/train.jsonl": arena,
			"open/dolly/main/dolly.jsonl":                             []byte(`{"instruction": "x"}` + "\n"),
		},
		gated: map[string]string{"lmsys/chatbot_arena_conversations": "hf_good"},
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, srv
}

var arenaFile = schema.HubFile{Repo: "lmsys/chatbot_arena_conversations", File: "data/train.jsonl"}

func TestHubFetch(t *testing.T) {
	h, srv := newFakeHub(t)
	hub := &Hub{Endpoint: srv.URL, Token: "hf_good", CacheDir: t.TempDir()}
	path, err := hub.Fetch(context.Background(), arenaFile)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(arenaFixture)
	if got, err := os.ReadFile(path); err != nil || string(got) != string(want) {
		t.Fatalf("cached file: %d bytes, %v; want the hub's %d", len(got), err, len(want))
	}
	// Offline afterwards: the cache answers with the hub gone.
	srv.Close()
	if again, err := hub.Fetch(context.Background(), arenaFile); err != nil || again != path {
		t.Errorf("offline fetch: %q, %v", again, err)
	}
	if h.downloads != 1 {
		t.Errorf("%d downloads, want 1", h.downloads)
	}
}

func TestHubResumes(t *testing.T) {
	h, srv := newFakeHub(t)
	h.cutFirst = true
	hub := &Hub{Endpoint: srv.URL, Token: "hf_good", CacheDir: t.TempDir()}
	if _, err := hub.Fetch(context.Background(), arenaFile); err == nil || !strings.Contains(err.Error(), "resumes on the next try") {
		t.Fatalf("cut download: %v", err)
	}
	path, err := hub.Fetch(context.Background(), arenaFile)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(arenaFixture)
	got, _ := os.ReadFile(path)
	if string(got) != string(want) || len(h.ranges) != 1 || !strings.HasPrefix(h.ranges[0], "bytes=") || h.ranges[0] == "bytes=0-" {
		t.Errorf("resumed with ranges %v; file intact: %v", h.ranges, string(got) == string(want))
	}
}

func TestHubErrors(t *testing.T) {
	h, srv := newFakeHub(t)
	cache := t.TempDir()
	tests := []struct {
		token string
		file  schema.HubFile
		want  string
	}{
		{"", arenaFile, "is gated or private: request access at https://huggingface.co/datasets/lmsys/chatbot_arena_conversations"},
		{"hf_wrong", arenaFile, "the token has no access; accept the dataset's conditions"},
		{"", schema.HubFile{Repo: "open/dolly", File: "missing.jsonl"}, `has no file "missing.jsonl"`},
		{"", schema.HubFile{Repo: "../etc", File: "passwd"}, "want owner/name"},
		{"", schema.HubFile{Repo: "open/dolly", File: "../../../etc/passwd"}, "want a relative path"},
		{"", schema.HubFile{Repo: "open/dolly", File: "dolly.jsonl", Revision: "../x"}, "want a branch"},
	}
	for _, tt := range tests {
		hub := &Hub{Endpoint: srv.URL, Token: tt.token, CacheDir: cache}
		if _, err := hub.Fetch(context.Background(), tt.file); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v with token %q: got %v, want %q", tt.file, tt.token, err, tt.want)
		}
	}
	h.corrupt = true
	hub := &Hub{Endpoint: srv.URL, CacheDir: cache}
	if _, err := hub.Fetch(context.Background(), schema.HubFile{Repo: "open/dolly", File: "dolly.jsonl"}); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("corrupt download: %v", err)
	}
	h.corrupt = false
	if _, err := hub.Fetch(context.Background(), schema.HubFile{Repo: "open/dolly", File: "dolly.jsonl"}); err != nil {
		t.Errorf("after a discarded corrupt download: %v", err)
	}
}

func TestFindToken(t *testing.T) {
	file := t.TempDir() + "/token"
	os.WriteFile(file, []byte("hf_from_file\n"), 0o600)
	t.Setenv("HF_TOKEN", "hf_from_env")
	for _, tt := range []struct{ file, legacy, want string }{
		{file, "hf_legacy", "hf_from_file"},
		{"", "hf_legacy", "hf_from_env"},
	} {
		if got, err := FindToken(tt.file, tt.legacy); err != nil || got != tt.want {
			t.Errorf("FindToken(%q, %q) = %q, %v; want %q", tt.file, tt.legacy, got, err, tt.want)
		}
	}
	t.Setenv("HF_TOKEN", "")
	if got, _ := FindToken("", "hf_legacy"); got != "hf_legacy" {
		t.Errorf("legacy token: %q", got)
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

	_, err := hub.Fetch(ctx, schema.HubFile{Repo: "o/r", File: "endless.jsonl"})
	if err == nil || !strings.Contains(err.Error(), "over the cap") {
		t.Fatalf("endless download: got %v, want a refusal over the cap", err)
	}
	if _, err := hub.Fetch(ctx, schema.HubFile{Repo: "o/r", File: "small.jsonl"}); err != nil {
		t.Fatal(err)
	}
	slowDone := make(chan struct{})
	slowCtx, stopSlow := context.WithCancel(ctx)
	defer func() { stopSlow(); <-slowDone }()
	go func() {
		defer close(slowDone)
		hub.Fetch(slowCtx, schema.HubFile{Repo: "o/r", File: "slow.jsonl"})
	}()
	<-slowSeen
	// The cached file must come back while slow.jsonl is still held: with
	// a global lock this waits for the slow download (the hang guard
	// below is not a verdict on speed).
	got := make(chan error, 1)
	go func() {
		_, err := hub.Fetch(ctx, schema.HubFile{Repo: "o/r", File: "small.jsonl"})
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
