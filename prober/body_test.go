package prober

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/inferno-llm/inferno/dataset"
)

// bodyFor builds a body with s in every string position the APIs use.
func bodyFor(s string) map[string]any {
	temp := 0.7
	return map[string]any{
		"model": s, "prompt": s, "stream": true, "max_tokens": 16, "ignore_eos": false,
		"messages":       []dataset.Message{{Role: "user", Content: s}, {Role: s, Content: ""}},
		"stream_options": map[string]any{"include_usage": true, s: s},
		"temperature":    temp, "seed": int64(7), "stop": []string{s, "\n"}, "nested": map[string]any{"x": []any{1.5, nil, s}},
		"none": []dataset.Message(nil), "empty": map[string]any{}, s + "key": 1,
	}
}

func checkBody(t *testing.T, body map[string]any) {
	t.Helper()
	got, err := encodeBody(body)
	want, werr := json.Marshal(body)
	if (err != nil) != (werr != nil) {
		t.Fatalf("error %v, json.Marshal's %v", err, werr)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encodeBody\n%s\njson.Marshal\n%s", got, want)
	}
}

func TestEncodeBody(t *testing.T) {
	for _, s := range []string{
		"", "plain words", `quote " and \ backslash`, "<script>&amp;</script>", "tab\tnew\nline\rcr\bbs\fff",
		"\x00\x01\x1f\x7f", "héllo wörld 日本語 🎉", "bad \xff utf-8 \xc3", "line\u2028para\u2029end", "\ufffd",
	} {
		checkBody(t, bodyFor(s))
	}
	// A value json.Marshal refuses is refused too.
	if _, err := encodeBody(map[string]any{"bad": func() {}}); err == nil {
		t.Error("a func value encoded")
	}
}

func FuzzEncodeBody(f *testing.F) {
	for _, s := range []string{"", "a<b>&c", "\xff\xfe", "\u2028", "\"\\\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkBody(t, bodyFor(s)) })
}
