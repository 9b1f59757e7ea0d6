package report

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"https://user:hunter2@h/v1", "https://user:<secret>@h/v1"},
		{"https://h/v1?api-version=2024-06-01&api-key=abc123", "https://h/v1?api-version=2024-06-01&api-key=<secret>"},
		{"https://h/v1?key=abc123&token=t0k&access_token=a&sig=s1g", "https://h/v1?key=<secret>&token=<secret>&access_token=<secret>&sig=<secret>"},
		{"http://h:8000/v1", "http://h:8000/v1"},
	} {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
	text := `Post "https://u:hunter2@h/v1/chat/completions?api-version=1&api-key=abc123": dial tcp: refused`
	got := RedactText(text)
	if strings.Contains(got, "hunter2") || strings.Contains(got, "abc123") || !strings.Contains(got, "api-version=1") {
		t.Errorf("RedactText: %s", got)
	}
	body := RedactBody(map[string]any{"api_key": "abc123", "temperature": 0.5, "auth": map[string]any{"token": "t0k"}})
	if body["api_key"] != Secret || body["temperature"] != 0.5 || body["auth"].(map[string]any)["token"] != Secret {
		t.Errorf("RedactBody: %v", body)
	}
}
