// Package jsonscan reads the few fields a hot path needs straight off a
// JSON document's bytes, without reflection or allocation: the prober
// decodes tens of thousands of stream chunks a second, and encoding/json
// spent most of its CPU on them. It is a fast path only. On anything
// outside the plain shape real servers send (escaped keys or values where
// the value matters, a key that matches a field only without regard to
// case, a repeated field, a value of an unexpected type, a number that is
// not a plain integer, nesting deeper than maxDepth, invalid JSON), a
// method reports false and the caller decodes with encoding/json, whose
// result is the definition.
package jsonscan

import (
	"bytes"
	"unicode/utf8"
)

// maxDepth bounds the nesting the scanner follows; deeper documents
// go to encoding/json (whose own limit is far higher).
const maxDepth = 64

// Scanner walks one JSON document. Every method reports false when the
// input is outside what the fast path handles, valid JSON or not.
type Scanner struct {
	b     []byte
	i     int
	depth int
}

// New returns a scanner at the start of b. Values it returns alias b.
func New(b []byte) Scanner { return Scanner{b: b} }

func (s *Scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// Peek returns the next non-space byte, or 0 at the end.
func (s *Scanner) Peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *Scanner) consume(c byte) bool {
	if s.Peek() != c {
		return false
	}
	s.i++
	return true
}

// End reports whether only white space is left.
func (s *Scanner) End() bool {
	s.ws()
	return s.i == len(s.b)
}

// literal consumes true, false or null.
func (s *Scanner) literal(word string) bool {
	s.ws()
	if !bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		return false
	}
	s.i += len(word)
	return true
}

// Null consumes a null if one comes next.
func (s *Scanner) Null() bool {
	if s.Peek() == 'n' {
		return s.literal("null")
	}
	return false
}

// plainString consumes a string whose bytes are its value: no escapes,
// valid UTF-8 (which encoding/json would otherwise replace). It returns
// the value, aliasing the input.
func (s *Scanner) plainString() ([]byte, bool) {
	if !s.consume('"') {
		return nil, false
	}
	start := s.i
	ascii := true
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			if !ascii && !utf8.Valid(v) {
				return nil, false
			}
			return v, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= 0x80:
			ascii = false
		}
	}
	return nil, false
}

// skipString consumes any valid string, escapes included.
func (s *Scanner) skipString() bool {
	if !s.consume('"') {
		return false
	}
	for s.i < len(s.b) {
		c := s.b[s.i]
		s.i++
		switch {
		case c == '"':
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if s.i >= len(s.b) {
				return false
			}
			e := s.b[s.i]
			s.i++
			switch e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if s.i+4 > len(s.b) {
					return false
				}
				for _, h := range s.b[s.i : s.i+4] {
					if !isHex(h) {
						return false
					}
				}
				s.i += 4
			default:
				return false
			}
		}
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// skipNumber consumes a number of JSON's grammar.
func (s *Scanner) skipNumber() bool {
	s.ws()
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return false
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return false
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	s.i = i
	return true
}

// Integer consumes a plain integer that fits an int on every platform;
// encoding/json refuses fractions and exponents for int fields, so those
// (and null, which leaves the field alone) are the caller's to handle.
func (s *Scanner) Integer() (int, bool) {
	s.ws()
	b, i := s.b, s.i
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	start := i
	n := 0
	for i < len(b) && isDigit(b[i]) {
		n = n*10 + int(b[i]-'0')
		i++
	}
	digits := i - start
	if digits == 0 || digits > 9 || (digits > 1 && b[start] == '0') {
		return 0, false
	}
	if i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E') {
		return 0, false
	}
	s.i = i
	if neg {
		n = -n
	}
	return n, true
}

// SkipValue consumes any valid value.
func (s *Scanner) SkipValue() bool {
	switch c := s.Peek(); {
	case c == '"':
		return s.skipString()
	case c == '{':
		return s.Object(func(key []byte) bool { return s.SkipValue() }, nil)
	case c == '[':
		return s.Array(s.SkipValue)
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || isDigit(c):
		return s.skipNumber()
	}
	return false
}

// RawValue consumes any valid value and returns its bytes, aliasing the
// input.
func (s *Scanner) RawValue() ([]byte, bool) {
	s.ws()
	start := s.i
	if !s.SkipValue() {
		return nil, false
	}
	return s.b[start:s.i], true
}

// Object consumes an object, calling field for each member with the
// scanner at its value. known lists the member names field decodes:
// encoding/json matches names without regard to case, so a key that
// folds to a known name without being it, or a key it would have to
// unescape or fold beyond ASCII, is declined, and so is a known name
// given twice (encoding/json would merge or overwrite). Other keys reach
// field too, which skips their values.
func (s *Scanner) Object(field func(key []byte) bool, known []string) bool {
	if !s.consume('{') {
		return false
	}
	s.depth++
	if s.depth > maxDepth {
		return false
	}
	var seen uint32
	if s.consume('}') {
		s.depth--
		return true
	}
	for {
		var key []byte
		if known == nil {
			// A value skipped whole: its keys only need to be valid.
			if s.Peek() != '"' || !s.skipString() {
				return false
			}
		} else if k, ok := s.plainString(); ok {
			key = k
		} else {
			return false
		}
		for k, name := range known {
			if string(key) == name {
				if seen&(1<<k) != 0 {
					return false
				}
				seen |= 1 << k
			} else if bytes.EqualFold(key, []byte(name)) {
				return false
			}
		}
		if len(known) > 0 {
			for _, c := range key {
				if c >= 0x80 {
					return false
				}
			}
		}
		if !s.consume(':') || !field(key) {
			return false
		}
		switch s.Peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			s.depth--
			return true
		default:
			return false
		}
	}
}

// Array consumes an array, calling elem with the scanner at each element.
func (s *Scanner) Array(elem func() bool) bool {
	if !s.consume('[') {
		return false
	}
	s.depth++
	if s.depth > maxDepth {
		return false
	}
	if s.consume(']') {
		s.depth--
		return true
	}
	for {
		if !elem() {
			return false
		}
		switch s.Peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			s.depth--
			return true
		default:
			return false
		}
	}
}

// OptString consumes a string field that is either a plain string or
// null; set is false for null, which leaves the field unset.
func (s *Scanner) OptString() (v []byte, set, ok bool) {
	if s.Null() {
		return nil, false, true
	}
	v, ok = s.plainString()
	return v, ok, ok
}

// CheckString consumes a string field whose value does not matter, only
// its type (or null).
func (s *Scanner) CheckString() bool {
	if s.Null() {
		return true
	}
	return s.Peek() == '"' && s.skipString()
}

// OptBool consumes a bool field that is either true, false or null; set
// is false for null, which leaves the field unset.
func (s *Scanner) OptBool() (v, set, ok bool) {
	switch s.Peek() {
	case 't':
		ok = s.literal("true")
		return ok, ok, ok
	case 'f':
		ok = s.literal("false")
		return false, ok, ok
	}
	return false, false, s.Null()
}
