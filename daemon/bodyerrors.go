package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"reflect"
)

// bodyError words encoding/json's type errors by the body's own field
// names ("max_run_time: want a number, got text") instead of Go's
// ("Go struct field legacyBody.max_run_time of type float64"), as the
// config's errors do. Other errors are kept.
func bodyError(err error) error {
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
	want := wantName(te.Type)
	if te.Field == "" {
		return fmt.Errorf("want %s, got %s", want, got)
	}
	return fmt.Errorf("%s: want %s, got %s", te.Field, want, got)
}

// wantName says in words what a value of type t is, as the config's
// errors do, never a Go type name.
func wantName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "text"
	case reflect.Bool:
		return "true or false"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return "a whole number"
}
