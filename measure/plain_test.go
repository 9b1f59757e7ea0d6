package measure

import (
	"net/http"
	"testing"

	"github.com/inferno-llm/inferno/internal/httpclient"
	promconfig "github.com/prometheus/common/config"
)

// sendTransport is the transport sendURL's client uses: nil is net/http's
// default, which the send tests' expectations were written against.
var sendTransport http.RoundTripper

// TestSendThroughPlainTransport runs the send tests again through the
// tuned client's transport, whose plain-HTTP requests go to internal/h1: a
// failure, a timeout or a cancellation must get the same outcome and
// reason as through net/http's.
func TestSendThroughPlainTransport(t *testing.T) {
	client, used, err := httpclient.NewForTarget(promconfig.DefaultHTTPClientConfig, "plain", "http://127.0.0.1/", httpclient.TransportFast)
	if err != nil || used != httpclient.TransportH1 {
		t.Fatal(used, err)
	}
	sendTransport = client.Transport
	defer func() { sendTransport = nil }()
	t.Run("outcomes", TestSendOutcomes)
	t.Run("connection errors", TestSendConnectionErrors)
	t.Run("cancellation", TestSendCancellation)
	t.Run("timestamps", TestSendTimestamps)
}
