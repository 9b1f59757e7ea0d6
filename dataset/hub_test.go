package dataset

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
)

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
	arena, err := os.ReadFile("testdata/arena.jsonl")
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

var arenaFile = HubFile{Repo: "lmsys/chatbot_arena_conversations", File: "data/train.jsonl"}

func TestHubFetch(t *testing.T) {
	h, srv := newFakeHub(t)
	hub := &Hub{Endpoint: srv.URL, Token: "hf_good", CacheDir: t.TempDir()}
	path, err := hub.Fetch(context.Background(), arenaFile)
	if err != nil {
		t.Fatal(err)
	}
	convs, err := LoadConversations("arena", path)
	if err != nil || len(convs) != 3 {
		t.Fatalf("cached file: %d conversations, %v", len(convs), err)
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
	want, _ := os.ReadFile("testdata/arena.jsonl")
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
		file  HubFile
		want  string
	}{
		{"", arenaFile, "is gated or private: request access at https://huggingface.co/datasets/lmsys/chatbot_arena_conversations"},
		{"hf_wrong", arenaFile, "the token has no access; accept the dataset's conditions"},
		{"", HubFile{Repo: "open/dolly", File: "missing.jsonl"}, `has no file "missing.jsonl"`},
		{"", HubFile{Repo: "../etc", File: "passwd"}, "want owner/name"},
		{"", HubFile{Repo: "open/dolly", File: "../../../etc/passwd"}, "want a relative path"},
		{"", HubFile{Repo: "open/dolly", File: "dolly.jsonl", Revision: "../x"}, "want a branch"},
	}
	for _, tt := range tests {
		hub := &Hub{Endpoint: srv.URL, Token: tt.token, CacheDir: cache}
		if _, err := hub.Fetch(context.Background(), tt.file); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v with token %q: got %v, want %q", tt.file, tt.token, err, tt.want)
		}
	}
	h.corrupt = true
	hub := &Hub{Endpoint: srv.URL, CacheDir: cache}
	if _, err := hub.Fetch(context.Background(), HubFile{Repo: "open/dolly", File: "dolly.jsonl"}); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("corrupt download: %v", err)
	}
	h.corrupt = false
	if _, err := hub.Fetch(context.Background(), HubFile{Repo: "open/dolly", File: "dolly.jsonl"}); err != nil {
		t.Errorf("after a discarded corrupt download: %v", err)
	}
}

func TestHubToken(t *testing.T) {
	file := t.TempDir() + "/token"
	os.WriteFile(file, []byte("hf_from_file\n"), 0o600)
	t.Setenv("HF_TOKEN", "hf_from_env")
	for _, tt := range []struct{ file, legacy, want string }{
		{file, "hf_legacy", "hf_from_file"},
		{"", "hf_legacy", "hf_from_env"},
	} {
		if got, err := HubToken(tt.file, tt.legacy); err != nil || got != tt.want {
			t.Errorf("HubToken(%q, %q) = %q, %v; want %q", tt.file, tt.legacy, got, err, tt.want)
		}
	}
	t.Setenv("HF_TOKEN", "")
	if got, _ := HubToken("", "hf_legacy"); got != "hf_legacy" {
		t.Errorf("legacy token: %q", got)
	}
}
