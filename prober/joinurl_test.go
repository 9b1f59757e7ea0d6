package prober

import (
	"testing"

	"github.com/inferno-llm/inferno/dataset"
)

// The API path goes before a base URL's query string (Azure's
// ?api-version=), never after it.
func TestRequestURLKeepsQuery(t *testing.T) {
	for _, tt := range []struct{ base, want string }{
		{"http://h/v1", "http://h/v1/chat/completions"},
		{"http://h/v1/", "http://h/v1/chat/completions"},
		{"https://x.openai.azure.com/openai/deployments/d?api-version=2024-06-01", "https://x.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-06-01"},
		{"http://h/v1/?a=1&b=2", "http://h/v1/chat/completions?a=1&b=2"},
	} {
		api, _ := LookupAPI("openai-chat")
		req, err := api.NewRequest(t.Context(), tt.base, "m", dataset.Prompt{Messages: []dataset.Message{{Role: "user", Content: "hi"}}}, Params{})
		if err != nil {
			t.Fatal(err)
		}
		if got := req.URL.String(); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.base, got, tt.want)
		}
	}
}
