package report

import (
	"net/url"
	"regexp"
	"strings"
)

// Secret is what a redacted value reads as, as prometheus/common shows
// its Secret.
const Secret = "<secret>"

// secretQueryKeys are query parameters that carry credentials: Azure's
// api-key, Google's key, token and access_token, SAS signatures (sig).
var secretQueryKeys = map[string]bool{"api-key": true, "api_key": true, "apikey": true, "key": true, "token": true,
	"access_token": true, "sig": true, "signature": true, "password": true, "secret": true, "client_secret": true}

// IsSecretKey reports whether a query parameter or body key names a
// credential.
func IsSecretKey(k string) bool {
	k = strings.ToLower(k)
	return secretQueryKeys[k] || strings.Contains(k, "api_key") || strings.Contains(k, "api-key") ||
		strings.Contains(k, "token") || strings.Contains(k, "secret") || strings.Contains(k, "password") ||
		k == "authorization"
}

// RedactURL shows where a run went without its credentials: the password
// of the user info and secret-looking query values read <secret>; the
// rest (api-version, say) stays, so the URL is still recognisable.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	var b strings.Builder
	if u.Scheme != "" {
		b.WriteString(u.Scheme + "://")
	}
	if u.User != nil {
		b.WriteString(url.PathEscape(u.User.Username()))
		if _, ok := u.User.Password(); ok {
			b.WriteString(":" + Secret)
		}
		b.WriteString("@")
	}
	b.WriteString(u.Host)
	b.WriteString(u.EscapedPath())
	if u.RawQuery != "" {
		b.WriteString("?" + redactQuery(u.RawQuery))
	}
	return b.String()
}

func redactQuery(raw string) string {
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, _, ok := strings.Cut(p, "=")
		if key, err := url.QueryUnescape(k); err == nil && ok && IsSecretKey(key) {
			parts[i] = k + "=" + Secret
		}
	}
	return strings.Join(parts, "&")
}

// secretInText finds secret-looking query values and user-info passwords
// inside free text (an error message quoting a URL).
var secretInText = regexp.MustCompile(`(?i)([?&](?:api-key|api_key|apikey|key|token|access_token|sig|signature|password|secret|client_secret)=)[^&\s"'<>]*|(://[^/\s:@"']*:)[^/\s@"']*@`)

// RedactText replaces credentials in URLs quoted inside s.
func RedactText(s string) string {
	return secretInText.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasSuffix(m, "@") {
			i := strings.LastIndex(m[:len(m)-1], ":")
			return m[:i+1] + Secret + "@"
		}
		k, _, _ := strings.Cut(m, "=")
		return k + "=" + Secret
	})
}

// RedactBody copies a request body's extra fields with secret-looking
// keys' values replaced, at any depth.
func RedactBody(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch {
		case IsSecretKey(k):
			out[k] = Secret
		default:
			if inner, ok := v.(map[string]any); ok {
				out[k] = RedactBody(inner)
			} else {
				out[k] = v
			}
		}
	}
	return out
}
