package cli

import (
	"runtime/debug"
	"testing"

	"github.com/prometheus/common/version"
)

func TestStampVersion(t *testing.T) {
	const rev = "0123456789abcdef0123456789abcdef01234567"
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev},
			{Key: "vcs.time", Value: "2026-11-27T17:00:00Z"}, {Key: "vcs.modified", Value: modified}}
	}
	for _, tc := range []struct {
		name                  string
		ldflags               [2]string // version, revision set by -ldflags
		main                  string
		settings              []debug.BuildSetting
		version, revision, at string
	}{
		{name: "tagged checkout", main: "v1.4.0", settings: vcs("false"),
			version: "1.4.0", revision: rev, at: "2026-11-27T17:00:00Z"},
		{name: "untagged, modified", main: "v0.0.0-20261127170000-0123456789ab+dirty", settings: vcs("true"),
			version: "0.0.0-20261127170000-0123456789ab+dirty", revision: rev + "-modified", at: "2026-11-27T17:00:00Z"},
		{name: "no module version, only vcs", main: "(devel)", settings: vcs("false"),
			version: "devel-0123456789ab", revision: rev, at: "2026-11-27T17:00:00Z"},
		{name: "-ldflags win", ldflags: [2]string{"2.0.0", "abc"}, main: "v1.4.0", settings: vcs("true"),
			version: "2.0.0", revision: "abc", at: "2026-11-27T17:00:00Z"},
		{name: "no vcs (go build -buildvcs=false)", main: "(devel)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			saved := [3]string{version.Version, version.Revision, version.BuildDate}
			defer func() { version.Version, version.Revision, version.BuildDate = saved[0], saved[1], saved[2] }()
			version.Version, version.Revision, version.BuildDate = tc.ldflags[0], tc.ldflags[1], ""
			stampVersion(&debug.BuildInfo{Main: debug.Module{Path: "github.com/inferno-llm/inferno", Version: tc.main}, Settings: tc.settings})
			if version.Version != tc.version || version.Revision != tc.revision || version.BuildDate != tc.at {
				t.Errorf("version %q revision %q date %q; want %q %q %q",
					version.Version, version.Revision, version.BuildDate, tc.version, tc.revision, tc.at)
			}
		})
	}
}
