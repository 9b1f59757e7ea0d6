//go:build race

package main

// raceEnabled: the race detector slows every goroutine, the in-process
// simulator's included, several times over.
const raceEnabled = true
