package main

import (
	"testing"

	"github.com/alecthomas/kingpin/v2"
)

// parseRunFlags parses `inferno run` args as the command line would.
func parseRunFlags(t *testing.T, args ...string) *runCommand {
	t.Helper()
	app := kingpin.New("inferno", "")
	c := newRunCommand(app)
	if _, err := app.Parse(append([]string{"run"}, args...)); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	return c
}
