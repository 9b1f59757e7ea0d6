// Package checks judges what an endpoint answered, not how fast: a
// workload's checks (canaries) run on each successful request's assembled
// answer after its stream ends. A failed check never changes a request's
// outcome or its latency figures: a wrong answer is a successful request
// with a failed check, counted apart.
package checks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// The kinds of check, as written before the colon of KIND[:ARG].
const (
	KindContains      = "contains"        // the answer contains ARG
	KindRegex         = "regex"           // ARG (RE2) matches somewhere in the answer
	KindJSON          = "json"            // the answer is one JSON value
	KindJSONSchema    = "json_schema"     // the answer is JSON valid against ARG (a file or an inline schema)
	KindToolCall      = "tool_call"       // a tool call (named ARG, if given) with valid arguments
	KindMaxTokensUsed = "max_tokens_used" // the answer ended on its own, not at max_tokens (finish reason not "length")
	KindNotRefusal    = "not_refusal"     // no refusal phrase opens the answer (ARG: a regex replacing the built-in list)
)

// Kinds lists every kind, for flags and errors.
var Kinds = []string{KindContains, KindRegex, KindJSON, KindJSONSchema, KindToolCall, KindMaxTokensUsed, KindNotRefusal}

// MaxNameLen bounds a check's name: it is a metric label value and a
// report key, so a long inline schema must not become one.
const MaxNameLen = 64

// Spec is a check as written: KIND[:ARG], under a name that defaults to
// the spec itself, cut to MaxNameLen.
type Spec struct {
	Name string
	Kind string
	Arg  string
}

// Parse reads KIND[:ARG]. Only the first colon separates: a regex or a
// schema may hold more.
func Parse(s string) (Spec, error) {
	kind, arg, hasArg := strings.Cut(s, ":")
	kind = strings.TrimSpace(kind)
	sp := Spec{Kind: kind, Arg: arg, Name: DefaultName(s)}
	switch kind {
	case KindContains, KindRegex, KindJSONSchema:
		if !hasArg || arg == "" {
			return sp, fmt.Errorf("check %s needs an argument (%s:...)", kind, kind)
		}
	case KindJSON, KindMaxTokensUsed:
		if hasArg {
			return sp, fmt.Errorf("check %s takes no argument", kind)
		}
	case KindToolCall, KindNotRefusal:
		if hasArg && arg == "" {
			return sp, fmt.Errorf("check %s: empty argument (leave out the colon for none)", kind)
		}
	default:
		return sp, fmt.Errorf("unknown check kind %q (want %s)", cut(kind, 32), strings.Join(Kinds, ", "))
	}
	return sp, nil
}

// DefaultName is the name a spec goes by when none is given: the spec,
// cut to MaxNameLen at a character boundary.
func DefaultName(s string) string { return cut(strings.TrimSpace(s), MaxNameLen) }

// cut shortens s to at most n bytes without splitting a character.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Check is a compiled check, safe for concurrent use.
type Check struct {
	Name   string
	Kind   string
	text   string
	re     *regexp.Regexp
	schema *jsonschema.Schema
}

// ReadFile reads a schema file; nil refuses files (an API body's check
// may not make the daemon read a local file).
type ReadFile func(path string) ([]byte, error)

// Compile turns a spec into a check. A json_schema argument that starts
// with '{' is the schema itself; anything else names a file, read
// through readFile.
func Compile(sp Spec, readFile ReadFile) (*Check, error) {
	c := &Check{Name: sp.Name, Kind: sp.Kind}
	if c.Name == "" {
		c.Name = DefaultName(sp.Kind + ":" + sp.Arg)
	}
	switch sp.Kind {
	case KindContains:
		c.text = sp.Arg
	case KindRegex:
		re, err := regexp.Compile(sp.Arg)
		if err != nil {
			return nil, fmt.Errorf("check %s: %w", sp.Kind, err)
		}
		c.re = re
	case KindNotRefusal:
		c.re = defaultRefusals
		if sp.Arg != "" {
			re, err := regexp.Compile(sp.Arg)
			if err != nil {
				return nil, fmt.Errorf("check %s: %w", sp.Kind, err)
			}
			c.re = re
		}
	case KindToolCall:
		c.text = sp.Arg
	case KindJSON, KindMaxTokensUsed:
	case KindJSONSchema:
		doc, err := schemaDoc(sp.Arg, readFile)
		if err != nil {
			return nil, fmt.Errorf("check %s: %w", sp.Kind, err)
		}
		if c.schema, err = CompileSchema(doc); err != nil {
			return nil, fmt.Errorf("check %s: %w", sp.Kind, err)
		}
	default:
		return nil, fmt.Errorf("unknown check kind %q", cut(sp.Kind, 32))
	}
	return c, nil
}

// IsInlineSchema tells an inline json_schema argument from a file name.
func IsInlineSchema(arg string) bool {
	return strings.HasPrefix(strings.TrimSpace(arg), "{")
}

func schemaDoc(arg string, readFile ReadFile) ([]byte, error) {
	if IsInlineSchema(arg) {
		return []byte(arg), nil
	}
	if readFile == nil {
		return nil, errors.New("a schema file may not be read here; give the schema inline ({...})")
	}
	b, err := readFile(arg)
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	return b, nil
}

// MaxSchemaBytes bounds a schema, inline or read from a file.
const MaxSchemaBytes = 1 << 20

// CompileSchema compiles a JSON Schema document. It never loads another
// document: a $ref to a file or a URL would make the prober read local
// files or fetch from the network on a caller's behalf.
func CompileSchema(doc []byte) (*jsonschema.Schema, error) {
	if len(doc) > MaxSchemaBytes {
		return nil, fmt.Errorf("schema of %d bytes is over the limit of %d", len(doc), MaxSchemaBytes)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, fmt.Errorf("schema is not KindJSON: %w", err)
	}
	return compileValue(v)
}

// compileValue compiles a schema already decoded (with json.Number
// numbers, as jsonschema.UnmarshalJSON decodes).
func compileValue(v any) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.UseLoader(noLoader{})
	const loc = "inferno:schema.json"
	if err := c.AddResource(loc, v); err != nil {
		return nil, err
	}
	s, err := c.Compile(loc)
	if err != nil {
		var sve *jsonschema.SchemaValidationError
		if errors.As(err, &sve) {
			return nil, fmt.Errorf("not a valid JSON Schema: %s", validationReason(sve.Err))
		}
		return nil, errors.New(cut(oneLine(err.Error()), 300))
	}
	return s, nil
}

type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("schemas are self-contained here: %s is not loaded", cut(url, 100))
}

// defaultRefusals are the openings of the common refusals. They are
// matched only near the start of an answer (see refusalWindow): an
// answer that quotes one later is not a refusal.
var defaultRefusals = regexp.MustCompile(`(?i)\b(I'm sorry, but|I am sorry, but|I apologi[sz]e, but|I can(?:'|no)t (?:help|assist|comply|provide)|I cannot (?:help|assist|comply|provide)|I(?:'m| am) (?:unable|not able) to (?:help|assist|comply|provide)|I won't be able to|As an AI(?: language model)?, I)`)

// refusalWindow is how much of an answer's start not_refusal looks at.
const refusalWindow = 300

// Judge decides the check on an answer; reason says why it failed.
func (c *Check) Judge(a *Answer) (pass bool, reason string) {
	switch c.Kind {
	case KindContains:
		if strings.Contains(a.Text, c.text) {
			return true, ""
		}
		return false, "the answer does not contain the text"
	case KindRegex:
		if c.re.MatchString(a.Text) {
			return true, ""
		}
		return false, "the answer does not match the regex"
	case KindNotRefusal:
		if m := c.re.FindString(cut(strings.TrimSpace(a.Text), refusalWindow)); m != "" {
			return false, fmt.Sprintf("refusal: %q", cut(m, 60))
		}
		return true, ""
	case KindMaxTokensUsed:
		switch a.FinishReason {
		case "length":
			return false, "finish reason length: the answer was cut at max_tokens"
		case "":
			// Triton's stream says nothing of why it ended: a pass would
			// be a guess.
			return false, "the stream gave no finish reason to judge"
		}
		return true, ""
	case KindJSON:
		if _, err := a.json(); err != nil {
			return false, err.Error()
		}
		return true, ""
	case KindJSONSchema:
		v, err := a.json()
		if err != nil {
			return false, err.Error()
		}
		if err := c.schema.Validate(v); err != nil {
			return false, "schema: " + validationReason(err)
		}
		return true, ""
	case KindToolCall:
		return a.judgeToolCall(c.text)
	}
	return false, "unknown check"
}

// validationReason is a validation error in one line.
func validationReason(err error) string {
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		// The leaf causes say what is wrong; the root only that something is.
		for len(ve.Causes) > 0 {
			ve = ve.Causes[0]
		}
		loc := "/" + strings.Join(ve.InstanceLocation, "/")
		return cut(fmt.Sprintf("at %s: %s", loc, ve.ErrorKind.LocalizedString(english)), 200)
	}
	return cut(oneLine(err.Error()), 200)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

var english = message.NewPrinter(language.English)

// Set is the checks one request's answer gets.
type Set []*Check

// parseJSON decodes one JSON value (numbers as json.Number, as the schema
// validator wants them), refusing trailing data.
func parseJSON(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}
