package cli

import (
	"testing"
)

func TestShardIndexFromHostname(t *testing.T) {
	host := func(name string) func() (string, error) { return func() (string, error) { return name, nil } }
	for _, tc := range []struct {
		flag, count int
		host        string
		want        int
		wantErr     bool
	}{
		{flag: 2, count: 3, host: "anything", want: 2},
		{flag: -1, count: 1, host: "laptop", want: 0},
		{flag: -1, count: 3, host: "inferno-2", want: 2},
		{flag: -1, count: 3, host: "inferno-canary-10", want: 10}, // out of range: SetShard refuses it
		{flag: -1, count: 3, host: "laptop", wantErr: true},
	} {
		got, err := shardIndex(tc.flag, tc.count, host(tc.host))
		if (err != nil) != tc.wantErr || (err == nil && got != tc.want) {
			t.Errorf("shardIndex(%d, %d, %q) = %d, %v; want %d (error %v)", tc.flag, tc.count, tc.host, got, err, tc.want, tc.wantErr)
		}
	}
}
