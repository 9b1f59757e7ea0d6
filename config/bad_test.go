package config

import (
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestBadConfigs loads each file of testdata/bad (a valid configuration
// with one field wrong in one way) and compares the error with the one in
// testdata/bad/errors.golden, exactly: where it is and what is wrong.
// go test ./config -update rewrites the golden file.
func TestBadConfigs(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "bad", "*.yml"))
	sort.Strings(files)
	var got strings.Builder
	for _, f := range files {
		_, err := Check(f)
		if err == nil {
			t.Errorf("%s loaded without an error", f)
			continue
		}
		msg := strings.ReplaceAll(err.Error(), "\n", `\n`)
		got.WriteString(filepath.Base(f) + ": " + msg + "\n")
		if !strings.Contains(msg, f) {
			t.Errorf("%s: the error does not name the file: %s", f, msg)
		}
	}
	golden := filepath.Join("testdata", "bad", "errors.golden")
	if *update {
		os.WriteFile(golden, []byte(got.String()), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./config -update writes it)", err)
	}
	wantLines, gotLines := strings.Split(string(want), "\n"), strings.Split(got.String(), "\n")
	if len(wantLines) != len(gotLines) {
		t.Fatalf("%d errors, golden has %d", len(gotLines)-1, len(wantLines)-1)
	}
	for i := range wantLines {
		if wantLines[i] != gotLines[i] {
			t.Errorf("got:  %s\nwant: %s", gotLines[i], wantLines[i])
		}
	}
}
