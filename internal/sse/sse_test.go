package sse

import (
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"
)

// readAll collects every event's data, in order, and the error that ended
// the stream (nil for a clean io.EOF).
func readAll(t *testing.T, r io.Reader, maxSize int) ([]string, error) {
	t.Helper()
	s := NewReader(r)
	if maxSize > 0 {
		s.SetMaxEventSize(maxSize)
	}
	var got []string
	for {
		ev, err := s.Next()
		if err == io.EOF {
			return got, nil
		}
		if err != nil {
			return got, err
		}
		got = append(got, string(ev.Data))
		if len(got) > 1000 {
			t.Fatal("runaway parser")
		}
	}
}

func TestSSEReader(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"single event", "data: hello\n\n", []string{"hello"}},
		{"no space after colon", "data:hello\n\n", []string{"hello"}},
		{"only the first space is stripped", "data:  two\n\n", []string{" two"}},
		{"multi-line data joined with newline", "data: a\ndata: b\n\n", []string{"a\nb"}},
		{"comments and keep-alives ignored", ": ping\n\n:\ndata: x\n\n: bye\n\n", []string{"x"}},
		{"CRLF line endings", "data: a\r\n\r\ndata: b\r\n\r\n", []string{"a", "b"}},
		{"CR line endings", "data: a\r\rdata: b\r\r", []string{"a", "b"}},
		{"event and id fields", "event: message\nid: 7\nretry: 10\ndata: a\n\n", []string{"a"}},
		{"empty data field is an event", "data\n\n", []string{""}},
		{"blank lines without data dispatch nothing", "\n\n\n", nil},
		{"last event without blank line", "data: a\n\ndata: b", []string{"a", "b"}},
		{"DONE marker is data", "data: {\"x\":1}\n\ndata: [DONE]\n\n", []string{`{"x":1}`, "[DONE]"}},
		{"very long line", "data: " + long + "\n\n", []string{long}},
		{"unknown field ignored", "foo: bar\ndata: a\n\n", []string{"a"}},
		{"field without colon", "data\ndata: b\n\n", []string{"\nb"}},
	}
	readers := map[string]func(string) io.Reader{
		"whole":    func(s string) io.Reader { return strings.NewReader(s) },
		"one byte": func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) },
		"half":     func(s string) io.Reader { return iotest.HalfReader(strings.NewReader(s)) },
	}
	for _, tt := range tests {
		for rname, mk := range readers {
			t.Run(tt.name+"/"+rname, func(t *testing.T) {
				if rname == "one byte" && len(tt.in) > 1<<16 {
					t.Skip("too slow byte by byte")
				}
				got, err := readAll(t, mk(tt.in), 0)
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
					t.Errorf("got %q, want %q", trunc(got), trunc(tt.want))
				}
			})
		}
	}
}

func trunc(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		out[i] = s
	}
	return out
}

// CRLF split exactly between \r and \n must not produce an empty line,
// which would dispatch an event early.
func TestSSEReaderCRLFSplitAcrossReads(t *testing.T) {
	r := &chunkReader{chunks: []string{"data: a\r", "\ndata: b\r", "\n\r", "\n"}}
	got, err := readAll(t, r, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "a\nb" {
		t.Errorf("got %q, want [\"a\\nb\"]", got)
	}
}

func TestSSEReaderErrors(t *testing.T) {
	t.Run("event too large", func(t *testing.T) {
		_, err := readAll(t, strings.NewReader("data: "+strings.Repeat("y", 5000)+"\n\n"), 1024)
		if !errors.Is(err, ErrEventTooLarge) {
			t.Fatalf("got %v, want ErrEventTooLarge", err)
		}
	})
	t.Run("many data lines too large", func(t *testing.T) {
		_, err := readAll(t, strings.NewReader(strings.Repeat("data: 0123456789\n", 200)+"\n"), 1024)
		if !errors.Is(err, ErrEventTooLarge) {
			t.Fatalf("got %v, want ErrEventTooLarge", err)
		}
	})
	t.Run("reset mid-line drops the partial line", func(t *testing.T) {
		r := &chunkReader{chunks: []string{"data: a\n\ndata: partial"}, err: syscall.ECONNRESET}
		got, err := readAll(t, r, 0)
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("got error %v, want ECONNRESET", err)
		}
		if len(got) != 1 || got[0] != "a" {
			t.Errorf("events before the reset: got %q, want [a]", got)
		}
	})
}

func TestSSEReaderTimestampsWhenBytesArrive(t *testing.T) {
	r := &chunkReader{chunks: []string{"data: a\n", "\ndata: b\n\n"}}
	s := NewReader(r)
	tick := 0
	s.now = func() time.Time { tick++; return fakeTime(tick) }
	a, _ := s.Next()
	b, _ := s.Next()
	if a.Arrived != fakeTime(2) || b.Arrived != fakeTime(2) {
		t.Errorf("event a arrived at read %v, b at %v; want both at read 2 (the read that completed them)", a.Arrived, b.Arrived)
	}
}

// chunkReader returns its chunks one per Read, then err (default io.EOF).
type chunkReader struct {
	chunks []string
	err    error
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.chunks) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	c.chunks[0] = c.chunks[0][n:]
	if c.chunks[0] == "" {
		c.chunks = c.chunks[1:]
	}
	return n, nil
}

func FuzzSSEReader(f *testing.F) {
	for _, seed := range []string{
		"data: a\n\n", "data: a\r\ndata: b\r\n\r\n", ": c\n\ndata\n\n", "event: x\ndata: {}\r\r", "data: [DONE]\n\n",
		"data: " + strings.Repeat("z", 300), "\r\n\r\n\n\r",
	} {
		f.Add([]byte(seed), uint8(7))
	}
	f.Fuzz(func(t *testing.T, in []byte, split uint8) {
		whole, errWhole := readAll(t, strings.NewReader(string(in)), 256)
		// Splitting the input into arbitrary reads must not change the events.
		size := int(split%16) + 1
		var chunks []string
		for i := 0; i < len(in); i += size {
			chunks = append(chunks, string(in[i:min(i+size, len(in))]))
		}
		parts, errParts := readAll(t, &chunkReader{chunks: chunks}, 256)
		if (errWhole == nil) != (errParts == nil) {
			t.Fatalf("errors differ: whole %v, split %v", errWhole, errParts)
		}
		if errWhole == nil && strings.Join(whole, "\x00|") != strings.Join(parts, "\x00|") {
			t.Fatalf("events differ: whole %q, split %q", whole, parts)
		}
		for _, ev := range whole {
			if len(ev) > 256 {
				t.Fatalf("event of %d bytes passed the 256-byte limit", len(ev))
			}
		}
	})
}

func fakeTime(n int) time.Time { return time.Unix(int64(n), 0) }
