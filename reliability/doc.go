// Package reliability holds Inferno's hardening suite: the endpoint
// faults, hostile input, load and long-life tests that docs/RELIABILITY.md
// lists. It has no code of its own; every test drives the real packages.
package reliability
