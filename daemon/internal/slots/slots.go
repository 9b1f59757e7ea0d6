// Package slots bounds how many windows run at once, by a count a reload
// may change.
package slots

import (
	"context"
	"sync"
)

// Pool is a counting semaphore whose size a reload may change. A smaller
// size takes effect at once for new windows: windows already running keep
// their slots, and nobody acquires one until the count is below the new
// size (swapping channels, as before, let old and new slots add up).
type Pool struct {
	mu   sync.Mutex
	size int
	used int
	wake chan struct{} // closed when a slot may have freed
}

// New is a pool of size slots.
func New(size int) *Pool { return &Pool{size: size, wake: make(chan struct{})} }

// Acquire waits for a slot; false when ctx ended first.
func (p *Pool) Acquire(ctx context.Context) bool {
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

// Release frees a slot.
func (p *Pool) Release() {
	p.mu.Lock()
	p.used--
	p.signal()
	p.mu.Unlock()
}

// Resize changes the count; windows holding slots keep them.
func (p *Pool) Resize(size int) {
	p.mu.Lock()
	p.size = size
	p.signal()
	p.mu.Unlock()
}

// InUse is the number of slots held.
func (p *Pool) InUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.used
}

// signal wakes every waiter to try again; p.mu held.
func (p *Pool) signal() {
	close(p.wake)
	p.wake = make(chan struct{})
}
