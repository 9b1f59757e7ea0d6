//go:build race

package e2e

// raceEnabled: the race detector slows every goroutine, the in-process
// simulator's included, several times over.
const raceEnabled = true
