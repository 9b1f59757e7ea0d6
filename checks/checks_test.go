package checks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustCheck(t *testing.T, spec string) *Check {
	t.Helper()
	sp, err := Parse(spec)
	if err != nil {
		t.Fatalf("Parse(%q): %v", spec, err)
	}
	c, err := Compile(sp, os.ReadFile)
	if err != nil {
		t.Fatalf("Compile(%q): %v", spec, err)
	}
	return c
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ spec, want string }{
		{"", "unknown check kind"},
		{"jsn", "unknown check kind"},
		{"contains", "needs an argument"},
		{"contains:", "needs an argument"},
		{"regex", "needs an argument"},
		{"json_schema", "needs an argument"},
		{"json:x", "takes no argument"},
		{"max_tokens_used:1", "takes no argument"},
		{"tool_call:", "empty argument"},
	} {
		if _, err := Parse(tc.spec); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want %q", tc.spec, err, tc.want)
		}
	}
	if _, err := Compile(Spec{Kind: KindRegex, Arg: "("}, nil); err == nil {
		t.Error("a bad regex compiled")
	}
	if _, err := Compile(Spec{Kind: KindJSONSchema, Arg: "schema.json"}, nil); err == nil || !strings.Contains(err.Error(), "inline") {
		t.Errorf("a schema file was read without a reader: %v", err)
	}
	if _, err := Compile(Spec{Kind: KindJSONSchema, Arg: `{"$ref": "file:///etc/passwd"}`}, nil); err == nil {
		t.Error("a schema's $ref loaded a local file")
	}
	long := "contains:" + strings.Repeat("é", 100)
	if sp, _ := Parse(long); len(sp.Name) > MaxNameLen || !strings.HasPrefix(long, sp.Name) {
		t.Errorf("name %q: want a prefix of the spec within %d bytes", sp.Name, MaxNameLen)
	}
}

func TestJudge(t *testing.T) {
	dir := t.TempDir()
	schemaFile := filepath.Join(dir, "s.json")
	os.WriteFile(schemaFile, []byte(`{"type":"object","required":["n"],"properties":{"n":{"type":"integer"}}}`), 0o600)
	weather, err := CompileTools([]any{map[string]any{"type": "function", "function": map[string]any{
		"name": "get_weather", "parameters": map[string]any{
			"type": "object", "required": []any{"city"}, "properties": map[string]any{"city": map[string]any{"type": "string"}}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		spec   string
		answer Answer
		pass   bool
		reason string
	}{
		{"contains", "contains:42", Answer{Text: "It is 42."}, true, ""},
		{"contains missing", "contains:42", Answer{Text: "It is 41."}, false, "does not contain"},
		{"regex", `regex:^\s*4\s*$`, Answer{Text: " 4\n"}, true, ""},
		{"regex miss", `regex:^\s*4\s*$`, Answer{Text: "four"}, false, "does not match"},
		{"json", "json", Answer{Text: ` {"a": [1, 2]} `}, true, ""},
		{"json fenced", "json", Answer{Text: "```json\n{\"a\": 1}\n```"}, true, ""},
		{"json prose", "json", Answer{Text: `Sure! {"a": 1}`}, false, "not JSON"},
		{"json trailing", "json", Answer{Text: `{"a": 1} and more`}, false, "data after"},
		{"json cut", "json", Answer{Text: `{"a": 1}`, Cut: true}, false, "cut"},
		{"json empty", "json", Answer{}, false, "empty"},
		{"schema inline", `json_schema:{"type":"object","required":["n"]}`, Answer{Text: `{"n": 1}`}, true, ""},
		{"schema file", "json_schema:" + schemaFile, Answer{Text: `{"n": 1}`}, true, ""},
		{"schema file miss", "json_schema:" + schemaFile, Answer{Text: `{"n": 1.5}`}, false, "at /n"},
		{"schema not json", "json_schema:" + schemaFile, Answer{Text: `n=1`}, false, "not JSON"},
		{"max tokens", "max_tokens_used", Answer{FinishReason: "stop"}, true, ""},
		{"max tokens unknown", "max_tokens_used", Answer{}, false, "no finish reason"},
		{"max tokens length", "max_tokens_used", Answer{FinishReason: "length"}, false, "length"},
		{"refusal", "not_refusal", Answer{Text: "I'm sorry, but I can't help with that."}, false, "refusal"},
		{"refusal late", "not_refusal", Answer{Text: strings.Repeat("Fine. ", 60) + "I'm sorry, but no."}, true, ""},
		{"not refusal", "not_refusal", Answer{Text: "Paris."}, true, ""},
		{"refusal custom", "not_refusal:(?i)non posso", Answer{Text: "Non posso aiutarti."}, false, "refusal"},
		{"tool call", "tool_call:get_weather", Answer{ToolCalls: []ToolCall{{"get_weather", `{"city":"Paris"}`}}, Tools: weather}, true, ""},
		{"tool call any", "tool_call", Answer{ToolCalls: []ToolCall{{"get_weather", `{"city":"Paris"}`}}, Tools: weather}, true, ""},
		{"tool call none", "tool_call", Answer{Text: "It is sunny."}, false, "no tool call"},
		{"tool call other", "tool_call:get_time", Answer{ToolCalls: []ToolCall{{"get_weather", `{}`}}}, false, "no call of tool"},
		{"tool call bad args", "tool_call", Answer{ToolCalls: []ToolCall{{"get_weather", `{"city":`}}, Tools: weather}, false, "not JSON"},
		{"tool call schema", "tool_call", Answer{ToolCalls: []ToolCall{{"get_weather", `{"town":"Paris"}`}}, Tools: weather}, false, "arguments: at /"},
		{"tool call undeclared", "tool_call", Answer{ToolCalls: []ToolCall{{"get_time", `{}`}}, Tools: weather}, false, "not declared"},
		{"tool call no schema", "tool_call", Answer{ToolCalls: []ToolCall{{"get_time", `{}`}}}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pass, reason := mustCheck(t, tc.spec).Judge(&tc.answer)
			if pass != tc.pass || !strings.Contains(reason, tc.reason) {
				t.Errorf("Judge = %v %q, want %v %q", pass, reason, tc.pass, tc.reason)
			}
		})
	}
}

func TestAssembler(t *testing.T) {
	var as Assembler
	as.Text([]byte("Hello"))
	as.DropText()
	as.Text([]byte("Answer"))
	for _, d := range []string{
		`[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]`,
		`[{"index":0,"function":{"arguments":"{\"city\":"}}]`,
		`[{"index":0,"function":{"arguments":"\"Paris\"}"}}]`,
		`[{"index":1,"function":{"name":"get_time","arguments":"{}"}}]`,
	} {
		if err := as.ToolCalls([]byte(d)); err != nil {
			t.Fatal(err)
		}
	}
	as.Finish("tool_calls")
	a := as.Answer(nil)
	want := []ToolCall{{"get_weather", `{"city":"Paris"}`}, {"get_time", "{}"}}
	if a.Text != "Answer" || a.FinishReason != "tool_calls" || len(a.ToolCalls) != 2 || a.ToolCalls[0] != want[0] || a.ToolCalls[1] != want[1] {
		t.Fatalf("answer %+v", a)
	}
	if err := as.ToolCalls([]byte(`{"index":0}`)); err == nil {
		t.Error("a tool_calls object, not an array, was accepted")
	}

	var big Assembler
	for range 100 {
		big.Text([]byte(strings.Repeat("x", 1000)))
	}
	a = big.Answer(nil)
	if !a.Cut || len(a.Text) != MaxAnswerBytes+len(CutMarker) || !strings.HasSuffix(a.Text, CutMarker) {
		t.Fatalf("cut answer: cut=%v len=%d", a.Cut, len(a.Text))
	}
}

func TestRequestValidation(t *testing.T) {
	fn := func(name string, params any) map[string]any {
		f := map[string]any{"name": name}
		if params != nil {
			f["parameters"] = params
		}
		return map[string]any{"type": "function", "function": f}
	}
	for _, tc := range []struct {
		name  string
		tools []any
		want  string
	}{
		{"ok", []any{fn("a", map[string]any{"type": "object"}), fn("b", nil)}, ""},
		{"not object", []any{"a"}, "want an object"},
		{"type", []any{map[string]any{"type": "code", "function": map[string]any{"name": "a"}}}, "type: want function"},
		{"name", []any{fn("a b", nil)}, "function.name"},
		{"dup", []any{fn("a", nil), fn("a", nil)}, "declared twice"},
		{"schema", []any{fn("a", map[string]any{"type": 5})}, "parameters"},
	} {
		_, err := CompileTools(tc.tools)
		if (tc.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: CompileTools = %v, want %q", tc.name, err, tc.want)
		}
	}
	tools, _ := CompileTools([]any{fn("a", nil)})
	for _, tc := range []struct {
		choice any
		tools  Tools
		ok     bool
	}{
		{nil, nil, true}, {"auto", tools, true}, {"required", tools, true}, {"auto", nil, false}, {"sometimes", tools, false},
		{map[string]any{"type": "function", "function": map[string]any{"name": "a"}}, tools, true},
		{map[string]any{"type": "function", "function": map[string]any{"name": "b"}}, tools, false},
	} {
		if err := ValidateToolChoice(tc.choice, tc.tools); (err == nil) != tc.ok {
			t.Errorf("ValidateToolChoice(%v) = %v", tc.choice, err)
		}
	}
	for _, tc := range []struct {
		rf map[string]any
		ok bool
	}{
		{nil, true}, {map[string]any{"type": "json_object"}, true}, {map[string]any{"type": "text"}, true},
		{map[string]any{"type": "json_schema", "json_schema": map[string]any{"name": "x", "schema": map[string]any{"type": "object"}}}, true},
		{map[string]any{"type": "json_schema", "json_schema": map[string]any{"name": "x", "schema": map[string]any{"type": 1}}}, false},
		{map[string]any{"type": "json_schema", "json_schema": map[string]any{"schema": map[string]any{}}}, false},
		{map[string]any{"type": "yaml"}, false},
	} {
		if err := ValidateResponseFormat(tc.rf); (err == nil) != tc.ok {
			t.Errorf("ValidateResponseFormat(%v) = %v", tc.rf, err)
		}
	}
}

func TestExcerpt(t *testing.T) {
	a := &Answer{ToolCalls: []ToolCall{{"f", `{"x":1}`}}}
	if got := a.Excerpt(100); got != `tool_call f({"x":1})` {
		t.Errorf("Excerpt = %q", got)
	}
	a = &Answer{Text: strings.Repeat("ab", 100)}
	if got := a.Excerpt(10); got != "ababababab…" {
		t.Errorf("Excerpt = %q", got)
	}
}

// FuzzParse checks that no spec crashes the parser or the compiler, and
// that a parsed spec's name stays a bounded label.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"json", "regex:^a$", `json_schema:{"type":"object"}`, "tool_call:f", "not_refusal:(?i)no", "contains:a:b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := Parse(s)
		if len(sp.Name) > MaxNameLen {
			t.Fatalf("name of %d bytes", len(sp.Name))
		}
		if err != nil {
			return
		}
		if c, err := Compile(sp, nil); err == nil {
			c.Judge(&Answer{Text: s})
		}
	})
}

// FuzzToolCalls feeds arbitrary deltas to the assembler: it may refuse
// them, never crash or keep more than its cap.
func FuzzToolCalls(f *testing.F) {
	f.Add([]byte(`[{"index":0,"function":{"name":"f","arguments":"{\"a\":"}}]`), []byte(`[{"index":0,"function":{"arguments":"1}"}}]`))
	f.Add([]byte(`[{"index":-1}]`), []byte(`[null]`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var as Assembler
		as.ToolCalls(a)
		as.Text(b)
		as.ToolCalls(b)
		ans := as.Answer(nil)
		n := len(ans.Text)
		for _, c := range ans.ToolCalls {
			n += len(c.Arguments)
		}
		if n > MaxAnswerBytes+len(CutMarker) {
			t.Fatalf("kept %d bytes", n)
		}
		(&Check{Kind: KindToolCall}).Judge(ans)
	})
}
