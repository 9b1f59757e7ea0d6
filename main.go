// Command inferno is a Prometheus exporter and continuous prober for LLM
// serving endpoints. See README.md.
package main

import (
	"os"

	"github.com/inferno-llm/inferno/internal/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:]))
}
