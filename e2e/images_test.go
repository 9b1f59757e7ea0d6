package e2e

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/internal/cli"
	"github.com/inferno-llm/inferno/internal/testutil"
	"github.com/inferno-llm/inferno/simulator"
)

// TestRunImages: --images sends N PNGs of --image-size as image_url data
// URLs after each prompt's text; the report counts the images and bytes
// the server received, and the simulator's TTFT holds its per-image
// prefill.
func TestRunImages(t *testing.T) {
	var got received
	const prefill = 3 * time.Millisecond
	var mu sync.Mutex
	var serverTTFT []time.Duration
	srv := httptest.NewServer(simulator.New(simulator.Config{ImagePrefill: prefill, OnRequest: got.hook,
		OnFirstToken: func(d time.Duration) { mu.Lock(); serverTTFT = append(serverTTFT, d); mu.Unlock() }}))
	defer srv.Close()
	dir := t.TempDir()
	code := cli.Run([]string{"run", "--url", srv.URL + "/v1", "--api", "openai-chat", "--model", "sim",
		"--images", "2", "--image-size", "40x24", "--input-tokens", "5", "--output-tokens", "2", "--requests", "4",
		"--concurrency", "1", "--report-dir", dir, "--log.level", "warn", "--progress", "never"})
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	var images, imageBytes int64
	for _, b := range got.bodies {
		msgs := b["messages"].([]any)
		parts, ok := msgs[len(msgs)-1].(map[string]any)["content"].([]any)
		if !ok || len(parts) != 3 || parts[0].(map[string]any)["type"] != "text" {
			t.Fatalf("content %v, want text then 2 images", msgs)
		}
		for _, p := range parts[1:] {
			url := p.(map[string]any)["image_url"].(map[string]any)["url"].(string)
			raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(url, "data:image/png;base64,"))
			if err != nil || !strings.HasPrefix(url, "data:image/png;base64,") {
				t.Fatalf("not a PNG data URL: %.60s", url)
			}
			img, err := png.Decode(bytes.NewReader(raw))
			if err != nil || img.Bounds().Dx() != 40 || img.Bounds().Dy() != 24 {
				t.Fatalf("image %v, %v; want a 40x24 PNG", err, img.Bounds())
			}
			images++
			imageBytes += int64(len(url))
		}
	}
	r := testutil.OnlyReport(t, dir)
	if r.Summary.Successes != 4 || r.Summary.ImagesSent != images || r.Summary.ImageBytesSent != imageBytes || images != 8 {
		t.Errorf("report: %d successes, %d images of %d bytes; the server got %d of %d", r.Summary.Successes,
			r.Summary.ImagesSent, r.Summary.ImageBytesSent, images, imageBytes)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(serverTTFT) != 4 {
		t.Errorf("%d first tokens at the simulator, want 4", len(serverTTFT))
	}
	for _, d := range serverTTFT {
		if d < 2*prefill {
			t.Errorf("the simulator's TTFT %v is under its prefill of 2 images, %v", d, 2*prefill)
		}
	}
}

// TestRunImagesRefused: images over a limit or on an API that cannot
// carry them refuse the window before anything is sent.
func TestRunImagesRefused(t *testing.T) {
	for _, args := range [][]string{
		{"--images", "2", "--image-size", "5000x10"},
		{"--images", "33"},
		{"--image-size", "64x64"},
		{"--images", "1", "--api", "openai-completions"},
	} {
		var got received
		srv := httptest.NewServer(simulator.New(simulator.Config{OnRequest: got.hook}))
		base := []string{"run", "--url", srv.URL + "/v1", "--model", "sim", "--requests", "1", "--concurrency", "1",
			"--report-dir", t.TempDir(), "--log.level", "error", "--progress", "never"}
		if code := cli.Run(append(base, args...)); code == 0 || len(got.bodies) != 0 {
			t.Errorf("%v: exit status %d, %d requests sent", args, code, len(got.bodies))
		}
		srv.Close()
	}
}
