package daemon

import (
	"context"
	"sync"
)

// pool is a counting semaphore whose size a reload may change. A smaller
// size takes effect at once for new windows: windows already running keep
// their slots, and nobody acquires one until the count is below the new
// size (swapping channels, as before, let old and new slots add up).
type pool struct {
	mu   sync.Mutex
	size int
	used int
	wake chan struct{} // closed when a slot may have freed
}

func newPool(size int) *pool { return &pool{size: size, wake: make(chan struct{})} }

// acquire waits for a slot; false when ctx ended first.
func (p *pool) acquire(ctx context.Context) bool {
	for {
		p.mu.Lock()
		if p.used < p.size {
			p.used++
			p.mu.Unlock()
			return true
		}
		wake := p.wake
		p.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return false
		}
	}
}

func (p *pool) release() {
	p.mu.Lock()
	p.used--
	p.signal()
	p.mu.Unlock()
}

func (p *pool) resize(size int) {
	p.mu.Lock()
	p.size = size
	p.signal()
	p.mu.Unlock()
}

// inUse is the number of slots held.
func (p *pool) inUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.used
}

// signal wakes every waiter to try again; p.mu held.
func (p *pool) signal() {
	close(p.wake)
	p.wake = make(chan struct{})
}
