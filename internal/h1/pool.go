package h1

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptrace"
	"time"
)

// getIdle takes the most recently used idle connection for key that is
// still fresh and alive, closing the expired and dead ones it meets.
func (t *Transport) getIdle(key string, trace *httptrace.ClientTrace) *conn {
	for {
		t.mu.Lock()
		list := t.idle[key]
		if len(list) == 0 {
			t.mu.Unlock()
			return nil
		}
		c := list[len(list)-1]
		list[len(list)-1] = nil
		t.idle[key] = list[:len(list)-1]
		t.mu.Unlock()

		idle := time.Since(c.idleAt)
		if idle > t.idleTimeout() || !alive(c) {
			c.nc.Close()
			continue
		}
		if trace != nil && trace.GotConn != nil {
			trace.GotConn(httptrace.GotConnInfo{Conn: c.nc, Reused: true, WasIdle: true, IdleTime: idle})
		}
		return c
	}
}

// alive reports whether an idle connection can carry a request: nothing
// may be waiting on it (a server's unsolicited bytes or its close), which
// a non-blocking peek at the socket tells without consuming anything.
func alive(c *conn) bool {
	if c.br.Buffered() > 0 {
		return false
	}
	return c.peek == nil || c.peek()
}

// putIdle returns a connection whose response was read to its end to the
// pool, or closes it when the host's pool is full.
func (t *Transport) putIdle(c *conn) {
	c.idleAt = time.Now()
	t.mu.Lock()
	if t.idle == nil {
		t.idle = make(map[string][]*conn)
	}
	list := t.idle[c.key]
	if len(list) >= t.maxIdle() {
		t.mu.Unlock()
		c.nc.Close()
		return
	}
	t.idle[c.key] = append(list, c)
	t.mu.Unlock()
}

// CloseIdleConnections closes every idle connection; those in use are
// closed when their response ends.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = nil
	t.mu.Unlock()
	for _, list := range idle {
		for _, c := range list {
			c.nc.Close()
		}
	}
}

// dial opens a new connection to addr (host:port) within the dial
// timeout. The dialer resolves a host name and tries its addresses; the
// net package itself calls the trace's DNS and connect hooks from the
// context (httptrace.WithClientTrace installs them there for it), as it
// does for net/http's transport, so they are not called here.
func (t *Transport) dial(ctx context.Context, key, addr string) (*conn, error) {
	dctx, cancel := context.WithTimeout(ctx, t.dialTimeout())
	defer cancel()
	dial := t.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	nc, err := dial(dctx, "tcp", addr)
	if err != nil {
		return nil, connError(ctx, err)
	}
	c := &conn{nc: nc, key: key, addr: addr, peek: newPeeker(nc)}
	c.budget.r = nc
	c.br = bufio.NewReaderSize(&c.budget, t.readBufferSize())
	return c, nil
}

// hostPort is the request's host:port, port 80 unless given.
func hostPort(req *http.Request) string {
	port := req.URL.Port()
	if port == "" {
		port = "80"
	}
	return net.JoinHostPort(req.URL.Hostname(), port)
}

func (t *Transport) idleTimeout() time.Duration {
	if t.IdleConnTimeout > 0 {
		return t.IdleConnTimeout
	}
	return DefaultIdleConnTimeout
}

func (t *Transport) maxIdle() int {
	if t.MaxIdleConnsPerHost > 0 {
		return t.MaxIdleConnsPerHost
	}
	return DefaultMaxIdleConnsPerHost
}

func (t *Transport) readBufferSize() int {
	if t.ReadBufferSize > 0 {
		return t.ReadBufferSize
	}
	return DefaultReadBufferSize
}

func (t *Transport) dialTimeout() time.Duration {
	if t.DialTimeout > 0 {
		return t.DialTimeout
	}
	return DefaultDialTimeout
}
