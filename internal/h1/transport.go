// Package h1 is a streaming HTTP/1.1 client transport for plain-HTTP
// targets that does all its I/O on the caller's goroutine.
//
// net/http's Transport runs a read loop and a write loop goroutine per
// connection beside the caller: at thousands of streams in flight their
// stacks and buffers are most of the prober's memory. Here RoundTrip
// writes the request and reads the response headers itself, and the
// response body reads straight off the connection's buffered reader in
// whichever goroutine reads it. Cancellation sets a past deadline on the
// connection from context.AfterFunc instead of a goroutine watching the
// context.
//
// It speaks HTTP/1.1 over TCP only: no TLS, no proxies, no compression,
// no 100-continue, no pipelining. Redirects, cookies and the like are the
// http.Client's, as with any RoundTripper.
package h1

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"sync"
	"time"
)

// Defaults for a zero Transport's fields.
const (
	DefaultMaxIdleConnsPerHost    = 2
	DefaultIdleConnTimeout        = 90 * time.Second
	DefaultReadBufferSize         = 4 << 10
	DefaultMaxResponseHeaderBytes = 1 << 20 // net/http's server default; its Transport allows 10 MiB
	DefaultDialTimeout            = 30 * time.Second
)

// Transport is an http.RoundTripper for http:// URLs. Its zero value is
// usable; its fields must not change once it is in use.
type Transport struct {
	// DialContext opens a TCP connection to host:port; nil is a plain
	// net.Dialer. The net package calls the trace's DNS and connect hooks
	// (httptrace puts them on the context), as under net/http.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// DialTimeout bounds a dial, the lookup and every address tried.
	DialTimeout time.Duration
	// MaxIdleConnsPerHost bounds the idle connections kept per host.
	MaxIdleConnsPerHost int
	// IdleConnTimeout is how long a connection may stay idle and still be
	// reused.
	IdleConnTimeout time.Duration
	// ReadBufferSize is each connection's read buffer.
	ReadBufferSize int
	// MaxResponseHeaderBytes bounds the bytes read from the connection
	// while a response's headers (1xx ones included) are parsed.
	MaxResponseHeaderBytes int64

	mu   sync.Mutex
	idle map[string][]*conn // per host key, most recently used last
}

var _ http.RoundTripper = (*Transport)(nil)

// ErrHeaderTooLarge is returned when a response's headers exceed
// MaxResponseHeaderBytes.
var ErrHeaderTooLarge = errors.New("h1: server response headers exceeded the limit")

// aLongTimeAgo is a deadline that has passed: setting it makes every
// blocked and later read or write on the connection fail at once.
var aLongTimeAgo = time.Unix(1, 0)

// conn is one connection. Only one request uses it at a time: its owner
// between RoundTrip and the end of the body, the pool otherwise.
type conn struct {
	nc     net.Conn
	br     *bufio.Reader
	budget budgetReader // under br: counts the bytes read while headers are parsed
	key    string
	addr   string // host:port dialled, for errors
	idleAt time.Time
	used   bool        // has carried a request before
	peek   func() bool // whether the idle socket is alive; nil: cannot tell
}

// budgetReader passes reads through to the connection; while armed it
// fails once more than its budget was read, so a server's endless header
// cannot grow the parser's buffers without bound.
type budgetReader struct {
	r     io.Reader
	armed bool
	left  int64
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if !b.armed {
		return b.r.Read(p)
	}
	if b.left <= 0 {
		return 0, ErrHeaderTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// headerRoom is what a request's line and headers are given beside its
// body in the buffer it is serialised into: req.Write copies the body in
// with bytes.Buffer.ReadFrom, which doubles a buffer short of 512 bytes
// free, so a buffer sized for the body alone would end at twice its size.
const headerRoom = 1 << 10

// newWriteBuf is a buffer for req serialised, to be written with one
// conn.Write and dropped. Not pooled: a closed loop's first wave asks for
// thousands at once, and a pool kept them all past the wave.
func newWriteBuf(req *http.Request) *bytes.Buffer {
	return bytes.NewBuffer(make([]byte, 0, headerRoom+max(req.ContentLength, 0)))
}

// RoundTrip sends req on an idle or new connection and returns the
// response once its headers are read; the body is read on the caller's
// goroutine, and its connection goes back to the pool when read to its
// end.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil || req.URL.Scheme != "http" || req.URL.Host == "" {
		closeBody(req)
		return nil, fmt.Errorf("h1: unsupported URL %q: only http:// with a host", redacted(req))
	}
	ctx := req.Context()
	trace := httptrace.ContextClientTrace(ctx)
	addr := hostPort(req)
	key := "http://" + addr
	wire, err := serialize(req)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, ctxError(ctx, err)
		}
		if trace != nil && trace.GetConn != nil {
			trace.GetConn(addr)
		}
		var c *conn
		if attempt == 0 {
			c = t.getIdle(key, trace)
		}
		if c == nil {
			if c, err = t.dial(ctx, key, addr); err != nil {
				return nil, err
			}
			if trace != nil && trace.GotConn != nil {
				trace.GotConn(httptrace.GotConnInfo{Conn: c.nc})
			}
		}
		resp, replay, err := t.exchange(ctx, c, req, wire, trace)
		if err == nil {
			return resp, nil
		}
		if replay == nil || attempt > 0 || ctx.Err() != nil {
			return nil, err
		}
		// A reused connection failed where the request cannot have been
		// acted on (see exchange): it goes out once more on a fresh one.
		wire = replay
	}
}

// serialize writes req into a buffer, to go out in one write. req.Write
// would call the context's WroteHeaders and WroteRequest hooks itself,
// before a connection is even chosen: a copy without the context writes,
// and exchange calls them once the bytes went out.
func serialize(req *http.Request) (*bytes.Buffer, error) {
	w := req.WithContext(context.Background())
	buf := newWriteBuf(w)
	if err := w.Write(buf); err != nil {
		return nil, fmt.Errorf("h1: write request: %w", err)
	}
	return buf, nil
}

// exchange writes the serialised request on c and reads the response's
// headers. On a failure it may return the request to send again on a
// fresh connection, as net/http does, only where a reused connection
// failed before the request can have been acted on: no byte of it was
// written, or it is idempotent (GET, HEAD, OPTIONS, TRACE, or an
// Idempotency-Key) and no byte of an answer came. A POST the server read
// and then dropped is a failure, not a second generation.
func (t *Transport) exchange(ctx context.Context, c *conn, req *http.Request, wire *bytes.Buffer, trace *httptrace.ClientTrace) (resp *http.Response, replay *bytes.Buffer, err error) {
	// No goroutine watches the context: its end sets a past deadline,
	// which fails whatever read or write is blocked on the connection.
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(aLongTimeAgo) })
	reused := c.used
	c.used = true
	fail := func(err error, again *bytes.Buffer) (*http.Response, *bytes.Buffer, error) {
		stop()
		c.nc.Close()
		if !reused {
			again = nil
		}
		return nil, again, connError(ctx, err)
	}
	n, err := c.nc.Write(wire.Bytes())
	if err != nil {
		if n == 0 {
			return fail(err, wire)
		}
		return fail(err, nil)
	}
	// Kept only where a silent close may be answered by sending it again;
	// otherwise dropped, so a stream does not hold its request's bytes.
	var again *bytes.Buffer
	if idempotent(req) {
		again = wire
	}
	wire = nil
	if trace != nil {
		if trace.WroteHeaders != nil {
			trace.WroteHeaders()
		}
		if trace.WroteRequest != nil {
			trace.WroteRequest(httptrace.WroteRequestInfo{})
		}
	}
	// Disarmed on success before the connection can go back to the pool;
	// a failure closes it.
	c.budget.armed, c.budget.left = true, t.maxHeaderBytes()
	first := true
	for {
		if _, err := c.br.Peek(1); err != nil {
			if errors.Is(err, ErrHeaderTooLarge) {
				return fail(t.headerError(c), nil)
			}
			if first {
				return fail(err, again)
			}
			return fail(err, nil)
		}
		if first && trace != nil && trace.GotFirstResponseByte != nil {
			trace.GotFirstResponseByte()
		}
		first = false
		resp, err = http.ReadResponse(c.br, req)
		if err != nil {
			if errors.Is(err, ErrHeaderTooLarge) {
				err = t.headerError(c)
			}
			return fail(err, nil)
		}
		// An informational answer (100 Continue, 103 Early Hints) precedes
		// the real one, except 101, which ends HTTP on the connection.
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
			if trace != nil && trace.Got1xxResponse != nil {
				if err := trace.Got1xxResponse(resp.StatusCode, textproto.MIMEHeader(resp.Header)); err != nil {
					return fail(err, nil)
				}
			}
			continue
		}
		break
	}
	c.budget.armed = false
	b := &body{t: t, c: c, rc: resp.Body, ctx: ctx, stop: stop,
		keep: !resp.Close && !req.Close && resp.StatusCode != http.StatusSwitchingProtocols}
	if resp.Body == http.NoBody && resp.StatusCode != http.StatusSwitchingProtocols {
		// Nothing to read (HEAD, 204, 304): the connection is free now.
		b.finish(true)
		return resp, nil, nil
	}
	resp.Body = b
	return resp, nil, nil
}

// idempotent reports whether sending req twice is as sending it once, by
// its method or an Idempotency-Key (or X-Idempotency-Key) header.
func idempotent(req *http.Request) bool {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	_, key := req.Header["Idempotency-Key"]
	_, xkey := req.Header["X-Idempotency-Key"]
	return key || xkey
}

func (t *Transport) headerError(c *conn) error {
	return fmt.Errorf("%w: more than %d bytes of headers from %s", ErrHeaderTooLarge, t.maxHeaderBytes(), c.addr)
}

// body is a response body read straight off its connection. Close may
// come from another goroutine while a Read is blocked (a drain's timer):
// it closes the connection, which fails that Read.
type body struct {
	t    *Transport
	c    *conn
	rc   io.ReadCloser // http.ReadResponse's body, which knows the framing
	ctx  context.Context
	stop func() bool
	keep bool // the connection may carry another request after this body

	mu   sync.Mutex
	done bool
	eof  bool // the body was read to its end
}

var errBodyClosed = errors.New("h1: read on closed response body")

func (b *body) Read(p []byte) (int, error) {
	b.mu.Lock()
	done, eof := b.done, b.eof
	b.mu.Unlock()
	if eof {
		return 0, io.EOF // as often as asked, as any reader at its end
	}
	if done {
		return 0, errBodyClosed
	}
	n, err := b.rc.Read(p)
	switch {
	case err == io.EOF:
		b.mu.Lock()
		b.eof = !b.done // a Close that came first wins
		b.mu.Unlock()
		b.finish(true)
	case err != nil:
		b.finish(false)
		err = connError(b.ctx, err)
	}
	return n, err
}

// Close before the end of the body closes the connection: what is left
// of the body would have to be read before another response.
func (b *body) Close() error {
	b.finish(false)
	return nil
}

// finish ends the body once: the connection goes back to the pool when
// the body was read to its end, the response allows it and the context
// did not end meanwhile (its deadline is then set on the connection).
func (b *body) finish(atEOF bool) {
	b.mu.Lock()
	if b.done {
		b.mu.Unlock()
		return
	}
	b.done = true
	b.mu.Unlock()
	if b.stop() && atEOF && b.keep {
		b.t.putIdle(b.c)
		return
	}
	b.c.nc.Close()
}

// connError makes an error caused by the end of the request's context say
// so: errors.Is(err, context.Canceled or DeadlineExceeded) holds, as with
// net/http, whatever the failed read or write reported (a deadline).
func connError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctxError(ctx, err)
	}
	return err
}

// ctxError wraps the context's error and its cause, keeping the I/O error
// that surfaced it in the message.
func ctxError(ctx context.Context, ioErr error) error {
	cerr := ctx.Err()
	cause := context.Cause(ctx)
	if cause == nil || cause == cerr {
		if ioErr == cerr {
			return cerr
		}
		return fmt.Errorf("%w (%v)", cerr, ioErr)
	}
	return fmt.Errorf("%w: %w", cerr, cause)
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// redacted is the request URL without credentials, for errors.
func redacted(req *http.Request) string {
	if req.URL == nil {
		return ""
	}
	return req.URL.Redacted()
}

func (t *Transport) maxHeaderBytes() int64 {
	if t.MaxResponseHeaderBytes > 0 {
		return t.MaxResponseHeaderBytes
	}
	return DefaultMaxResponseHeaderBytes
}
