package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestVersionFromGitCheckout builds the binary as a user would, with a
// plain `go build` and no -ldflags, in a git clone of this repository, and
// checks that --version and inferno_build_info name the clone's revision.
// (A clone, because Go's vcs stamping needs a .git directory: a worktree's
// .git file, or a tarball, carries no revision.)
func TestVersionFromGitCheckout(t *testing.T) {
	if testing.Short() {
		t.Skip("clones the repository and builds the binary")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	dir := t.TempDir()
	clone := filepath.Join(dir, "src")
	if out, err := exec.Command("git", "clone", "--quiet", "--depth=1", "file://"+strings.TrimSpace(string(top)), clone).CombinedOutput(); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	revOut, err := exec.Command("git", "-C", clone, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	rev := strings.TrimSpace(string(revOut))
	bin := filepath.Join(dir, "inferno")
	// -buildvcs=auto on the command line, over any GOFLAGS default that
	// turns stamping off (this is Go's own default).
	build := exec.Command("go", "build", "-buildvcs=auto", "-o", bin, ".")
	build.Dir = clone
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("--version: %v\n%s", err, out)
	}
	// An untagged clone gets Go's pseudo-version, which ends in the
	// revision's first 12 digits.
	wantVersion := regexp.MustCompile(`version (\S+-` + rev[:12] + `) \(branch: [^,]*, revision: ` + rev + `\)`)
	m := wantVersion.FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("--version of a build at %s:\n%s", rev, out)
	}

	cfgPath, webAddr := filepath.Join(dir, "inferno.yml"), freePort(t)
	os.WriteFile(cfgPath, []byte("global: {report_dir: "+filepath.Join(dir, "reports")+"}\ntargets: []\nworkloads: []\nschedules: []\n"), 0o644)
	startProcess(t, bin, "--config.file", cfgPath, "--web.listen-address", webAddr, "--log.level", "warn")
	want := regexp.MustCompile(`inferno_build_info\{[^}]*revision="` + rev + `"[^}]*version="` + regexp.QuoteMeta(m[1]) + `"\} 1`)
	var metrics string
	waitUntil(t, 30*time.Second, "inferno_build_info", func() bool {
		metrics = fetch("http://" + webAddr + "/metrics")
		return strings.Contains(metrics, "inferno_build_info")
	})
	if !want.MatchString(metrics) {
		t.Errorf("inferno_build_info does not carry version %s and revision %s:\n%s", m[1], rev, grepLines(metrics, "inferno_build_info"))
	}
}

func grepLines(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
