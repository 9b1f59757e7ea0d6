package measure

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/checks"
	"github.com/inferno-llm/inferno/prober"
	"github.com/inferno-llm/inferno/result"
)

// BenchmarkStreamPerToken measures the prober's cost per streamed token:
// SSE parsing, JSON decoding and the per-token bookkeeping of readStream.
func BenchmarkStreamPerToken(b *testing.B) {
	const tokens = 1000
	streams := map[string]string{
		"openai-chat": `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1732000000,"model":"meta-llama/Llama-3.1-8B-Instruct","choices":[{"index":0,"delta":{"content":" token"},"logprobs":null,"finish_reason":null}]}` + "\n\n",
		"tgi":         `data:{"index":1,"token":{"id":1234,"text":" token","logprob":-0.1,"special":false},"generated_text":null,"details":null}` + "\n\n",
		"triton":      `data: {"model_name":"ensemble","model_version":"1","sequence_end":false,"sequence_id":0,"sequence_start":false,"text_output":" token"}` + "\n\n",
	}
	// "with checks" assembles each answer as a workload with checks does,
	// so its cost beside the plain stream's is seen.
	streams["openai-chat with checks"] = streams["openai-chat"]
	for name, event := range streams {
		withChecks := strings.HasSuffix(name, " with checks")
		name := strings.TrimSuffix(name, " with checks")
		label := name
		if withChecks {
			label += "/checks"
		}
		b.Run(label, func(b *testing.B) {
			var body bytes.Buffer
			for range tokens {
				body.WriteString(event)
			}
			switch name {
			case "openai-chat":
				body.WriteString("data: [DONE]\n\n")
			case "tgi":
				body.WriteString(`data:{"token":{"text":"","special":true},"generated_text":"x","details":{"generated_tokens":1000}}` + "\n\n")
			}
			api, _ := prober.LookupAPI(name)
			t := &Target{API: api}
			raw := body.Bytes()
			start := time.Now()
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				res := &result.Result{Sent: start}
				var asm *checks.Assembler
				if withChecks {
					asm = new(checks.Assembler)
				}
				t.readStream(context.Background(), bytes.NewReader(raw), res, start, false, asm)
				if !res.Succeeded() {
					b.Fatalf("%s: %s", res.Outcome, res.Reason)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*tokens), "ns/token")
		})
	}
}
