// Command gen writes Inferno's Grafana dashboards with the settings a
// deployment needs, such as the currency of its costs:
//
//	go run ./grafana/gen -currency EUR -out grafana/dashboards/json
//
// The committed boards are the defaults (go test ./grafana -update).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/inferno-llm/inferno/grafana"
)

func main() {
	var o grafana.Options
	flag.StringVar(&o.Currency, "currency", "USD", "ISO 4217 code of the targets' cost_per_hour, shown on the cost panel")
	out := flag.String("out", "grafana/dashboards/json", "directory to write the dashboards' JSON into")
	flag.Parse()
	if err := grafana.Write(*out, o); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
