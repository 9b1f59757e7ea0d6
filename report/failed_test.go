package report

import (
	"strings"
	"testing"
)

func TestMarkAllFailed(t *testing.T) {
	errs := []ErrorCount{{Outcome: "http_5xx", Status: 503, Reason: "HTTP 503: overloaded", Count: 7}, {Outcome: "timeout", Reason: "request timeout", Count: 3}}
	for _, tc := range []struct {
		name       string
		status     string
		requests   int
		successes  int
		errors     []ErrorCount
		wantStatus string
		wantError  string // substring; "" for no error
	}{
		{"every request failed", StatusFinished, 10, 0, errs, StatusFailed, "all 10 requests failed; most often (7): http_5xx: HTTP 503: overloaded"},
		{"one success", StatusFinished, 10, 1, errs, StatusFinished, ""},
		{"no request made", StatusFinished, 0, 0, nil, StatusFinished, ""},
		{"aborted stays aborted", StatusAborted, 10, 0, errs, StatusAborted, ""},
		{"no reasons recorded", StatusFinished, 2, 0, nil, StatusFailed, "all 2 requests failed; most often (2): unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := &Report{Run: Meta{Status: tc.status}, Summary: Summary{Requests: tc.requests, Successes: tc.successes}, Errors: tc.errors}
			top := MarkAllFailed(rep)
			if rep.Run.Status != tc.wantStatus {
				t.Errorf("status %s, want %s", rep.Run.Status, tc.wantStatus)
			}
			if tc.wantError == "" {
				if top != nil || rep.Run.Error != "" {
					t.Errorf("marked: top %v, error %q", top, rep.Run.Error)
				}
				return
			}
			if top == nil || !strings.Contains(rep.Run.Error, tc.wantError) {
				t.Errorf("error %q (top %v), want %q", rep.Run.Error, top, tc.wantError)
			}
		})
	}
}
