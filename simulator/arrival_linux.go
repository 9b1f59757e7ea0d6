package simulator

import (
	"encoding/binary"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// stampListener turns on receive timestamps on the listening socket:
// accepted sockets inherit them, so even bytes that arrive before the
// connection is accepted carry the time they reached the machine.
func stampListener(ln net.Listener) {
	if tl, ok := ln.(*net.TCPListener); ok {
		if raw, err := tl.SyscallConn(); err == nil {
			raw.Control(func(fd uintptr) { unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1) })
		}
	}
}

type platformConn struct {
	raw syscall.RawConn
	oob []byte
}

func (c *stampConn) init() {
	raw, err := c.TCPConn.SyscallConn()
	if err != nil {
		return
	}
	raw.Control(func(fd uintptr) { unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1) })
	c.raw, c.oob = raw, make([]byte, unix.CmsgSpace(16))
}

// readStamped reads with recvmsg through the runtime's poller (so read
// deadlines hold as for Read) and returns the kernel's receive timestamp
// of the bytes, or the time of the read when the kernel gave none.
func (c *stampConn) readStamped(b []byte) (int, time.Time, bool, error) {
	if c.raw == nil {
		n, err := c.TCPConn.Read(b)
		return n, time.Now(), false, err
	}
	var n, oobn int
	var serr error
	err := c.raw.Read(func(fd uintptr) bool {
		for {
			n, oobn, _, _, serr = unix.Recvmsg(int(fd), b, c.oob, 0)
			if serr != unix.EINTR {
				return serr != unix.EAGAIN
			}
		}
	})
	now := time.Now()
	if err == nil && serr != nil {
		err = os.NewSyscallError("recvmsg", serr)
	}
	if err != nil {
		return 0, now, false, &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
	}
	if n == 0 && len(b) > 0 {
		return 0, now, false, io.EOF
	}
	if at, ok := kernelStamp(c.oob[:oobn], now); ok {
		return n, at, true, nil
	}
	return n, now, false, nil
}

// kernelStamp finds SCM_TIMESTAMPNS in a control message and returns it
// on the monotonic clock: now less its age by the wall clock. An age that
// is negative or over a minute means the wall clock stepped; then none.
func kernelStamp(oob []byte, now time.Time) (time.Time, bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return time.Time{}, false
	}
	for _, m := range msgs {
		if m.Header.Level != unix.SOL_SOCKET || m.Header.Type != unix.SCM_TIMESTAMPNS || len(m.Data) < 16 {
			continue
		}
		sec := int64(binary.NativeEndian.Uint64(m.Data[0:8]))
		nsec := int64(binary.NativeEndian.Uint64(m.Data[8:16]))
		age := now.Sub(time.Unix(sec, nsec))
		if age < 0 || age > time.Minute {
			return time.Time{}, false
		}
		return now.Add(-age), true
	}
	return time.Time{}, false
}
