package prober

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/inferno-llm/inferno/internal/sse"
)

// fastDecoders pairs each fast decoder with the encoding/json definition
// it must agree with.
var fastDecoders = []struct {
	name string
	fast func([]byte, bool) (Chunk, bool)
	full func([]byte) (Chunk, error)
}{
	{"openai", fastOpenAI, decodeOpenAI},
	{"tgi", fastTGI, decodeTGI},
	{"triton", fastTriton, decodeTriton},
}

// checkAgreement fails when a fast decoder answers differently from
// encoding/json, with or without the text.
func checkAgreement(t *testing.T, data []byte) {
	t.Helper()
	for _, d := range fastDecoders {
		got, ok := d.fast(data, true)
		if !ok {
			continue
		}
		want, err := d.full(data)
		if err != nil {
			t.Fatalf("%s: fast path answered %+v where encoding/json fails (%v) for %q", d.name, got, err, data)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: fast path %+v, encoding/json %+v for %q", d.name, got, want, data)
		}
		lean, ok := d.fast(data, false)
		want.Text = ""
		if !ok || !reflect.DeepEqual(lean, want) {
			t.Fatalf("%s: without text: fast path %+v (ok %v), want %+v for %q", d.name, lean, ok, want, data)
		}
	}
}

// recordedEvents returns the data of every event in the recorded streams.
func recordedEvents(tb testing.TB) [][]byte {
	files, err := filepath.Glob(filepath.Join("testdata", "streams", "*.sse"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no recorded streams: %v", err)
	}
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		r := sse.NewReader(bytes.NewReader(b))
		for {
			ev, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				tb.Fatalf("%s: %v", f, err)
			}
			out = append(out, append([]byte(nil), ev.Data...))
		}
	}
	return out
}

// edgeChunks are shapes the fast path must either decline or get right.
var edgeChunks = []string{
	`{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":9,"completion_tokens_details":{"reasoning_tokens":6}}}`,
	`{"usage":{"completion_tokens":9,"completion_tokens_details":null}}`,
	`{"usage":{"completion_tokens":9,"completion_tokens_details":{}}}`,
	`{"usage":{"completion_tokens":9,"completion_tokens_details":{"reasoning_tokens":null,"audio_tokens":0}}}`,
	`{"usage":{"completion_tokens":9,"completion_tokens_details":{"reasoning_tokens":1.5}}}`,
	`{"usage":{"completion_tokens":9,"completion_tokens_details":[1]}}`,
	`{"usage":{"completion_tokens":9,"completion_tokens_details":{"Reasoning_Tokens":2}}}`,
	`{"usage":{"completion_tokens":9,"completion_tokens_details":{"reasoning_tokens":2,"reasoning_tokens":3}}}`,
	`{"choices":[{"delta":{"reasoning":"hm","content":"<think>"},"finish_reason":"length"}]}`,
	`{"choices":[{"delta":{"content":"x"}}]}`,
	`{"choices":[{"delta":{"content":"a\nb"}}]}`,
	`{"choices":[{"delta":{"content":"héllo"}}]}`,
	"{\"choices\":[{\"delta\":{\"content\":\"\xff\"}}]}",
	`{"choices":[{"delta":{"Content":"x"}}]}`,
	`{"choices":[{"delta":{"content":"x","content":"y"}}]}`,
	`{"choices":[{"delta":{"content":"x"},"delta":{"reasoning":"y"}}]}`,
	`{"choices":[{"delta":{"content":"d"},"text":"t"}]}`,
	`{"choices":[{"text":"t","delta":{"content":"d"}}]}`,
	`{"choices":[{"text":"a"},{"text":"b"},null,{"text":"c","finish_reason":"length"}]}`,
	`{"choices":[{"delta":{"tool_calls":[{"id":"c", "function":{"arguments":"{\"a\":1}"}}, null]}}]}`,
	`{"choices":[{"delta":{"tool_calls":[ {"id":"c"} ,[1,2.5e3,-0,true,false,null]]}}]}`,
	`{"choices":[{"delta":{"tool_calls":{}}}]}`,
	`{"choices":[{"delta":{"content":1}}]}`,
	`{"choices":[{"finish_reason":""}],"usage":null}`,
	`{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":9,"total_tokens":21}}`,
	`{"usage":{"completion_tokens":1.0}}`,
	`{"usage":{"completion_tokens":1e2}}`,
	`{"usage":{"completion_tokens":-3}}`,
	`{"usage":{"completion_tokens":99999999999999999999}}`,
	`{"usage":{"completion_tokens":null,"prompt_tokens":007}}`,
	`{"error":{"message":"m"}}`, `{"error":"e"}`, `{"error":null,"choices":[{"text":"x"}]}`,
	`{"object":"error","message":"boom"}`, `{"object":"\u0065rror","message":"boom"}`,
	`{"message":3}`, `{"Object":"error"}`,
	`{"choices":[{"delta":{"content":"x"}}]} x`, `{"choices":[{"delta":{"content":"x"}}]`,
	`{"choices":[{"delta":{"content":"x"}}],}`, `{"a":[1,]}`, `{"a":01}`, `{"a":"\x"}`, `{"a":"\u12"}`,
	`{"\u0063hoices":[{"text":"x"}]}`, `{"ünknown":1,"choices":[{"text":"x"}]}`,
	` {"choices" : [ { "text" : "x" } ] } `, `{}`, `null`, `[]`, `[DONE]`, `"x"`, ``,
	`{"token":{"text":"a"},"generated_text":"a","details":{"generated_tokens":1}}`,
	`{"token":{"text":" The","special":false},"generated_text":null,"details":null}`,
	`{"token":{"text":"</s>","special":true},"generated_text":"a\"b","details":{"generated_tokens":3,"seed":null}}`,
	`{"token":{"text":"a","special":null},"error":""}`, `{"token":null,"error":"overloaded","error_type":"x"}`,
	`{"token":{"text":"a","special":1}}`, `{"token":{"text":"a"},"details":{"generated_tokens":"3"}}`,
	`{"text_output":"y"}`, `{"text_output":""}`, `{"text_output":null,"error":""}`, `{"text_output":"y","error":"bad"}`,
	`{"text_output":"y","model_name":"ensemble","sequence_end":false}`,
}

func TestFastDecodersAgreeWithEncodingJSON(t *testing.T) {
	answered := 0
	for _, data := range append(recordedEvents(t), func() (out [][]byte) {
		for _, s := range edgeChunks {
			out = append(out, []byte(s))
		}
		return out
	}()...) {
		checkAgreement(t, data)
		for _, d := range fastDecoders {
			if _, ok := d.fast(data, true); ok {
				answered++
			}
		}
	}
	// The fast path must actually be taken for the ordinary shapes, or it
	// would be agreeing by never answering.
	for _, tt := range []struct {
		decoder int
		data    string
	}{
		{0, `{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":" token"},"logprobs":null,"finish_reason":null}]}`},
		{0, `{"id":"c","object":"text_completion","choices":[{"index":0,"text":" héllo","logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":2}}`},
		{1, `{"index":1,"token":{"id":1234,"text":" token","logprob":-0.1,"special":false},"generated_text":null,"details":null}`},
		{2, `{"model_name":"ensemble","model_version":"1","sequence_end":false,"text_output":" token"}`},
	} {
		if _, ok := fastDecoders[tt.decoder].fast([]byte(tt.data), true); !ok {
			t.Errorf("%s declined an ordinary chunk: %s", fastDecoders[tt.decoder].name, tt.data)
		}
	}
	if answered == 0 {
		t.Fatal("the fast path answered nothing")
	}
}

// TestFastDecodersDecline lists shapes that must go to encoding/json: an
// answer there would have to reproduce its folding, merging or errors.
func TestFastDecodersDecline(t *testing.T) {
	for _, s := range []string{
		`{"choices":[{"delta":{"Content":"x"}}]}`,
		`{"choices":[{"delta":{"content":"x","content":"y"}}]}`,
		`{"choices":[{"delta":{"content":"a\nb"}}]}`,
		"{\"choices\":[{\"delta\":{\"content\":\"\xff\"}}]}",
		`{"usage":{"completion_tokens":1.0}}`,
		`{"error":{"message":"m"}}`,
		`{"object":"error","message":"boom"}`,
		`{"choices":[]} x`,
		`[DONE]`, `null`,
	} {
		if c, ok := fastOpenAI([]byte(s), true); ok {
			t.Errorf("fast path answered %+v for %s", c, s)
		}
	}
}

// FuzzChunkDifferential checks the fast decoders against encoding/json
// over every API's chunks: whenever a fast decoder answers, its chunk is
// the one encoding/json gives, with and without the text.
func FuzzChunkDifferential(f *testing.F) {
	for _, data := range recordedEvents(f) {
		f.Add(data)
	}
	for _, s := range edgeChunks {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAgreement(t, data)
		for _, name := range APINames() {
			api, _ := LookupAPI(name)
			lean, ok := api.(LeanDecoder)
			if !ok {
				t.Fatalf("%s has no lean decoder", name)
			}
			c1, err1 := api.Decode(data)
			c2, err2 := lean.DecodeLean(data, false)
			c1.Text = ""
			if (err1 == nil) != (err2 == nil) || !reflect.DeepEqual(c1, c2) {
				t.Fatalf("%s: Decode %+v, %v; lean %+v, %v", name, c1, err1, c2, err2)
			}
		}
	})
}
