// Package hub downloads files of Hugging Face hub repositories (data sets,
// a model's tokenizer.json) into a local cache, once, for dataset and
// tokenizer to read offline afterwards.
package hub

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/inferno-llm/inferno/config/schema"
)

// DefaultEndpoint is the Hugging Face hub.
const DefaultEndpoint = "https://huggingface.co"

// Hub downloads dataset files into a local cache, once: a file in the
// cache is used offline afterwards. Downloads resume where they stopped
// and are verified against the hub's ETag before they enter the cache.
type Hub struct {
	Endpoint string // default DefaultEndpoint
	Token    string // optional; gated datasets need one
	CacheDir string
	Client   *http.Client
}

// fileLocks serialise the downloads of one file, so two windows needing it
// never write one partial file at once. One lock per file: a global lock
// let one slow download block every hub window, cached or not.
var fileLocks = struct {
	sync.Mutex
	held map[string]*fileLock
}{held: map[string]*fileLock{}}

type fileLock struct {
	sync.Mutex
	users int
}

// lockFile locks one cache path and returns its unlock; a lock nobody
// holds or waits for is dropped, so the map stays as small as the
// downloads in progress.
func lockFile(path string) func() {
	fileLocks.Lock()
	l := fileLocks.held[path]
	if l == nil {
		l = &fileLock{}
		fileLocks.held[path] = l
	}
	l.users++
	fileLocks.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		fileLocks.Lock()
		if l.users--; l.users == 0 {
			delete(fileLocks.held, path)
		}
		fileLocks.Unlock()
	}
}

// MaxFileBytes caps one hub file (a 2 GB JSONL filled the cache and the
// heap): twice what dataset reads of a data file (dataset.MaxDatasetBytes;
// a test there holds the two together).
const MaxFileBytes = 512 << 20

// maxDownloadBytes is MaxFileBytes; downloadTimeout bounds one download,
// so a slow hub holds a window no longer. Variables so tests prove them on
// small files.
var (
	maxDownloadBytes int64 = MaxFileBytes
	downloadTimeout        = 10 * time.Minute
)

// Fetch returns the local path of f, downloading it if the cache lacks it.
func (h *Hub) Fetch(ctx context.Context, f schema.HubFile) (string, error) {
	return h.fetch(ctx, f, "datasets")
}

// FetchModel is Fetch for a file of a model repository (a tokenizer.json),
// cached beside the datasets under models/.
func (h *Hub) FetchModel(ctx context.Context, f schema.HubFile) (string, error) {
	return h.fetch(ctx, f, "models")
}

// fetch serves both kinds of repository; the hub's URLs differ only in the
// /datasets/ segment, which model repositories lack.
func (h *Hub) fetch(ctx context.Context, f schema.HubFile, kind string) (string, error) {
	if err := f.Validate(); err != nil {
		return "", err
	}
	rev := f.Revision
	if rev == "" {
		rev = "main"
	}
	if h.CacheDir == "" {
		return "", errors.New("hub: no cache directory")
	}
	local := filepath.Join(h.CacheDir, kind, filepath.FromSlash(f.Repo), rev, filepath.FromSlash(f.File))
	defer lockFile(local)()
	if _, err := os.Stat(local); err == nil {
		return local, nil
	}
	if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
		return "", fmt.Errorf("hub cache: %w", err)
	}
	endpoint := strings.TrimRight(h.Endpoint, "/")
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	repoPath := "datasets/" + f.Repo
	if kind == "models" {
		repoPath = f.Repo
	}
	u := fmt.Sprintf("%s/%s/resolve/%s/%s", endpoint, repoPath, url.PathEscape(rev), f.File)
	if err := h.download(ctx, u, f, local, kind); err != nil {
		return "", err
	}
	return local, nil
}

func (h *Hub) download(ctx context.Context, u string, f schema.HubFile, local, kind string) error {
	// What the messages call the repository, and where its page is: a
	// gated model (a Llama tokenizer) is as common as a gated dataset.
	what, page := "dataset", "https://huggingface.co/datasets/"+f.Repo
	if kind == "models" {
		what, page = "model", "https://huggingface.co/"+f.Repo
	}
	part := local + ".part"
	have := int64(0)
	if info, err := os.Stat(part); err == nil {
		have = info.Size()
	}
	ctx, cancel := context.WithTimeout(ctx, downloadTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	if h.Token != "" {
		req.Header.Set("Authorization", "Bearer "+h.Token)
	}
	if have > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", have))
	}
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("download %s/%s: %w", f.Repo, f.File, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		have = 0 // the server sent the whole file
	case http.StatusPartialContent:
	case http.StatusRequestedRangeNotSatisfiable:
		os.Remove(part) // the partial file is not a prefix of this one
		return fmt.Errorf("download %s/%s: the partial download no longer matches; retry to start over", f.Repo, f.File)
	case http.StatusUnauthorized:
		return fmt.Errorf("%s %s is gated or private: request access at %s, then give a token (hf_token_file, or the HF_TOKEN environment variable)", what, f.Repo, page)
	case http.StatusForbidden:
		return fmt.Errorf("%s %s: the token has no access; accept the %s's conditions at %s with the token's account", what, f.Repo, what, page)
	case http.StatusNotFound:
		return fmt.Errorf("%s %s has no file %q at revision %s", what, f.Repo, f.File, f.Revision)
	default:
		return fmt.Errorf("download %s/%s: HTTP %d", f.Repo, f.File, resp.StatusCode)
	}
	flags := os.O_CREATE | os.O_WRONLY
	if have > 0 {
		flags |= os.O_APPEND
	} else {
		flags |= os.O_TRUNC
	}
	out, err := os.OpenFile(part, flags, 0o644)
	if err != nil {
		return fmt.Errorf("hub cache: %w", err)
	}
	if resp.ContentLength > maxDownloadBytes-have {
		out.Close()
		os.Remove(part)
		return fmt.Errorf("download %s/%s: %d bytes, over the cap of %d bytes", f.Repo, f.File, resp.ContentLength+have, maxDownloadBytes)
	}
	n, err := io.Copy(out, io.LimitReader(resp.Body, maxDownloadBytes-have+1))
	if err == nil && have+n > maxDownloadBytes {
		out.Close()
		os.Remove(part)
		return fmt.Errorf("download %s/%s: over the cap of %d bytes", f.Repo, f.File, maxDownloadBytes)
	}
	if err != nil {
		out.Close()
		// The bytes written so far stay in the .part file for the next try.
		return fmt.Errorf("download %s/%s interrupted (it resumes on the next try): %w", f.Repo, f.File, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("hub cache: %w", err)
	}
	if err := verify(part, resp.Header); err != nil {
		os.Remove(part)
		return fmt.Errorf("download %s/%s: %w", f.Repo, f.File, err)
	}
	return os.Rename(part, local)
}

// verify checks a download against the hub's headers: X-Linked-Etag is the
// SHA-256 of a file stored with LFS, ETag the git blob SHA-1 of others;
// X-Linked-Size or Content-Length the size.
func verify(file string, h http.Header) error {
	info, err := os.Stat(file)
	if err != nil {
		return err
	}
	if size, err := strconv.ParseInt(h.Get("X-Linked-Size"), 10, 64); err == nil && size != info.Size() {
		return fmt.Errorf("size %d, the hub says %d", info.Size(), size)
	}
	etag := h.Get("X-Linked-Etag")
	if etag == "" {
		etag = h.Get("ETag")
	}
	etag = strings.Trim(strings.TrimPrefix(etag, "W/"), `"`)
	var sum hash.Hash
	switch len(etag) {
	case 64:
		sum = sha256.New()
	case 40:
		sum = sha1.New()
		fmt.Fprintf(sum, "blob %d\x00", info.Size())
	default:
		return nil // nothing to check against
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(sum, f); err != nil {
		return err
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != strings.ToLower(etag) {
		return fmt.Errorf("checksum %s does not match the hub's %s; the download was discarded", got, etag)
	}
	return nil
}

// FindToken finds a token: the given file, else the HF_TOKEN environment
// variable, else the legacy value (the old tool's hf_auth_key).
func FindToken(tokenFile, legacy string) (string, error) {
	if tokenFile != "" {
		b, err := os.ReadFile(tokenFile)
		if err != nil {
			return "", fmt.Errorf("hf_token_file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	if t := os.Getenv("HF_TOKEN"); t != "" {
		return t, nil
	}
	return legacy, nil
}
