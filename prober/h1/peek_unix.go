//go:build unix

package h1

import (
	"net"
	"reflect"
	"syscall"
)

// newPeeker returns a look at an idle connection's socket, without
// blocking and without consuming: nothing to read means alive; a close (a
// zero-byte read), unsolicited data or an error means it cannot carry a
// request. It is nil where the socket cannot be reached.
//
// A read with a past deadline cannot tell: Go's poller fails it before
// any system call. Wrappers that embed the connection (conntrack's
// dialer) hide its file descriptor, so they are looked through, once per
// connection. Without a look the connection is taken as alive, and a
// failure on it before any response byte is retried on a fresh one.
func newPeeker(nc net.Conn) func() bool {
	sc, ok := unwrap(nc).(syscall.Conn)
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

// unwrap returns the connection a wrapper embeds as its exported Conn
// field (conntrack's clientConnTracker does), down to one that has a file
// descriptor or no such field.
func unwrap(nc net.Conn) net.Conn {
	for range 4 {
		if _, ok := nc.(syscall.Conn); ok {
			return nc
		}
		v := reflect.ValueOf(nc)
		if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
			return nc
		}
		f := v.Elem().FieldByName("Conn")
		if !f.IsValid() || !f.CanInterface() {
			return nc
		}
		inner, ok := f.Interface().(net.Conn)
		if !ok || inner == nil {
			return nc
		}
		nc = inner
	}
	return nc
}
