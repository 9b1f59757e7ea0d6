package report

import "fmt"

// MarkAllFailed turns a finished window in which requests were made and
// none succeeded into a failed one, with its most common error in
// Run.Error, so the report, the runs API, the status page and the CLI all
// say failed: a window of nothing but errors did not measure the endpoint.
// It returns that error, or nil when the report is left as it was (an
// aborted or already failed window, one with a success, or one that made
// no request).
func MarkAllFailed(rep *Report) *ErrorCount {
	if rep.Run.Status != StatusFinished || rep.Summary.Requests == 0 || rep.Summary.Successes > 0 {
		return nil
	}
	top := ErrorCount{Outcome: "unknown", Count: rep.Summary.Requests}
	if len(rep.Errors) > 0 {
		top = rep.Errors[0]
	}
	rep.Run.Status = StatusFailed
	msg := fmt.Sprintf("all %d requests failed; most often (%d): %s", rep.Summary.Requests, top.Count, top)
	if rep.Run.Error != "" {
		msg = rep.Run.Error + "; " + msg
	}
	rep.Run.Error = msg
	return &top
}

// String is the error as one line: outcome and reason (which names the
// HTTP status where there was one), or outcome and status.
func (e ErrorCount) String() string {
	switch {
	case e.Reason != "":
		return e.Outcome + ": " + e.Reason
	case e.Status != 0:
		return fmt.Sprintf("%s: HTTP %d", e.Outcome, e.Status)
	}
	return e.Outcome
}
