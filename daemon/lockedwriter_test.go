package daemon

import "github.com/inferno-llm/inferno/internal/testutil"

// lockedBuffer collects the daemon's logs from its goroutines for a test.
type lockedBuffer = testutil.LockedBuffer
