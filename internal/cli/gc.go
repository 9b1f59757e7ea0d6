package cli

import (
	"os"
	"runtime/debug"
)

// proberGCPercent is the garbage collector's target for the commands that
// probe (the daemon and `inferno run`) when GOGC is not set. A prober's
// heap is mostly the state of its streams in flight, live until each
// stream ends; Go's default of 100 lets the heap grow to twice that before
// collecting, so at thousands of streams most of the memory is headroom.
// At 50, RSS per stream at 1024 and 4096 in flight fell from 33-37 KiB to
// 27-28 KiB with no measurable change in CPU per token (bench/README.md).
// GOGC (and GOMEMLIMIT) still decide where an operator sets them.
const proberGCPercent = 50

// tuneGC applies proberGCPercent unless GOGC is set, in which case the
// runtime has already read it.
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(proberGCPercent)
	}
}
