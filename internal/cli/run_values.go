package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/inferno-llm/inferno/config"
	"github.com/inferno-llm/inferno/dataset"
)

// Flag values that write straight into the config schema's fields, so a
// flag holds exactly what its YAML field would.

// optionalDuration is a *config.Duration field: nil until the flag is given.
type optionalDuration struct{ d **config.Duration }

func (v optionalDuration) Set(s string) error {
	var d config.Duration
	if err := d.Set(s); err != nil {
		return err
	}
	*v.d = &d
	return nil
}
func (v optionalDuration) String() string {
	if *v.d == nil {
		return ""
	}
	return (**v.d).String()
}

// optionalFloat is a *float64 field (temperature, top_p): nil, so not
// sent, until the flag is given.
type optionalFloat struct{ f **float64 }

func (v optionalFloat) Set(s string) error {
	f, err := parseFinite(s)
	*v.f = &f
	return err
}

// finiteFloat is a float64 field. NaN and infinities are refused as the
// config's decoder refuses them: no report could encode them.
type finiteFloat struct{ f *float64 }

func (v finiteFloat) Set(s string) (err error) {
	*v.f, err = parseFinite(s)
	return err
}
func (v finiteFloat) String() string { return strconv.FormatFloat(*v.f, 'g', -1, 64) }

func parseFinite(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("want a finite number, got %q", s)
	}
	return f, nil
}
func (v optionalFloat) String() string {
	if *v.f == nil {
		return ""
	}
	return strconv.FormatFloat(**v.f, 'g', -1, 64)
}

// optionalBool is a *bool field (warm_connections); as a bool flag it
// takes --name and --no-name.
type optionalBool struct{ b **bool }

func (v optionalBool) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*v.b = &b
	return nil
}
func (v optionalBool) String() string {
	if *v.b == nil {
		return ""
	}
	return strconv.FormatBool(**v.b)
}
func (v optionalBool) IsBoolFlag() bool { return true }

// jsonObject is a map field given as a JSON object (extra_body).
type jsonObject struct{ m *map[string]any }

func (v jsonObject) Set(s string) error {
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil || m == nil {
		return fmt.Errorf("want a JSON object such as {\"top_k\": 20}")
	}
	*v.m = m
	return nil
}
func (v jsonObject) String() string {
	b, _ := json.Marshal(*v.m)
	return string(b)
}

// jsonArray is a list field given as a JSON array (tools).
type jsonArray struct{ a *[]any }

func (v jsonArray) Set(s string) error {
	var a []any
	if err := json.Unmarshal([]byte(s), &a); err != nil || a == nil {
		return fmt.Errorf("want a JSON array such as [{\"type\": \"function\", \"function\": {\"name\": \"f\"}}]")
	}
	*v.a = a
	return nil
}
func (v jsonArray) String() string {
	b, _ := json.Marshal(*v.a)
	return string(b)
}

// responseFormat is params.response_format: a type's name for the two
// without fields, else the whole JSON object.
type responseFormat struct{ m *map[string]any }

func (v responseFormat) Set(s string) error {
	switch s {
	case "json_object", "text":
		*v.m = map[string]any{"type": s}
		return nil
	}
	if err := jsonObject(v).Set(s); err != nil {
		return fmt.Errorf("want json_object, text, or a JSON object such as {\"type\": \"json_schema\", \"json_schema\": {\"name\": \"x\", \"schema\": {...}}}")
	}
	return nil
}
func (v responseFormat) String() string { return jsonObject(v).String() }

// toolChoice is params.tool_choice: none, auto, required, or the name of
// the tool to call.
type toolChoice struct{ v *any }

func (v toolChoice) Set(s string) error {
	switch s {
	case "none", "auto", "required":
		*v.v = s
	default:
		*v.v = map[string]any{"type": "function", "function": map[string]any{"name": s}}
	}
	return nil
}
func (v toolChoice) String() string {
	b, _ := json.Marshal(*v.v)
	return string(b)
}

// checkList is checks: each --check adds one, KIND[:ARG].
type checkList struct{ c *[]config.CheckSpec }

func (v checkList) Set(s string) error {
	*v.c = append(*v.c, config.CheckSpec{Check: s})
	return nil
}
func (v checkList) String() string     { return "" }
func (v checkList) IsCumulative() bool { return true }

// stageList is arrival.stages: each --stage adds one, written as the
// YAML item's fields, rate=2,duration=1m or concurrency=8,duration=30s.
type stageList struct{ s *[]dataset.StageSpec }

func (v stageList) Set(s string) error {
	var st dataset.StageSpec
	seen := map[string]bool{}
	for part := range strings.SplitSeq(s, ",") {
		key, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || seen[key] {
			return fmt.Errorf("stage %q: want key=value pairs, each once: rate=2,duration=1m or concurrency=8,duration=30s", s)
		}
		seen[key] = true
		var err error
		switch key {
		case "rate":
			st.Rate, err = parseFinite(val)
		case "concurrency":
			st.Concurrency, err = strconv.Atoi(val)
		case "duration":
			err = st.Duration.Set(val)
		default:
			return fmt.Errorf("stage %q: unknown key %q (want rate, concurrency and duration)", s, key)
		}
		if err != nil {
			return fmt.Errorf("stage %q: %s: %v", s, key, err)
		}
	}
	*v.s = append(*v.s, st)
	return nil
}
func (v stageList) String() string     { return fmt.Sprint(*v.s) }
func (v stageList) IsCumulative() bool { return true }
