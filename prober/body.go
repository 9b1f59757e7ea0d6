package prober

import (
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/inferno-llm/inferno/dataset"
)

// encodeBody writes a request body exactly as json.Marshal would (keys
// sorted, HTML-safe escapes, invalid UTF-8 replaced), without reflection
// for the shapes the APIs build: maps, strings, messages, ints and bools.
// Any other value (a float, an extra_body object of another type) is
// written by json.Marshal itself. At thousands of requests a second the
// reflective encoder's cost was schedule lag; TestEncodeBody and
// FuzzEncodeBody hold the bytes equal to json.Marshal's.
func encodeBody(body map[string]any) ([]byte, error) {
	size := 256
	if msgs, ok := body["messages"].([]dataset.Message); ok {
		for _, m := range msgs {
			size += len(m.Content) + len(m.Role) + 32
			for _, u := range m.Images {
				size += len(u) + 48
			}
		}
	}
	for _, k := range []string{"prompt", "inputs", "text_input"} {
		if s, ok := body[k].(string); ok {
			size += len(s) + len(s)/8
		}
	}
	return appendJSONValue(make([]byte, 0, size), body)
}

func appendJSONValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case map[string]any:
		if v == nil {
			return append(b, "null"...), nil
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendJSONValue(b, v[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case string:
		return appendJSONString(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case []dataset.Message:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, m := range v {
			if i > 0 {
				b = append(b, ',')
			}
			if len(m.Images) > 0 {
				// Content parts: rare enough for the reflective encoder.
				enc, err := json.Marshal(m)
				if err != nil {
					return nil, err
				}
				b = append(b, enc...)
				continue
			}
			b = append(b, `{"role":`...)
			b = appendJSONString(b, m.Role)
			b = append(b, `,"content":`...)
			b = appendJSONString(b, m.Content)
			b = append(b, '}')
		}
		return append(b, ']'), nil
	}
	// Encoding is context-free: a value's bytes alone are its bytes
	// inside the body.
	enc, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, enc...), nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does with HTML escaping on.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
