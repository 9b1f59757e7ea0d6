// Package deploy holds Inferno's deployment files (Prometheus rules and
// their unit tests); its Go test checks them with the tools that consume them.
package deploy
