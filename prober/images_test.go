package prober

import (
	"encoding/json"
	"testing"

	"github.com/inferno-llm/inferno/dataset"
)

// TestEncodeBodyImages: a message with images is written as content
// parts, byte for byte as encoding/json writes it, beside plain ones.
func TestEncodeBodyImages(t *testing.T) {
	body := map[string]any{"model": "m", "stream": true, "messages": []dataset.Message{
		{Role: "system", Content: "be brief"},
		{Role: "user", Content: "what is <this>?", Images: []string{"data:image/png;base64,iVBORw0KGgo=", "https://x/y.png?a=1&b=2"}},
	}}
	got, err := encodeBody(body)
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
