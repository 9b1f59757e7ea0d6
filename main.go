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

// run parses args and executes the chosen command, returning the exit status.
func run(args []string) int {
	app := kingpin.New("inferno", "Prometheus exporter and continuous prober for LLM serving endpoints. "+
		"With no command it runs the daemon (inferno --config.file=inferno.yml); `inferno daemon --help` lists its flags, `inferno run --help` the command line's.")
	app.Version(version.Print("inferno"))
	app.HelpFlag.Short('h')
	logCfg := &promslog.Config{Style: promslog.GoKitStyle}
	promslogflag.AddFlags(app, logCfg)

	daemonCmd := newDaemonCommand(app)
	runCmd := newRunCommand(app)
	simCmd := newSimulateCommand(app)
	reportCmd := newReportCommand(app)

	cmd, err := app.Parse(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "inferno: %v (see --help)\n", err)
		return 2
	}
	logger := promslog.New(logCfg)
	slog.SetDefault(logger)
	switch cmd {
	case daemonCmd.cmd.FullCommand():
		return daemonCmd.execute(logger)
	case runCmd.cmd.FullCommand():
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
