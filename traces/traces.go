// Package traces reads the public production traces (Mooncake, Azure's
// LLM inference traces, BurstGPT): each request's time and its prompt and
// answer lengths, never text; Text makes prompts of those lengths.
package traces

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The public production traces record lengths and times, never text: a
// replay makes a prompt of each request's recorded length and sends it at
// its recorded time, so the load a server sees has production's shape.

// Record is one request of a public trace.
type Record struct {
	// Offset is the request's time in seconds, on the trace's own clock.
	Offset float64
	// Input and Output are the recorded prompt and answer lengths in tokens.
	Input, Output int
	// HashIDs (Mooncake) name the trace's 512-token prompt blocks: two
	// requests holding one id share that block of prompt, as a prefix cache
	// saw them share it in production.
	HashIDs []int64
	// Model is the trace's model column (BurstGPT: ChatGPT or GPT-4). It
	// is not sent: the endpoint under test serves models of its own (a
	// model mix, --models, draws among those).
	Model string
	// Line is the record's line in its file, for errors and IDs.
	Line int
}

// MooncakeBlockTokens is the size of one Mooncake hash block.
const MooncakeBlockTokens = 512

// Bounds on one trace: a typo'd or hostile file fails at load, before a
// window allocates prompts for it.
const (
	maxRecords     = 5_000_000
	maxTraceLength = 1 << 20 // tokens in one prompt or answer
)

var traceKinds = map[string]func(file string, r io.Reader) ([]Record, error){
	"mooncake": parseMooncake,
	"azure":    parseAzure,
	"burstgpt": parseBurstGPT,
}

// IsFormat reports whether kind is a public trace format (lengths and
// times, no text), which replays by default.
func IsFormat(kind string) bool {
	_, ok := traceKinds[kind]
	return ok
}

// Formats lists the trace formats.
func Formats() []string {
	out := make([]string, 0, len(traceKinds))
	for k := range traceKinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Load reads a whole trace file of the named format. The file is
// read to its end before anything is sent, so a bad line refuses the
// window instead of ending it halfway.
func Load(kind, path string) ([]Record, error) {
	parse, ok := traceKinds[kind]
	if !ok {
		return nil, fmt.Errorf("unknown trace format %q (want %s)", kind, strings.Join(Formats(), ", "))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := parse(path, f)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%s: no requests in the trace", path)
	}
	return recs, nil
}

// traceError names the file, the line and the column (a JSON field or a
// CSV header with its position).
func traceError(file string, line int, column, format string, args ...any) error {
	return fmt.Errorf("%s: line %d: column %s: %s", file, line, column, fmt.Sprintf(format, args...))
}

// checkRecord applies the rules every format shares.
func checkRecord(file string, rec *Record, prev float64, n int, cols [3]string) error {
	if n > maxRecords {
		return fmt.Errorf("%s: line %d: over %d requests in one trace", file, rec.Line, maxRecords)
	}
	if math.IsNaN(rec.Offset) || math.IsInf(rec.Offset, 0) || rec.Offset < 0 {
		return traceError(file, rec.Line, cols[0], "want a finite time at or after 0")
	}
	if n > 1 && rec.Offset < prev {
		return traceError(file, rec.Line, cols[0], "timestamps out of order: %v is before the previous line's %v", rec.Offset, prev)
	}
	for _, c := range []struct {
		name string
		v    int
		min  int
	}{{cols[1], rec.Input, 1}, {cols[2], rec.Output, 0}} {
		switch {
		case c.v < 0:
			return traceError(file, rec.Line, c.name, "a length must not be negative, got %d", c.v)
		case c.v < c.min:
			return traceError(file, rec.Line, c.name, "a prompt needs at least 1 token, got %d", c.v)
		case c.v > maxTraceLength:
			return traceError(file, rec.Line, c.name, "%d tokens is over the limit of %d", c.v, maxTraceLength)
		}
	}
	return nil
}

// parseMooncake reads Mooncake's JSONL: {"timestamp": ms, "input_length",
// "output_length", "hash_ids": [...]}, one request a line.
func parseMooncake(file string, r io.Reader) ([]Record, error) {
	cols := [3]string{`"timestamp"`, `"input_length"`, `"output_length"`}
	var out []Record
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	prev := 0.0
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var row map[string]json.RawMessage
		if err := json.Unmarshal(text, &row); err != nil || row == nil {
			if err == nil {
				err = errors.New("not an object")
			}
			return nil, fmt.Errorf("%s: line %d: %w", file, line, err)
		}
		rec := Record{Line: line}
		ts, err := jsonNumber(file, line, row, "timestamp")
		if err != nil {
			return nil, err
		}
		rec.Offset = ts / 1000
		for _, f := range []struct {
			name string
			dst  *int
		}{{"input_length", &rec.Input}, {"output_length", &rec.Output}} {
			v, err := jsonNumber(file, line, row, f.name)
			if err != nil {
				return nil, err
			}
			if v != math.Trunc(v) || math.Abs(v) > math.MaxInt32 {
				return nil, traceError(file, line, `"`+f.name+`"`, "want a whole number of tokens, got %v", v)
			}
			*f.dst = int(v)
		}
		if raw, ok := row["hash_ids"]; ok && string(raw) != "null" {
			if err := json.Unmarshal(raw, &rec.HashIDs); err != nil {
				return nil, traceError(file, line, `"hash_ids"`, "want a list of integers")
			}
		}
		if err := checkRecord(file, &rec, prev, len(out)+1, cols); err != nil {
			return nil, err
		}
		if blocks := (rec.Input + MooncakeBlockTokens - 1) / MooncakeBlockTokens; len(rec.HashIDs) > blocks {
			return nil, traceError(file, line, `"hash_ids"`, "%d blocks of %d tokens are more than input_length %d holds (%d)",
				len(rec.HashIDs), MooncakeBlockTokens, rec.Input, blocks)
		}
		prev = rec.Offset
		out = append(out, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return out, nil
}

func jsonNumber(file string, line int, row map[string]json.RawMessage, field string) (float64, error) {
	raw, ok := row[field]
	if !ok {
		return 0, traceError(file, line, `"`+field+`"`, "missing")
	}
	var v float64
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, traceError(file, line, `"`+field+`"`, "want a number")
	}
	return v, nil
}

// csvTrace reads a CSV trace with a header row; time parses the time
// column into seconds on the trace's clock.
type csvTrace struct {
	timeCol, inCol, outCol, modelCol string
	time                             func(string) (float64, error)
}

func (t csvTrace) parse(file string, r io.Reader) ([]Record, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: the file is empty", file)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	index := map[string]int{}
	for i, h := range header {
		// A byte-order mark leads the header of files saved by Excel.
		index[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	want := []string{t.timeCol, t.inCol, t.outCol}
	if t.modelCol != "" {
		want = append(want, t.modelCol)
	}
	idx := make([]int, len(want))
	for i, name := range want {
		j, ok := index[name]
		if !ok {
			return nil, fmt.Errorf("%s: line 1: missing column %q (the header has %s)", file, name, strings.Join(quoteAll(header), ", "))
		}
		idx[i] = j
	}
	col := func(i int) string { return fmt.Sprintf("%d (%q)", idx[i]+1, want[i]) }
	cols := [3]string{col(0), col(1), col(2)}
	var out []Record
	prev := 0.0
	first := math.NaN()
	for {
		fields, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		line, _ := cr.FieldPos(0)
		if len(fields) == 1 && strings.TrimSpace(fields[0]) == "" {
			continue
		}
		for i, j := range idx {
			if j >= len(fields) {
				return nil, traceError(file, line, col(i), "missing: the line has %d columns", len(fields))
			}
		}
		rec := Record{Line: line}
		ts, err := t.time(strings.TrimSpace(fields[idx[0]]))
		if err != nil {
			return nil, traceError(file, line, cols[0], "%v", err)
		}
		if math.IsNaN(first) {
			first = ts
		}
		// Wall-clock times become offsets from the first request, so a
		// replay starts at once.
		rec.Offset = ts - first
		if rec.Offset < 0 {
			return nil, traceError(file, line, cols[0], "timestamps out of order: before the first line's")
		}
		for i, dst := range []*int{&rec.Input, &rec.Output} {
			s := strings.TrimSpace(fields[idx[i+1]])
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || v != math.Trunc(v) || math.Abs(v) > math.MaxInt32 {
				return nil, traceError(file, line, cols[i+1], "want a whole number of tokens, got %q", s)
			}
			*dst = int(v)
		}
		if t.modelCol != "" {
			rec.Model = strings.TrimSpace(fields[idx[3]])
		}
		if err := checkRecord(file, &rec, prev, len(out)+1, cols); err != nil {
			return nil, err
		}
		prev = rec.Offset
		out = append(out, rec)
	}
	return out, nil
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// Azure's LLM inference traces (2023, 2024) write times as
// "2023-11-16 18:15:46.6805900", in UTC.
var azureLayouts = []string{"2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano}

func azureTime(s string) (float64, error) {
	for _, layout := range azureLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return float64(t.UnixNano()) / 1e9, nil
		}
	}
	return 0, fmt.Errorf("want a time as 2023-11-16 18:15:46.6805900, got %q", s)
}

func secondsTime(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("want seconds, got %q", s)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("want a finite number of seconds, got %q", s)
	}
	return v, nil
}

var (
	azureTrace    = csvTrace{timeCol: "TIMESTAMP", inCol: "ContextTokens", outCol: "GeneratedTokens", time: azureTime}
	burstgptTrace = csvTrace{timeCol: "Timestamp", inCol: "Request tokens", outCol: "Response tokens", modelCol: "Model", time: secondsTime}
)

func parseAzure(file string, r io.Reader) ([]Record, error) { return azureTrace.parse(file, r) }
func parseBurstGPT(file string, r io.Reader) ([]Record, error) {
	return burstgptTrace.parse(file, r)
}

// Fit applies max_input_tokens to a trace: longer requests are
// dropped, or with truncate cut to the limit (their hash blocks past it
// with them), as a data file's turns are.
func Fit(recs []Record, limit int, truncate bool) ([]Record, error) {
	out := recs[:0:0]
	for _, r := range recs {
		if r.Input > limit {
			if !truncate {
				continue
			}
			r.Input = limit
			r.HashIDs = r.HashIDs[:min(len(r.HashIDs), (limit+MooncakeBlockTokens-1)/MooncakeBlockTokens)]
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("every request is longer than max_input_tokens %d", limit)
	}
	return out, nil
}
