package main

import (
	"bytes"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// maxPackageLines is the most non-test Go a package may hold: past it, a
// package has more than one job and a newcomer loses time finding which
// file holds which (README: "Layout").
const maxPackageLines = 2000

// maxRootFiles is how many non-test Go files the root may hold: main.go
// and at most two small companions; the commands live in internal/cli.
const maxRootFiles = 3

// packageSize is the non-test Go of one directory.
type packageSize struct{ files, lines int }

// packageSources sizes each directory holding Go.
func packageSources(t *testing.T) map[string]packageSize {
	t.Helper()
	pkgs := map[string]packageSize{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dir := filepath.Dir(path)
		size := pkgs[dir]
		size.files++
		size.lines += bytes.Count(b, []byte("\n"))
		pkgs[dir] = size
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func TestPackagesHoldOneJob(t *testing.T) {
	pkgs := packageSources(t)
	for _, dir := range slices.Sorted(maps.Keys(pkgs)) {
		if n := pkgs[dir].lines; n > maxPackageLines {
			t.Errorf("%s holds %d lines of non-test Go, more than %d: split it by job", dir, n, maxPackageLines)
		}
	}
	if n := pkgs["."].files; n > maxRootFiles {
		t.Errorf("the root holds %d non-test Go files, more than %d: commands belong in internal/cli", n, maxRootFiles)
	}
}

// TestMachineryIsInternal: the HTTP transports and the JSON scanner are
// the prober's machinery, not an API; a package whose name says it is one
// of them must sit under internal/.
func TestMachineryIsInternal(t *testing.T) {
	machinery := regexp.MustCompile(`(^|/)(h1|transport|transports|jsonscan|scan|scanner)(/|$)`)
	for dir := range packageSources(t) {
		slash := filepath.ToSlash(dir)
		if machinery.MatchString(slash) && !strings.HasPrefix(slash, "internal/") && !strings.Contains(slash, "/internal/") {
			t.Errorf("%s is public: move it under internal/", slash)
		}
	}
}

// TestLayoutTableMatchesTree: README's layout table names every package
// directory, and no directory that is gone.
func TestLayoutTableMatchesTree(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(readme), "\n## Layout\n")
	if !ok {
		t.Fatal("README.md has no ## Layout section")
	}
	if end := strings.Index(table, "\n## "); end >= 0 {
		table = table[:end]
	}
	// Every package is named somewhere in the table (a row's path, or a
	// row's text for a sub-package); every row's directory exists.
	named := map[string]bool{}
	for _, m := range regexp.MustCompile("`([a-z0-9_][a-z0-9_./-]*?)/?`").FindAllStringSubmatch(table, -1) {
		named[m[1]] = true
	}
	for dir := range packageSources(t) {
		if slash := filepath.ToSlash(dir); dir != "." && !named[slash] {
			t.Errorf("README's layout table does not name %s/", slash)
		}
	}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z0-9_./-]+)/`").FindAllStringSubmatch(table, -1) {
		if fi, err := os.Stat(m[1]); err != nil || !fi.IsDir() {
			t.Errorf("README's layout table has a row for %s/, which is not in the tree", m[1])
		}
	}
}
