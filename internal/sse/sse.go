// Package sse reads the server-sent event streams LLM servers answer
// with: each event stamped with the time its bytes arrived, before any
// decoding, and the readers pooled across streams.
package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Event is one server-sent event, stamped with the time the read that
// completed it returned. Data aliases the reader's buffer and is valid only
// until the next call to Next.
type Event struct {
	Name    string
	Data    []byte
	Arrived time.Time
}

// ErrEventTooLarge is returned when a single event exceeds the reader's limit.
var ErrEventTooLarge = errors.New("sse: event exceeds size limit")

// DefaultMaxEventSize bounds one event, so a broken server cannot make the
// prober buffer without limit. 1 MiB holds the largest real event (TGI's
// last, which repeats the whole generated text: a quarter of a million
// tokens) many times over; at 4 MiB, 128 streams each sending one line
// held 676 MB (the buffer doubles past the line, and the data is copied).
const DefaultMaxEventSize = 1 << 20

// Reader parses a text/event-stream (WHATWG HTML §9.2) incrementally. It
// reads the body itself rather than through bufio.Scanner so each event is
// timestamped when its bytes arrive, before any JSON decoding: the prober's
// timings must not include its own parsing work.
type Reader struct {
	r       io.Reader
	now     func() time.Time
	maxSize int

	buf     []byte // unparsed bytes: buf[start:end]
	start   int
	end     int
	scanned int       // buf[start:scanned] holds no line terminator
	readAt  time.Time // when the last read returned
	skipLF  bool      // the previous line ended in '\r'; a following '\n' belongs to it
	eof     bool
	readErr error

	data    []byte // data field of the event being built
	hasData bool
	name    []byte
}

// initialBuffer is the reader's first buffer: a token event is a few
// hundred bytes, and the buffer doubles for anything longer, so a larger
// start would only be memory held by each of thousands of streams.
const initialBuffer = 1 << 10

// NewReader returns a reader with the default limits.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: r, now: time.Now, maxSize: DefaultMaxEventSize, buf: make([]byte, initialBuffer)}
}

// reset readies the reader for another body, keeping its buffers.
func (s *Reader) reset(r io.Reader) {
	*s = Reader{r: r, now: time.Now, maxSize: DefaultMaxEventSize, buf: s.buf[:cap(s.buf)], data: s.data[:0], name: s.name[:0]}
}

// The readers are pooled: at thousands of streams a second, a fresh
// buffer per stream was most of the prober's garbage, and the collector's
// pauses showed as schedule lag.
var pool = sync.Pool{New: func() any { return NewReader(nil) }}

// maxPooledBuffer keeps a reader that grew for one huge event out of the
// pool, so one odd stream does not pin megabytes for the rest.
const maxPooledBuffer = 64 << 10

// Get returns a pooled reader, with the default limits, for r.
func Get(r io.Reader) *Reader {
	s := pool.Get().(*Reader)
	s.reset(r)
	return s
}

// Put returns a reader from Get to the pool once its stream is done.
func Put(s *Reader) {
	if cap(s.buf) > maxPooledBuffer || cap(s.data) > maxPooledBuffer {
		return
	}
	s.reset(nil)
	pool.Put(s)
}

// SetMaxEventSize changes the per-event limit.
func (s *Reader) SetMaxEventSize(n int) { s.maxSize = n }

// Next returns the next event carrying data. At the end of the stream it
// returns io.EOF; an event left without its closing blank line is still
// delivered first, since servers that close right after the last data line
// exist and losing their final event would lose tokens.
func (s *Reader) Next() (Event, error) {
	for {
		line, ok, err := s.line()
		if err != nil {
			return Event{}, err
		}
		if !ok { // clean end of stream
			if s.hasData {
				return s.dispatch(), nil
			}
			return Event{}, io.EOF
		}
		if len(line) == 0 {
			if s.hasData {
				return s.dispatch(), nil
			}
			s.name = s.name[:0]
			continue
		}
		if line[0] == ':' { // comment or keep-alive
			continue
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "data":
			if s.hasData {
				s.data = append(s.data, '\n')
			}
			if len(s.data)+len(value) > s.maxSize {
				return Event{}, fmt.Errorf("%w (%d bytes)", ErrEventTooLarge, s.maxSize)
			}
			s.data = append(s.data, value...)
			s.hasData = true
		case "event":
			s.name = append(s.name[:0], value...)
		}
		// id and retry matter for reconnecting clients; a prober never reconnects.
	}
}

func (s *Reader) dispatch() Event {
	ev := Event{Name: string(s.name), Data: s.data, Arrived: s.readAt}
	s.data = s.data[:0]
	s.hasData = false
	s.name = s.name[:0]
	return ev
}

// line returns the next line without its terminator (\n, \r\n or \r). The
// returned slice is valid until the next call.
func (s *Reader) line() ([]byte, bool, error) {
	for {
		if s.skipLF && s.start < s.end {
			if s.buf[s.start] == '\n' {
				s.start++
			}
			s.skipLF = false
		}
		s.scanned = max(s.scanned, s.start)
		if i := bytes.IndexAny(s.buf[s.scanned:s.end], "\r\n"); i >= 0 {
			i += s.scanned
			line := s.buf[s.start:i]
			if len(line) > s.maxLine() {
				return nil, false, fmt.Errorf("%w (%d bytes in one line)", ErrEventTooLarge, s.maxSize)
			}
			if s.buf[i] == '\r' {
				s.skipLF = true
			}
			s.start = i + 1
			return line, true, nil
		}
		// Rescanning from the line's start on every read would make a long
		// line cost quadratic time.
		s.scanned = s.end
		if s.end-s.start > s.maxLine() {
			return nil, false, fmt.Errorf("%w (%d bytes in one line)", ErrEventTooLarge, s.maxSize)
		}
		if s.eof {
			if s.readErr != io.EOF {
				// The connection broke: a line cut short is not a line.
				return nil, false, s.readErr
			}
			if s.start < s.end { // last line without a terminator
				line := s.buf[s.start:s.end]
				s.start = s.end
				return line, true, nil
			}
			return nil, false, nil
		}
		if err := s.fill(); err != nil {
			return nil, false, err
		}
	}
}

// maxLine is the longest line accepted: a data line of a maximal event.
func (s *Reader) maxLine() int { return s.maxSize + len("data: ") }

// fill reads more bytes, compacting or growing the buffer as needed.
func (s *Reader) fill() error {
	if s.start > 0 {
		n := copy(s.buf, s.buf[s.start:s.end])
		s.scanned -= s.start
		s.start, s.end = 0, n
	}
	if s.end == len(s.buf) {
		grown := make([]byte, 2*len(s.buf))
		copy(grown, s.buf[:s.end])
		s.buf = grown
	}
	n, err := s.r.Read(s.buf[s.end:])
	if n > 0 {
		s.readAt = s.now()
		s.end += n
	}
	if err != nil {
		// Whole lines read before the error are still parsed; the error
		// surfaces when they run out.
		s.eof = true
		s.readErr = err
	}
	return nil
}
