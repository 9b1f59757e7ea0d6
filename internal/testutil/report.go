package testutil

import (
	"path/filepath"
	"testing"

	"github.com/inferno-llm/inferno/report"
)

// OnlyReport reads the one report a run wrote into dir, failing the test
// when there is none or more than one.
func OnlyReport(t testing.TB, dir string) *report.Report {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "report_*.json"))
	if len(files) != 1 {
		t.Fatalf("%d reports in %s, want 1", len(files), dir)
	}
	r, err := report.Read(files[0])
	if err != nil {
		t.Fatal(err)
	}
	return r
}
