//go:build !unix || aix

package h1

import "net"

// newPeeker cannot look at the socket here: an idle connection is taken
// as alive, and a failure on it before any response byte is retried on a
// fresh one.
func newPeeker(net.Conn) func() bool { return nil }
