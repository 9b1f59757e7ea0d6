package daemon

import (
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"
)

// The daemon's own server: it had only a header timeout, and 19,995 slow
// bodies reached the descriptor limit, behind basic auth too. /probe sets
// its own write deadline (it answers after its window).
const (
	serverReadTimeout  = time.Minute
	serverWriteTimeout = 2 * time.Minute
	serverIdleTimeout  = 2 * time.Minute
	// MaxConnections caps the connections served at once; more wait in
	// the kernel's accept queue.
	MaxConnections = 1024
)

// NewServer is the daemon's http.Server around h.
func NewServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: serverReadTimeout,
		WriteTimeout: serverWriteTimeout, IdleTimeout: serverIdleTimeout, MaxHeaderBytes: 64 << 10}
}

// LimitListener caps the connections l serves at once.
func LimitListener(l net.Listener) net.Listener { return netutil.LimitListener(l, MaxConnections) }
