package report

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// NewRunID returns an id that sorts by start time: UTC to the millisecond,
// then random hex so ids made in the same millisecond do not collide.
func NewRunID(t time.Time) string {
	var b [3]byte
	rand.Read(b[:])
	return t.UTC().Format("20060102T150405.000Z") + "-" + hex.EncodeToString(b[:])
}

var runIDPattern = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._-]{0,127}$`)

// ValidRunID reports whether id is safe to use in a file name: no path
// separators, no leading dot.
func ValidRunID(id string) bool { return runIDPattern.MatchString(id) }

// FileName is the report's name in the archive.
func FileName(id string) string { return "report_" + id + ".json" }

// HTMLFileName is the HTML page's name beside the JSON.
func HTMLFileName(id string) string { return "report_" + id + ".html" }

// RequestsFileName is the per-request JSONL file's name.
func RequestsFileName(id string) string { return "requests_" + id + ".jsonl" }

// Write stores the report as dir/report_<id>.json atomically: readers see
// the old file or the whole new one, never a partial write.
func Write(dir string, r *Report) (string, error) {
	if !ValidRunID(r.Run.ID) {
		return "", fmt.Errorf("write report: invalid run id %q", r.Run.ID)
	}
	path := filepath.Join(dir, FileName(r.Run.ID))
	if err := WriteFile(path, r); err != nil {
		return "", err
	}
	return path, nil
}

// WriteFile stores the report at path atomically.
func WriteFile(path string, r *Report) error {
	r.SchemaVersion = SchemaVersion
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report %s: %w", r.Run.ID, err)
	}
	if err := WriteFileAtomic(path, append(b, '\n')); err != nil {
		return fmt.Errorf("write report %s: %w", r.Run.ID, err)
	}
	return nil
}

// Read loads an archived report.
func Read(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("parse report %s: %w", path, err)
	}
	return &r, nil
}

// WriteFileAtomic writes to a temporary file in the same directory, syncs
// it and renames it over path.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	cleanup := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if _, err := f.Write(data); err != nil {
		return cleanup(err)
	}
	if err := f.Sync(); err != nil {
		return cleanup(err)
	}
	if err := f.Chmod(0o644); err != nil {
		return cleanup(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // make the rename durable; best effort where unsupported
		d.Close()
	}
	return nil
}
