package report

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/inferno-llm/inferno/result"
	"github.com/inferno-llm/inferno/stats"
)

// Merge combines the reports of replicas that drove one window together
// (each ran its share of the schedule, see loadgen.Share) into the report
// one instance would have written for the whole window:
//   - counts, token totals, outcomes, SLO hits and failure reasons add up;
//   - rates are recomputed over the union's span (first send to last end);
//   - the timelines add up second by second, aligned on wall-clock time;
//   - each statistic's count, mean, deviation, minimum and maximum are
//     exact; its percentiles come from the summed HdrHistograms, within
//     0.1% of the exact value.
//
// The reports must be of one target and workload, and distinct shards of
// one load_share window: the same shard count and start tick.
func Merge(id string, reports []*Report) (*Report, error) { return MergeWith(id, reports, false) }

// MergeWith is Merge; force accepts reports that are not shards of one
// window (consecutive windows, say), whose union's rates then span the
// gaps between them.
func MergeWith(id string, reports []*Report, force bool) (*Report, error) {
	if len(reports) == 0 {
		return nil, errors.New("no reports to merge")
	}
	if err := checkMergeable(reports, force); err != nil {
		return nil, err
	}
	first := reports[0]
	out := &Report{SchemaVersion: SchemaVersion, Run: Meta{
		ID: id, Status: StatusFinished, Trigger: "merge", Version: first.Run.Version,
		StartedAt: first.Run.StartedAt, EndedAt: first.Run.EndedAt,
		Target: first.Run.Target, Workload: first.Run.Workload, Seed: first.Run.Seed, Config: first.Run.Config,
	}}
	meta := &out.Run
	sum := &out.Summary
	sum.Outcomes = map[string]int{}
	sum.OutputTokensFrom = map[string]int{}
	sum.SLO = first.Summary.SLO
	sum.SLO.Met, sum.SLO.MetFromSend = 0, 0
	reasons := map[reasonKey]int{}
	var events, eventTokens int64
	for _, r := range reports {
		meta.MergedFrom = append(meta.MergedFrom, r.Run.ID)
		meta.Status = worseStatus(meta.Status, r.Run.Status)
		if r.Run.Error != "" {
			meta.Error = joinError(meta.Error, r.Run.ID+": "+r.Run.Error)
		}
		meta.StartedAt = earliest(meta.StartedAt, r.Run.StartedAt)
		if r.Run.EndedAt.After(meta.EndedAt) {
			meta.EndedAt = r.Run.EndedAt
		}
		meta.Warmup += r.Run.Warmup
		meta.WarmupFailed += r.Run.WarmupFailed
		meta.DeadlineHit = meta.DeadlineHit || r.Run.DeadlineHit
		meta.GraceExpired = meta.GraceExpired || r.Run.GraceExpired
		meta.WarmConnections += r.Run.WarmConnections
		meta.WindowSeconds, meta.GraceSeconds = max(meta.WindowSeconds, r.Run.WindowSeconds), max(meta.GraceSeconds, r.Run.GraceSeconds)

		s := r.Summary
		sum.Requests += s.Requests
		sum.Successes += s.Successes
		sum.SLO.Met += s.SLO.Met
		sum.SLO.MetFromSend += s.SLO.MetFromSend
		sum.InputTokens += s.InputTokens
		sum.RequestedInputTokens += s.RequestedInputTokens
		sum.OutputTokens += s.OutputTokens
		sum.ProtocolWarnings += s.ProtocolWarnings
		sum.ReasoningTokens += s.ReasoningTokens
		if s.ITLFrom != nil {
			events += s.ITLFrom.ContentEvents
			eventTokens += s.OutputTokens
		}
		sum.Sessions += s.Sessions
		sum.CutByWindowEnd += s.CutByWindowEnd
		sum.ImagesSent += s.ImagesSent
		sum.ImageBytesSent += s.ImageBytesSent
		for k, n := range s.Outcomes {
			sum.Outcomes[k] += n
		}
		for k, n := range s.OutputTokensFrom {
			sum.OutputTokensFrom[k] += n
		}
		for k, n := range s.InputTokensFrom {
			if sum.InputTokensFrom == nil {
				sum.InputTokensFrom = map[string]int{}
			}
			sum.InputTokensFrom[k] += n
		}
		sum.FirstSentAt = earliest(sum.FirstSentAt, s.FirstSentAt)
		if s.LastEndAt.After(sum.LastEndAt) {
			sum.LastEndAt = s.LastEndAt
		}
		for _, e := range r.Errors {
			reasons[reasonKey{outcome: result.Outcome(e.Outcome), status: e.Status, reason: e.Reason}] += e.Count
		}
	}
	out.Errors = sortReasons(reasons)
	out.Checks = mergeChecks(reports)
	sum.ITLFrom = itlFrom(eventTokens, events)
	out.Timeline, out.TimelineStart = mergeTimelines(reports)
	out.Samples = mergeSamples(reports, out.TimelineStart)
	meta.Hardware, meta.CostPerHour = first.Run.Hardware, first.Run.CostPerHour
	if err := mergeStats(out, reports); err != nil {
		return nil, err
	}
	out.derive()
	byModel, err := mergeByModel(id, reports)
	if err != nil {
		return nil, err
	}
	out.ByModel = byModel
	return out, nil
}

// mergeByModel merges each model of a mix across the reports as the
// window itself is merged.
func mergeByModel(id string, reports []*Report) (map[string]*ModelReport, error) {
	parts := map[string][]*Report{}
	for _, r := range reports {
		for name, m := range r.ByModel {
			parts[name] = append(parts[name], &Report{Run: Meta{ID: r.Run.ID}, Summary: m.Summary, Stats: m.Stats, Distributions: m.Distributions})
		}
	}
	if len(parts) == 0 {
		return nil, nil
	}
	out := map[string]*ModelReport{}
	for name, ps := range parts {
		m, err := MergeWith(id, ps, true)
		if err != nil {
			return nil, fmt.Errorf("by_model %s: %w", name, err)
		}
		out[name] = &ModelReport{Summary: m.Summary, Stats: m.Stats, Distributions: m.Distributions}
	}
	return out, nil
}

func checkMergeable(reports []*Report, force bool) error {
	first := reports[0]
	shards := map[int]string{}
	for _, r := range reports {
		if r.Run.Target.Name != first.Run.Target.Name || r.Run.Target.URL != first.Run.Target.URL {
			return fmt.Errorf("run %s measured target %s (%s), run %s measured %s (%s): only one target's windows merge",
				r.Run.ID, r.Run.Target.Name, r.Run.Target.URL, first.Run.ID, first.Run.Target.Name, first.Run.Target.URL)
		}
		if r.Run.Workload != first.Run.Workload {
			return fmt.Errorf("run %s ran workload %q, run %s ran %q: only one workload's windows merge",
				r.Run.ID, r.Run.Workload, first.Run.ID, first.Run.Workload)
		}
		if r.Summary.Successes > 0 && len(r.Distributions) == 0 {
			return fmt.Errorf("run %s has no distributions (written by an Inferno older than report merge): its percentiles cannot be merged", r.Run.ID)
		}
	}
	if force {
		return nil
	}
	for _, r := range reports {
		// A running report is a placeholder (no requests yet, or a
		// window killed mid-way), an aborted one a window cut short: merged,
		// either would pass for a finished window of fewer requests.
		if r.Run.Status == StatusRunning || r.Run.Status == StatusAborted {
			return fmt.Errorf("run %s is %s, not finished: its figures are not a whole window's (--force merges anyway)", r.Run.ID, r.Run.Status)
		}
	}
	for _, r := range reports {
		// Two windows of one schedule, one after the other, are not one
		// window: their merged rates would count the idle time between.
		if r.Run.Shard == nil {
			return fmt.Errorf("run %s is not a shard of a load_share window (no run.shard): only the shares of one window merge (--force merges anyway)", r.Run.ID)
		}
		if first.Run.Shard == nil || r.Run.Shard.Count != first.Run.Shard.Count {
			return fmt.Errorf("run %s is shard %d of %d, which does not match run %s (--force merges anyway)", r.Run.ID, r.Run.Shard.Index, r.Run.Shard.Count, first.Run.ID)
		}
		if !r.Run.Shard.Tick.Equal(first.Run.Shard.Tick) {
			return fmt.Errorf("run %s started at tick %s, run %s at %s: shards of different windows (--force merges anyway)",
				r.Run.ID, r.Run.Shard.Tick.Format(time.RFC3339), first.Run.ID, first.Run.Shard.Tick.Format(time.RFC3339))
		}
		if other, dup := shards[r.Run.Shard.Index]; dup {
			return fmt.Errorf("runs %s and %s are both shard %d: the same replica's share would count twice", other, r.Run.ID, r.Run.Shard.Index)
		}
		shards[r.Run.Shard.Index] = r.Run.ID
	}
	return nil
}

// mergeStats sums each statistic. Count, mean and deviation combine
// exactly (through each part's sum and sum of squares), minimum and
// maximum too; percentiles come from the summed histograms.
func mergeStats(out *Report, reports []*Report) error {
	out.Distributions = map[string]string{}
	for _, d := range distributions {
		merged := stats.NewHistogram()
		var n, sum, sumSquares float64
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, r := range reports {
			s := *d.stats(&r.Stats)
			if s.Count == 0 {
				continue
			}
			encoded, ok := r.Distributions[d.name]
			if !ok {
				return fmt.Errorf("run %s has %d values of %s but not their distribution", r.Run.ID, s.Count, d.name)
			}
			h, err := stats.Decode(encoded)
			if err != nil {
				return fmt.Errorf("run %s: distribution %s: %w", r.Run.ID, d.name, err)
			}
			merged.Merge(h)
			c := float64(s.Count)
			n += c
			sum += c * s.Mean
			sumSquares += c * (s.Std*s.Std + s.Mean*s.Mean)
			lo, hi = math.Min(lo, s.Min), math.Max(hi, s.Max)
		}
		if n == 0 {
			continue
		}
		st := d.fromHistogram(merged)
		st.Count = int(n)
		st.Mean = sum / n
		st.Std = math.Sqrt(math.Max(sumSquares/n-st.Mean*st.Mean, 0))
		st.Min, st.Max = lo, hi
		// A bucket's midpoint may lie a hair beyond the exact extremes.
		for _, p := range []*float64{&st.P50, &st.P90, &st.P95, &st.P99, &st.P999} {
			*p = min(max(*p, lo), hi)
		}
		*d.stats(&out.Stats) = st
		out.Distributions[d.name] = stats.Encode(merged)
	}
	return nil
}

// mergeTimelines adds the timelines second by second on wall-clock time:
// the origin is the earliest replica's start, and a replica that started
// later has its seconds shifted by the whole seconds between them.
func mergeTimelines(reports []*Report) ([]TimelineStep, time.Time) {
	var origin time.Time
	for _, r := range reports {
		origin = earliest(origin, r.TimelineStart)
	}
	var out []TimelineStep
	for _, r := range reports {
		shift := 0
		if !r.TimelineStart.IsZero() {
			shift = int(r.TimelineStart.Sub(origin).Round(time.Second) / time.Second)
		}
		for _, step := range r.Timeline {
			i := step.Second + shift
			for len(out) <= i {
				out = append(out, TimelineStep{Second: len(out)})
			}
			out[i].Started += step.Started
			out[i].Completed += step.Completed
			out[i].Failed += step.Failed
			out[i].NotSent += step.NotSent
			out[i].Tokens += step.Tokens
			out[i].TokensFirstHalf += step.TokensFirstHalf
		}
	}
	return out, origin
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// worseStatus orders statuses finished < aborted < failed: a merged window
// is only as complete as its least complete part.
func worseStatus(a, b string) string {
	rank := []string{StatusFinished, StatusAborted, StatusFailed}
	if slices.Index(rank, b) > slices.Index(rank, a) {
		return b
	}
	return a
}

func joinError(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// sortReasons returns failure reasons, most frequent first, capped as one
// window's are.
func sortReasons(reasons map[reasonKey]int) []ErrorCount {
	out := make([]ErrorCount, 0, len(reasons))
	for k, n := range reasons {
		out = append(out, ErrorCount{Outcome: string(k.outcome), Status: k.status, Reason: k.reason, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		if out[i].Reason != out[j].Reason {
			return out[i].Reason < out[j].Reason
		}
		return out[i].Outcome < out[j].Outcome
	})
	if len(out) > maxReasons {
		out = out[:maxReasons]
	}
	return out
}

// mergeSamples puts every replica's samples on the merged timeline and
// thins them evenly to MaxSamples.
func mergeSamples(reports []*Report, origin time.Time) []Sample {
	var all []Sample
	for _, r := range reports {
		shift := r.TimelineStart.Sub(origin).Seconds()
		if r.TimelineStart.IsZero() {
			shift = 0
		}
		for _, s := range r.Samples {
			s.Sent += shift
			all = append(all, s)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Sent < all[j].Sent })
	if len(all) <= MaxSamples {
		return all
	}
	out := make([]Sample, MaxSamples)
	for i := range out {
		out[i] = all[i*len(all)/MaxSamples]
	}
	return out
}
