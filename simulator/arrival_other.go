//go:build !linux

package simulator

import (
	"net"
	"time"
)

// Without kernel receive timestamps a request's arrival is the time of
// the read that returned its first bytes.
func stampListener(net.Listener) {}

type platformConn struct{}

func (c *stampConn) init() {}

func (c *stampConn) readStamped(b []byte) (int, time.Time, bool, error) {
	n, err := c.TCPConn.Read(b)
	return n, time.Now(), false, err
}
