// Command sweep measures the prober's own accuracy and cost against the
// physical floor. It starts the simulator with known latencies and, per
// level, runs `inferno run` and then bench/floor (a client that only
// timestamps reads) in the same conditions, each as its own process, and
// prints for each: TTFT error p50/p99 (reported minus configured), CPU
// per 1k output tokens and its ratio to the floor's, peak RSS and RSS per
// stream in flight, schedule lag p99 and the achieved send rate.
//
// Where the machine has two cores or more and taskset exists, the
// simulator is pinned to core 0 and the clients to the others, so the
// simulator's work does not land on the measured process's core.
//
// -before REF also builds `inferno` from a git revision of this
// repository (e.g. main) into a temp dir and runs it beside the current
// one, so before and after are measured in one run on one machine state.
//
//	go run ./bench/sweep                               # closed loop, 1 → 4096
//	go run ./bench/sweep -levels 64,1024 -before main  # before beside after
//	go run ./bench/sweep -open -rates 2500,5000 -ttft 5ms -output-tokens 4 -arrival constant
//
// Every run is bounded: requests per level are capped, each process has a
// deadline, and every process the sweep starts is stopped before it exits.
// All traffic goes to the simulator on 127.0.0.1.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/inferno-llm/inferno/report"
)

// maxRequests bounds one level's requests, whatever the flags say.
const maxRequests = 200_000

// runTimeout bounds one client's run.
const runTimeout = 5 * time.Minute

type options struct {
	ttft, itl    time.Duration
	tokens       int
	open         bool
	arrival      string
	simCPU, cpus string // taskset lists; empty when not pinning
}

// row is one client's figures at one level.
type row struct {
	client             string
	requests, failures int
	failure            string
	ttftP50, ttftP99   float64 // seconds, error against the configured TTFT
	lagP99             float64
	sendRate           float64
	cpu                float64 // seconds
	tokens             int64
	maxRSS             int64 // bytes
	// The simulator's own view of the run: its mean TTFT (arrival to
	// first flush) above the configured one, and the share of its core
	// it used. A client's TTFT error beyond the simulator's excess is the
	// client's; the rest was spent before the first token left.
	simExcess, simBusy float64
}

func main() {
	levels := flag.String("levels", "1,4,16,64,256,1024,4096", "closed loop: concurrency levels; open loop: in-flight levels turned into rates (Little's law)")
	rates := flag.String("rates", "", "open loop: arrival rates per second, instead of -levels")
	ttft := flag.Duration("ttft", 200*time.Millisecond, "simulated TTFT")
	itl := flag.Duration("itl", 20*time.Millisecond, "simulated inter-token latency")
	tokens := flag.Int("output-tokens", 32, "output tokens per request")
	perLevel := flag.Int("requests-per-slot", 4, "closed loop: requests per unit of concurrency (at least 64 in all)")
	seconds := flag.Float64("seconds", 4, "open loop: seconds of arrivals per level")
	open := flag.Bool("open", false, "open loop instead of a closed loop")
	arrival := flag.String("arrival", "poisson", "open loop: poisson or constant")
	before := flag.String("before", "", "also run inferno built from this git revision (e.g. main)")
	noFloor := flag.Bool("no-floor", false, "skip bench/floor")
	simProfile := flag.String("sim-cpuprofile", "", "write the simulator's CPU profile over the whole sweep to this file")
	pin := flag.Bool("pin", true, "pin the simulator and the clients to different cores with taskset where possible")
	flag.Parse()
	if *rates != "" {
		*open = true
	}
	if *arrival != "poisson" && *arrival != "constant" {
		check(fmt.Errorf("-arrival must be poisson or constant, got %q", *arrival))
	}

	dir, err := os.MkdirTemp("", "inferno-sweep-")
	check(err)
	defer os.RemoveAll(dir)
	clients := []struct{ name, bin string }{{"inferno", filepath.Join(dir, "inferno")}}
	build(clients[0].bin, ".", ".")
	if *before != "" {
		src := filepath.Join(dir, "before-src")
		check(os.MkdirAll(src, 0o755))
		archive := exec.Command("sh", "-c", `git archive "$1" | tar -x -C "$2"`, "sh", *before, src)
		archive.Stderr = os.Stderr
		check(archive.Run())
		bin := filepath.Join(dir, "inferno-before")
		build(bin, src, ".")
		clients = append(clients, struct{ name, bin string }{"inferno@" + *before, bin})
	}
	floorBin := filepath.Join(dir, "floor")
	if !*noFloor {
		build(floorBin, ".", "./bench/floor")
	}

	o := options{ttft: *ttft, itl: *itl, tokens: *tokens, open: *open, arrival: *arrival}
	if _, err := exec.LookPath("taskset"); err == nil && *pin && runtime.NumCPU() >= 2 {
		o.simCPU, o.cpus = "0", fmt.Sprintf("1-%d", runtime.NumCPU()-1)
	}
	addr := freeAddr()
	simArgs := []string{clients[0].bin, "simulate", "--listen", addr, "--ttft", ttft.String(), "--itl", itl.String(), "--log.level", "warn"}
	if *simProfile != "" {
		simArgs = append(simArgs, "--cpuprofile", *simProfile)
	}
	sim := command(context.Background(), o.simCPU, simArgs...)
	sim.Stderr = os.Stderr
	check(sim.Start())
	stopSim := func() { sim.Process.Signal(syscall.SIGTERM); sim.Wait() }
	defer stopSim()
	// An interrupted sweep still stops the simulator it started.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() { <-sigs; stopSim(); os.RemoveAll(dir); os.Exit(1) }()
	waitListening(addr)

	mode := "closed loop"
	if o.open {
		mode = "open loop, " + o.arrival + " arrivals"
	}
	pinned := "not pinned"
	if o.simCPU != "" {
		pinned = "simulator on core " + o.simCPU + ", clients on cores " + o.cpus
	}
	fmt.Printf("simulator: ttft %v, itl %v, %d output tokens; %s; %d cores, %s\n\n", *ttft, *itl, *tokens, mode, runtime.NumCPU(), pinned)

	// Each client's RSS at rest (one stream, a few requests), so RSS per
	// stream counts only what the streams add.
	// Its CPU then is mostly the process's start-up and report, which
	// the second CPU column takes out so a short level is not dominated
	// by it.
	base := map[string]row{}
	for _, c := range clients {
		base[c.name] = runInferno(c.name, c.bin, addr, filepath.Join(dir, "base-"+c.name), o, 1, 0, 4)
	}
	if !*noFloor {
		base["floor"] = runFloor(floorBin, addr, o, 1, 0, 4)
	}
	for _, c := range append(clients, struct{ name, bin string }{"floor", ""}) {
		if b, ok := base[c.name]; ok {
			fmt.Printf("%s at rest (1 stream, %d requests): %.0f ms CPU, %d MiB peak RSS\n", c.name, b.requests, 1e3*b.cpu, b.maxRSS>>20)
		}
	}
	fmt.Println()
	// marginal is CPU per 1k tokens beyond the run at rest.
	marginal := func(r row) float64 {
		b := base[r.client]
		if r.tokens <= b.tokens {
			return perK(r)
		}
		return max(r.cpu-b.cpu, 0) / float64(r.tokens-b.tokens) * 1000
	}

	fmt.Println("| level | client | requests | failed | TTFT err p50 | TTFT err p99 | lag p99 | send rate /s | CPU ms / 1k tok | less start-up | × floor | peak RSS | RSS / stream | sim TTFT excess (mean) | sim core busy |")
	fmt.Println("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	list := *levels
	if *rates != "" {
		list = *rates
	}
	for _, f := range strings.Split(list, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		check(err)
		var level int
		var rate float64
		var n int
		latency := (*ttft + time.Duration(max(*tokens-1, 0))**itl).Seconds()
		switch {
		case *rates != "":
			rate, level = v, int(v*latency+0.5)
			n = int(v * *seconds)
		case o.open:
			// Little's law: level in flight at ttft + (tokens−1)·itl.
			level, rate = int(v), v/latency
			n = max(64, int(rate**seconds))
		default:
			level = int(v)
			n = max(64, level**perLevel)
		}
		n = min(n, maxRequests)
		var rows []row
		for _, c := range clients {
			watch := observe(sim.Process.Pid, addr)
			r := runInferno(c.name, c.bin, addr, filepath.Join(dir, fmt.Sprintf("%s-%s", c.name, f)), o, level, rate, n)
			r.simExcess, r.simBusy = watch(o.ttft)
			rows = append(rows, r)
		}
		if !*noFloor {
			watch := observe(sim.Process.Pid, addr)
			r := runFloor(floorBin, addr, o, level, rate, n)
			r.simExcess, r.simBusy = watch(o.ttft)
			rows = append(rows, r)
		}
		floorCPU := 0.0
		if !*noFloor {
			floorCPU = marginal(rows[len(rows)-1])
		}
		label := strconv.Itoa(level)
		if rate > 0 {
			label = fmt.Sprintf("%d (%.0f/s)", level, rate)
		}
		for _, r := range rows {
			ratio := "–"
			if floorCPU > 0 && r.client != "floor" {
				ratio = fmt.Sprintf("%.2f", marginal(r)/floorCPU)
			}
			perStream := "–"
			if level > 1 {
				perStream = fmt.Sprintf("%.1f KiB", float64(r.maxRSS-base[r.client].maxRSS)/1024/float64(level))
			}
			fmt.Printf("| %s | %s | %d | %d | %s | %s | %.2f ms | %.0f | %.1f | %.1f | %s | %d MiB | %s | %s | %.0f%% |\n", label, r.client, r.requests, r.failures,
				ms(r.ttftP50), ms(r.ttftP99), 1e3*r.lagP99, r.sendRate, 1e3*perK(r), 1e3*marginal(r), ratio, r.maxRSS>>20, perStream, ms(r.simExcess), 100*r.simBusy)
			if r.failure != "" {
				fmt.Printf("|  | %s: %s |\n", r.client, r.failure)
			}
		}
	}
}

// observe starts watching the simulator (pid, its /metrics) and returns
// a function that gives, for what happened since: its mean server-side
// TTFT minus ttft, and the share of one core it used.
func observe(pid int, addr string) func(ttft time.Duration) (excess, busy float64) {
	cpu0, t0 := procCPU(pid), time.Now()
	sum0, n0 := simTTFT(addr)
	return func(ttft time.Duration) (float64, float64) {
		cpu1, wall := procCPU(pid), time.Since(t0).Seconds()
		sum1, n1 := simTTFT(addr)
		excess := math.NaN()
		if n1 > n0 {
			excess = (sum1-sum0)/(n1-n0) - ttft.Seconds()
		}
		return excess, (cpu1 - cpu0) / wall
	}
}

// procCPU is a process's user and system CPU seconds from /proc (0 where
// there is no /proc).
func procCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ, 100 on Linux
}

// simTTFT reads the simulator's server-side TTFT histogram sum and count.
func simTTFT(addr string) (sum, count float64) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	for _, line := range strings.Split(string(b), "\n") {
		name, rest, _ := strings.Cut(line, " ")
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i]
			_, rest, _ = strings.Cut(line, "} ")
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err != nil {
			continue
		}
		switch name {
		case "vllm:time_to_first_token_seconds_sum":
			sum = v
		case "vllm:time_to_first_token_seconds_count":
			count = v
		}
	}
	return sum, count
}

func perK(r row) float64 {
	if r.tokens == 0 {
		return 0
	}
	return r.cpu / float64(r.tokens) * 1000
}

func ms(v float64) string { return fmt.Sprintf("%+.2f ms", 1e3*v) }

func build(out, dir, pkg string) {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir, cmd.Stderr = dir, os.Stderr
	check(cmd.Run())
}

// command runs argv pinned to cpus when cpus is set.
func command(ctx context.Context, cpus string, argv ...string) *exec.Cmd {
	if cpus != "" {
		argv = append([]string{"taskset", "-c", cpus}, argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	// A run cut by its deadline is stopped, not left behind.
	cmd.Cancel = func() error { return cmd.Process.Kill() }
	return cmd
}

// rusage returns the finished process's CPU seconds and peak RSS. taskset
// execs the client in place, so the rusage is the client's own.
func rusage(cmd *exec.Cmd) (float64, int64) {
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds(), ru.Maxrss * 1024
}

func runInferno(name, bin, addr, reports string, o options, level int, rate float64, n int) row {
	r := row{client: name, requests: n}
	arrival := []string{"--arrival", "concurrency", "--concurrency", strconv.Itoa(level)}
	if rate > 0 {
		arrival = []string{"--arrival", o.arrival, "--rate", fmt.Sprint(rate), "--seed", "1"}
	}
	args := append([]string{bin, "run", "--url", "http://" + addr + "/v1", "--api", "openai-completions", "--model", "sim",
		"--input-tokens", "128", "--output-tokens", strconv.Itoa(o.tokens), "--requests", strconv.Itoa(n),
		"--ignore-eos", "--deadline", runTimeout.String(),
		"--report-dir", reports, "--progress", "never", "--log.level", "error"}, arrival...)
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout+30*time.Second)
	defer cancel()
	cmd := command(ctx, o.cpus, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		r.failure = fmt.Sprintf("run failed: %v", err)
		r.failures = n
		return r
	}
	r.cpu, r.maxRSS = rusage(cmd)
	files, _ := filepath.Glob(filepath.Join(reports, "report_*.json"))
	if len(files) != 1 {
		r.failure = "no report"
		return r
	}
	rep, err := report.Read(files[0])
	check(err)
	s := rep.Stats
	r.requests, r.failures = rep.Summary.Requests, rep.Summary.Failures
	if r.failures > 0 {
		r.failure = fmt.Sprint(rep.Summary.Outcomes)
	}
	r.ttftP50, r.ttftP99 = s.TTFT.P50-o.ttft.Seconds(), s.TTFT.P99-o.ttft.Seconds()
	r.lagP99, r.tokens = s.ScheduleLag.P99, rep.Summary.OutputTokens
	// The samples are every request up to report.MaxSamples, a uniform
	// sample beyond: the span of their sends is the window's, near enough.
	first, last := 0.0, 0.0
	for i, sm := range rep.Samples {
		if i == 0 || sm.Sent < first {
			first = sm.Sent
		}
		last = max(last, sm.Sent)
	}
	if last > first {
		r.sendRate = float64(r.requests-1) / (last - first)
	}
	return r
}

func runFloor(bin, addr string, o options, level int, rate float64, n int) row {
	r := row{client: "floor", requests: n}
	args := []string{bin, "-addr", addr, "-output-tokens", strconv.Itoa(o.tokens), "-requests", strconv.Itoa(n), "-timeout", runTimeout.String()}
	if rate > 0 {
		args = append(args, "-rate", fmt.Sprint(rate))
		if o.arrival == "constant" {
			args = append(args, "-constant")
		}
	} else {
		args = append(args, "-concurrency", strconv.Itoa(level))
	}
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout+30*time.Second)
	defer cancel()
	cmd := command(ctx, o.cpus, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		r.failure = fmt.Sprintf("floor failed: %v", err)
		r.failures = n
		return r
	}
	r.cpu, r.maxRSS = rusage(cmd)
	var s struct {
		Requests   int     `json:"requests"`
		Failures   int     `json:"failures"`
		FirstError string  `json:"first_error"`
		TTFTP50    float64 `json:"ttft_p50_seconds"`
		TTFTP99    float64 `json:"ttft_p99_seconds"`
		LagP99     float64 `json:"schedule_lag_p99_seconds"`
		SendRate   float64 `json:"send_rate"`
	}
	check(json.Unmarshal(out, &s))
	r.requests, r.failures, r.failure = s.Requests, s.Failures, s.FirstError
	r.ttftP50, r.ttftP99 = s.TTFTP50-o.ttft.Seconds(), s.TTFTP99-o.ttft.Seconds()
	r.lagP99, r.sendRate = s.LagP99, s.SendRate
	// The floor parses no usage: every success carried the asked tokens
	// (the simulator ignores EOS when asked).
	r.tokens = int64(s.Requests-s.Failures) * int64(o.tokens)
	return r
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "sweep:", err)
		os.Exit(1)
	}
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer ln.Close()
	return ln.Addr().String()
}

func waitListening(addr string) {
	for range 100 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	check(fmt.Errorf("simulator did not start on %s", addr))
}
