package config

import (
	"strings"
	"testing"

	"github.com/inferno-llm/inferno/config/schema"
)

func TestReportRetentionCaps(t *testing.T) {
	for _, c := range []struct {
		global    string
		count     int
		bytes     schema.ByteSize
		wantError string
	}{
		{"report_retention_count: 1000", 1000, 0, ""},
		{"report_retention_bytes: 10GiB", 0, 10 << 30, ""},
		{"report_retention_bytes: 500MB", 0, 500e6, ""},
		{"report_retention_bytes: 4096", 0, 4096, ""},
		{"report_retention_count: -1", 0, 0, "global.report_retention_count: must not be negative"},
		{"report_retention_bytes: -5GB", 0, 0, "not a size"},
		{"report_retention_bytes: lots", 0, 0, "not a size"},
		{"report_retention_bytes: [1]", 0, 0, "want a size such as 10GiB, got a list"},
	} {
		t.Run(c.global, func(t *testing.T) {
			text := strings.Replace(good, "  report_dir: /tmp/reports\n", "  report_dir: /tmp/reports\n  "+c.global+"\n", 1)
			cfg, err := Load([]byte(text), "retention.yml")
			if c.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantError) || !strings.Contains(err.Error(), "retention.yml:3") {
					t.Fatalf("error %v, want one at retention.yml:3 with %q", err, c.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g := cfg.Global; g.ReportRetentionCount != c.count || g.ReportRetentionBytes != c.bytes {
				t.Errorf("count %d bytes %d", g.ReportRetentionCount, g.ReportRetentionBytes)
			}
		})
	}
}
