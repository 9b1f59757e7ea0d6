package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/inferno-llm/inferno/report"
)

// reportCommand works on archived JSON reports.
type reportCommand struct {
	merge      *kingpin.CmdClause
	mergeFiles []string
	mergeOut   string
}

func newReportCommand(app *kingpin.Application) *reportCommand {
	c := &reportCommand{}
	cmd := app.Command("report", "Work on archived JSON reports.")
	c.merge = cmd.Command("merge", "Merge the reports of replicas that shared a window (a load_share schedule) into the report of the whole window.")
	c.merge.Arg("reports", "report_<id>.json files, one per replica.").Required().ExistingFilesVar(&c.mergeFiles)
	c.merge.Flag("output", "Where to write the merged report (default: report_<new id>.json in the first report's directory).").
		Short('o').StringVar(&c.mergeOut)
	return c
}

func (c *reportCommand) executeMerge() int {
	var reports []*report.Report
	for _, f := range c.mergeFiles {
		r, err := report.Read(f)
		if err != nil {
			fmt.Fprintf(os.Stderr, "inferno report merge: %v\n", err)
			return 1
		}
		reports = append(reports, r)
	}
	id := report.NewRunID(time.Now())
	merged, err := report.Merge(id, reports)
	if err != nil {
		fmt.Fprintf(os.Stderr, "inferno report merge: %v\n", err)
		return 1
	}
	if s := reports[0].Run.Shard; s != nil && len(reports) < s.Count {
		fmt.Fprintf(os.Stderr, "inferno report merge: warning: %d of %d shards merged; the window's other shares are missing\n", len(reports), s.Count)
	}
	out := c.mergeOut
	if out == "" {
		out = filepath.Join(filepath.Dir(c.mergeFiles[0]), report.FileName(id))
	}
	if err := report.WriteFile(out, merged); err != nil {
		fmt.Fprintf(os.Stderr, "inferno report merge: %v\n", err)
		return 4
	}
	s := merged.Summary
	fmt.Printf("%s: %d reports, %d requests (%d failed), TTFT p50 %.1f ms p99 %.1f ms, %.1f output tokens/s\n",
		out, len(reports), s.Requests, s.Failures, merged.Stats.TTFT.P50*1e3, merged.Stats.TTFT.P99*1e3, s.OutputThroughput)
	return 0
}
