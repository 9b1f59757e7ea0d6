// Command sweep measures the prober's own accuracy and cost: it starts the
// simulator with known latencies, runs `inferno run` at rising concurrency,
// and prints, per level, the reported minus configured TTFT and TPOT, the
// schedule lag, the prober's CPU seconds per 1k tokens and its peak RSS.
// The simulator and the prober are separate processes, so the prober's
// rusage is its own.
//
//	go run ./bench/sweep                 # 1 → 4096
//	go run ./bench/sweep -levels 1,64    # a quick look
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/inferno-llm/inferno/report"
)

func main() {
	levels := flag.String("levels", "1,4,16,64,256,1024,4096", "concurrency levels")
	ttft := flag.Duration("ttft", 200*time.Millisecond, "simulated TTFT")
	itl := flag.Duration("itl", 20*time.Millisecond, "simulated inter-token latency")
	tokens := flag.Int("output-tokens", 32, "output tokens per request")
	perLevel := flag.Int("requests-per-slot", 4, "requests per unit of concurrency (at least 64 in all)")
	open := flag.Bool("open", false, "open loop: Poisson arrivals at the rate that keeps the level in flight, instead of a closed loop")
	flag.Parse()

	dir, err := os.MkdirTemp("", "inferno-sweep-")
	check(err)
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "inferno")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	check(build.Run())

	addr := freeAddr()
	sim := exec.Command(bin, "simulate", "--listen", addr, "--ttft", ttft.String(), "--itl", itl.String(), "--log.level", "warn")
	sim.Stderr = os.Stderr
	check(sim.Start())
	defer func() { sim.Process.Signal(syscall.SIGTERM); sim.Wait() }()
	waitListening(addr)

	mode := "closed loop (--arrival concurrency)"
	if *open {
		mode = "open loop (--arrival poisson at concurrency / expected latency)"
	}
	fmt.Printf("simulator: ttft %v, itl %v, %d output tokens; %s; %d cores\n\n", *ttft, *itl, *tokens, mode, runtime.NumCPU())
	fmt.Println("| concurrency | requests | TTFT err p50 | TTFT err p99 | TPOT err p50 | TPOT err p99 | lag p99 | prober CPU s / 1k tok | prober peak RSS |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, f := range strings.Split(*levels, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(f))
		check(err)
		n := max(64, c**perLevel)
		reports := filepath.Join(dir, "c"+f)
		arrival := []string{"--arrival", "concurrency", "--concurrency", strconv.Itoa(c)}
		if *open {
			// Little's law: c in flight at a latency of ttft + (tokens−1)·itl.
			latency := (*ttft + time.Duration(*tokens-1)**itl).Seconds()
			arrival = []string{"--arrival", "poisson", "--rate", fmt.Sprint(float64(c) / latency), "--seed", "1"}
		}
		args := append([]string{"run", "--url", "http://" + addr + "/v1", "--api", "openai-completions", "--model", "sim",
			"--input-tokens", "128", "--output-tokens", strconv.Itoa(*tokens), "--requests", strconv.Itoa(n),
			"--report-dir", reports, "--progress", "never", "--log.level", "error"}, arrival...)
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = nil, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Printf("| %d | %d | run failed: %v |\n", c, n, err)
			continue
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
		files, _ := filepath.Glob(filepath.Join(reports, "report_*.json"))
		if len(files) != 1 {
			fmt.Printf("| %d | %d | no report |\n", c, n)
			continue
		}
		r, err := report.Read(files[0])
		check(err)
		s := r.Stats
		ms := func(v float64) string { return fmt.Sprintf("%+.2f ms", 1e3*v) }
		fmt.Printf("| %d | %d | %s | %s | %s | %s | %.2f ms | %.3f | %d MiB |\n", c, n,
			ms(s.TTFT.P50-ttft.Seconds()), ms(s.TTFT.P99-ttft.Seconds()),
			ms(s.TPOT.P50-itl.Seconds()), ms(s.TPOT.P99-itl.Seconds()),
			1e3*s.ScheduleLag.P99, cpu/float64(r.Summary.OutputTokens)*1000, ru.Maxrss/1024)
		if r.Summary.Failures > 0 {
			fmt.Printf("|  | %d failed: %v |\n", r.Summary.Failures, r.Summary.Outcomes)
		}
	}
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
