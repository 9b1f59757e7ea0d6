package slots

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
)

// TestPoolResize: a reload that changes the caps never lets more windows
// run than the new cap, whatever the old one was.
func TestPoolResize(t *testing.T) {
	p := New(2)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	p.Acquire(cancelled)
	p.Acquire(cancelled)
	p.Resize(1)
	p.Release()
	if p.Acquire(cancelled) {
		t.Fatal("a slot above the new cap of 1")
	}
	p.Release()
	if !p.Acquire(cancelled) {
		t.Fatal("no slot under the new cap")
	}
	p.Release()

	// Alternating 1 and 2 while windows come and go never lets 3 run.
	var running, most atomic.Int32
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 10 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if !p.Acquire(context.Background()) {
					return
				}
				n := running.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				running.Add(-1)
				p.Release()
			}
		})
	}
	for i := range 2000 {
		p.Resize(1 + i%2)
	}
	close(stop)
	p.Resize(2)
	wg.Wait()
	if most.Load() > 2 {
		t.Errorf("%d windows at once under caps of 1 and 2", most.Load())
	}
}
