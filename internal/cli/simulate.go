package cli

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/inferno-llm/inferno/simulator"
)

type simulateCommand struct {
	cmd        *kingpin.CmdClause
	listen     string
	cpuProfile string
	cfg        simulator.Config
}

func newSimulateCommand(app *kingpin.Application) *simulateCommand {
	c := &simulateCommand{}
	c.cmd = app.Command("simulate", "Serve a deterministic streaming LLM endpoint (OpenAI, TGI, Triton) with set latencies.")
	c.cmd.Flag("listen", "Address to listen on.").Default("127.0.0.1:8000").StringVar(&c.listen)
	c.cmd.Flag("model", "Model name the simulator reports.").Default("sim").StringVar(&c.cfg.Model)
	c.cmd.Flag("ttft", "Time to first token, from the request's arrival on the socket (or the end of its wait for a --max-concurrency slot).").Default("200ms").DurationVar(&c.cfg.TTFT)
	c.cmd.Flag("itl", "Time between tokens.").Default("20ms").DurationVar(&c.cfg.ITL)
	c.cmd.Flag("stream-interval", "Tokens per stream event after the first, as vLLM's --stream-interval (1: one token per event).").Default("1").IntVar(&c.cfg.StreamInterval)
	c.cmd.Flag("jitter", "Spread of each TTFT and ITL, as a fraction (0.1 = ±10%).").Default("0").Float64Var(&c.cfg.Jitter)
	c.cmd.Flag("max-concurrency", "Requests processed at once; the rest queue (0: no limit).").Default("0").IntVar(&c.cfg.MaxConcurrency)
	c.cmd.Flag("kv-cache-tokens", "Size of the simulated KV cache in tokens: vllm:kv_cache_usage_perc is the running requests' tokens over it.").Default("65536").IntVar(&c.cfg.KVCacheTokens)
	c.cmd.Flag("default-max-tokens", "Output length when a request sets none.").Default("128").IntVar(&c.cfg.DefaultMaxTokens)
	c.cmd.Flag("reasoning-tokens", "Reasoning tokens opening every answer (reasoning_content deltas in chat, an inlined <think> span elsewhere), within max_tokens.").Default("0").IntVar(&c.cfg.ReasoningTokens)
	c.cmd.Flag("embed-per-token", "Latency of /v1/embeddings and /v1/rerank per input token (0: "+simulator.DefaultEmbedPerToken.String()+").").Default("0").DurationVar(&c.cfg.EmbedPerToken)
	c.cmd.Flag("image-prefill", "Time to first token added per image in a chat prompt (0: "+simulator.DefaultImagePrefill.String()+").").Default("0").DurationVar(&c.cfg.ImagePrefill)
	c.cmd.Flag("eos-rate", "Share of requests that stop early unless they set ignore_eos.").Default("0").Float64Var(&c.cfg.EOSRate)
	c.cmd.Flag("seed", "Seed for jitter, early stops and faults.").Default("0").Uint64Var(&c.cfg.Seed)
	c.cmd.Flag("fault", "Fault to inject: "+strings.Join(simulator.Faults, ", ")+".").Default("").EnumVar(&c.cfg.Fault,
		append([]string{""}, simulator.Faults...)...)
	c.cmd.Flag("retry-after", "Retry-After header of --fault=status answers.").StringVar(&c.cfg.RetryAfter)
	c.cmd.Flag("fault-rate", "Share of requests that get the fault (default 1 when --fault is set).").Default("0").Float64Var(&c.cfg.FaultRate)
	c.cmd.Flag("fault-status", "HTTP status for --fault=status.").Default("500").IntVar(&c.cfg.FaultStatus)
	// Hidden: for profiling the simulator under the benchmark's load
	// (bench/sweep -sim-cpuprofile), not an operator's setting.
	c.cmd.Flag("cpuprofile", "Write a CPU profile of the whole run to this file.").Hidden().StringVar(&c.cpuProfile)
	return c
}

func (c *simulateCommand) execute(logger *slog.Logger) int {
	if err := c.cfg.Validate(); err != nil {
		logger.Error("invalid simulator flags", "err", err)
		return 2
	}
	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		logger.Error("cannot listen", "address", c.listen, "err", err)
		return 1
	}
	if c.cpuProfile != "" {
		f, err := os.Create(c.cpuProfile)
		if err != nil {
			logger.Error("cannot create the CPU profile", "file", c.cpuProfile, "err", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			logger.Error("cannot start the CPU profile", "file", c.cpuProfile, "err", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{Handler: simulator.New(c.cfg), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	logger.Info("simulator listening", "address", ln.Addr().String(), "ttft", c.cfg.TTFT, "itl", c.cfg.ITL,
		"max_concurrency", c.cfg.MaxConcurrency, "fault", c.cfg.Fault)
	// TTFT runs from each request's arrival on the socket, so the
	// simulator's own queue under a burst counts in it (simulator.StampArrivals).
	if err := srv.Serve(simulator.StampArrivals(srv, ln)); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("simulator stopped", "err", err)
		return 1
	}
	return 0
}
