package simulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode"
	"unicode/utf8"
)

// request holds the only fields of a request body the plan reads. Decoding
// into it rather than a map[string]any spares the per-request maps, slices
// and interface boxes the map costs: at 1024 streams the requests of a
// closed loop reach the simulator together, and what it spends before its
// handlers run delays every one of them.
//
// It keeps the map's leniency: a field of an unexpected type counts as
// absent (decode tolerates encoding/json's UnmarshalTypeError below a
// top-level object, which skips just that field), numbers are truncated
// as int(float64) did. One difference is encoding/json's: struct fields
// also match keys that differ only in case ("Max_Tokens").
type request struct {
	Messages            []struct{ Content chatWords } `json:"messages"`
	Prompt              promptText                    `json:"prompt"`     // completions
	Inputs              promptText                    `json:"inputs"`     // TGI
	TextInput           promptText                    `json:"text_input"` // Triton
	MaxTokens           float64                       `json:"max_tokens"`
	MaxCompletionTokens float64                       `json:"max_completion_tokens"`
	IgnoreEOS           bool                          `json:"ignore_eos"`
	Parameters          struct {
		MaxNewTokens float64 `json:"max_new_tokens"`
	} `json:"parameters"`
	StreamOptions struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	// JSON mode and tools (see answer.go).
	ResponseFormat struct {
		Type       string `json:"type"`
		JSONSchema struct {
			Schema map[string]any `json:"schema"`
		} `json:"json_schema"`
	} `json:"response_format"`
	Tools []struct {
		Function struct {
			Name       string         `json:"name"`
			Parameters map[string]any `json:"parameters"`
		} `json:"function"`
	} `json:"tools"`
	ToolChoice json.RawMessage `json:"tool_choice"`
}

// decodeRequest reads the first JSON value of r into req. When asMap is
// true (an OnRequest hook is set) it also returns the body decoded as a
// map, as the hook has always seen it.
func decodeRequest(r io.Reader, req *request, asMap bool) (map[string]any, error) {
	if !asMap {
		return nil, lenient(json.NewDecoder(r).Decode(req))
	}
	var buf bytes.Buffer
	var body map[string]any
	if err := json.NewDecoder(io.TeeReader(r, &buf)).Decode(&body); err != nil {
		return nil, err
	}
	return body, lenient(json.NewDecoder(&buf).Decode(req))
}

// lenient drops a type mismatch inside the object (that field stays zero,
// as a failed type assertion on the map gave) but keeps one of the body
// itself, which a map could not hold either.
func lenient(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return nil
	}
	return err
}

// promptText is a JSON string's count of whitespace-separated words, as
// len(strings.Fields(s)), and the hashes of its prefixes at every whole
// block of words, which the prefix cache looks up; any other JSON value
// counts zero.
type promptText struct {
	words  int
	blocks []uint64
}

func (w *promptText) UnmarshalJSON(b []byte) error {
	*w = promptText{}
	if len(b) == 0 || b[0] != '"' {
		return nil
	}
	if bytes.IndexByte(b, '\\') >= 0 {
		// Escapes (\n, \u2003) may be spaces: unescape first. Rare.
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return nil
		}
		b = []byte(s)
	} else {
		b = b[1 : len(b)-1]
	}
	w.words = countFields(b)
	w.blocks = prefixBlocks(b, w.blocks)
	return nil
}

// blockWords is the prefix cache's block in words (≈ tokens), as vLLM's
// default block of 16 tokens; maxBlocks bounds the hashes kept per prompt.
const (
	blockWords = 16
	maxBlocks  = 1024
)

// prefixBlocks appends, for each whole block of words in b, the FNV-1a
// hash of the text up to the block's end with runs of spaces as one: a
// prompt sharing another's first k blocks shares its first k hashes.
func prefixBlocks(b []byte, blocks []uint64) []uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	words, in := 0, false
	for i := 0; i < len(b) && len(blocks) < maxBlocks; {
		c := b[i]
		var space bool
		size := 1
		if c < utf8.RuneSelf {
			space = asciiSpace[c]
		} else {
			var r rune
			r, size = utf8.DecodeRune(b[i:])
			space = unicode.IsSpace(r)
		}
		if space {
			if in {
				words++
				if words%blockWords == 0 {
					blocks = append(blocks, h)
				}
				h = (h ^ ' ') * prime
			}
		} else {
			for _, x := range b[i : i+size] {
				h = (h ^ uint64(x)) * prime
			}
		}
		in = !space
		i += size
	}
	if in && (words+1)%blockWords == 0 && len(blocks) < maxBlocks {
		blocks = append(blocks, h)
	}
	return blocks
}

// countFields counts what strings.Fields would return, without the slice.
func countFields(b []byte) int {
	n, in := 0, false
	for i := 0; i < len(b); {
		c := b[i]
		var space bool
		if c < utf8.RuneSelf {
			space = asciiSpace[c]
			i++
		} else {
			r, size := utf8.DecodeRune(b[i:])
			space = unicode.IsSpace(r)
			i += size
		}
		if !space && !in {
			n++
		}
		in = !space
	}
	return n
}

var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}
