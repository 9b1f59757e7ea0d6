package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/inferno-llm/inferno/compare"
	"github.com/inferno-llm/inferno/render"
	"github.com/inferno-llm/inferno/report"
)

// reportCommand works on archived JSON reports.
type reportCommand struct {
	merge      *kingpin.CmdClause
	mergeFiles []string
	mergeOut   string
	mergeForce bool

	render     *kingpin.CmdClause
	renderFile string
	renderOut  string

	compare      *kingpin.CmdClause
	compareFiles []string
	compareHTML  string
	compareJSON  bool
}

func newReportCommand(app *kingpin.Application) *reportCommand {
	c := &reportCommand{}
	cmd := app.Command("report", "Work on archived JSON reports.")
	c.merge = cmd.Command("merge", "Merge the reports of replicas that shared a window (a load_share schedule) into the report of the whole window.")
	c.merge.Arg("reports", "report_<id>.json files, one per replica.").Required().ExistingFilesVar(&c.mergeFiles)
	c.merge.Flag("output", "Where to write the merged report (default: report_<new id>.json in the first report's directory).").
		Short('o').StringVar(&c.mergeOut)
	c.merge.Flag("force", "Merge reports that are not the shards of one window (no run.shard, different shard counts or start ticks).").
		BoolVar(&c.mergeForce)
	// The daemon renders pages when asked for; this writes one to keep.
	c.render = cmd.Command("render", "Render an archived JSON report as a self-contained HTML page with charts (alias: html).").Alias("html")
	c.render.Arg("report", "report_<id>.json").Required().ExistingFileVar(&c.renderFile)
	c.render.Flag("output", "Where to write the page (default: report_<id>.html beside the JSON).").Short('o').StringVar(&c.renderOut)
	c.compare = cmd.Command("compare", "Compare reports side by side: headline figures and their differences from the first.")
	c.compare.Arg("reports", "report_<id>.json files; the first is the baseline.").Required().ExistingFilesVar(&c.compareFiles)
	c.compare.Flag("html", "Also write the comparison page, with overlaid charts, to this file.").StringVar(&c.compareHTML)
	c.compare.Flag("json", "Print the comparison as JSON (as GET /api/v1/compare answers) instead of a table.").BoolVar(&c.compareJSON)
	return c
}

func readReports(cmd string, files []string) ([]*report.Report, bool) {
	var reports []*report.Report
	for _, f := range files {
		r, err := report.Read(f)
		if err != nil {
			fmt.Fprintf(os.Stderr, "inferno report %s: %v\n", cmd, err)
			return nil, false
		}
		reports = append(reports, r)
	}
	return reports, true
}

func (c *reportCommand) executeRender() int {
	reports, ok := readReports("render", []string{c.renderFile})
	if !ok {
		return 1
	}
	r := reports[0]
	out := c.renderOut
	if out == "" {
		out = filepath.Join(filepath.Dir(c.renderFile), report.HTMLFileName(r.Run.ID))
	}
	if err := render.WriteReport(out, r); err != nil {
		fmt.Fprintf(os.Stderr, "inferno report render: %v\n", err)
		return 4
	}
	fmt.Println(out)
	return 0
}

func (c *reportCommand) executeCompare() int {
	reports, ok := readReports("compare", c.compareFiles)
	if !ok {
		return 1
	}
	cmp := compare.Reports(reports)
	for _, w := range cmp.Warnings {
		fmt.Fprintf(os.Stderr, "inferno report compare: warning: %s\n", w)
	}
	if c.compareHTML != "" {
		if err := render.WriteComparison(c.compareHTML, cmp); err != nil {
			fmt.Fprintf(os.Stderr, "inferno report compare: %v\n", err)
			return 4
		}
	}
	if c.compareJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(cmp)
		return 0
	}
	printComparison(os.Stdout, cmp)
	return 0
}

// printComparison prints figures as rows and runs as columns, each value
// after the first run's with its relative difference.
func printComparison(w io.Writer, cmp compare.Comparison) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "figure\t")
	for _, r := range cmp.Runs {
		fmt.Fprintf(tw, "%s %s\t", r.Target, r.ID)
	}
	fmt.Fprintln(tw)
	for _, f := range cmp.Figures {
		fmt.Fprintf(tw, "%s\t", f.Label)
		for i, r := range cmp.Runs {
			v, known := r.Values[f.Key]
			cell := fmt.Sprintf("%.4g", v)
			switch {
			case !known:
				cell = "–"
			case f.Unit == "s":
				cell = fmt.Sprintf("%.1f ms", v*1e3)
			}
			if d, ok := r.Relative[f.Key]; ok && i > 0 {
				cell += fmt.Sprintf(" (%+.1f%%)", d*100)
			}
			fmt.Fprintf(tw, "%s\t", cell)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
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
	merged, err := report.MergeWith(id, reports, c.mergeForce)
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
