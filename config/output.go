package config

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/inferno-llm/inferno/checks"
)

// A workload's output checks (canaries) and the OpenAI request fields that
// shape what it asks for (response_format, tools, tool_choice). They sit
// in a file of their own so the schema's other files stay as they are.

// CheckSpec is one of a workload's checks: KIND[:ARG] as a string, or
// {name: NAME, check: KIND[:ARG]} to name it (the name is its metric
// label and report key; it defaults to the spec, cut to 64 bytes).
type CheckSpec struct {
	Name  string `yaml:"name,omitempty"`
	Check string `yaml:"check"`
}

// UnmarshalYAML takes the string form or the mapping.
func (c *CheckSpec) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&c.Check)
	}
	type plain CheckSpec
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*c = CheckSpec(p)
	return nil
}

// MarshalYAML writes the string form where the name is the default.
func (c CheckSpec) MarshalYAML() (any, error) {
	if c.Name == "" {
		return c.Check, nil
	}
	type plain CheckSpec
	return plain(c), nil
}

func (c CheckSpec) spec() (checks.Spec, error) {
	sp, err := checks.Parse(c.Check)
	if c.Name != "" {
		sp.Name = c.Name
	}
	return sp, err
}

// CheckSet compiles the workload's checks, reading json_schema files.
func (w *Workload) CheckSet() (checks.Set, error) {
	var set checks.Set
	for i, c := range w.Checks {
		sp, err := c.spec()
		if err != nil {
			return nil, fmt.Errorf("checks[%d]: %w", i, err)
		}
		chk, err := checks.Compile(sp, readSchemaFile)
		if err != nil {
			return nil, fmt.Errorf("checks[%d]: %w", i, err)
		}
		set = append(set, chk)
	}
	return set, nil
}

// ToolSchemas are the parameter schemas of the workload's tools.
func (w *Workload) ToolSchemas() (checks.Tools, error) {
	if len(w.Params.Tools) == 0 {
		return nil, nil
	}
	return checks.CompileTools(w.Params.Tools)
}

func readSchemaFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, errors.Unwrap(err))
	}
	defer f.Close()
	b := make([]byte, checks.MaxSchemaBytes+1)
	n, err := f.Read(b)
	if err != nil {
		return nil, err
	}
	return b[:n], nil
}

// validateOutput checks the workload's checks and OpenAI request fields.
func (c *Config) validateOutput(w *Workload, field string) error {
	names := map[string]bool{}
	for i, cs := range w.Checks {
		f := fmt.Sprintf("%s.checks[%d]", field, i)
		sp, err := cs.spec()
		if err != nil {
			return c.fail(w.line, f, "%v", err)
		}
		if len(sp.Name) > checks.MaxNameLen || sp.Name == "" {
			return c.fail(w.line, f+".name", "want 1 to %d bytes", checks.MaxNameLen)
		}
		if names[sp.Name] {
			return c.fail(w.line, f, "another check goes by the name %q: give one a name ({name: ..., check: ...})", sp.Name)
		}
		names[sp.Name] = true
		if _, err := checks.Compile(sp, readSchemaFile); err != nil {
			return c.fail(w.line, f, "%v", err)
		}
	}
	p := w.Params
	if err := checks.ValidateResponseFormat(p.ResponseFormat); err != nil {
		return c.fail(w.line, field+".params.response_format", "%v", err)
	}
	tools, err := checks.CompileTools(p.Tools)
	if err != nil {
		// CompileTools names the item: tools[1].function.name: ...
		at, msg, _ := strings.Cut(err.Error(), ": ")
		return c.fail(w.line, field+".params."+at, "%s", msg)
	}
	if err := checks.ValidateToolChoice(p.ToolChoice, tools); err != nil {
		return c.fail(w.line, field+".params.tool_choice", "%v", err)
	}
	for _, k := range []string{"response_format", "tools", "tool_choice"} {
		if _, set := p.ExtraBody[k]; set {
			// Two places for one field would send one and validate the other.
			return c.fail(w.line, field+".params.extra_body", "%s has a field of its own: set params.%s", k, k)
		}
	}
	return nil
}

// untrustedChecks refuses what an API body's workload may not ask for: a
// json_schema check naming a file the daemon would read.
func untrustedChecks(w *Workload) error {
	for i, cs := range w.Checks {
		if sp, err := cs.spec(); err == nil && sp.Kind == checks.KindJSONSchema && !checks.IsInlineSchema(sp.Arg) {
			return fmt.Errorf("checks[%d]: an API body may not name a local file; give the schema inline ({...}), or define the workload in the config file and name it", i)
		}
	}
	return nil
}
