package redact

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"https://user:hunter2@h/v1", "https://<secret>@h/v1"},
		{"https://h/v1?api-version=2024-06-01&api-key=abc123", "https://h/v1?api-version=2024-06-01&api-key=<secret>"},
		{"https://h/v1?key=abc123&token=t0k&access_token=a&sig=s1g", "https://h/v1?key=<secret>&token=<secret>&access_token=<secret>&sig=<secret>"},
		{"http://h:8000/v1", "http://h:8000/v1"},
	} {
		if got := URL(tt.in); got != tt.want {
			t.Errorf("URL(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
	text := `Post "https://u:hunter2@h/v1/chat/completions?api-version=1&api-key=abc123": dial tcp: refused`
	got := Text(text)
	if strings.Contains(got, "hunter2") || strings.Contains(got, "abc123") || !strings.Contains(got, "api-version=1") {
		t.Errorf("Text: %s", got)
	}
	body := Body(map[string]any{"api_key": "abc123", "temperature": 0.5, "options": map[string]any{"token": "t0k"}, "auth": map[string]any{"user": "u"}})
	if body["api_key"] != Secret || body["temperature"] != 0.5 || body["options"].(map[string]any)["token"] != Secret || body["auth"] != Secret {
		t.Errorf("Body: %v", body)
	}
}

// TestIsSecretKey: the credentials of Azure (OpenAI, API Management,
// Functions), Google, AWS-style and OAuth keys, however they are spelt,
// and none of the parameters a request needs to be understood.
func TestIsSecretKey(t *testing.T) {
	secret := []string{"api-key", "api_key", "apikey", "apiKey", "ApiKey", "APIKey", "x-api-key", "X-Api-Key", "x_api_key", "xApiKey",
		"my_api_key", "subscription-key", "subscription_key", "Ocp-Apim-Subscription-Key", "code", "x-functions-key",
		"key", "token", "access_token", "accessToken", "id_token", "hf_token", "sig", "signature", "X-Amz-Signature",
		"password", "db_password", "secret", "client_secret", "clientSecret", "auth", "x-auth", "authorization", "credentials"}
	plain := []string{"api-version", "apiVersion", "model", "max_tokens", "max_new_tokens", "min_tokens", "stop_token_ids",
		"tokenizer", "temperature", "keyword", "monkey", "author", "sv", "se", "sp", "deployment", "encoding"}
	for _, k := range secret {
		if !IsSecretKey(k) {
			t.Errorf("IsSecretKey(%q) = false, want true", k)
		}
	}
	for _, k := range plain {
		if IsSecretKey(k) {
			t.Errorf("IsSecretKey(%q) = true, want false", k)
		}
	}
}

func TestRedactAzureAndOthers(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"https://apim.example/openai/v1?api-version=2024-06-01&subscription-key=abc123", "https://apim.example/openai/v1?api-version=2024-06-01&subscription-key=<secret>"},
		{"https://fn.example/api/chat?code=abc123&model=m", "https://fn.example/api/chat?code=<secret>&model=m"},
		{"https://h/v1?x-api-key=abc&apiKey=def&auth=ghi&password=p&secret=s&client_secret=c&signature=x", "https://h/v1?x-api-key=<secret>&apiKey=<secret>&auth=<secret>&password=<secret>&secret=<secret>&client_secret=<secret>&signature=<secret>"},
		{"https://h/v1?Ocp-Apim-Subscription-Key=abc&api-version=1", "https://h/v1?Ocp-Apim-Subscription-Key=<secret>&api-version=1"},
	} {
		if got := URL(tt.in); got != tt.want {
			t.Errorf("URL(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
	text := `Post "https://fn.example/api/chat?code=abc123&subscription-key=def456&api-version=1": EOF; GET https://h/x?X-Api-Key=ghi789`
	got := Text(text)
	for _, s := range []string{"abc123", "def456", "ghi789"} {
		if strings.Contains(got, s) {
			t.Errorf("Text left %s: %s", s, got)
		}
	}
	if !strings.Contains(got, "api-version=1") || !strings.Contains(got, "code=<secret>") {
		t.Errorf("Text: %s", got)
	}
	body := Body(map[string]any{"max_tokens": 5, "subscription_key": "abc", "nested": map[string]any{"x-api-key": "k"}})
	if body["max_tokens"] != 5 || body["subscription_key"] != Secret || body["nested"].(map[string]any)["x-api-key"] != Secret {
		t.Errorf("Body: %v", body)
	}
}
