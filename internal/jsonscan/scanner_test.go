package jsonscan

import (
	"encoding/json"
	"testing"
)

// TestFields walks an object the way a stream decoder does: known fields
// read, the rest skipped, and the shapes encoding/json would read
// differently declined.
func TestFields(t *testing.T) {
	known := []string{"text", "n", "done"}
	read := func(doc string) (text string, n int, done, ok bool) {
		s := New([]byte(doc))
		ok = s.Object(func(key []byte) bool {
			switch string(key) {
			case "text":
				v, _, ok := s.OptString()
				text = string(v)
				return ok
			case "n":
				if s.Null() {
					return true
				}
				n, ok = s.Integer()
				return ok
			case "done":
				done, _, ok = s.OptBool()
				return ok
			}
			return s.SkipValue()
		}, known) && s.End()
		return text, n, done, ok
	}
	for _, tt := range []struct {
		doc  string
		text string
		n    int
		done bool
		ok   bool
	}{
		{`{"text":"héllo","n":42,"done":true}`, "héllo", 42, true, true},
		{` { "other" : [1, {"a": null}, "x\n"], "text" : null , "n": null, "done": false } `, "", 0, false, true},
		{`{}`, "", 0, false, true},
		{`{"text":"a\nb"}`, "", 0, false, false},         // an escape encoding/json would undo
		{`{"Text":"a"}`, "", 0, false, false},            // a key encoding/json folds
		{`{"text":"a","text":"b"}`, "", 0, false, false}, // a key given twice
		{`{"n":1.5}`, "", 0, false, false},               // not a plain integer
		{`{"n":0123}`, "", 0, false, false},              // not JSON
		{`{"done":"yes"}`, "", 0, false, false},          // the wrong type
		{`{"text":"a"} x`, "", 0, false, false},          // trailing data
		{`{"text":"a"`, "", 0, false, false},             // cut short
	} {
		text, n, done, ok := read(tt.doc)
		if ok != tt.ok || (ok && (text != tt.text || n != tt.n || done != tt.done)) {
			t.Errorf("%s: %q %d %v ok %v; want %q %d %v ok %v", tt.doc, text, n, done, ok, tt.text, tt.n, tt.done, tt.ok)
		}
	}
}

func TestRawValue(t *testing.T) {
	s := New([]byte(`[ {"a": [1, 2]} , "x" ]`))
	var got []string
	if !s.Array(func() bool {
		v, ok := s.RawValue()
		got = append(got, string(v))
		return ok
	}) || !s.End() {
		t.Fatal("array declined")
	}
	if len(got) != 2 || got[0] != `{"a": [1, 2]}` || got[1] != `"x"` {
		t.Errorf("raw values %q", got)
	}
}

// FuzzScanner: whatever the scanner accepts as a whole document is JSON.
func FuzzScanner(f *testing.F) {
	for _, s := range []string{`{"a":[1,-2.5e3,true,false,null,"\u00e9"]}`, `[]`, `"x"`, `{"a":{"b":{}}}`, `01`, `{"a":1,}`, `[[[[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := New(data)
		if s.SkipValue() && s.End() && !json.Valid(data) {
			t.Fatalf("accepted %q, which is not JSON", data)
		}
	})
}
