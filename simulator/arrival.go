package simulator

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Arrival stamps. A closed loop of 1,024 equal streams stays synchronised:
// its requests reach the simulator together, and on one core reading,
// parsing and answering them one after another takes tens of
// milliseconds. A TTFT clock started in the handler leaves that queue out
// of the simulator's own record but in every client's. StampArrivals moves
// the origin to the request's arrival on the socket instead: on Linux the
// kernel's receive timestamp of its first bytes (SO_TIMESTAMPNS), elsewhere
// or without one the time of the read that returned them. The simulator
// then models a server whose TTFT runs from the request's arrival at the
// machine, its own queue included.

// StampArrivals makes srv's handlers see each request's arrival on the
// socket, and returns the listener to serve srv on in place of ln. It
// chains srv.ConnContext if one is set.
func StampArrivals(srv *http.Server, ln net.Listener) net.Listener {
	stampListener(ln)
	next := srv.ConnContext
	srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if next != nil {
			ctx = next(ctx, c)
		}
		if sc, ok := c.(*stampConn); ok {
			ctx = context.WithValue(ctx, stampKey{}, sc)
		}
		return ctx
	}
	return &stampingListener{ln}
}

type stampKey struct{}

// maxDrain is how much of a body its handler left is read before the
// connection is armed for the next request (net/http drains 256 KiB).
const maxDrain = 256 << 10

type stampingListener struct{ net.Listener }

func (l *stampingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return c, err
	}
	tcp, ok := c.(*net.TCPConn)
	if !ok {
		return c, nil
	}
	sc := &stampConn{TCPConn: tcp, armed: true}
	sc.init()
	return sc, nil
}

// stampConn records when the first bytes of each request arrived. It is
// armed between requests: the first read that returns bytes while armed
// stamps them and disarms it; the handler takes the stamp and re-arms it
// when it is done, after draining what it left of the body, so no read of
// one request's bytes stamps the next.
type stampConn struct {
	*net.TCPConn
	platformConn // the kernel timestamp reader, where there is one

	mu     sync.Mutex // the read loop and net/http's background read
	armed  bool
	stamp  time.Time
	kernel bool // stamp is the kernel's, not the read's
}

func (c *stampConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	armed := c.armed
	c.mu.Unlock()
	if !armed {
		return c.TCPConn.Read(b)
	}
	n, at, kernel, err := c.readStamped(b)
	if n > 0 {
		c.mu.Lock()
		if c.armed {
			c.armed, c.stamp, c.kernel = false, at, kernel
		}
		c.mu.Unlock()
	}
	return n, err
}

// take returns the stamp of the request being handled, if there is one.
func (c *stampConn) take() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.stamp
	c.stamp = time.Time{}
	return t, !t.IsZero()
}

func (c *stampConn) rearm() {
	c.mu.Lock()
	c.armed, c.stamp = true, time.Time{}
	c.mu.Unlock()
}

// arrival returns when r arrived, and a function to call when its handler
// is done. Without a stamp (a server not made by StampArrivals, HTTP/2)
// it is now, as the handler starts.
func arrival(r *http.Request) (time.Time, func()) {
	now := time.Now()
	sc, ok := r.Context().Value(stampKey{}).(*stampConn)
	if !ok {
		return now, func() {}
	}
	done := func() {
		// What the handler left of the body is read now, while the conn
		// is still disarmed (net/http drains it itself when the handler's
		// answer starts, and closes the body: then there is nothing left).
		// A body with more than maxDrain left is not read to its end here;
		// net/http reads on after the handler, and those reads would stamp
		// the next request, so the connection stays disarmed: its later
		// requests are timed from their handlers' start.
		_, err := io.CopyN(io.Discard, r.Body, maxDrain)
		if err == io.EOF || errors.Is(err, http.ErrBodyReadAfterClose) {
			sc.rearm()
		}
	}
	if t, ok := sc.take(); ok && !t.After(now) {
		return t, done
	}
	return now, done
}

// stampOf is the stamp a stampConn holds for tests: when the current
// request arrived, and whether the kernel said so.
func stampOf(r *http.Request) (time.Time, bool, bool) {
	sc, ok := r.Context().Value(stampKey{}).(*stampConn)
	if !ok {
		return time.Time{}, false, false
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.stamp, sc.kernel, !sc.stamp.IsZero()
}
