package simulator

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// mapPlan is the plan's inputs as the simulator drew them from a decoded
// map before it decoded a struct: the reference request must agree with.
func mapPlan(proto protocol, body map[string]any) (prompt, maxTokens int, ignoreEOS, usage bool) {
	words := func(v any) int { s, _ := v.(string); return len(strings.Fields(s)) }
	intField := func(m map[string]any, key string) int { f, _ := m[key].(float64); return int(f) }
	switch proto {
	case chat:
		if msgs, ok := body["messages"].([]any); ok {
			for _, m := range msgs {
				if mm, ok := m.(map[string]any); ok {
					prompt += words(mm["content"])
					// A vision prompt's parts: their text counts.
					parts, _ := mm["content"].([]any)
					for _, p := range parts {
						if pm, ok := p.(map[string]any); ok && pm["type"] == "text" {
							prompt += words(pm["text"])
						}
					}
				}
			}
		}
	case completions:
		prompt = words(body["prompt"])
	case tgi:
		prompt = words(body["inputs"])
		if params, ok := body["parameters"].(map[string]any); ok {
			maxTokens = intField(params, "max_new_tokens")
		}
	case triton:
		prompt = words(body["text_input"])
	}
	if proto != tgi {
		maxTokens = intField(body, "max_tokens")
		if maxTokens == 0 {
			maxTokens = intField(body, "max_completion_tokens")
		}
	}
	ignoreEOS, _ = body["ignore_eos"].(bool)
	if so, ok := body["stream_options"].(map[string]any); ok {
		usage, _ = so["include_usage"].(bool)
	}
	return
}

func TestRequestMatchesMap(t *testing.T) {
	tests := []struct {
		name  string
		proto protocol
		body  string
	}{
		{"chat", chat, `{"messages":[{"role":"system","content":"be  brief"},{"role":"user","content":" a b\tc\n"}],"max_tokens":7,"stream_options":{"include_usage":true},"ignore_eos":true}`},
		{"chat content parts", chat, `{"messages":[{"content":[{"type":"text","text":"a b"}]},{"content":"x y"},"stray",null],"max_completion_tokens":3}`},
		{"chat messages not a list", chat, `{"messages":{"content":"a b"},"max_tokens":2}`},
		{"completions escapes", completions, `{"prompt":"one\ntwo\u2003three\\n","max_tokens":4.9}`},
		{"completions unicode spaces", completions, "{\"prompt\":\"α\u00a0β\u3000γ δ\",\"max_tokens\":2}"},
		{"completions wrong types", completions, `{"prompt":["a","b"],"max_tokens":"5","ignore_eos":"yes","stream_options":true}`},
		{"completions null fields", completions, `{"prompt":null,"max_tokens":null,"stream_options":{"include_usage":null}}`},
		{"tgi", tgi, `{"inputs":"a b c d","parameters":{"max_new_tokens":9},"max_tokens":3}`},
		{"tgi parameters wrong", tgi, `{"inputs":"a","parameters":[1]}`},
		{"triton", triton, `{"text_input":"a b","max_tokens":6,"stream":true}`},
		{"empty object", chat, `{}`},
		{"null body", completions, `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body map[string]any
			if err := json.Unmarshal([]byte(tt.body), &body); err != nil {
				t.Fatal(err)
			}
			var req request
			got, err := decodeRequest(strings.NewReader(tt.body), &req, true)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if len(got) != len(body) {
				t.Errorf("hook map %v, want %v", got, body)
			}
			s := New(Config{DefaultMaxTokens: 1 << 20})
			p := s.plan(tt.proto, &req)
			prompt, maxTokens, _, usage := mapPlan(tt.proto, body)
			if maxTokens <= 0 {
				maxTokens = 1 << 20
			}
			if p.promptTokens != prompt || p.outputTokens != maxTokens || p.usage != usage {
				t.Errorf("plan prompt %d, output %d, usage %v; the map gives %d, %d, %v",
					p.promptTokens, p.outputTokens, p.usage, prompt, maxTokens, usage)
			}
			var fast request
			if _, err := decodeRequest(strings.NewReader(tt.body), &fast, false); err != nil || !sameRequest(fast, req) {
				t.Errorf("without the hook: %+v, %v; with it %+v", fast, err, req)
			}
			_, _, ignoreEOS, _ := mapPlan(tt.proto, body)
			if req.IgnoreEOS != ignoreEOS {
				t.Errorf("ignore_eos %v, the map gives %v", req.IgnoreEOS, ignoreEOS)
			}
		})
	}
}

func sameRequest(a, b request) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// A body that is not a JSON object is refused as before, with the hook or
// without.
func TestRequestRejectsNonObjects(t *testing.T) {
	for _, body := range []string{`[1,2]`, `"text"`, `42`, `{bad json`, ``, `{"prompt":"a"`} {
		for _, asMap := range []bool{false, true} {
			var req request
			if _, err := decodeRequest(strings.NewReader(body), &req, asMap); err == nil {
				t.Errorf("body %q (map %v) accepted", body, asMap)
			}
		}
	}
}

func FuzzCountFields(f *testing.F) {
	for _, s := range []string{"", " ", "a", " a  b ", "a\u00a0b\u2003c\u0085d", "\xff \xfe", "x\ty\nz\v\f\r", "日本 語"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := countFields([]byte(s)), len(strings.Fields(s)); got != want {
			t.Errorf("countFields(%q) = %d, strings.Fields gives %d", s, got, want)
		}
	})
}

// Without jitter the plan holds no per-token gaps and every gap is ITL;
// with it, the gaps are drawn per token as before.
func TestPlanGaps(t *testing.T) {
	req := request{MaxTokens: 5}
	p := New(Config{ITL: 20 * time.Millisecond}).plan(completions, &req)
	if p.itl != nil {
		t.Errorf("no jitter, yet %d gaps allocated", len(p.itl))
	}
	for i, want := range []time.Duration{0, 20 * time.Millisecond, 20 * time.Millisecond} {
		if got := p.before(i); got != want {
			t.Errorf("gap before token %d: %v, want %v", i, got, want)
		}
	}
	p = New(Config{ITL: 20 * time.Millisecond, Jitter: 0.5, Seed: 1}).plan(completions, &req)
	if len(p.itl) != 5 || p.before(0) != 0 {
		t.Fatalf("jitter: gaps %v", p.itl)
	}
	varied := false
	for i := 1; i < 5; i++ {
		g := p.before(i)
		if g < 10*time.Millisecond || g > 30*time.Millisecond {
			t.Errorf("gap %d = %v, outside ITL ±50%%", i, g)
		}
		varied = varied || g != 20*time.Millisecond
	}
	if !varied {
		t.Error("jitter 0.5 drew no varied gap")
	}
}

// BenchmarkDecodeRequest: the per-request decoding, the struct beside the
// map it replaced (run under the lock: go test ./simulator -run - -bench DecodeRequest).
func BenchmarkDecodeRequest(b *testing.B) {
	body := `{"model":"sim","messages":[{"role":"user","content":"Say hello to the benchmark in a few words please"}],"max_tokens":32,"stream":true,"stream_options":{"include_usage":true},"ignore_eos":true}`
	b.Run("struct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var req request
			if _, err := decodeRequest(strings.NewReader(body), &req, false); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m map[string]any
			if err := json.NewDecoder(strings.NewReader(body)).Decode(&m); err != nil {
				b.Fatal(err)
			}
			mapPlan(chat, m)
		}
	})
}

// requestKeys are the JSON keys the request struct reads, at any depth.
var requestKeys = []string{"messages", "content", "prompt", "inputs", "text_input", "max_tokens",
	"max_completion_tokens", "ignore_eos", "parameters", "max_new_tokens", "stream_options", "include_usage"}

// caseFolded reports whether v holds a key that matches one of
// requestKeys only without regard to case, where the struct (as
// encoding/json does) and the map differ.
func caseFolded(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			for _, want := range requestKeys {
				if k != want && strings.EqualFold(k, want) {
					return true
				}
			}
			if caseFolded(e) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if caseFolded(e) {
				return true
			}
		}
	}
	return false
}

// FuzzRequestDifferential: for any body the map accepts, the struct gives
// the plan the map gave, and refuses what the map refuses.
func FuzzRequestDifferential(f *testing.F) {
	for _, s := range []string{`{"messages":[{"role":"user","content":"a b"}],"max_tokens":3,"stream_options":{"include_usage":true}}`,
		`{"prompt":"x\ty","max_tokens":2.5,"ignore_eos":true}`, `{"inputs":"a","parameters":{"max_new_tokens":4}}`,
		`{"text_input":"a \u00a0b","max_completion_tokens":1e2}`, `{"prompt":["a"],"max_tokens":"3"}`, `[1]`, `null`, `{"prompt":"a"} tail`, `{"zzz":1e400}`, `{"prompt":"a","max_tokens":1e400}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var body map[string]any
		mapErr := json.NewDecoder(strings.NewReader(s)).Decode(&body)
		var req request
		_, err := decodeRequest(strings.NewReader(s), &req, false)
		var te *json.UnmarshalTypeError
		if errors.As(mapErr, &te) && strings.HasPrefix(te.Value, "number") {
			// A number beyond float64 (1e400): valid JSON the map could
			// not hold. The struct skips it where it is not a field it
			// reads, and drops it (the field's zero) where it is.
			return
		}
		if (err != nil) != (mapErr != nil) {
			t.Fatalf("%q: struct error %v, map error %v", s, err, mapErr)
		}
		if err != nil || caseFolded(body) {
			return
		}
		for _, proto := range []protocol{chat, completions, tgi, triton} {
			p := New(Config{DefaultMaxTokens: 1 << 20}).plan(proto, &req)
			prompt, maxTokens, ignoreEOS, usage := mapPlan(proto, body)
			if maxTokens <= 0 {
				maxTokens = 1 << 20
			}
			if p.promptTokens != prompt || p.outputTokens != maxTokens || p.usage != usage || req.IgnoreEOS != ignoreEOS {
				t.Fatalf("%q (protocol %d): struct gives prompt %d, output %d, usage %v, ignore_eos %v; the map %d, %d, %v, %v",
					s, proto, p.promptTokens, p.outputTokens, p.usage, req.IgnoreEOS, prompt, maxTokens, usage, ignoreEOS)
			}
		}
	})
}
