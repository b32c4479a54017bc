package accounts

import (
	"fmt"
	"sync"

	"github.com/sellerconnect/sellerconnect/storage"
)

// hub fans events out to subscribers without ever blocking the publisher.
// Each subscriber has a pending set, coalesced per account (the newest
// snapshot wins; an added or removed kind is kept over a plain update), and a
// goroutine that hands events to the subscriber's channel at its own pace.
type hub struct {
	mu   sync.Mutex
	subs map[*subscriber]struct{}
}

type subscriber struct {
	out    chan Event
	signal chan struct{}
	done   chan struct{}

	mu      sync.Mutex
	order   []string
	pending map[string]Event
}

func (h *hub) subscribe() (<-chan Event, func()) {
	s := &subscriber{
		out:     make(chan Event, 16),
		signal:  make(chan struct{}, 1),
		done:    make(chan struct{}),
		pending: map[string]Event{},
	}
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[*subscriber]struct{}{}
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	go s.deliver()
	var once sync.Once
	return s.out, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs, s)
			h.mu.Unlock()
			close(s.done)
		})
	}
}

func (h *hub) publish(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		s.put(ev)
	}
}

func (s *subscriber) put(ev Event) {
	s.mu.Lock()
	id := ev.Account.ID
	// The newest event of an account stands for the ones before it: a
	// face adds an account it does not know and updates one it does.
	if _, ok := s.pending[id]; !ok {
		s.order = append(s.order, id)
	}
	s.pending[id] = ev
	s.mu.Unlock()
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

func (s *subscriber) deliver() {
	defer close(s.out)
	for {
		select {
		case <-s.done:
			return
		case <-s.signal:
		}
		for {
			s.mu.Lock()
			if len(s.order) == 0 {
				s.mu.Unlock()
				break
			}
			id := s.order[0]
			s.order = s.order[1:]
			ev := s.pending[id]
			delete(s.pending, id)
			s.mu.Unlock()
			select {
			case s.out <- ev:
			case <-s.done:
				return
			}
		}
	}
}

// announce publishes a's snapshot; a status change also goes to the
// timeline.
func (s *Service) announce(a *account) {
	now := s.clock.Now()
	v := s.view(a, now, false)
	a.mu.Lock()
	if a.removed {
		// Forgotten meanwhile (disconnected here or by another process):
		// a snapshot now would bring it back into the faces' lists.
		a.mu.Unlock()
		return
	}
	prev := Status(a.rec.Status)
	changed := v.Status != prev && v.Status != StatusRefreshing
	if changed {
		a.rec.Status, a.rec.StatusReason = string(v.Status), v.Reason
		e := storage.TimelineEntry{Time: now, Kind: "status",
			Summary: scrub(fmt.Sprintf("%s → %s: %s", orNew(prev), v.Status, v.Reason), a.secrets)}
		a.appendEntry(e)
	} else if v.Status != StatusRefreshing {
		a.rec.StatusReason = v.Reason
	}
	a.rec.LastError = a.lastErr
	// Published under a.mu, so that forget (which marks the account
	// removed under it, then publishes the removal) comes after it.
	s.hub.publish(Event{Account: v})
	a.mu.Unlock()
	s.persist.mark(a.id)
	if changed {
		s.logf("account %s: %s", a.id, v.Status)
	}
}

func orNew(s Status) string {
	if s == "" {
		return "new"
	}
	return string(s)
}
