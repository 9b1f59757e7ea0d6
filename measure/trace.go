package measure

import (
	"context"
	"crypto/tls"
	"net/http/httptrace"
	"sync"
	"time"

	"github.com/inferno-llm/inferno/result"
)

// connTrace records a request's connection phases through httptrace, as
// blackbox_exporter does. The transport may call the dial hooks from its
// own goroutines, and may even finish a dial after the request took
// another idle connection, so the hooks write under a lock and the phases
// are frozen when the request gets its connection: later hooks belong to
// a dial the request did not use.
type connTrace struct {
	mu                               sync.Mutex
	frozen                           bool
	dnsStart, connectStart, tlsStart time.Time
	dns, connect, tls                time.Duration
	reused                           bool
	wrote                            time.Time
}

func (c *connTrace) with(ctx context.Context) context.Context {
	set := func(f func()) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if !c.frozen {
			f()
		}
	}
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		// Each attempt at a connection starts afresh: a transport that
		// sends the request again on a new connection (or a redirect's
		// next hop) reports the connection that carried the answer.
		GetConn: func(string) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.frozen, c.reused = false, false
			c.dnsStart, c.connectStart, c.tlsStart, c.wrote = time.Time{}, time.Time{}, time.Time{}, time.Time{}
			c.dns, c.connect, c.tls = 0, 0, 0
		},
		DNSStart: func(httptrace.DNSStartInfo) { set(func() { c.dnsStart = time.Now() }) },
		DNSDone: func(httptrace.DNSDoneInfo) {
			set(func() {
				if !c.dnsStart.IsZero() {
					c.dns = time.Since(c.dnsStart)
				}
			})
		},
		ConnectStart: func(_, _ string) { set(func() { c.connectStart = time.Now() }) },
		ConnectDone: func(_, _ string, err error) {
			set(func() {
				// A failed dial opened nothing; a later attempt (another
				// address of the host) may still succeed.
				if err == nil && !c.connectStart.IsZero() {
					c.connect = time.Since(c.connectStart)
				}
			})
		},
		TLSHandshakeStart: func() { set(func() { c.tlsStart = time.Now() }) },
		TLSHandshakeDone: func(_ tls.ConnectionState, err error) {
			set(func() {
				if err == nil && !c.tlsStart.IsZero() {
					c.tls = time.Since(c.tlsStart)
				}
			})
		},
		GotConn: func(info httptrace.GotConnInfo) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.reused = info.Reused
			if info.Reused {
				c.dns, c.connect, c.tls = 0, 0, 0
			}
			c.frozen = true
		},
		WroteRequest: func(httptrace.WroteRequestInfo) {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.wrote.IsZero() {
				c.wrote = time.Now()
			}
		},
	})
}

// phases returns what was recorded so far.
func (c *connTrace) phases() result.ConnPhases {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := result.ConnPhases{Reused: c.reused, RequestWritten: c.wrote}
	if c.frozen && !c.reused {
		p.DNS, p.Connect, p.TLS = c.dns, c.connect, c.tls
	}
	return p
}
