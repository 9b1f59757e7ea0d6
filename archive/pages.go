package archive

import (
	"container/list"
	"sync"
	"time"
)

// Pages caches rendered pages in memory, least recently used out first,
// within a byte budget. A page is keyed by its run and by the state of
// the report it was rendered from, so a rewritten report (an interrupted
// window marked aborted) is rendered again.
type Pages struct {
	mu       sync.Mutex
	max, now int
	lru      *list.List // of *page, most recent first
	byID     map[string]*list.Element
}

type page struct {
	id    string
	size  int64
	mtime time.Time
	body  []byte
}

// NewPages is a cache of at most maxBytes of pages.
func NewPages(maxBytes int) *Pages {
	return &Pages{max: maxBytes, lru: list.New(), byID: map[string]*list.Element{}}
}

// Get is the page of run id rendered from a report of that size and
// modification time, if cached.
func (p *Pages) Get(id string, size int64, mtime time.Time) ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	el, ok := p.byID[id]
	if !ok {
		return nil, false
	}
	pg := el.Value.(*page)
	if pg.size != size || !pg.mtime.Equal(mtime) {
		p.drop(el)
		return nil, false
	}
	p.lru.MoveToFront(el)
	return pg.body, true
}

// Put caches a page; one larger than the whole budget is not kept.
func (p *Pages) Put(id string, size int64, mtime time.Time, body []byte) {
	if len(body) > p.max {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if el, ok := p.byID[id]; ok {
		p.drop(el)
	}
	p.byID[id] = p.lru.PushFront(&page{id: id, size: size, mtime: mtime, body: body})
	p.now += len(body)
	for p.now > p.max {
		p.drop(p.lru.Back())
	}
}

// Forget drops run id's page.
func (p *Pages) Forget(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if el, ok := p.byID[id]; ok {
		p.drop(el)
	}
}

func (p *Pages) drop(el *list.Element) {
	pg := el.Value.(*page)
	p.lru.Remove(el)
	delete(p.byID, pg.id)
	p.now -= len(pg.body)
}
