// Package cli is inferno's command line: the daemon, run, simulate and
// report commands, their flags, and the mapping of flags onto the config
// schema. The root package's main only calls Run.
package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
)

// commands are inferno's subcommands.
type commands struct {
	daemon   *daemonCommand
	run      *runCommand
	simulate *simulateCommand
	report   *reportCommand
}

// newApp declares the flags and commands; logging flags are global, every
// other flag is its command's, so each command's help lists only its own.
func newApp(logCfg *promslog.Config) (*kingpin.Application, commands) {
	app := kingpin.New("inferno", "Prometheus exporter and continuous prober for LLM serving endpoints. "+
		"With no command it runs the daemon (inferno --config.file=inferno.yml); `inferno daemon --help` lists its flags, `inferno run --help` the command line's.")
	// Help and version are what was asked for, so they go to stdout.
	app.UsageWriter(stdout)
	app.Version(version.Print("inferno"))
	app.HelpFlag.Short('h')
	promslogflag.AddFlags(app, logCfg)
	return app, commands{daemon: newDaemonCommand(app), run: newRunCommand(app), simulate: newSimulateCommand(app), report: newReportCommand(app)}
}

// stdout and stderr are the CLI's streams (tests replace them).
var (
	stdout io.Writer = os.Stdout
	stderr io.Writer = os.Stderr
)

// peerFlags are the flags users of vllm bench serve and GuideLLM type, and
// Inferno's for the same thing (README: "Coming from vllm bench serve or
// GuideLLM").
var peerFlags = map[string]string{
	"request-rate":       "rate",          // vllm bench serve
	"num-prompts":        "requests",      // vllm bench serve
	"base-url":           "url",           // vllm bench serve
	"dataset-name":       "dataset",       // vllm bench serve
	"random-input-len":   "input-tokens",  // vllm bench serve
	"random-output-len":  "output-tokens", // vllm bench serve
	"random-range-ratio": "length-spread", // vllm bench serve
	"save-result":        "report-dir",    // vllm bench serve
	"result-dir":         "report-dir",    // vllm bench serve
	"goodput":            "slo-ttft",      // vllm bench serve: ttft:ms, tpot:ms, e2el:ms
	"max-seconds":        "duration",      // GuideLLM
	"max-requests":       "requests",      // GuideLLM
	"rate-type":          "arrival",       // GuideLLM: sweep → capacity, constant, poisson, concurrent → concurrency
	"data":               "dataset",       // GuideLLM
	"output-path":        "report-dir",    // GuideLLM
	"warmup-percent":     "warmup",        // GuideLLM
}

var unknownFlag = regexp.MustCompile(`unknown long flag '--([^']+)'`)

// suggestFlag names the flag an unknown one most likely meant: a peer
// tool's flag's counterpart, or the nearest by edit distance.
func suggestFlag(app *kingpin.Application, err error) string {
	m := unknownFlag.FindStringSubmatch(err.Error())
	if m == nil {
		return ""
	}
	name := m[1]
	if ours, ok := peerFlags[name]; ok {
		return fmt.Sprintf("; did you mean --%s? (--%s is vllm bench serve's or GuideLLM's)", ours, name)
	}
	model := app.Model()
	flags := model.Flags
	for _, c := range model.Commands {
		flags = append(flags, c.Flags...)
	}
	best, bestDist := "", max(2, len(name)/3)+1
	for _, f := range flags {
		if d := editDistance(name, f.Name); d < bestDist {
			best, bestDist = f.Name, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean --%s?", best)
}

// editDistance is Levenshtein's, over bytes (flag names are ASCII).
func editDistance(a, b string) int {
	a, b = strings.ToLower(a), strings.ToLower(b)
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// Run parses args and executes the chosen command, returning the exit status.
func Run(args []string) int {
	logCfg := &promslog.Config{Style: promslog.GoKitStyle}
	app, cmds := newApp(logCfg)
	daemonCmd, runCmd, simCmd, reportCmd := cmds.daemon, cmds.run, cmds.simulate, cmds.report

	cmd, err := app.Parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "inferno: %v%s (see --help)\n", err, suggestFlag(app, err))
		return 2
	}
	logger := promslog.New(logCfg)
	slog.SetDefault(logger)
	switch cmd {
	case daemonCmd.cmd.FullCommand():
		tuneGC()
		return daemonCmd.execute(logger)
	case runCmd.cmd.FullCommand():
		tuneGC()
		return runCmd.execute(logger)
	case simCmd.cmd.FullCommand():
		return simCmd.execute(logger)
	case reportCmd.merge.FullCommand():
		return reportCmd.executeMerge()
	case reportCmd.render.FullCommand():
		return reportCmd.executeRender()
	case reportCmd.compare.FullCommand():
		return reportCmd.executeCompare()
	}
	return 0
}
