//go:build race

package reliability

// raceEnabled: the race detector slows everything several times; the
// soak test runs without it (in the README's `go test ./...`).
const raceEnabled = true
