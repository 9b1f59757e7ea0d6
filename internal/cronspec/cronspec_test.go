package cronspec

import (
	"testing"
	"time"
)

func TestLastNamesTheTickThatFired(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		spec, now, want string
	}{
		{"* * * * * *", "2026-12-05T10:00:01.300Z", "2026-12-05T10:00:01Z"},
		// Fired for 10:00:00 but ran 2.5 s late.
		{"*/15 * * * * *", "2026-12-05T10:00:02.500Z", "2026-12-05T10:00:00Z"},
		{"* * * * *", "2026-12-05T10:00:59.900Z", "2026-12-05T10:00:00Z"},
		// On the tick itself.
		{"*/15 * * * * *", "2026-12-05T10:00:15Z", "2026-12-05T10:00:15Z"},
		// Nothing fired in the last minute (in any time zone): now's second.
		{"0 0 1 1 *", "2026-12-05T10:00:02.500Z", "2026-12-05T10:00:02Z"},
		{"@every 10s", "2026-12-05T10:00:02.500Z", "2026-12-05T10:00:02Z"},
	} {
		sched, err := Parse(tc.spec)
		if err != nil {
			t.Fatalf("%s: %v", tc.spec, err)
		}
		now := at(tc.now).In(time.Local)
		if got := Last(sched, now); !got.Equal(at(tc.want)) {
			t.Errorf("Last(%q, %s) = %s, want %s", tc.spec, tc.now, got.UTC().Format(time.RFC3339Nano), tc.want)
		}
	}
}
