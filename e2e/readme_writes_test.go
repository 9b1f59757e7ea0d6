package e2e

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeWritesUnderReports: every file a README command writes (an
// output flag or a shell redirection) lands under reports/ or a temporary
// directory, and .gitignore covers reports/ and the built binary, so
// following the README leaves a clean checkout.
func TestReadmeWritesUnderReports(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	// Output flags and redirections, in code blocks and inline code alike.
	writes := regexp.MustCompile(`(?:\s(?:-o|--output|--html|--report-dir|--cache-dir|--storage\.tsdb\.path|-out)[ =]|\s\d?>\s?)([^\s'"` + "`" + `)]+)`)
	allowed := []string{"reports", "reports/", "/tmp/", "/dev/null", "$(mktemp", "DIR", "inferno"}
	checked := 0
	for i, line := range strings.Split(string(readme), "\n") {
		for _, m := range writes.FindAllStringSubmatch(line, -1) {
			path := m[1]
			if strings.HasPrefix(path, "&") || regexp.MustCompile(`^[0-9.,]+$`).MatchString(path) { // 2>&1; "> 1" in prose
				continue
			}
			checked++
			ok := false
			for _, a := range allowed {
				ok = ok || path == a || (strings.HasSuffix(a, "/") || strings.HasPrefix(a, "$")) && strings.HasPrefix(path, a)
			}
			if !ok {
				t.Errorf("README.md:%d writes %s, outside reports/ and temporary directories: %s", i+1, path, strings.TrimSpace(line))
			}
		}
	}
	t.Logf("%d writes checked", checked)
	if checked < 5 {
		t.Errorf("found only %d writes in the README; the pattern no longer matches its commands", checked)
	}
	ignore, err := os.ReadFile("../.gitignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"/reports/", "/inferno"} {
		if !strings.Contains("\n"+string(ignore), "\n"+want+"\n") {
			t.Errorf(".gitignore does not cover %s", want)
		}
	}
}
