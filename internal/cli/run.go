package cli

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

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/inferno-llm/inferno/loadgen"
	"github.com/inferno-llm/inferno/redact"
	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/result"
	"github.com/inferno-llm/inferno/servermetrics"
	"github.com/inferno-llm/inferno/stats"
	"github.com/inferno-llm/inferno/window"
)

// Exit statuses of inferno run (README: "Exit status").
const (
	ExitOK         = 0
	ExitSetup      = 1   // bad flags, unreachable report dir: nothing ran
	ExitNoSuccess  = 3   // the window ran but not one request succeeded
	ExitReportLost = 4   // the window ran but its report could not be written
	ExitAborted    = 130 // interrupted (Ctrl-C, SIGTERM): the report is written as aborted, as a shell reports SIGINT
)

func (c *runCommand) execute(logger *slog.Logger) int {
	if hint := authHeaderHint(c.headers); hint != "" {
		logger.Warn(hint)
	}
	base, t, wl, err := c.definitions()
	if err != nil {
		logger.Error("cannot start the window", "err", err)
		return ExitSetup
	}
	if err := os.MkdirAll(c.reportDir, 0o755); err != nil {
		logger.Error("cannot create the report directory", "dir", c.reportDir, "err", err)
		return ExitSetup
	}
	id := report.NewRunID(time.Now())
	var perRequest *os.File
	if c.perRequest {
		perRequest, err = os.CreateTemp(c.reportDir, ".requests-*.tmp")
		if err != nil {
			logger.Error("cannot create the per-request file", "dir", c.reportDir, "err", err)
			return ExitSetup
		}
		defer os.Remove(perRequest.Name()) // no-op once renamed
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	stopBar := func() {}
	job := window.Job{ID: id, Trigger: "cli", MaxRate: base.Limits.MaxRate, ReportDir: c.reportDir, HTML: true, PerRequest: writerOrNil(perRequest),
		Spec: window.Spec{Target: t, Workload: wl, Global: base.Global, MaxInFlight: base.Limits.MaxInFlight, Transport: c.transport},
		OnBuilt: func(w *loadgen.Window) {
			logger.Info("window starting", "id", id, "url", redact.URL(t.URL), "api", w.Target.API.Name(), "model", t.Model, "workload", wl.Name)
			stopBar = c.showProgress(w, wl.Arrival.Kind == "capacity")
		},
		OnStep: func(st report.CapacityStep) {
			logger.Info("capacity step", "rate", st.Rate, "passed", st.Passed, "attainment", st.Attainment,
				"completed_rate", st.CompletedRate, "reason", st.Reason)
		},
	}
	out := window.Execute(ctx, job)
	stopBar()
	if out.BuildErr != nil {
		logger.Error("cannot start the window", "err", out.BuildErr)
		return ExitSetup
	}
	rep := &out.Report
	for _, n := range out.Notes {
		logger.Warn(n)
	}
	code := ExitOK
	if out.WriteErr != nil {
		logger.Error("report not written in full", "err", out.WriteErr)
		code = ExitReportLost
	}
	if perRequest != nil {
		if err := finishPerRequest(perRequest, filepath.Join(c.reportDir, report.RequestsFileName(id))); err != nil {
			logger.Error("per-request file not written", "err", err)
			code = ExitReportLost
		}
	}
	printSummary(os.Stdout, rep, out.Path)
	if code == ExitOK && rep.Run.Status == report.StatusAborted {
		// Interrupted: what ran is in the report, the requests cut off as
		// cancelled; the exit status says it did not run to its end.
		logger.Warn("window aborted; the report has what ran, requests in flight as cancelled", "report", out.Path,
			"requests", rep.Summary.Requests, "cancelled", rep.Summary.Outcomes["cancelled"])
		return ExitAborted
	}
	if code == ExitOK && rep.Summary.Successes == 0 {
		if top := out.AllFailed; top != nil {
			logger.Warn("window failed: every request failed", "requests", rep.Summary.Requests, "top_error", top.String(), "top_error_count", top.Count)
		} else {
			logger.Error("no request succeeded", "requests", rep.Summary.Requests, "err", rep.Run.Error)
		}
		code = ExitNoSuccess
	}
	return code
}

func writerOrNil(f *os.File) io.Writer {
	if f == nil {
		return nil
	}
	return f
}

func finishPerRequest(f *os.File, path string) error {
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// showProgress draws a bar on stderr while the window runs and returns a
// function that stops it.
func (c *runCommand) showProgress(w *loadgen.Window, capacitySearch bool) func() {
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
	fmt.Fprintf(out, "Requests %d: %d succeeded, %d failed (%d not sent); duration %.2fs; %.2f req/s (%.2f successful)\n",
		s.Requests, s.Successes, s.Failures, s.Outcomes[string(result.NotSent)], s.DurationSeconds, s.RPS, s.SuccessfulRPS)
	if s.Sessions > 0 || s.CutByWindowEnd > 0 {
		// With several turns each, an open loop's rate is sessions'; turns
		// the window's end cut were never due, so are no failures.
		fmt.Fprintf(out, "Sessions: %d sessions (%.2f sessions/s); %d turns cut by the window's end, not counted as requests\n",
			s.Sessions, s.SessionsPerSecond, s.CutByWindowEnd)
	}
	fmt.Fprintf(out, "Output tokens %d (%.1f tok/s); input tokens %d (requested %d); SLO attainment %.1f%% (%.1f%% from the actual send); goodput %.2f req/s\n",
		s.OutputTokens, s.OutputThroughput, s.InputTokens, s.RequestedInputTokens, 100*s.SLO.Attainment, 100*s.SLO.AttainmentFromSend, s.GoodputRPS)
	if ws := r.Run.WarmConnectionSetup; ws != nil {
		fmt.Fprintf(out, "Warm connections %d opened before the window: setup p50 %.2f ms, max %.2f ms\n",
			ws.Count, 1e3*ws.P50, 1e3*ws.Max)
	}
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
	printServer(out, r.Server)
	printChecks(out, r)
	printMixes(out, r)
	if cp := r.Capacity; cp != nil {
		fmt.Fprintf(out, "Capacity: %s at %.0f%% SLO attainment, sustained (%d steps of %gs)\n",
			capacityText(cp), 100*cp.Objective, len(cp.Steps), cp.StepSeconds)
		for _, st := range cp.Steps {
			verdict := "pass"
			if !st.Passed {
				verdict = "fail: " + st.Reason
			}
			ttft := "–"
			if st.TTFTP95 > 0 {
				ttft = fmt.Sprintf("%.1f ms", 1e3*st.TTFTP95)
			}
			fmt.Fprintf(out, "  %8.2f req/s: attainment %.1f%%, completed %.2f req/s, TTFT p95 %s, %.1f tok/s; %s\n",
				st.Rate, 100*st.Attainment, st.CompletedRate, ttft, st.OutputTokensPerSecond, verdict)
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
	row := func(name string, st stats.Stats) {
		if st.Count == 0 {
			// No values (TPOT of one-token answers): 0.00 would read as fast.
			fmt.Fprintf(tw, "%s\t–\t–\t–\t–\t–\t\n", name)
			return
		}
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

// printServer prints the server's view of the window beside the client's.
func printServer(out io.Writer, s *servermetrics.Summary) {
	if s == nil {
		return
	}
	server := s.Server
	if server == "" {
		server = "unknown server"
	}
	fmt.Fprintf(out, "Server view (%s, %s; %d scrapes):\n", server, s.URL, s.Scrapes)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	rows := 0
	row := func(name string, mean, p50, p95 float64) {
		if rows == 0 {
			fmt.Fprintln(tw, "metric (ms)\tmean\tp50\tp95\t")
		}
		rows++
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t\n", name, 1e3*mean, 1e3*p50, 1e3*p95)
	}
	if l := s.TTFT; l != nil {
		row("server TTFT", l.Mean, l.P50, l.P95)
	}
	if o := s.ClientOverhead; o != nil {
		row("client overhead", o.Mean, o.P50, o.P95)
	}
	if l := s.Queue; l != nil {
		row("server queue", l.Mean, l.P50, l.P95)
	}
	if l := s.E2E; l != nil {
		row("server E2E", l.Mean, l.P50, l.P95)
	}
	tw.Flush()
	var parts []string
	for _, g := range []struct {
		name  string
		g     *servermetrics.Gauge
		scale float64
		unit  string
	}{{"waiting", s.Waiting, 1, ""}, {"running", s.Running, 1, ""}, {"KV cache", s.KVCache, 100, "%"}} {
		if g.g != nil {
			parts = append(parts, fmt.Sprintf("%s max %.4g%s (mean %.3g%s)", g.name, g.scale*g.g.Max, g.unit, g.scale*g.g.Mean, g.unit))
		}
	}
	if h := s.PrefixCacheHitRatio; h != nil {
		parts = append(parts, fmt.Sprintf("prefix cache hits %.1f%%", 100**h))
	}
	if s.Requests != nil && s.OtherRequests != nil {
		parts = append(parts, fmt.Sprintf("requests %.0f (Inferno's %d, others' %.0f)", *s.Requests, s.InfernoRequests, *s.OtherRequests))
	}
	if len(parts) > 0 {
		fmt.Fprintf(out, "  %s\n", strings.Join(parts, "; "))
	}
	for _, n := range s.Notes {
		fmt.Fprintf(out, "  note: %s\n", n)
	}
}

// capacityText is a search's result as a reader should take it: a search
// that never failed a step above its rate found only a lower bound.
func capacityText(cp *report.Capacity) string {
	switch {
	case cp.Bracketed:
		return fmt.Sprintf("%.2f req/s", cp.RequestsPerSecond)
	case cp.RequestsPerSecond > 0:
		return fmt.Sprintf("at least %.2f req/s (no step failed above it)", cp.RequestsPerSecond)
	}
	return "none (no step passed)"
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
