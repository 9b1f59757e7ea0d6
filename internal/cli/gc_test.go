package cli

import (
	"os"
	"runtime/debug"
	"testing"
)

// The probing commands collect at proberGCPercent unless GOGC says
// otherwise; GOGC=off and GOGC=200 are kept as the runtime read them.
func TestTuneGC(t *testing.T) {
	orig := debug.SetGCPercent(100)
	defer debug.SetGCPercent(orig)
	env, had := os.LookupEnv("GOGC")
	defer func() {
		if had {
			os.Setenv("GOGC", env)
		} else {
			os.Unsetenv("GOGC")
		}
	}()
	for _, tc := range []struct {
		env     string // "" unset
		runtime int    // what the runtime read from GOGC at start-up
		want    int
	}{
		{"", 100, proberGCPercent},
		{"200", 200, 200},
		{"off", -1, -1},
	} {
		if tc.env == "" {
			os.Unsetenv("GOGC")
		} else {
			os.Setenv("GOGC", tc.env)
		}
		debug.SetGCPercent(tc.runtime)
		tuneGC()
		if got := debug.SetGCPercent(100); got != tc.want {
			t.Errorf("GOGC %q: the runtime collects at %d, want %d", tc.env, got, tc.want)
		}
	}
}
