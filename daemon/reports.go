package daemon

// reportRuns is the daemon's runs as the report pages, comparisons and
// groups (package reports) see them.
type reportRuns struct{ d *Daemon }

func (r reportRuns) Report(id string) (path, status string, ok bool) {
	run := r.d.run(id)
	if run == nil {
		return "", "", false
	}
	return run.ReportPath(), run.View().Status, true
}
