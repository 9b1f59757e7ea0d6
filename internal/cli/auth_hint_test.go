package cli

import (
	"strings"
	"testing"
)

func TestAuthHeaderHint(t *testing.T) {
	for _, tc := range []struct {
		headers map[string]string
		hint    bool
	}{
		{map[string]string{"Authorization": "Bearer sk-1"}, true},
		{map[string]string{"authorization": "Bearer sk-1"}, true},
		{map[string]string{"X-Api-Key": "sk-1"}, true},
		{map[string]string{"X-Request-Tag": "canary"}, false},
		{nil, false},
	} {
		hint := authHeaderHint(tc.headers)
		if tc.hint != (hint != "") || (tc.hint && !strings.Contains(hint, "--api-key-file")) {
			t.Errorf("headers %v: hint %q", tc.headers, hint)
		}
		for _, v := range tc.headers {
			if strings.Contains(hint, v) {
				t.Errorf("the hint repeats the credential: %q", hint)
			}
		}
	}
}
