package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/prometheus/common/version"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/inferno-llm/inferno/capacity"
	"github.com/inferno-llm/inferno/config"
	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/prober"
	"github.com/inferno-llm/inferno/render"
	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/result"
	"github.com/inferno-llm/inferno/window"
)

// Exit statuses of inferno run.
const (
	exitOK         = 0
	exitSetup      = 1   // bad flags, unreachable report dir: nothing ran
	exitNoSuccess  = 3   // the window ran but not one request succeeded
	exitReportLost = 4   // the window ran but its report could not be written
	exitAborted    = 130 // interrupted (Ctrl-C, SIGTERM): the report is written as aborted, as a shell reports SIGINT
)

// window builds the window from the command line's target and workload,
// with the builder the daemon's windows use.
func (c *runCommand) window() (*prober.Window, *config.Config, *config.Workload, report.Target, error) {
	base, t, w, err := c.definitions()
	if err != nil {
		return nil, nil, nil, report.Target{}, err
	}
	win, err := window.Build(context.Background(), window.Spec{Target: t, Workload: w, Global: base.Global, MaxInFlight: base.Limits.MaxInFlight})
	if err != nil {
		return nil, nil, nil, report.Target{}, err
	}
	return win, base, w, report.Target{Name: t.Name, URL: report.RedactURL(t.URL), API: win.Target.API.Name(), Model: t.Model}, nil
}

func (c *runCommand) execute(logger *slog.Logger) int {
	if hint := authHeaderHint(c.headers); hint != "" {
		logger.Warn(hint)
	}
	w, base, wl, target, err := c.window()
	if err != nil {
		logger.Error("cannot start the window", "err", err)
		return exitSetup
	}
	if err := os.MkdirAll(c.reportDir, 0o755); err != nil {
		logger.Error("cannot create the report directory", "dir", c.reportDir, "err", err)
		return exitSetup
	}
	started := time.Now()
	id := report.NewRunID(started)
	var perRequest *os.File
	if c.perRequest {
		perRequest, err = os.CreateTemp(c.reportDir, ".requests-*.tmp")
		if err != nil {
			logger.Error("cannot create the per-request file", "dir", c.reportDir, "err", err)
			return exitSetup
		}
		defer os.Remove(perRequest.Name()) // no-op once renamed
	}
	slo := report.SLO{TTFT: wl.SLO.TTFT.D(), TPOT: wl.SLO.TPOT.D(), E2E: wl.SLO.E2E.D()}
	agg := report.NewAggregator(started, slo, writerOrNil(perRequest))
	w.OnStart = agg.SetStart
	w.Progress = &prober.Progress{}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	stopBar := c.showProgress(w, wl.Arrival.Kind == "capacity")
	logger.Info("window starting", "id", id, "url", target.URL, "api", target.API, "model", target.Model, "workload", wl.Name)
	var capResult *report.Capacity
	var info prober.RunInfo
	if wl.Arrival.Kind == "capacity" {
		capResult, info, err = searchCapacity(ctx, logger, w, wl.Arrival, base.Limits.MaxRate, slo, agg.Add)
	} else {
		info, err = w.Run(ctx, agg.Add)
	}
	stopBar()
	if err != nil {
		logger.Error("window could not run", "err", err)
		return exitSetup
	}
	status := report.StatusFinished
	if info.Aborted {
		status = report.StatusAborted
	}
	rep := agg.Report(report.Meta{
		ID: id, Status: status, Trigger: "cli", Version: version.Version,
		StartedAt: started, EndedAt: time.Now(), Target: target, Workload: wl.Name, Seed: wl.Seed,
		Config: c.redactedConfig(wl), Warmup: info.Warmup, WarmupFailed: info.WarmupFailed, DeadlineHit: info.DeadlineHit,
		WorkloadHash: info.WorkloadHash,
	})
	rep.Run.WarmConnections, rep.Run.GraceExpired = info.WarmConnections, info.GraceExpired
	rep.Run.WindowSeconds, rep.Run.GraceSeconds = info.Duration.Seconds(), info.Grace.Seconds()
	rep.Capacity = capResult
	top := report.MarkAllFailed(&rep)
	code := exitOK
	path, err := report.Write(c.reportDir, &rep)
	if err != nil {
		logger.Error("report not written", "err", err)
		code = exitReportLost
	} else if err := render.WriteReport(filepath.Join(c.reportDir, report.HTMLFileName(id)), &rep); err != nil {
		logger.Error("HTML report not written; inferno report render makes it from the JSON", "err", err)
	}
	if perRequest != nil {
		if err := finishPerRequest(perRequest, agg, filepath.Join(c.reportDir, report.RequestsFileName(id))); err != nil {
			logger.Error("per-request file not written", "err", err)
			code = exitReportLost
		}
	}
	printSummary(os.Stdout, &rep, path)
	if code == exitOK && rep.Run.Status == report.StatusAborted {
		// Interrupted: what ran is in the report, the requests cut off as
		// cancelled; the exit status says it did not run to its end.
		logger.Warn("window aborted; the report has what ran, requests in flight as cancelled", "report", path,
			"requests", rep.Summary.Requests, "cancelled", rep.Summary.Outcomes["cancelled"])
		return exitAborted
	}
	if code == exitOK && rep.Summary.Successes == 0 {
		if top != nil {
			logger.Warn("window failed: every request failed", "requests", rep.Summary.Requests, "top_error", top.String(), "top_error_count", top.Count)
		} else {
			logger.Error("no request succeeded", "requests", rep.Summary.Requests)
		}
		code = exitNoSuccess
	}
	return code
}

func writerOrNil(f *os.File) io.Writer {
	if f == nil {
		return nil
	}
	return f
}

func finishPerRequest(f *os.File, agg *report.Aggregator, path string) error {
	if err := agg.PerRequestError(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// redactedConfig records the run's workload as the config schema holds
// it, and where its settings came from, without secrets: the API key
// file's path is kept, header values are not (they often carry tokens).
func (c *runCommand) redactedConfig(w *config.Workload) map[string]any {
	headers := make([]string, 0, len(c.headers))
	for k := range c.headers {
		headers = append(headers, k+"=<secret>")
	}
	cfg := map[string]any{"workload": window.ReportedWorkload(w), "api_key_file": c.apiKeyFile, "headers": headers}
	if c.workloadFile != "" {
		cfg["workload_file"] = c.workloadFile
	}
	return cfg
}

// showProgress draws a bar on stderr while the window runs and returns a
// function that stops it.
func (c *runCommand) showProgress(w *prober.Window, capacitySearch bool) func() {
	if c.progress == "never" || capacitySearch || (c.progress == "auto" && !term.IsTerminal(int(os.Stderr.Fd()))) {
		return func() {}
	}
	total, byTime := int64(w.Requests), false
	if total <= 0 {
		total, byTime = int64(w.Duration.Seconds()), true
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetDescription("window"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	done := make(chan struct{})
	stopped := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(stopped)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				bar.Finish()
				return
			case <-tick.C:
			}
			p := w.Progress
			bar.Describe(fmt.Sprintf("in flight %d, failed %d", p.InFlight.Load(), p.Failed.Load()))
			if byTime {
				bar.Set64(min(total, int64(time.Since(start).Seconds())))
			} else {
				bar.Set64(p.Done.Load())
			}
		}
	}()
	return func() { close(done); <-stopped }
}

func printSummary(out io.Writer, r *report.Report, path string) {
	s := r.Summary
	fmt.Fprintf(out, "\nRun %s (%s): %s %s, model %s\n", r.Run.ID, r.Run.Status, r.Run.Target.API, r.Run.Target.URL, r.Run.Target.Model)
	fmt.Fprintf(out, "Requests %d: %d succeeded, %d failed (%d not sent); duration %.2fs; %.2f req/s\n",
		s.Requests, s.Successes, s.Failures, s.Outcomes[string(result.NotSent)], s.DurationSeconds, s.RPS)
	fmt.Fprintf(out, "Output tokens %d (%.1f tok/s); input tokens %d (requested %d); SLO attainment %.1f%% (%.1f%% from the actual send); goodput %.2f req/s\n",
		s.OutputTokens, s.OutputThroughput, s.InputTokens, s.RequestedInputTokens, 100*s.SLO.Attainment, 100*s.SLO.AttainmentFromSend, s.GoodputRPS)
	if s.ProtocolWarnings > 0 {
		fmt.Fprintf(out, "Protocol warnings %d: streams that ended without [DONE] after a complete answer\n", s.ProtocolWarnings)
	}
	if s.Successes == 0 {
		// A table of zeros would read as a very fast endpoint.
		fmt.Fprintln(out, "No successful request: no latency to report.")
	} else {
		printLatencies(out, r)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(out, "  %5d × %s: %s\n", e.Count, e.Outcome, e.Reason)
	}
	printChecks(out, r)
	if cp := r.Capacity; cp != nil {
		fmt.Fprintf(out, "Capacity: %.2f req/s at %.0f%% SLO attainment (%d steps of %gs)\n",
			cp.RequestsPerSecond, 100*cp.Objective, len(cp.Steps), cp.StepSeconds)
		for _, st := range cp.Steps {
			verdict := "fail"
			if st.Passed {
				verdict = "pass"
			}
			fmt.Fprintf(out, "  %8.2f req/s: %s, attainment %.1f%%, TTFT p95 %.1f ms, %.1f tok/s\n",
				st.Rate, verdict, 100*st.Attainment, 1e3*st.TTFTP95, st.OutputTokensPerSecond)
		}
	}
	if path != "" {
		fmt.Fprintf(out, "Report: %s\n", path)
	}
}

// printChecks shows each check's verdicts and its first failing answer.
func printChecks(out io.Writer, r *report.Report) {
	if r.Summary.ReasoningTokens > 0 {
		fmt.Fprintf(out, "Reasoning tokens %d of %d output tokens\n", r.Summary.ReasoningTokens, r.Summary.OutputTokens)
	}
	for _, name := range r.CheckNames() {
		c := r.Checks[name]
		fmt.Fprintf(out, "Check %s: %d of %d answers passed\n", name, c.Passed, c.Passed+c.Failed)
		if len(c.Examples) > 0 {
			fmt.Fprintf(out, "  failed: %s: %q\n", c.Examples[0].Reason, c.Examples[0].Answer)
		}
	}
}

func printLatencies(out io.Writer, r *report.Report) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "metric (ms)\tmean\tp50\tp90\tp99\tmax\t")
	row := func(name string, st report.Stats) {
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t\n", name, 1e3*st.Mean, 1e3*st.P50, 1e3*st.P90, 1e3*st.P99, 1e3*st.Max)
	}
	row("TTFT", r.Stats.TTFT)
	row("TTFT from schedule", r.Stats.TTFTFromSchedule)
	if r.Summary.ReasoningTokens > 0 {
		// Only a reasoning model's answers tell these apart from the above.
		row("time to first answer", r.Stats.TimeToFirstAnswer)
	}
	row("TPOT", r.Stats.TPOT)
	row("ITL", r.Stats.ITL)
	if r.Summary.ReasoningTokens > 0 {
		row("answer TPOT", r.Stats.AnswerTPOT)
		row("answer ITL", r.Stats.AnswerITL)
	}
	row("E2E latency", r.Stats.Latency)
	row("schedule lag", r.Stats.ScheduleLag)
	tw.Flush()
}

// authHeaderHint is advice for a credential given with --header: on the
// command line it is seen by ps, the shell's history and CI logs, while
// --api-key-file reads it from a file. Empty when no header carries one.
func authHeaderHint(headers map[string]string) string {
	for name := range headers {
		switch strings.ToLower(name) {
		case "authorization", "proxy-authorization", "x-api-key", "api-key":
			return fmt.Sprintf("--header %s=... puts a credential on the command line, where ps and the shell's history see it; "+
				"for a bearer token, write it to a file readable only by you and give --api-key-file FILE instead", name)
		}
	}
	return ""
}

// searchCapacity runs the capacity search with w as each step's window.
func searchCapacity(ctx context.Context, logger *slog.Logger, w *prober.Window, spec dataset.ArrivalSpec, maxRate float64, slo report.SLO,
	sink func(*result.Result)) (*report.Capacity, prober.RunInfo, error) {
	search := &capacity.Search{Spec: spec, SLO: slo, Window: w, MaxRate: maxRate, OnStep: func(st report.CapacityStep) {
		logger.Info("capacity step", "rate", st.Rate, "passed", st.Passed, "attainment", st.Attainment, "ttft_p95", st.TTFTP95)
	}}
	found, info, err := search.Run(ctx, sink)
	if err != nil {
		return nil, info, err
	}
	return &found, info, nil
}
