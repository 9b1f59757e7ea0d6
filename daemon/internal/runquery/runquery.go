// Package runquery reads the paging and filters of a runs list from a
// URL's query, as /api/v1/runs and the status page take them, and writes
// the link to the next page.
package runquery

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/inferno-llm/inferno/archive"
	"github.com/inferno-llm/inferno/report"
)

// Paging and filters of the runs list, shared by /api/v1/runs and the
// status page: newest start first, `limit` runs a page, `before` the last
// run of the previous page (or a time), filtered by target, workload,
// status, trigger and start time.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

// Filters are the query parameters a list is filtered by.
var Filters = []string{"target", "workload", "status", "trigger", "since", "until"}

// Link is path with the filters kept and the paging that fetches the
// page after the one whose last run is next.
func Link(path string, kept url.Values, limit int, next string) string {
	q := url.Values{}
	for k, v := range kept {
		q[k] = v
	}
	q.Set("limit", strconv.Itoa(limit))
	q.Set("before", next)
	return path + "?" + q.Encode()
}

func parseTime(name, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return t, fmt.Errorf("query parameter %s=%q: want a time such as 2026-03-01T10:00:00Z", name, v)
	}
	return t, nil
}

// Parse reads a list's query parameters; runStart finds the start of the
// run ?before= names (ok false when there is no such run).
func Parse(q url.Values, runStart func(id string) (time.Time, bool)) (archive.Query, url.Values, error) {
	aq := archive.Query{Limit: DefaultLimit}
	kept := url.Values{}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			return aq, nil, fmt.Errorf("query parameter limit=%q: want a whole number from 1 to %d", v, MaxLimit)
		}
		aq.Limit = n
	}
	for _, name := range Filters {
		v := q.Get(name)
		if v == "" {
			continue
		}
		if len(v) > 256 {
			return aq, nil, fmt.Errorf("query parameter %s: longer than 256 bytes", name)
		}
		kept.Set(name, v)
		var err error
		switch name {
		case "target":
			aq.Target = v
		case "workload":
			aq.Workload = v
		case "status":
			aq.Status = v
		case "trigger":
			aq.Trigger = v
		case "since":
			aq.Since, err = parseTime(name, v)
		case "until":
			aq.Until, err = parseTime(name, v)
		}
		if err != nil {
			return aq, nil, err
		}
	}
	if before := q.Get("before"); before != "" {
		if t, err := time.Parse(time.RFC3339Nano, before); err == nil {
			aq.Before = &archive.Cursor{StartedAt: t}
		} else if !report.ValidRunID(before) {
			return aq, nil, fmt.Errorf("query parameter before=%q: want a run id such as 20260301T100000.000Z-abcdef, or a time", before)
		} else if start, ok := runStart(before); ok {
			aq.Before = &archive.Cursor{StartedAt: start, ID: before}
		} else {
			return aq, nil, fmt.Errorf("query parameter before=%q: no such run (deleted since?); give a time instead, such as before=2026-03-01T10:00:00Z", before)
		}
	}
	return aq, kept, nil
}
