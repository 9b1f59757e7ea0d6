//go:build unix && !aix

package h1

import (
	"net"
	"syscall"
)

// newPeeker returns a look at an idle connection's socket, without
// blocking and without consuming: nothing to read means alive; a close (a
// zero-byte read), unsolicited data or an error means it cannot carry a
// request. It is nil where the socket cannot be reached.
//
// A read with a past deadline cannot tell: Go's poller fails it before
// any system call. A connection that hides its file descriptor (a
// DialContext's wrapper) gets no look: it is taken as alive, and a
// failure on it before any response byte is retried on a fresh one.
func newPeeker(nc net.Conn) func() bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return func() bool {
		alive := false
		err := raw.Read(func(fd uintptr) bool {
			alive = peekFD(fd)
			return true // never wait for the poller: this is a look, not a read
		})
		return err == nil && alive
	}
}

// peekFD reports whether a socket has nothing to read and no close or
// error pending, without blocking or consuming.
func peekFD(fd uintptr) bool {
	var b [1]byte
	_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return err == syscall.EAGAIN || err == syscall.EWOULDBLOCK
}
