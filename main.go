// Command inferno is a Prometheus exporter and continuous prober for LLM
// serving endpoints. See README.md.
package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

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
	app.Version(version.Print("inferno"))
	app.HelpFlag.Short('h')
	promslogflag.AddFlags(app, logCfg)
	return app, commands{daemon: newDaemonCommand(app), run: newRunCommand(app), simulate: newSimulateCommand(app), report: newReportCommand(app)}
}

// run parses args and executes the chosen command, returning the exit status.
func run(args []string) int {
	logCfg := &promslog.Config{Style: promslog.GoKitStyle}
	app, cmds := newApp(logCfg)
	daemonCmd, runCmd, simCmd, reportCmd := cmds.daemon, cmds.run, cmds.simulate, cmds.report

	cmd, err := app.Parse(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "inferno: %v (see --help)\n", err)
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
