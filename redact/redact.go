// Package redact hides credentials in what Inferno writes or shows: URLs
// (query parameters, path parameters, user info), free text such as error
// messages, and request bodies.
package redact

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"
)

// Secret is what a redacted value reads as, as prometheus/common shows
// its Secret.
const Secret = "<secret>"

// secretWords are words of a query parameter or body key that mark it a
// credential wherever they stand: access_token, client_secret, X-Api-Key,
// Ocp-Apim-Subscription-Key, sig (SAS), db_password.
var secretWords = map[string]bool{"token": true, "secret": true, "password": true, "passwd": true, "pwd": true,
	"sig": true, "signature": true, "credential": true, "credentials": true, "apikey": true,
	"jwt": true, "hmac": true, "sessionid": true, "cookie": true}

// secretKeys are whole keys that carry credentials: Google's key,
// Azure Functions' code, auth, and the two-word keys (api key,
// subscription key, access key, private key, x-functions-key) however
// they are joined.
var secretKeys = map[string]bool{"key": true, "code": true, "auth": true, "xauth": true, "authorization": true,
	"apikey": true, "xapikey": true, "subscriptionkey": true, "ocpapimsubscriptionkey": true,
	"accesskey": true, "secretkey": true, "privatekey": true, "sharedkey": true, "masterkey": true, "functionskey": true,
	"ak": true, "sk": true, "sid": true, "sessionid": true}

// keyWords splits a key into lower-case words at '-', '_', '.', spaces
// and camel-case humps: "X-Api-Key", "x_api_key" and "xApiKey" alike.
func keyWords(k string) []string {
	var words []string
	var cur []rune
	prevLower := false
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for _, r := range k {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
			prevLower = false
			continue
		case unicode.IsUpper(r) && prevLower:
			flush()
		}
		cur = append(cur, r)
		prevLower = unicode.IsLower(r) || unicode.IsDigit(r)
	}
	flush()
	return words
}

// IsSecretKey reports whether a query parameter or body key names a
// credential. Keys that only mention tokens as a count (max_tokens) or
// that name a version (api-version) are not secrets.
func IsSecretKey(k string) bool {
	words := keyWords(k)
	if secretKeys[strings.Join(words, "")] {
		return true
	}
	for i, w := range words {
		// token_ids and token_id are lists of vocabulary ids.
		if w == "token" && i+1 < len(words) && (words[i+1] == "id" || words[i+1] == "ids") {
			continue
		}
		if secretWords[w] {
			return true
		}
		if i+1 < len(words) && secretKeys[w+words[i+1]] {
			return true // api_key, subscription-key inside a longer key
		}
	}
	return false
}

// URL shows where a run went without its credentials: the password
// of the user info and secret-looking query values read <secret>; the
// rest (api-version, say) stays, so the URL is still recognisable.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	var b strings.Builder
	if u.Scheme != "" {
		b.WriteString(u.Scheme + "://")
	}
	if u.User != nil {
		// Any userinfo: a token is as often written as the user name.
		b.WriteString(Secret + "@")
	}
	b.WriteString(u.Host)
	b.WriteString(redactPathParams(u.EscapedPath()))
	if u.RawQuery != "" {
		b.WriteString("?" + redactQuery(u.RawQuery))
	}
	return b.String()
}

func redactQuery(raw string) string {
	// ';' separates parameters too (matrix parameters, old CGI).
	parts := strings.FieldsFunc(raw, func(r rune) bool { return r == '&' || r == ';' })
	seps := []byte{}
	for i := range len(raw) {
		if raw[i] == '&' || raw[i] == ';' {
			seps = append(seps, raw[i])
		}
	}
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			sep := byte('&')
			if i-1 < len(seps) {
				sep = seps[i-1]
			}
			b.WriteByte(sep)
		}
		k, _, ok := strings.Cut(p, "=")
		if key, err := url.QueryUnescape(k); (err != nil || ok) && IsSecretKey(orRaw(key, k, err)) {
			p = k + "=" + Secret
		}
		b.WriteString(p)
	}
	return b.String()
}

func orRaw(decoded, raw string, err error) string {
	if err != nil {
		return raw
	}
	return decoded
}

// redactPathParams redacts ;key=value parameters in a path.
func redactPathParams(path string) string {
	i := strings.IndexByte(path, ';')
	if i < 0 {
		return path
	}
	return path[:i+1] + redactQuery(path[i+1:])
}

// queryInText finds query parameters, and userInfoInText user-info
// passwords, inside free text (an error message quoting a URL).
var (
	queryInText    = regexp.MustCompile(`([?&;])([^=&;?\s"'<>#]+)=([^&;\s"'<>#]*)`)
	userInfoInText = regexp.MustCompile(`(://)[^/\s@"'?#]+@`)
)

// Text replaces credentials in URLs quoted inside s: the values of
// query parameters that IsSecretKey names, and user-info passwords.
func Text(s string) string {
	s = queryInText.ReplaceAllStringFunc(s, func(m string) string {
		sub := queryInText.FindStringSubmatch(m)
		key, err := url.QueryUnescape(sub[2])
		if err != nil {
			key = sub[2]
		}
		if !IsSecretKey(key) {
			return m
		}
		return sub[1] + sub[2] + "=" + Secret
	})
	return userInfoInText.ReplaceAllString(s, "${1}"+Secret+"@")
}

// Body copies a request body's extra fields with secret-looking
// keys' values replaced, at any depth.
func Body(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if IsSecretKey(k) {
			out[k] = Secret
		} else {
			out[k] = redactValue(v)
		}
	}
	return out
}

// redactValue walks lists as well as maps: tools and messages are lists
// of objects, and a secret in one was shown whole.
func redactValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return Body(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = redactValue(e)
		}
		return out
	}
	return v
}
