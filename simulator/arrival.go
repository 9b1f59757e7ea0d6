package simulator

import (
	"context"
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
// kernel's receive timestamp of its bytes (SO_TIMESTAMPNS), elsewhere or
// without one the time of the read that returned them. The origin is the
// arrival of the last bytes read for the request before its body was
// decoded: a body sent late (or after a 100 Continue) starts the clock
// when it arrives, as no server can answer a prompt it has not received.
// The simulator then models a server whose TTFT runs from the request's
// arrival at the machine, its own queue included.

// StampArrivals makes srv's handlers see each request's arrival on the
// socket, and returns the listener to serve srv on in place of ln. It
// chains srv.ConnContext and srv.ConnState if they are set.
func StampArrivals(srv *http.Server, ln net.Listener) net.Listener {
	stampListener(ln)
	nextContext := srv.ConnContext
	srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if nextContext != nil {
			ctx = nextContext(ctx, c)
		}
		if sc, ok := c.(*stampConn); ok {
			ctx = context.WithValue(ctx, stampKey{}, sc)
		}
		return ctx
	}
	nextState := srv.ConnState
	srv.ConnState = func(c net.Conn, state http.ConnState) {
		// Idle: the server is done with a request (its body drained), its
		// own answers (OPTIONS *) included; the next read is a new one's.
		if sc, ok := c.(*stampConn); ok && state == http.StateIdle {
			sc.rearm()
		}
		if nextState != nil {
			nextState(c, state)
		}
	}
	return &stampingListener{ln}
}

type stampKey struct{}

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

// stampConn records when the bytes of the request being read arrived:
// the first read that returns bytes while it is armed (between requests)
// stamps the request's first bytes and disarms it; every read stamps the
// latest. The server's going idle on the connection re-arms it.
type stampConn struct {
	*net.TCPConn
	platformConn // the kernel timestamp reader, where there is one

	mu          sync.Mutex // the read loop and net/http's background read
	armed       bool
	first, last time.Time
	kernel      bool // first is the kernel's, not the read's
}

func (c *stampConn) Read(b []byte) (int, error) {
	n, at, kernel, err := c.readStamped(b)
	if n > 0 {
		c.mu.Lock()
		if c.armed {
			c.armed, c.first, c.kernel = false, at, kernel
		}
		c.last = at
		c.mu.Unlock()
	}
	return n, err
}

func (c *stampConn) rearm() {
	c.mu.Lock()
	c.armed, c.first, c.last = true, time.Time{}, time.Time{}
	c.mu.Unlock()
}

// received returns when r had arrived whole, called once its body is
// read: the arrival of the last bytes read for it. Without a stamp (a
// server not made by StampArrivals, HTTP/2) it is now.
func received(r *http.Request) time.Time {
	now := time.Now()
	sc, ok := r.Context().Value(stampKey{}).(*stampConn)
	if !ok {
		return now
	}
	sc.mu.Lock()
	last, armed := sc.last, sc.armed
	sc.mu.Unlock()
	if armed || last.IsZero() || last.After(now) {
		return now
	}
	return last
}

// stampOf is what a stampConn holds for tests: when the current request's
// first bytes arrived, and whether the kernel said so.
func stampOf(r *http.Request) (time.Time, bool, bool) {
	sc, ok := r.Context().Value(stampKey{}).(*stampConn)
	if !ok {
		return time.Time{}, false, false
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.first, sc.kernel, !sc.first.IsZero()
}
