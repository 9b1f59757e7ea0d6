package jsonapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/inferno-llm/inferno/internal/strictyaml"
)

// BodyError words encoding/json's type errors by the body's own field
// names ("max_run_time: want a number, got text") instead of Go's
// ("Go struct field testConfig.max_run_time of type float64"), as the
// config's errors do. Other errors are kept.
func BodyError(err error) error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return err
	}
	got := te.Value
	switch {
	case got == "string":
		got = "text"
	case strings.HasPrefix(got, "number"):
		got = "a number"
	case got == "array":
		got = "a list"
	case got == "object":
		got = "a mapping"
	case got == "bool":
		got = "true or false"
	}
	want := strictyaml.WantName(te.Type)
	if te.Field == "" {
		return fmt.Errorf("want %s, got %s", want, got)
	}
	return fmt.Errorf("%s: want %s, got %s", te.Field, want, got)
}
