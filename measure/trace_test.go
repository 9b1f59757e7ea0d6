package measure

import (
	"context"
	"net/http/httptrace"
	"testing"
	"time"
)

// A request sent again on a fresh connection (a transport's retry after a
// reused connection failed) reports the connection that carried it: not
// reused, with its own connect phase; hooks of a dial the request did not
// use, after it got its connection, change nothing.
func TestConnTraceRetry(t *testing.T) {
	c := &connTrace{}
	tr := httptrace.ContextClientTrace(c.with(context.Background()))
	tr.GetConn("a:80")
	tr.GotConn(httptrace.GotConnInfo{Reused: true})
	tr.WroteRequest(httptrace.WroteRequestInfo{})
	if p := c.phases(); !p.Reused {
		t.Fatalf("first attempt: %+v, want reused", p)
	}
	tr.GetConn("a:80")
	tr.ConnectStart("tcp", "a:80")
	time.Sleep(time.Millisecond) // a connect phase that is not zero on any clock
	tr.ConnectDone("tcp", "a:80", nil)
	tr.GotConn(httptrace.GotConnInfo{})
	tr.ConnectStart("tcp", "b:80") // a stray dial after the request got its connection
	tr.ConnectDone("tcp", "b:80", nil)
	p := c.phases()
	if setup, opened := p.Setup(); p.Reused || !opened || setup < time.Millisecond {
		t.Errorf("retry on a fresh connection: %+v (setup %v, opened %v)", p, setup, opened)
	}
	if !p.RequestWritten.IsZero() {
		t.Errorf("the first attempt's write is reported for the retry: %v", p.RequestWritten)
	}
}
