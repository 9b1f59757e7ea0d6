package sse

import (
	"bytes"
	"fmt"
	"testing"
)

func BenchmarkSSEReader(b *testing.B) {
	for _, size := range []int{64, 4096} {
		b.Run(fmt.Sprintf("event=%dB", size), func(b *testing.B) {
			var body bytes.Buffer
			for range 1000 {
				body.WriteString("data: ")
				body.Write(bytes.Repeat([]byte("x"), size))
				body.WriteString("\n\n")
			}
			raw := body.Bytes()
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for range b.N {
				r := NewReader(bytes.NewReader(raw))
				for {
					if _, err := r.Next(); err != nil {
						break
					}
				}
			}
		})
	}
}
