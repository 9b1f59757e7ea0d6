package prober

import (
	"testing"
)

// BenchmarkDecodeChunk is the stream decoding hot path alone: one content
// chunk of each API through the lean decoder readStream uses (fast path,
// no text kept) beside encoding/json's definition. The fast path's
// allocs/op must stay 0.
func BenchmarkDecodeChunk(b *testing.B) {
	chunks := []struct {
		api, data string
		full      func([]byte) (Chunk, error)
	}{
		{"openai-chat", `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1732000000,"model":"meta-llama/Llama-3.1-8B-Instruct","choices":[{"index":0,"delta":{"content":" token"},"logprobs":null,"finish_reason":null}]}`, decodeOpenAI},
		{"tgi", `{"index":1,"token":{"id":1234,"text":" token","logprob":-0.1,"special":false},"generated_text":null,"details":null}`, decodeTGI},
		{"triton", `{"model_name":"ensemble","model_version":"1","sequence_end":false,"sequence_id":0,"sequence_start":false,"text_output":" token"}`, decodeTriton},
	}
	for _, c := range chunks {
		api, _ := LookupAPI(c.api)
		lean := api.(LeanDecoder)
		data := []byte(c.data)
		b.Run(c.api+"/lean", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for range b.N {
				if ch, err := lean.DecodeLean(data, false); err != nil || !ch.Content {
					b.Fatal(ch, err)
				}
			}
		})
		b.Run(c.api+"/encoding-json", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for range b.N {
				if ch, err := c.full(data); err != nil || !ch.Content {
					b.Fatal(ch, err)
				}
			}
		})
	}
}
