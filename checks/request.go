package checks

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Tools are a request's declared tools by name, each with its compiled
// parameters schema (nil when it declares none).
type Tools map[string]*jsonschema.Schema

// toolName is OpenAI's rule for function names.
var toolName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// CompileTools checks a request's tools as OpenAI's chat API declares
// them ([{type: function, function: {name, description, parameters}}])
// and compiles their parameter schemas, so a tool_call check can hold a
// call's arguments to them.
func CompileTools(tools []any) (Tools, error) {
	out := Tools{}
	for i, t := range tools {
		decl, ok := asObject(t)
		if !ok {
			return nil, fmt.Errorf("tools[%d]: want an object {type: function, function: {name, parameters}}", i)
		}
		if typ, _ := decl["type"].(string); typ != "function" {
			return nil, fmt.Errorf("tools[%d].type: want function", i)
		}
		fn, ok := asObject(decl["function"])
		if !ok {
			return nil, fmt.Errorf("tools[%d].function: want an object with a name", i)
		}
		name, _ := fn["name"].(string)
		if !toolName.MatchString(name) {
			return nil, fmt.Errorf("tools[%d].function.name: want 1 to 64 letters, digits, '_' or '-'", i)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("tools[%d].function.name: %s is declared twice", i, name)
		}
		out[name] = nil
		if params, set := fn["parameters"]; set && params != nil {
			if _, ok := asObject(params); !ok {
				return nil, fmt.Errorf("tools[%d].function.parameters: want a JSON Schema object", i)
			}
			s, err := compileAny(params)
			if err != nil {
				return nil, fmt.Errorf("tools[%d].function.parameters: %w", i, err)
			}
			out[name] = s
		}
	}
	return out, nil
}

// ValidateToolChoice checks tool_choice against the declared tools:
// none, auto, required, or {type: function, function: {name}} naming one.
func ValidateToolChoice(choice any, tools Tools) error {
	if choice == nil {
		return nil
	}
	if len(tools) == 0 {
		return errors.New("tool_choice needs tools")
	}
	if s, ok := choice.(string); ok {
		switch s {
		case "none", "auto", "required":
			return nil
		}
		return errors.New("want none, auto, required or {type: function, function: {name: ...}}")
	}
	obj, ok := asObject(choice)
	if !ok {
		return errors.New("want none, auto, required or {type: function, function: {name: ...}}")
	}
	if typ, _ := obj["type"].(string); typ != "function" {
		return errors.New("type: want function")
	}
	fn, _ := asObject(obj["function"])
	name, _ := fn["name"].(string)
	if _, declared := tools[name]; !declared {
		return errors.New("function.name: not one of the declared tools")
	}
	return nil
}

// ValidateResponseFormat checks a response_format as OpenAI's API has it:
// {type: text}, {type: json_object}, or {type: json_schema, json_schema:
// {name, schema, strict}} with a schema that compiles. Other servers'
// own formats go through extra_body.
func ValidateResponseFormat(rf map[string]any) error {
	if rf == nil {
		return nil
	}
	typ, _ := rf["type"].(string)
	switch typ {
	case "text", "json_object":
		return nil
	case "json_schema":
		js, ok := asObject(rf["json_schema"])
		if !ok {
			return errors.New("json_schema: want {name, schema} with type json_schema")
		}
		if name, _ := js["name"].(string); name == "" {
			return errors.New("json_schema.name: must be set")
		}
		schema, ok := asObject(js["schema"])
		if !ok {
			return errors.New("json_schema.schema: want a JSON Schema object")
		}
		if _, err := compileAny(schema); err != nil {
			return fmt.Errorf("json_schema.schema: %w", err)
		}
		return nil
	}
	return errors.New("type: want text, json_object or json_schema (pass other servers' formats through extra_body)")
}

// asObject accepts a JSON object as encoding/json or YAML decodes it.
func asObject(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, v := range m {
			ks, ok := k.(string)
			if !ok {
				return nil, false
			}
			out[ks] = v
		}
		return out, true
	}
	return nil, false
}

// compileAny compiles a schema given as decoded YAML or JSON: re-encoded,
// so YAML's ints and JSON's floats both reach the validator as the
// json.Number it compares exactly.
func compileAny(v any) (*jsonschema.Schema, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("not a JSON value: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return CompileSchema(b)
}
