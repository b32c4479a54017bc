package accounts

import (
	"sync"
	"time"

	"github.com/sellerconnect/sellerconnect/storage"
)

// persister writes changed records and new timeline entries in batches,
// in one transaction: a token is what must never be lost (it is saved at
// once, two-phase, by the store); records carry status and diagnostics, so
// coalescing their writes keeps thousands of accounts cheap.
type persister struct {
	s       *Service
	mu      sync.Mutex
	dirty   map[string]bool
	timer   *time.Timer
	delay   time.Duration
	flushMu sync.Mutex
}

func (p *persister) init(s *Service) {
	p.s = s
	p.dirty = map[string]bool{}
	p.delay = 300 * time.Millisecond
}

func (p *persister) mark(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dirty[id] = true
	p.arm()
}

func (p *persister) drop(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.dirty, id)
}

func (p *persister) arm() {
	if p.timer == nil {
		p.timer = time.AfterFunc(p.delay, func() {
			if err := p.flushNow(); err != nil {
				p.s.logf("saving account records: %v", err)
			}
		})
	}
}

// flushNow writes the pending changes. Only accounts still in the store
// are written: one another process disconnected is forgotten here.
func (p *persister) flushNow() error {
	p.flushMu.Lock()
	defer p.flushMu.Unlock()
	p.mu.Lock()
	dirty := p.dirty
	p.dirty = map[string]bool{}
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	p.mu.Unlock()
	if len(dirty) == 0 {
		return nil
	}
	updates := make(map[string]storage.RecordUpdate, len(dirty))
	taken := map[*account]int{}
	for id := range dirty {
		p.s.mu.RLock()
		a := p.s.accts[id]
		p.s.mu.RUnlock()
		if a == nil {
			continue
		}
		a.mu.Lock()
		if !a.removed {
			r := a.rec
			r.Timeline = nil
			if r.Status == string(StatusRefreshing) {
				r.Status = string(StatusConnected)
			}
			if a.unsaved {
				r.Status = string(StatusNotSaved)
			}
			updates[id] = storage.RecordUpdate{Record: &r, Entries: append([]storage.TimelineEntry(nil), a.entries...)}
			taken[a] = len(a.entries)
		}
		a.mu.Unlock()
	}
	start := time.Now()
	gone, err := p.s.store.UpdateAccounts(updates, timelineKeep)
	took := time.Since(start)
	if err == nil {
		// The entries written leave the queue; newer ones stay for the next.
		for a, n := range taken {
			a.mu.Lock()
			a.entries = append(a.entries[:0:0], a.entries[min(n, len(a.entries)):]...)
			a.mu.Unlock()
		}
	}
	p.mu.Lock()
	if err != nil {
		for id := range dirty {
			p.dirty[id] = true // kept for the next try
		}
	}
	// Slow writes (thousands of accounts) space out the next ones.
	p.delay = max(300*time.Millisecond, min(10*took, 10*time.Second))
	if len(p.dirty) > 0 {
		p.arm()
	}
	p.mu.Unlock()
	for _, id := range gone {
		if a, ok := p.s.inMemory(id); ok {
			p.s.forget(a)
		}
	}
	return err
}
