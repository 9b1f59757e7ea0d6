// Package cronspec parses the cron specs of schedules strictly: what
// robfig/cron accepts silently but never means (a step past a field's
// range, @every under a second, a date that never comes) is refused, and
// no error quotes the spec back.
package cronspec

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Parser accepts an optional seconds field and descriptors.
var Parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Parse parses a schedule's spec, refusing what robfig/cron accepts
// silently: @every under a second (it rounds 0s, -1s and 1ms up to 1s),
// steps beyond a field's range (*/61) and specs that never fire (Feb 31).
// Errors do not quote the spec back: a misplaced secret stays unechoed.
func Parse(spec string) (cron.Schedule, error) {
	if rest, ok := strings.CutPrefix(strings.TrimSpace(spec), "@every"); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil {
			return nil, errors.New("@every needs a duration such as 30s or 5m")
		}
		if d < time.Second || d%time.Second != 0 {
			return nil, fmt.Errorf("@every %v: want a whole number of seconds, at least 1s", d)
		}
	} else if !strings.HasPrefix(strings.TrimSpace(spec), "@") {
		if err := checkCronSteps(spec); err != nil {
			return nil, err
		}
	}
	sched, err := Parser.Parse(spec)
	if err != nil {
		msg := err.Error()
		// robfig quotes the fields after a colon; keep only its reason.
		if i := strings.Index(msg, ": "); i > 0 {
			msg = msg[:i]
		}
		return nil, fmt.Errorf("not a cron spec: %s (want e.g. \"*/15 * * * * *\", \"0 3 * * *\" or \"@every 1m\")", msg)
	}
	if sched.Next(time.Now()).IsZero() {
		return nil, errors.New("never fires (no such date, e.g. the 31st of February)")
	}
	return sched, nil
}

// cronFields are the ranges of a spec with seconds; a five-field spec
// starts at minutes.
var cronFields = []struct {
	name     string
	min, max int
}{{"seconds", 0, 59}, {"minutes", 0, 59}, {"hours", 0, 23}, {"day of month", 1, 31}, {"month", 1, 12}, {"day of week", 0, 6}}

func checkCronSteps(spec string) error {
	fields := strings.Fields(spec)
	if len(fields) > 0 && strings.HasPrefix(fields[0], "CRON_TZ=") || len(fields) > 0 && strings.HasPrefix(fields[0], "TZ=") {
		fields = fields[1:]
	}
	ranges := cronFields
	if len(fields) == 5 {
		ranges = cronFields[1:]
	}
	if len(fields) != len(ranges) {
		return nil // the parser says what is wrong
	}
	for i, f := range fields {
		for part := range strings.SplitSeq(f, ",") {
			_, step, ok := strings.Cut(part, "/")
			if !ok {
				continue
			}
			n, err := strconv.Atoi(step)
			r := ranges[i]
			if err != nil || n < 1 || n > r.max-r.min+1 {
				return fmt.Errorf("%s: step /%s is outside 1 to %d", r.name, step, r.max-r.min+1)
			}
		}
	}
	return nil
}

// ShortestPeriod is the shortest gap between firings over the next ones,
// from a fixed time so the check does not depend on when it runs.
func ShortestPeriod(s cron.Schedule) time.Duration {
	if c, ok := s.(cron.ConstantDelaySchedule); ok {
		return c.Delay
	}
	t := s.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	shortest := time.Duration(1<<63 - 1)
	for range 200 {
		next := s.Next(t)
		if next.IsZero() {
			break
		}
		shortest = min(shortest, next.Sub(t))
		t = next
	}
	return shortest
}

// Last is when sched last fired at or before now: the tick that cron ran
// late, so replicas that fire a second apart still name the same window.
// It looks back a minute at most; past that, and for @every (which keeps
// no wall-clock phase), it is now's second.
func Last(sched cron.Schedule, now time.Time) time.Time {
	if _, every := sched.(cron.ConstantDelaySchedule); every {
		return now.Truncate(time.Second)
	}
	var last time.Time
	for t := sched.Next(now.Add(-time.Minute)); !t.IsZero() && !t.After(now); t = sched.Next(t) {
		last = t
	}
	if last.IsZero() {
		return now.Truncate(time.Second)
	}
	return last
}
