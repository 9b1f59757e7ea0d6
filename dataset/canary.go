package dataset

import (
	"fmt"

	"github.com/inferno-llm/inferno/checks"
)

// Canary is what a prompt with a known answer asks of the request and of
// its answer: the checks its answer must pass, and the request fields
// (tools, response_format) it needs to be answerable.
type Canary struct {
	Checks checks.Set
	// Tools are OpenAI tool declarations sent with the prompt, ToolSchemas
	// their compiled parameter schemas, by name.
	Tools          []any
	ToolSchemas    checks.Tools
	ToolChoice     any
	ResponseFormat map[string]any
}

// CanaryKind is the built-in dataset of prompts with known answers.
const CanaryKind = "canary"

// canaryItem is one prompt of the canary dataset, with its check.
type canaryItem struct {
	name, prompt, check string
	tools               []any
	toolChoice          any
}

// The canary prompts: each has one right answer a working endpoint gives
// whatever its model, and a check named canary/<name> that knows it.
var canaryItems = []canaryItem{
	{name: "arithmetic", prompt: "What is 17 + 25? Answer with the number only.", check: `regex:(^|[^0-9])42([^0-9]|$)`},
	{name: "capital", prompt: "What is the capital of France? Answer with one word.", check: `regex:(?i)\bparis\b`},
	{
		name:   "json",
		prompt: `Reply with exactly this JSON object and nothing else: {"status": "ok", "count": 3}`,
		check:  `json_schema:{"type":"object","required":["status","count"],"properties":{"status":{"const":"ok"},"count":{"const":3}}}`,
	},
	{
		name:   "tool_call",
		prompt: "What is the weather in Paris right now? Use the get_weather tool.",
		check:  "tool_call:get_weather",
		tools: []any{map[string]any{"type": "function", "function": map[string]any{
			"name":        "get_weather",
			"description": "Current weather in a city.",
			"parameters": map[string]any{
				"type":                 "object",
				"properties":           map[string]any{"city": map[string]any{"type": "string"}, "unit": map[string]any{"type": "string", "enum": []any{"celsius", "fahrenheit"}}},
				"required":             []any{"city"},
				"additionalProperties": false,
			},
		}}},
		toolChoice: "auto",
	},
}

// CanaryConversations are the canary prompts, one single-turn
// conversation each. withTools false leaves out the prompts that need
// tools, for APIs that cannot declare them (completions, TGI, Triton).
func CanaryConversations(withTools bool) ([]Conversation, error) {
	var out []Conversation
	for _, it := range canaryItems {
		if len(it.tools) > 0 && !withTools {
			continue
		}
		sp, err := checks.Parse(it.check)
		if err != nil {
			return nil, fmt.Errorf("canary %s: %w", it.name, err)
		}
		sp.Name = "canary/" + it.name
		c, err := checks.Compile(sp, nil)
		if err != nil {
			return nil, fmt.Errorf("canary %s: %w", it.name, err)
		}
		canary := &Canary{Checks: checks.Set{c}, Tools: it.tools, ToolChoice: it.toolChoice}
		if len(it.tools) > 0 {
			if canary.ToolSchemas, err = checks.CompileTools(it.tools); err != nil {
				return nil, fmt.Errorf("canary %s: %w", it.name, err)
			}
		}
		msgs := []Message{{Role: "user", Content: it.prompt}}
		out = append(out, Conversation{ID: "canary/" + it.name, Turns: []Turn{{Messages: msgs, Canary: canary}}})
	}
	return out, nil
}

// cycle hands out its conversations in turn, endlessly: every canary is
// asked as often as the others, so a window of N requests asks each
// N/len times rather than as a random draw falls.
type cycle struct {
	convs []Conversation
	opts  SourceOptions
	i     int
}

func (c *cycle) Next() (Conversation, bool) {
	conv := c.convs[c.i%len(c.convs)]
	c.i++
	return c.opts.shape(conv), true
}
