package cli

import (
	"runtime/debug"
	"strings"

	"github.com/prometheus/common/version"
)

// A binary built with a plain `go build` from a git checkout carries its
// module version and VCS revision in its build information (Go's vcs
// stamping). Release builds set the same fields with -ldflags, which win;
// without either, version and revision would be empty on --version, in
// inferno_build_info and in every report's inferno_version.
func init() {
	if info, ok := debug.ReadBuildInfo(); ok {
		stampVersion(info)
	}
}

// stampVersion fills the version, revision and build date that -ldflags
// left empty from info.
func stampVersion(info *debug.BuildInfo) {
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if version.Version == "" {
		// Go derives the main module's version from the checkout's tag, or
		// a pseudo-version (v0.0.0-time-revision, +dirty if modified) when
		// HEAD is not tagged; "(devel)" means it knew neither.
		if v := info.Main.Version; v != "" && v != "(devel)" {
			version.Version = strings.TrimPrefix(v, "v")
		} else if rev := settings["vcs.revision"]; rev != "" {
			version.Version = "devel-" + shortRevision(rev)
		}
	}
	if version.Revision == "" && settings["vcs.revision"] != "" {
		version.Revision = settings["vcs.revision"]
		if settings["vcs.modified"] == "true" {
			version.Revision += "-modified"
		}
	}
	if version.BuildDate == "" {
		version.BuildDate = settings["vcs.time"]
	}
}

func shortRevision(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}
