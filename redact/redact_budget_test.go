package redact

import (
	"strings"
	"testing"
)

// Secrets the redaction missed: a token written as URL userinfo (with no
// password), uncommon query keys, ';'-separated parameters, and secrets
// inside lists of extra_body.
func TestRedactMissed(t *testing.T) {
	const planted = "PLANTED-s3cr3t"
	for _, raw := range []string{
		"http://" + planted + "@host:8000/v1",
		"http://user:" + planted + "@host:8000/v1",
		"http://host/v1?jwt=" + planted,
		"http://host/v1?sessionid=" + planted,
		"http://host/v1?ak=" + planted,
		"http://host/v1?hmac=" + planted,
		"http://host/v1;key=" + planted,
		"http://host/v1?a=1;key=" + planted,
	} {
		if got := URL(raw); strings.Contains(got, planted) {
			t.Errorf("URL(%q) = %q", raw, got)
		}
		if got := Text("dial " + raw + ": refused"); strings.Contains(got, planted) {
			t.Errorf("Text(%q) = %q", raw, got)
		}
	}
	body := map[string]any{"tools": []any{map[string]any{"api_key": planted}}, "nested": []any{[]any{map[string]any{"token": planted}}}, "max_tokens": 8.0}
	if got := Body(body); strings.Contains(fmtAny(got), planted) || got["max_tokens"] != 8.0 {
		t.Errorf("Body = %v", got)
	}
}

func fmtAny(v any) string {
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				b.WriteString(k + "=")
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		case string:
			b.WriteString(v + " ")
		}
	}
	walk(v)
	return b.String()
}
