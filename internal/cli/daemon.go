package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/inferno-llm/inferno/config"
	"github.com/inferno-llm/inferno/daemon"
	"github.com/inferno-llm/inferno/internal/httpclient"
)

// shutdownGrace bounds how long windows in flight may take to write their
// aborted reports after SIGTERM.
const shutdownGrace = 15 * time.Second

type daemonCommand struct {
	cmd        *kingpin.CmdClause
	configFile string
	check      bool
	web        *web.FlagConfig
	perRequest bool
	shardIndex int
	shardCount int
	transport  string
}

func newDaemonCommand(app *kingpin.Application) *daemonCommand {
	c := &daemonCommand{}
	c.cmd = app.Command("daemon", "Run the exporter: scheduled windows, /metrics, /probe and the runs API (the default command).").Default()
	// The daemon's flags are its command's, so `inferno run --help` does
	// not list them; as the default command it still takes them with no
	// command named (inferno --config.file=inferno.yml).
	c.cmd.Flag("config.file", "Inferno configuration file.").Default("inferno.yml").StringVar(&c.configFile)
	c.cmd.Flag("config.check", "Validate the configuration file and exit.").BoolVar(&c.check)
	c.cmd.Flag("prober.transport", "HTTP transport: fast (a streaming HTTP/1.1 transport for plain-HTTP targets, tuned net/http for the rest) or std (prometheus/common's net/http client for every target).").
		Default(httpclient.TransportFast).EnumVar(&c.transport, httpclient.TransportFast, httpclient.TransportStd)
	c.cmd.Flag("shard.count", "Replicas sharing one configuration: each runs the targets whose names hash to it, and its share of load_share schedules.").
		Default("1").IntVar(&c.shardCount)
	c.cmd.Flag("shard.index", "This replica's index, from 0 (default: the StatefulSet ordinal at the end of the hostname).").
		Default("-1").IntVar(&c.shardIndex)
	c.cmd.Flag("reports.per-request", "Also archive requests_<id>.jsonl beside each report: one line per request, with the request_id and trace_id its exemplars carry.").BoolVar(&c.perRequest)
	c.web = kingpinflag.AddFlags(c.cmd, ":9471")
	return c
}

func (c *daemonCommand) execute(logger *slog.Logger) int {
	if c.check {
		if _, err := config.Check(c.configFile); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("%s is valid\n", c.configFile)
		return 0
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(versioncollector.NewCollector("inferno"),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d, err := daemon.New(c.configFile, logger, registry)
	if err != nil {
		logger.Error("cannot load the configuration", "err", err)
		return 1
	}
	d.SetPerRequest(c.perRequest)
	index, err := shardIndex(c.shardIndex, c.shardCount, os.Hostname)
	if err == nil {
		err = d.SetShard(index, c.shardCount)
	}
	if err != nil {
		logger.Error("cannot place this replica", "err", err)
		return 1
	}
	d.SetTransport(c.transport)
	if c.shardCount > 1 {
		logger.Info("scaled out", "shard.index", index, "shard.count", c.shardCount)
	}
	// Bind before the first window: a daemon that cannot serve must not
	// run windows nobody can see, and must say so with exit 1.
	var listeners []net.Listener
	systemd := c.web.WebSystemdSocket != nil && *c.web.WebSystemdSocket
	if !systemd {
		listeners, err = listen(c.web)
	}
	if err != nil {
		logger.Error("cannot listen", "err", err)
		return 1
	}
	if err := d.Start(); err != nil {
		for _, l := range listeners {
			l.Close()
		}
		logger.Error("cannot start", "err", err)
		return 1
	}
	logger.Info("inferno starting", "version", version.Info(), "config", c.configFile)

	server := daemon.NewServer(d.Handler())
	for i, l := range listeners {
		listeners[i] = daemon.LimitListener(l)
	}
	serveErr := make(chan error, 1)
	go func() {
		if systemd {
			serveErr <- web.ListenAndServe(server, c.web, logger)
			return
		}
		serveErr <- web.ServeMultiple(listeners, server, c.web, logger)
	}()

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(signals)
	code := 0
loop:
	for {
		select {
		case sig := <-signals:
			if sig == syscall.SIGHUP {
				// Off the signal loop, so a slow or hostile file never
				// delays shutdown; Reload logs and counts its own failure.
				go d.Reload()
				continue
			}
			logger.Info("shutting down: cancelling windows in flight", "signal", sig.String())
			break loop
		case err := <-serveErr:
			if !errors.Is(err, http.ErrServerClosed) {
				logger.Error("http server stopped", "err", err)
				code = 1
			}
			break loop
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := d.Shutdown(ctx); err != nil {
		logger.Error("shutdown incomplete", "err", err)
		code = 1
	}
	server.Shutdown(ctx)
	return code
}

// listen binds every --web.listen-address.
func listen(flags *web.FlagConfig) ([]net.Listener, error) {
	var listeners []net.Listener
	for _, addr := range *flags.WebListenAddresses {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			return nil, err
		}
		listeners = append(listeners, l)
	}
	return listeners, nil
}

// statefulSetOrdinal is the ordinal a StatefulSet puts at the end of each
// pod's hostname (inferno-0, inferno-1, ...).
var statefulSetOrdinal = regexp.MustCompile(`-([0-9]+)$`)

// shardIndex is --shard.index, or with it unset the hostname's ordinal.
func shardIndex(flag, count int, hostname func() (string, error)) (int, error) {
	if flag >= 0 || count <= 1 {
		return max(flag, 0), nil
	}
	host, err := hostname()
	if err != nil {
		return 0, fmt.Errorf("--shard.index not set and no hostname: %w", err)
	}
	m := statefulSetOrdinal.FindStringSubmatch(host)
	if m == nil {
		return 0, fmt.Errorf("--shard.index not set and hostname %q does not end in a StatefulSet ordinal (-0, -1, ...)", host)
	}
	return strconv.Atoi(m[1])
}
