package dataset

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
)

// Bounds on generated images: a vision model's own limits are far below
// them, and they keep one request's images within a few tens of MB.
const (
	MaxImages    = 32   // per request
	MaxImageSide = 4096 // pixels, either side
	// MaxImagePixels bounds one image's area (2048 × 2048): its PNG is
	// about 3 bytes a pixel, base64 a third more.
	MaxImagePixels = 2048 * 2048
)

// ImageSize is a generated image's width and height.
type ImageSize struct{ W, H int }

// ParseImageSize reads "WxH".
func ParseImageSize(s string) (ImageSize, error) {
	w, h, ok := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "x")
	var sz ImageSize
	var err1, err2 error
	if ok {
		sz.W, err1 = strconv.Atoi(w)
		sz.H, err2 = strconv.Atoi(h)
	}
	if !ok || err1 != nil || err2 != nil {
		return sz, fmt.Errorf("image size %q: want WIDTHxHEIGHT in pixels, e.g. 512x512", s)
	}
	return sz, sz.Check()
}

// Check applies the bounds.
func (s ImageSize) Check() error {
	switch {
	case s.W < 1 || s.H < 1:
		return fmt.Errorf("image size %dx%d: want at least 1x1", s.W, s.H)
	case s.W > MaxImageSide || s.H > MaxImageSide:
		return fmt.Errorf("image size %dx%d is over the limit of %d pixels a side", s.W, s.H, MaxImageSide)
	case s.W*s.H > MaxImagePixels:
		return fmt.Errorf("image size %dx%d is over the limit of %d pixels an image", s.W, s.H, MaxImagePixels)
	}
	return nil
}

// DataURLBytes is about how long one image's data URL is: its PNG is its
// raw pixels (stored, not deflated) in base64, for budgets at resolve time.
func (s ImageSize) DataURLBytes() int {
	raw := s.H*(1+3*s.W) + 128
	return len("data:image/png;base64,") + (raw+2)/3*4
}

// PNGDataURL is a w×h PNG of random pixels drawn from rng, as a data
// URL. Noise is what vllm bench's random multimodal dataset sends: an
// image a vision encoder must really process, which no two requests
// share. It is stored without deflate: noise does not compress, and
// deflating it would cost the prober milliseconds a request.
func PNGDataURL(rng *rand.Rand, s ImageSize) (string, error) {
	img := image.NewNRGBA(image.Rect(0, 0, s.W, s.H))
	pix := img.Pix
	for i := 0; i+8 <= len(pix); i += 8 {
		v := rng.Uint64() | 0xff000000_ff000000 // opaque: alpha bytes set
		binary.LittleEndian.PutUint64(pix[i:], v)
	}
	if len(pix)%8 != 0 {
		v := rng.Uint32() | 0xff000000
		binary.LittleEndian.PutUint32(pix[len(pix)-4:], v)
	}
	var b bytes.Buffer
	b.Grow(s.DataURLBytes())
	enc := png.Encoder{CompressionLevel: png.NoCompression}
	if err := enc.Encode(&b, img); err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes()), nil
}

// WithImages attaches n generated images to the first turn of every
// conversation, reproducibly for the seed: the images are part of the
// conversation's opening, as a user uploads them with a question.
func WithImages(src Source, n int, size ImageSize, seed uint64) Source {
	return &withImages{src: src, n: n, size: size, rng: rand.New(rand.NewPCG(seed, seed^0x1ba9e5))}
}

type withImages struct {
	src  Source
	n    int
	size ImageSize
	rng  *rand.Rand
}

func (w *withImages) Next() (Conversation, bool) {
	c, ok := w.src.Next()
	if !ok || len(c.Turns) == 0 {
		return c, ok
	}
	urls := make([]string, w.n)
	for i := range urls {
		var err error
		if urls[i], err = PNGDataURL(w.rng, w.size); err != nil {
			// Encoding an in-memory image fails only on a bug; the source
			// has no error to return, so it ends.
			return Conversation{}, false
		}
	}
	c.Turns = append([]Turn(nil), c.Turns...)
	t := &c.Turns[0]
	t.Messages = append([]Message(nil), t.Messages...)
	last := &t.Messages[len(t.Messages)-1]
	last.Images = append(append([]string(nil), last.Images...), urls...)
	return c, true
}

// ImageBytes is the size of the images a prompt carries as sent.
func ImageBytes(msgs []Message) (n int64, images int) {
	for _, m := range msgs {
		for _, u := range m.Images {
			n += int64(len(u))
		}
		images += len(m.Images)
	}
	return n, images
}

// imageRef turns a data file's image reference into what a request
// carries: URLs (http, https, data, file) pass through; a local path
// becomes a file:// URL of its absolute path, which servers allowed local
// media read (vLLM's --allowed-local-media-path).
func imageRef(file, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	for _, scheme := range []string{"http://", "https://", "data:", "file://"} {
		if strings.HasPrefix(ref, scheme) {
			return ref, nil
		}
	}
	if ref == "" || strings.Contains(ref, "://") {
		return "", fmt.Errorf("want an http(s), data or file URL or a local path")
	}
	if !filepath.IsAbs(ref) {
		// Relative to the data file, as a dataset's images ship beside it.
		ref = filepath.Join(filepath.Dir(file), ref)
	}
	abs, err := filepath.Abs(ref)
	if err != nil {
		return "", err
	}
	return "file://" + filepath.ToSlash(abs), nil
}

// messageJSON is Message as the OpenAI chat API takes it: content is a
// string, or with images a list of parts, text first.
type messageJSON struct {
	Role    string `json:"role"`
	Content any    `json:"content"`
}

type contentPart struct {
	Type     string        `json:"type"`
	Text     *string       `json:"text,omitempty"`
	ImageURL *imageURLPart `json:"image_url,omitempty"`
}

type imageURLPart struct {
	URL string `json:"url"`
}

// MarshalJSON writes the message as the chat API takes it.
func (m Message) MarshalJSON() ([]byte, error) {
	if len(m.Images) == 0 {
		return json.Marshal(messageJSON{Role: m.Role, Content: m.Content})
	}
	parts := make([]contentPart, 0, len(m.Images)+1)
	text := m.Content
	parts = append(parts, contentPart{Type: "text", Text: &text})
	for _, u := range m.Images {
		parts = append(parts, contentPart{Type: "image_url", ImageURL: &imageURLPart{URL: u}})
	}
	return json.Marshal(messageJSON{Role: m.Role, Content: parts})
}

// jsonlImages reads a JSONL row's "images" (a list of paths or URLs, or
// one as a string) onto the turn's last message.
func jsonlImages(file string, row int, r Row, turn *Turn) error {
	v, ok := r["images"]
	if !ok || v == nil {
		return nil
	}
	var refs []any
	switch v := v.(type) {
	case string:
		refs = []any{v}
	case []any:
		refs = v
	default:
		return rowError(file, row, "images", "want a list of image paths or URLs, got %s", typeName(v))
	}
	if len(refs) > MaxImages {
		return rowError(file, row, "images", "%d images is over the limit of %d a request", len(refs), MaxImages)
	}
	last := &turn.Messages[len(turn.Messages)-1]
	for i, ref := range refs {
		s, ok := ref.(string)
		if !ok {
			return rowError(file, row, fmt.Sprintf("images[%d]", i), "want a path or URL, got %s", typeName(ref))
		}
		u, err := imageRef(file, s)
		if err != nil {
			return rowError(file, row, fmt.Sprintf("images[%d]", i), "%v", err)
		}
		last.Images = append(last.Images, u)
	}
	return nil
}
