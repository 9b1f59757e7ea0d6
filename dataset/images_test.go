package dataset

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseImageSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want ImageSize
		err  string
	}{
		{"512x512", ImageSize{512, 512}, ""},
		{" 64X48 ", ImageSize{64, 48}, ""},
		{"4096x1024", ImageSize{4096, 1024}, ""},
		{"512", ImageSize{}, "want WIDTHxHEIGHT"},
		{"axb", ImageSize{}, "want WIDTHxHEIGHT"},
		{"0x10", ImageSize{}, "at least 1x1"},
		{"5000x10", ImageSize{}, "over the limit of 4096 pixels a side"},
		{"4096x4096", ImageSize{}, "over the limit of 4194304 pixels an image"},
	} {
		got, err := ParseImageSize(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: got %v, want an error holding %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: got %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

// decodePNG decodes a data URL and returns its size, failing on anything
// but a PNG.
func decodePNG(t *testing.T, url string) (int, int) {
	t.Helper()
	b64, ok := strings.CutPrefix(url, "data:image/png;base64,")
	if !ok {
		t.Fatalf("not a PNG data URL: %.40s", url)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return img.Bounds().Dx(), img.Bounds().Dy()
}

// TestWithImages: each conversation's first turn gets n distinct PNGs of
// the size asked, the same for the same seed; later turns get none.
func TestWithImages(t *testing.T) {
	size := ImageSize{W: 31, H: 17}
	draw := func(seed uint64) []Conversation {
		src, err := NewSynthetic(SyntheticSpec{InputTokens: 4, OutputTokens: 2, Turns: 2}, 1)
		if err != nil {
			t.Fatal(err)
		}
		src = WithImages(src, 3, size, seed)
		var out []Conversation
		for range 2 {
			c, _ := src.Next()
			out = append(out, c)
		}
		return out
	}
	a, b, other := draw(5), draw(5), draw(6)
	seen := map[string]bool{}
	for i, c := range a {
		imgs := c.Turns[0].Messages[len(c.Turns[0].Messages)-1].Images
		if len(imgs) != 3 || len(c.Turns[1].Messages[0].Images) != 0 {
			t.Fatalf("conversation %d: %d images on the first turn, %d on the second", i, len(imgs), len(c.Turns[1].Messages[0].Images))
		}
		for j, u := range imgs {
			if w, h := decodePNG(t, u); w != size.W || h != size.H {
				t.Errorf("image %dx%d, want %dx%d", w, h, size.W, size.H)
			}
			if seen[u] {
				t.Error("two images are the same")
			}
			seen[u] = true
			if u != b[i].Turns[0].Messages[0].Images[j] {
				t.Error("the same seed drew other images")
			}
			if u == other[i].Turns[0].Messages[0].Images[j] {
				t.Error("another seed drew the same images")
			}
		}
	}
	if n := size.DataURLBytes(); n < len(a[0].Turns[0].Messages[0].Images[0]) {
		t.Errorf("the budget's estimate %d is under an image's %d bytes", n, len(a[0].Turns[0].Messages[0].Images[0]))
	}
}

func TestMessageJSON(t *testing.T) {
	for _, c := range []struct {
		m    Message
		want string
	}{
		{Message{Role: "user", Content: "hi <b>"}, `{"role":"user","content":"hi \u003cb\u003e"}`},
		{Message{Role: "user", Content: "what is this?", Images: []string{"https://x/a.png", "data:image/png;base64,AA=="}},
			`{"role":"user","content":[{"type":"text","text":"what is this?"},{"type":"image_url","image_url":{"url":"https://x/a.png"}},{"type":"image_url","image_url":{"url":"data:image/png;base64,AA=="}}]}`},
	} {
		b, err := json.Marshal(c.m)
		if err != nil || string(b) != c.want {
			t.Errorf("got %s, %v\nwant %s", b, err, c.want)
		}
	}
}

// TestJSONLImages: a JSONL row's image references pass through: URLs as
// they are, paths as file:// URLs beside the data file; a bad one names
// the row and field.
func TestJSONLImages(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vision.jsonl")
	rows := `{"prompt": "describe", "images": ["https://example.com/cat.png", "img/dog.png"]}
{"prompt": "and this", "images": "data:image/png;base64,AA=="}
{"prompt": "plain"}
`
	if err := os.WriteFile(path, []byte(rows), 0o600); err != nil {
		t.Fatal(err)
	}
	convs, err := LoadConversations("jsonl", path)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"https://example.com/cat.png", "file://" + filepath.ToSlash(filepath.Join(dir, "img/dog.png"))},
		{"data:image/png;base64,AA=="}, nil}
	for i, c := range convs {
		got := c.Turns[0].Messages[0].Images
		if strings.Join(got, " ") != strings.Join(want[i], " ") {
			t.Errorf("row %d: images %v, want %v", i+1, got, want[i])
		}
	}
	for _, c := range []struct{ row, want string }{
		{`{"prompt": "x", "images": [3]}`, `row 1: field "images[0]": want a path or URL, got a number`},
		{`{"prompt": "x", "images": ["ftp://a/b.png"]}`, `row 1: field "images[0]": want an http(s), data or file URL`},
		{`{"prompt": "x", "images": {"a": 1}}`, `row 1: field "images": want a list`},
		{`{"prompt": "x", "images": [` + strings.Repeat(`"a.png",`, 32) + `"a.png"]}`, `over the limit of 32`},
	} {
		if err := os.WriteFile(path, []byte(c.row), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadConversations("jsonl", path); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.row, err, c.want)
		}
	}
}

func BenchmarkPNGDataURL(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		if _, err := PNGDataURL(rng, ImageSize{W: 512, H: 512}); err != nil {
			b.Fatal(err)
		}
	}
}
