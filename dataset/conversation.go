package dataset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Conversation is one session: its turns are sent in order, each carrying
// the earlier turns with the live answers in place of recorded ones.
type Conversation struct {
	ID string
	// Offset is the conversation's start, in seconds, in the recorded trace
	// (arena tstamp, oasst1 created_date, a JSONL timestamp), when the data
	// has one; HasOffset says whether it does.
	Offset    float64
	HasOffset bool
	Turns     []Turn
}

// Turn is one request of a conversation.
type Turn struct {
	// Messages are the turn's new messages: the user's, preceded by a
	// system prompt on the first turn where the data has one.
	Messages []Message
	// MaxTokens, when positive, is the data's own output length.
	MaxTokens int
	// InputTokens is the intended prompt length where the source knows it
	// (synthetic); otherwise it is estimated from the words.
	InputTokens int
	// Canary, when set, is the turn's known-answer checks and the request
	// fields it needs (the canary dataset).
	Canary *Canary
	// Model, when set, is sent instead of the target's (a model mix).
	Model string
}

// Row is one record of a data file, as decoded from JSON, JSONL or Parquet.
type Row map[string]any

// rowError names the file, the row (counted from 1) and the field.
func rowError(file string, row int, field, format string, args ...any) error {
	return fmt.Errorf("%s: row %d: field %q: %s", file, row, field, fmt.Sprintf(format, args...))
}

// ReadRows reads a data file in one of the formats the HF hub serves:
// .json (an array of objects, or one object per line), .jsonl, .parquet.
func ReadRows(path string) ([]Row, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".parquet":
		return readParquet(path)
	case ".json", ".jsonl", ".ndjson":
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		// Read no further than the cap: a 2 GB JSONL filled the heap.
		return readJSONRows(path, &capReader{r: f, left: int64(maxDatasetBytes)})
	default:
		return nil, fmt.Errorf("%s: unknown format (want .json, .jsonl or .parquet)", path)
	}
}

// readJSONRows accepts a JSON array of objects or JSON Lines.
func readJSONRows(path string, r io.Reader) ([]Row, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	first, err := firstByte(br)
	if err == io.EOF {
		return nil, fmt.Errorf("%s: the file is empty", path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if first == '[' {
		dec := json.NewDecoder(br)
		var rows []Row
		if err := dec.Decode(&rows); err != nil {
			if c, ok := r.(*capReader); ok && c.hit {
				return nil, fmt.Errorf("%s: a JSON array over the cap of %d bytes; write a part of it as JSON Lines (read up to the cap)", path, maxDatasetBytes)
			}
			return nil, fmt.Errorf("%s: not a JSON array of objects: %w", path, err)
		}
		for i, row := range rows {
			if row == nil {
				return nil, fmt.Errorf("%s: row %d: not an object", path, i+1)
			}
		}
		return rows, nil
	}
	var rows []Row
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var row Row
		if err := json.Unmarshal(text, &row); err != nil || row == nil {
			if c, ok := r.(*capReader); ok && c.hit {
				break // the line the cap cut short
			}
			if err == nil {
				err = errors.New("not an object")
			}
			return nil, fmt.Errorf("%s: line %d: %w", path, line, err)
		}
		rows = append(rows, row)
		if len(rows) >= maxDatasetRows {
			break
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no rows", path)
	}
	return rows, nil
}

// capReader reads up to left bytes and then reports EOF, remembering it
// stopped early.
type capReader struct {
	r    io.Reader
	left int64
	hit  bool
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		c.hit = true
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if b != ' ' && b != '\n' && b != '\r' && b != '\t' {
			return b, br.UnreadByte()
		}
	}
}

// Field accessors: each names the file, row and field in its error.

func str(file string, row int, r Row, field string, required bool) (string, error) {
	v, ok := r[field]
	if !ok || v == nil {
		if required {
			return "", rowError(file, row, field, "missing")
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", rowError(file, row, field, "want a string, got %s", typeName(v))
	}
	return s, nil
}

func num(file string, row int, r Row, field string) (float64, bool, error) {
	v, ok := r[field]
	if !ok || v == nil {
		return 0, false, nil
	}
	switch n := v.(type) {
	case float64:
		return n, true, nil
	case int64:
		return float64(n), true, nil
	case int32:
		return float64(n), true, nil
	}
	return 0, false, rowError(file, row, field, "want a number, got %s", typeName(v))
}

func list(file string, row int, r Row, field string) ([]any, error) {
	v, ok := r[field]
	if !ok || v == nil {
		return nil, rowError(file, row, field, "missing")
	}
	l, ok := v.([]any)
	if !ok {
		return nil, rowError(file, row, field, "want a list, got %s", typeName(v))
	}
	return l, nil
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case float64, int64, int32:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any, Row:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
