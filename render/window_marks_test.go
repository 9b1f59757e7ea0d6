package render

import (
	"bytes"
	"strings"
	"testing"
)

// The timeline marks the end of the window's duration, and the end of
// its grace when the window ran into it; unsent arrivals get a series.
func TestTimelineMarksDurationAndGrace(t *testing.T) {
	tests := []struct {
		name           string
		window, grace  float64
		expired        bool
		notSent        int64
		want, wantNone []string
	}{
		{name: "requests only", wantNone: []string{"duration ends", "grace ends", "not sent (when due)"}},
		{name: "grace not reached", window: 5, grace: 30, want: []string{"duration ends (grace 30.000 s)"}, wantNone: []string{"grace ends:"}},
		{name: "grace ran out", window: 5, grace: 2, expired: true, notSent: 3,
			want: []string{"duration ends (grace 2.000 s)", "grace ends: the rest cancelled", "not sent (when due)", "3 of them not sent"}},
		{name: "no grace", window: 5, want: []string{"duration ends (no grace)"}, wantNone: []string{"grace ends"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := sampleReport(t)
			rep.Run.WindowSeconds, rep.Run.GraceSeconds, rep.Run.GraceExpired = tt.window, tt.grace, tt.expired
			if tt.notSent > 0 {
				rep.Timeline[1].NotSent = tt.notSent
				rep.Summary.Outcomes["not_sent"] = int(tt.notSent)
			}
			var marks []Mark
			for _, c := range ReportCharts(rep) {
				if c.ID == "requests" {
					marks = c.Marks
				}
			}
			if tt.window > 0 && (len(marks) == 0 || marks[0].X != tt.window) {
				t.Errorf("marks %+v, want the duration's end at %v", marks, tt.window)
			}
			if tt.expired && (len(marks) != 2 || marks[1].X != tt.window+tt.grace) {
				t.Errorf("marks %+v, want the grace's end at %v", marks, tt.window+tt.grace)
			}
			var buf bytes.Buffer
			if err := Report(&buf, rep); err != nil {
				t.Fatal(err)
			}
			page := buf.String()
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range tt.wantNone {
				if strings.Contains(page, w) {
					t.Errorf("page has %q", w)
				}
			}
		})
	}
}
