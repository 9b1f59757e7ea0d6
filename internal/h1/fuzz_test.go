package h1

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// FuzzResponse answers a GET with raw bytes and closes the connection,
// through internal/h1 and through net/http's transport: neither may panic
// or hang (deadlines bound both), and where net/http gives a response and
// its whole body, internal/h1 must give the same status and body.
func FuzzResponse(f *testing.F) {
	for _, seed := range []string{
		okAnswer,
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\n\r\nclose-delimited",
		"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabcdef",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n1\r\na\r\n0\r\n\r\n",
		"HTTP/1.1 abc\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: y\r\n continued\r\n\r\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	var current atomic.Pointer[[]byte]
	srv := startRaw(f, func(c net.Conn, _ *http.Request, _, _ int) bool {
		c.Write(*current.Load())
		return false
	})
	url := "http://" + srv.addr + "/"
	f.Fuzz(func(t *testing.T, raw []byte) {
		current.Store(&raw)
		want, wantOK := fuzzFetch(&http.Transport{DisableKeepAlives: true, DisableCompression: true}, url)
		got, gotOK := fuzzFetch(&Transport{}, url)
		// 101 ends HTTP on the connection: net/http hands over the
		// connection as the body, internal/h1 (which has no use for it)
		// does not.
		if !wantOK || want.status == http.StatusSwitchingProtocols {
			return
		}
		if !gotOK || got.status != want.status || got.body != want.body {
			t.Errorf("net/http: %d %q\nh1: ok %v %d %q err %s", want.status, want.body, gotOK, got.status, got.body, got.err)
		}
	})
}

// fuzzFetch sends a GET and reads the whole body within a deadline; ok
// is whether both succeeded.
func fuzzFetch(rt http.RoundTripper, url string) (outcome, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return outcome{err: errClass(err)}, false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return outcome{status: resp.StatusCode, body: string(b), err: errClass(err)}, err == nil
}
