// Package daemon is the long-running exporter: it schedules benchmark
// windows on cron specs, serves /metrics, /probe and the runs API, archives
// reports and reloads its configuration.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"github.com/inferno-llm/inferno/archive"
	"github.com/inferno-llm/inferno/collector"
	"github.com/inferno-llm/inferno/config"
	"github.com/inferno-llm/inferno/daemon/internal/legacyapi"
	"github.com/inferno-llm/inferno/daemon/internal/reports"
	"github.com/inferno-llm/inferno/daemon/internal/slots"
	"github.com/inferno-llm/inferno/internal/cronspec"
	"github.com/inferno-llm/inferno/loadgen"
	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/simulator"
	"github.com/inferno-llm/inferno/window"
)

// Daemon owns the schedules, the windows in flight and the archive.
type Daemon struct {
	logger     *slog.Logger
	configFile string
	registry   *prometheus.Registry
	collector  *collector.Collector

	transport string // the transport policy (SetTransport)

	// reloading is held while a config file is read and applied, and
	// reloadAgain asks for another when it ends (see Reload); loadConfig
	// reads the file (a test may slow it).
	reloading, reloadAgain atomic.Bool
	loadConfig             func(string) (*config.Config, error)

	mu   sync.Mutex // guards cfg, jobs
	cfg  *config.Config
	cron *cron.Cron
	jobs map[string]scheduledJob // by job key
	// scheduled and adhoc split max_concurrent_windows: ad hoc windows
	// (API, old API, /probe) hold at most api_windows slots, so schedules
	// always have the rest.
	scheduled, adhoc *slots.Pool
	// pending counts API runs accepted but waiting for a slot.
	pending atomic.Int64
	running sync.Map // job key → struct{}: overlap protection

	// shard is this replica's place among scaled-out replicas (see Owns).
	shard loadgen.Share
	// perRequest archives requests_<id>.jsonl beside each report.
	perRequest bool

	// windowRunner runs one window; tests replace it to inject failures.
	windowRunner func(context.Context, *windowJob, *Run) *report.Report

	ctx     context.Context // cancelled at shutdown
	stop    context.CancelFunc
	windows sync.WaitGroup
	runs    *runs
	// index lists the archive (opened by Start); pages caches the HTML
	// pages of reports, rendered when asked for.
	index *archive.Index
	pages *archive.Pages
	// startedAt tells the placeholders of an earlier process's windows
	// (interrupted) from this one's.
	startedAt time.Time
	synced    atomic.Bool // the index has been brought in step with the files
	// background holds the archive's sync and retention goroutines.
	background sync.WaitGroup
	legacy     *legacyapi.API
	reports    *reports.Server
	sim        *http.Server
}

// scheduledJob is one (schedule, target) pair on the cron.
type scheduledJob struct {
	entry cron.EntryID
	// fingerprint is the job's timing (cron spec and jitter): a reload
	// re-creates only jobs whose timing moved. Everything else a window
	// uses is read from the config in force when the window starts.
	fingerprint string
}

// New loads the config and prepares the daemon; Start begins scheduling.
func New(configFile string, logger *slog.Logger, registry *prometheus.Registry) (*Daemon, error) {
	cfg, err := config.LoadFile(configFile)
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	d := &Daemon{
		logger:     logger,
		configFile: configFile,
		registry:   registry,
		collector:  collector.New(registry),
		loadConfig: config.LoadFile,
		cfg:        cfg,
		cron:       cron.New(cron.WithParser(cronspec.Parser), cron.WithLocation(time.Local)),
		jobs:       map[string]scheduledJob{},
		scheduled:  slots.New(scheduledShare(cfg.Global)),
		adhoc:      slots.New(cfg.Global.APIWindows),
		ctx:        ctx,
		stop:       stop,
		runs:       newRuns(),
		pages:      archive.NewPages(pagesCacheBytes),
	}
	d.windowRunner = d.runWindow
	if d.reports, err = reports.New(cfg.Global.ReportDir, reportRuns{d}, d.pages); err != nil {
		logger.Warn("cannot read the groups", "err", err)
	}
	d.legacy = legacyapi.New(legacyDaemon{d}, d.reports)
	d.collector.ReloadSuccess.Set(1)
	d.collector.ReloadTimestamp.SetToCurrentTime()
	return d, nil
}

// SetPerRequest makes every archived window also write its per-request
// file, requests_<id>.jsonl, whose request and trace ids are those the
// exemplars on /metrics carry (before Start).
func (d *Daemon) SetPerRequest(on bool) { d.perRequest = on }

// SetTransport sets the transport policy of every window
// (httpclient.TransportFast or TransportStd).
func (d *Daemon) SetTransport(policy string) { d.transport = policy }

// SetShard makes this daemon replica index of count (before Start).
func (d *Daemon) SetShard(index, count int) error {
	s := loadgen.Share{Index: index, Count: count}
	if count < 1 {
		return fmt.Errorf("shard count must be at least 1, got %d", count)
	}
	if err := s.Validate(); err != nil {
		return err
	}
	d.shard = s
	return nil
}

// Owns reports whether this replica runs the schedule's windows of the
// target. Every replica runs a load_share schedule (each its share);
// otherwise a target belongs to the replica its name hashes to, so n
// replicas on one config split the targets without talking to each other.
func (d *Daemon) Owns(s *config.Schedule, target string) bool {
	if d.shard.Count <= 1 || s.LoadShare {
		return true
	}
	return ShardOf(target, d.shard.Count) == d.shard.Index
}

// ShardOf is the replica, of count, that a target's windows run on.
func ShardOf(target string, count int) int {
	h := fnv.New32a()
	h.Write([]byte(target))
	return int(h.Sum32() % uint32(count))
}

// Config returns the config in force.
func (d *Daemon) Config() *config.Config {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg
}

// Start starts the built-in simulator (if configured), loads the archive
// and starts the scheduler.
func (d *Daemon) Start() error {
	cfg := d.Config()
	if s := cfg.Simulator; s != nil {
		if err := d.startSimulator(s); err != nil {
			return err
		}
	}
	d.startedAt = time.Now()
	if n := removeTempFiles(cfg.Global.ReportDir); n > 0 {
		d.logger.Warn("removed temporary files of interrupted writes", "dir", cfg.Global.ReportDir, "files", n)
	}
	if err := d.openArchive(cfg.Global.ReportDir, cfg.Global.ReportIndex); err != nil {
		return err
	}
	d.mu.Lock()
	d.syncJobs(cfg)
	d.mu.Unlock()
	d.cron.Start()
	if cfg.Global.RunOnStart {
		for _, s := range cfg.Schedules {
			for _, t := range s.Targets {
				if d.Owns(s, t) {
					go d.scheduledWindow(s.Name, t, 0)
				}
			}
		}
	}
	d.background.Add(1)
	go func() {
		defer d.background.Done()
		// Retention by count and size needs the whole archive indexed.
		d.syncArchive()
		d.retentionLoop()
	}()
	return nil
}

func (d *Daemon) startSimulator(s *config.Simulator) error {
	ln, err := net.Listen("tcp", s.Listen)
	if err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	sim := simulator.New(simulator.Config{Model: s.Model, TTFT: time.Duration(s.TTFT), ITL: time.Duration(s.ITL),
		Jitter: s.Jitter, MaxConcurrency: s.MaxConcurrency, Seed: s.Seed})
	d.sim = &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go d.sim.Serve(simulator.StampArrivals(d.sim, ln))
	d.logger.Info("built-in simulator listening", "address", ln.Addr().String(), "ttft", time.Duration(s.TTFT), "itl", time.Duration(s.ITL))
	return nil
}

func jobKey(schedule, target string) string { return schedule + "\x00" + target }

// syncJobs makes the cron's entries match cfg: new and changed jobs are
// (re)added, removed ones dropped, unchanged ones left alone. d.mu held.
func (d *Daemon) syncJobs(cfg *config.Config) {
	want := map[string]string{}
	for _, s := range cfg.Schedules {
		for _, t := range s.Targets {
			if d.Owns(s, t) {
				want[jobKey(s.Name, t)] = fmt.Sprintf("%s|%v", s.Cron, s.Jitter)
				d.collector.InitWindows(t, s.Workload)
			}
		}
	}
	for key, job := range d.jobs {
		if want[key] != job.fingerprint {
			d.cron.Remove(job.entry)
			delete(d.jobs, key)
		}
	}
	for _, s := range cfg.Schedules {
		for _, t := range s.Targets {
			key := jobKey(s.Name, t)
			if _, ok := d.jobs[key]; ok || !d.Owns(s, t) {
				continue
			}
			name, target, jitter := s.Name, t, time.Duration(s.Jitter)
			entry := d.cron.Schedule(s.CronSchedule(), cron.FuncJob(func() { d.scheduledWindow(name, target, jitter) }))
			d.jobs[key] = scheduledJob{entry: entry, fingerprint: want[key]}
		}
	}
}

// scheduledWindow runs one scheduled window, unless the previous window of
// the same schedule and target is still running.
func (d *Daemon) scheduledWindow(schedule, targetName string, jitter time.Duration) {
	key := jobKey(schedule, targetName)
	now := time.Now()
	cfg := d.Config()
	s := findSchedule(cfg, schedule)
	if s == nil {
		return // removed by a reload since the tick
	}
	// The tick cron fired for, however late it ran: replicas' clocks agree
	// on it, so it names the window before jitter spreads the starts.
	tick := cronspec.Last(s.CronSchedule(), now)
	t, w := cfg.Target(targetName), cfg.Workload(s.Workload)
	if _, busy := d.running.LoadOrStore(key, struct{}{}); busy {
		d.logger.Warn("window skipped: the previous one is still running", "schedule", schedule, "target", targetName)
		d.collector.WindowSkipped(targetName, w.Name)
		return
	}
	defer d.running.Delete(key)
	if jitter > 0 {
		select {
		case <-time.After(jitterFor(key, time.Now(), jitter)):
		case <-d.ctx.Done():
			return
		}
	}
	job := &windowJob{ID: report.NewRunID(time.Now()), Trigger: "schedule", Target: t, Workload: w,
		Global: cfg.Global, Archive: true, Live: true}
	if s.LoadShare && d.shard.Count > 1 {
		job.Share, job.Tick = d.shard, tick
	}
	d.execute(d.ctx, job)
}

// jitterFor is the delay of a job's window at tick: spread over [0, jitter)
// by the job and the tick's second, so different jobs spread out while
// every replica of a load_share schedule waits the same and their shares
// still start together.
func jitterFor(key string, tick time.Time, jitter time.Duration) time.Duration {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%d", key, tick.Unix())
	return time.Duration(h.Sum64() % uint64(jitter))
}

func findSchedule(cfg *config.Config, name string) *config.Schedule {
	for _, s := range cfg.Schedules {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// scheduledShare is what schedules may hold of max_concurrent_windows.
func scheduledShare(g config.Global) int {
	return max(g.MaxConcurrentWindows-g.APIWindows, 0)
}

// execute registers the run, waits for a slot and runs the window,
// recovering from panics so a bug in one window never kills a schedule.
func (d *Daemon) execute(parent context.Context, job *windowJob) *report.Report {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	// A probe's context is its HTTP request's; shutdown must end it too.
	stop := context.AfterFunc(d.ctx, cancel)
	defer stop()
	run := &Run{id: job.ID, trigger: job.Trigger, target: job.Target.Name, workload: job.Workload.Name,
		created: time.Now(), status: StatusPending, cancel: cancel}
	d.runs.add(run)
	d.windows.Add(1)
	defer d.windows.Done()
	return d.executeRun(ctx, job, run)
}

func (d *Daemon) executeRun(ctx context.Context, job *windowJob, run *Run) (rep *report.Report) {
	pool := d.adhoc
	if job.Trigger == "schedule" {
		pool = d.scheduled
	}
	job.MaxInFlight = d.Config().Limits.MaxInFlight
	acquired := pool.Acquire(ctx)
	if job.pending {
		d.pending.Add(-1)
	}
	if acquired {
		defer pool.Release()
	} else if job.Trigger == "probe" {
		// Its scraper has gone (or the daemon is stopping) before it
		// started: nothing ran, nobody asks, and nothing stays behind.
		d.runs.remove(job.ID)
		return &report.Report{Run: report.Meta{ID: job.ID, Status: report.StatusAborted, Error: "cancelled before it started"}}
	} else {
		r := report.Report{Run: report.Meta{ID: job.ID, Status: report.StatusAborted, Error: "cancelled before it started",
			Trigger: job.Trigger, Target: window.RedactedTarget(job.Target), Workload: job.Workload.Name, StartedAt: time.Now(), EndedAt: time.Now()}}
		if job.Live {
			d.collector.WindowAbortedBeforeStart(job.Target.Name, job.Workload.Name)
		}
		d.finish(job, run, &r)
		return &r
	}
	defer func() {
		if p := recover(); p != nil {
			d.logger.Error("window panicked; the schedule stays alive", "run", job.ID, "panic", p, "stack", string(debug.Stack()))
			r := report.Report{Run: report.Meta{ID: job.ID, Status: report.StatusFailed, Error: fmt.Sprintf("internal error: %v", p),
				Trigger: job.Trigger, Target: window.RedactedTarget(job.Target), Workload: job.Workload.Name}}
			d.finish(job, run, &r)
			rep = &r
		}
	}()
	return d.windowRunner(ctx, job, run)
}

// StartRun starts an ad hoc window in the background (the runs API).
func (d *Daemon) StartRun(t *config.Target, w *config.Workload, trigger string) *Run {
	return d.StartRunWithID(report.NewRunID(time.Now()), t, w, trigger)
}

// StartRunWithID is StartRun with the caller's run id.
func (d *Daemon) StartRunWithID(id string, t *config.Target, w *config.Workload, trigger string) *Run {
	d.pending.Add(1)
	return d.startRun(id, t, w, trigger)
}

// TryStartRun is StartRunWithID for untrusted callers: it answers
// ErrQueueFull instead of queueing beyond limits.max_pending_runs.
func (d *Daemon) TryStartRun(id string, t *config.Target, w *config.Workload, trigger string) (*Run, error) {
	if err := d.reservePending(); err != nil {
		return nil, err
	}
	return d.startRun(id, t, w, trigger), nil
}

// startRun starts a run already counted in d.pending.
func (d *Daemon) startRun(id string, t *config.Target, w *config.Workload, trigger string) *Run {
	cfg := d.Config()
	job := &windowJob{ID: id, Trigger: trigger, Target: t, Workload: w, Global: cfg.Global, Archive: true, pending: true}
	ctx, cancel := context.WithCancel(d.ctx)
	run := &Run{id: job.ID, trigger: trigger, target: t.Name, workload: w.Name, created: time.Now(), status: StatusPending, cancel: cancel}
	d.runs.add(run)
	// On disk before the 202: after a kill -9 the run is listed as
	// aborted, never unknown.
	d.writePlaceholder(job)
	d.windows.Add(1)
	go func() {
		defer d.windows.Done()
		defer cancel()
		d.executeRun(ctx, job, run)
	}()
	return run
}

// ReloadBudget bounds how long a reload may read and check the config
// file; past it the reload fails and the old config stays in force.
var ReloadBudget = 30 * time.Second

// ErrReloadQueued answers a reload asked for while another runs: it runs
// when that one ends, so the newest file is the one applied.
var ErrReloadQueued = errors.New("a reload is running; this one runs when it ends")

// Reload reads the config file again; a bad file leaves the old config in force.
func (d *Daemon) Reload() error {
	// One at a time, so an older read never lands after a newer one; one
	// stuck on a slow file keeps the next waiting instead of piling up.
	if !d.reloading.CompareAndSwap(false, true) {
		d.reloadAgain.Store(true)
		d.logger.Warn("reload asked for while another runs; it runs when that one ends")
		return ErrReloadQueued
	}
	type loaded struct {
		cfg *config.Config
		err error
	}
	done := make(chan loaded, 1)
	go func() {
		cfg, err := d.loadConfig(d.configFile)
		done <- loaded{cfg, err}
	}()
	select {
	case l := <-done:
		defer d.reloaded()
		if l.err != nil {
			d.collector.ReloadSuccess.Set(0)
			d.logger.Error("reload failed; keeping the previous config", "err", l.err)
			return l.err
		}
		d.apply(l.cfg)
		return nil
	case <-time.After(ReloadBudget):
		go func() {
			<-done
			d.reloaded()
		}()
		err := fmt.Errorf("reading %s took longer than %s; keeping the previous config", d.configFile, ReloadBudget)
		d.collector.ReloadSuccess.Set(0)
		d.logger.Error("reload failed", "err", err)
		return err
	}
}

// reloaded releases the reload guard and runs the reload asked for
// meanwhile, if any.
func (d *Daemon) reloaded() {
	d.reloading.Store(false)
	if d.reloadAgain.CompareAndSwap(true, false) {
		go d.Reload()
	}
}

// apply puts a new config in force.
func (d *Daemon) apply(cfg *config.Config) {
	d.mu.Lock()
	old := d.cfg
	d.cfg = cfg
	d.scheduled.Resize(scheduledShare(cfg.Global))
	d.adhoc.Resize(cfg.Global.APIWindows)
	d.syncJobs(cfg)
	d.mu.Unlock()
	d.forgetRemoved(old, cfg)
	d.collector.ReloadSuccess.Set(1)
	d.collector.ReloadTimestamp.SetToCurrentTime()
	d.logger.Info("config reloaded", "file", d.configFile)
}

// forgetRemoved deletes the series of what a reload removed: targets,
// workloads, and the target-workload pairs of removed schedules. Their last
// figures would otherwise stay on /metrics, looking current, forever.
func (d *Daemon) forgetRemoved(old, cfg *config.Config) {
	if old == nil {
		return
	}
	for _, t := range old.Targets {
		if cfg.Target(t.Name) == nil {
			d.collector.Forget(t.Name, "")
		}
	}
	for _, w := range old.Workloads {
		if cfg.Workload(w.Name) == nil {
			d.collector.Forget("", w.Name)
		}
	}
	type pair struct{ target, workload string }
	scheduled := map[pair]bool{}
	for _, s := range cfg.Schedules {
		for _, t := range s.Targets {
			scheduled[pair{t, s.Workload}] = true
		}
	}
	for _, s := range old.Schedules {
		for _, t := range s.Targets {
			if !scheduled[pair{t, s.Workload}] {
				d.collector.Forget(t, s.Workload)
			}
		}
	}
}

// forgetIfGone deletes a finished window's series when the config in
// force no longer schedules its target with its workload.
func (d *Daemon) forgetIfGone(target, workload string) {
	cfg := d.Config()
	switch {
	case cfg.Target(target) == nil:
		d.collector.Forget(target, "")
		return
	case cfg.Workload(workload) == nil:
		d.collector.Forget("", workload)
		return
	}
	for _, s := range cfg.Schedules {
		if s.Workload == workload && slices.Contains(s.Targets, target) {
			return
		}
	}
	d.collector.Forget(target, workload)
}

// Shutdown stops scheduling, cancels windows in flight (their reports are
// written marked aborted) and waits for them up to ctx's deadline.
func (d *Daemon) Shutdown(ctx context.Context) error {
	cronDone := d.cron.Stop()
	d.stop()
	waited := make(chan struct{})
	go func() {
		d.windows.Wait()
		<-cronDone.Done()
		close(waited)
	}()
	var err error
	select {
	case <-waited:
		d.background.Wait()
		if d.index != nil {
			err = d.index.Close()
		}
	case <-ctx.Done():
		// Windows still running would write to a closed index; the
		// process is about to end anyway.
		err = errors.New("windows still running at the shutdown deadline")
	}
	if d.sim != nil {
		d.sim.Close()
	}
	return err
}

// ErrQueueFull is returned when limits.max_pending_runs runs already wait
// for a window slot.
var ErrQueueFull = errors.New("too many runs waiting for a window slot (limits.max_pending_runs); retry later")

// reservePending counts one more run waiting for a slot, unless the queue
// is full. StartRunWithID's window gives it back once it holds a slot or
// is cancelled.
func (d *Daemon) reservePending() error {
	limit := int64(d.Config().Limits.MaxPendingRuns)
	for {
		n := d.pending.Load()
		if n >= limit {
			return ErrQueueFull
		}
		if d.pending.CompareAndSwap(n, n+1) {
			return nil
		}
	}
}
