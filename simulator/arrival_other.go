//go:build !linux

package simulator

import (
	"net"
	"time"
)

// Without kernel receive timestamps a read's bytes are stamped with the
// time the read returned them.
func stampListener(net.Listener) {}

type platformConn struct{}

func (c *stampConn) init() {}

func (c *stampConn) readStamped(b []byte) (int, time.Time, bool, error) {
	n, err := c.TCPConn.Read(b)
	return n, time.Now(), false, err
}
