package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/promslog"
)

// Help and version go to stdout, as every CLI's do (`inferno --help | less`).
func TestHelpAndVersionOnStdout(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"run", "--help"}, {"--version"}} {
		var out bytes.Buffer
		old := stdout
		stdout = &out
		app, _ := newApp(&promslog.Config{})
		stdout = old
		app.ErrorWriter(&bytes.Buffer{}).Terminate(func(int) {})
		app.Parse(args)
		if out.Len() == 0 {
			t.Errorf("inferno %s wrote nothing to stdout", strings.Join(args, " "))
		}
	}
}

// A flag a vllm bench serve or GuideLLM user types is answered with
// Inferno's, and a typo with the nearest flag.
func TestUnknownFlagSuggestsNearest(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--request-rate", "5"}, "--rate"},
		{[]string{"run", "--num-prompts", "100"}, "--requests"},
		{[]string{"run", "--max-seconds", "30"}, "--duration"},
		{[]string{"run", "--random-input-len", "128"}, "--input-tokens"},
		{[]string{"run", "--duratoin", "5s"}, "--duration"},
		{[]string{"run", "--concurency", "4"}, "--concurrency"},
		{[]string{"--config.fle", "x.yml"}, "--config.file"},
	} {
		var errOut bytes.Buffer
		old := stderr
		stderr = &errOut
		code := Run(tc.args)
		stderr = old
		if code != 2 || !strings.Contains(errOut.String(), "did you mean "+tc.want+"?") {
			t.Errorf("%v: exit %d, %q; want a suggestion of %s", tc.args, code, errOut.String(), tc.want)
		}
	}
}

// Examples spell the binary one way, as installed (`go install .` puts it
// on PATH): a reader copying one example after another should not meet
// ./inferno in one and inferno in the next.
func TestExamplesSpellTheBinaryOnce(t *testing.T) {
	for _, f := range []string{"README.md", "bench/README.md", "Dockerfile"} {
		b, err := os.ReadFile(filepath.Join("..", "..", f))
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "./inferno ") {
				t.Errorf("%s:%d spells the binary ./inferno: %s", f, i+1, line)
			}
		}
	}
}
