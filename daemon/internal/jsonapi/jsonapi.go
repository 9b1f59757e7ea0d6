// Package jsonapi is how the daemon's HTTP APIs speak JSON: answers and
// errors written one way, request bodies bounded and read strictly, and
// errors that carry the status they answer with.
package jsonapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// MaxBody bounds request bodies of routes that take no definitions (API
// bodies with definitions are bounded by limits.max_body_bytes).
const MaxBody = 1 << 20

// Write answers with v as indented JSON.
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// WriteError answers with {"error": "..."}.
func WriteError(w http.ResponseWriter, status int, format string, args ...any) {
	Write(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

// StatusError carries the HTTP status an error should answer with.
type StatusError struct {
	Status int
	Err    error
}

func (e StatusError) Error() string { return e.Err.Error() }

// Errorf is an error that answers with status.
func Errorf(status int, format string, args ...any) error {
	return StatusError{status, fmt.Errorf(format, args...)}
}

// WithStatus makes err answer with status.
func WithStatus(status int, err error) error { return StatusError{status, err} }

// StatusOf is the status err answers with: 500 unless it carries one.
func StatusOf(err error) int {
	var es StatusError
	if errors.As(err, &es) {
		return es.Status
	}
	return http.StatusInternalServerError
}

// Decode reads a JSON body of at most MaxBody bytes into v, refusing
// unknown fields; its error answers 400.
func Decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return StatusError{http.StatusBadRequest, fmt.Errorf("request body: %v", BodyError(err))}
	}
	return nil
}
