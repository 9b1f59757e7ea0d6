package prober

import (
	"github.com/inferno-llm/inferno/config/schema"
	"github.com/inferno-llm/inferno/internal/sse"

	"slices"

	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/inferno-llm/inferno/dataset"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestDecodeRecordedStreams decodes streams in the shapes real servers
// send and compares every chunk with a golden file.
func TestDecodeRecordedStreams(t *testing.T) {
	tests := []struct{ stream, api string }{
		{"vllm-chat", "openai-chat"},
		{"vllm-completions", "openai-completions"},
		{"tgi", "tgi"},
		{"triton", "triton"},
		{"openai-error-midstream", "openai-chat"},
		{"tgi-error-midstream", "tgi"},
		{"triton-error-midstream", "triton"},
	}
	for _, tt := range tests {
		t.Run(tt.stream, func(t *testing.T) {
			api, err := LookupAPI(tt.api)
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(filepath.Join("testdata", "streams", tt.stream+".sse"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var out bytes.Buffer
			r := sse.NewReader(f)
			for {
				ev, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				chunk, err := api.Decode(ev.Data)
				if err != nil {
					t.Fatalf("decode %q: %v", ev.Data, err)
				}
				b, _ := json.Marshal(chunk)
				out.Write(append(b, '\n'))
			}
			golden(t, filepath.Join("testdata", "streams", tt.stream+".golden"), out.Bytes())
		})
	}
}

// TestRequestBodies pins what each API sends for one prompt.
func TestRequestBodies(t *testing.T) {
	temp, topP := 0.7, 0.9
	prompt := dataset.Prompt{
		Messages:  []dataset.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi"}},
		MaxTokens: 16,
	}
	params := Params{MaxTokens: 64, MinTokens: 8, IgnoreEOS: true, Temperature: &temp, TopP: &topP,
		Extra: map[string]any{"seed": 7}}
	for _, name := range []string{"openai-chat", "openai-completions", "vllm", "tgi", "triton"} {
		t.Run(name, func(t *testing.T) {
			api, _ := LookupAPI(name)
			req, err := api.NewRequest(context.Background(), "http://127.0.0.1:1/v1/", "org/model", prompt, params)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(req.Body)
			var pretty bytes.Buffer
			json.Indent(&pretty, body, "", "  ")
			got := req.Method + " " + req.URL.String() + "\n" + pretty.String() + "\n"
			golden(t, filepath.Join("testdata", "requests", name+".golden"), []byte(got))
		})
	}
}

func TestLegacyAPI(t *testing.T) {
	tests := []struct {
		endpoint string
		legacy   bool
		want     string
	}{
		{"vllm", false, "vllm"},
		{"vllm", true, "openai-completions"},
		{"openai", false, "openai-chat"},
		{"friendliai", true, "openai-completions"},
		{"tgi", false, "tgi"},
		{"triton", true, "triton"},
	}
	for _, tt := range tests {
		api, err := LegacyAPI(tt.endpoint, tt.legacy)
		if err != nil || api.Name() != tt.want {
			t.Errorf("LegacyAPI(%q, %v) = %v, %v; want %s", tt.endpoint, tt.legacy, api, err, tt.want)
		}
	}
	if _, err := LookupAPI("grpc"); err == nil {
		t.Error("unknown api accepted")
	}
}

func FuzzDecoders(f *testing.F) {
	for _, s := range []string{`{"choices":[{"delta":{"content":"x"}}]}`, `[DONE]`, `{"token":{"text":"a"},"generated_text":"a","details":{"generated_tokens":1}}`,
		`{"text_output":"y"}`, `{"error":{"message":"m"}}`, `{"error":"e"}`, `{}`, `null`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range APINames() {
			api, _ := LookupAPI(name)
			c, err := api.Decode(data)
			if err == nil && c.Tokens < 0 {
				t.Fatalf("%s: negative token count from %q", name, data)
			}
		}
	})
}

// TestAPINamesMatchTheSchema: the config validates api names from its own
// list; every name it accepts must be one the prober serves, and back.
func TestAPINamesMatchTheSchema(t *testing.T) {
	if got, want := APINames(), schema.APINames; !slices.Equal(got, want) {
		t.Errorf("the prober serves %v, the schema accepts %v", got, want)
	}
}
