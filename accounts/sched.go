package accounts

import (
	"container/heap"
	"context"
	"github.com/sellerconnect/sellerconnect/internal/clock"
	"sync"
	"sync/atomic"
	"time"
)

// scheduler keeps one deadline per account in a heap and runs one goroutine
// that sleeps until the earliest deadline, or for at most coarse, whichever
// comes first. The coarse cap is the wall-clock check: timers follow
// monotonic time, which stops while a laptop sleeps, so deadlines that
// passed during sleep (or a clock change) are found within coarse of waking.
//
// Due accounts run in their own goroutine, at most limit at once per group
// (provider); the rest wait in FIFO order and start as slots free up, so a
// wake-up after a long sleep refreshes everything at once but in bounded
// bursts.
type scheduler struct {
	clock  clock.Clock
	coarse time.Duration
	limit  int
	run    func(id string, planned time.Time)
	onTick func() // called on every coarse tick, outside the lock

	mu       sync.Mutex
	h        entryHeap
	byID     map[string]*entry
	inflight map[string]int
	waiting  map[string][]waitRef
	kick     chan struct{}

	wakeups atomic.Int64   // timer fires (not kicks)
	idle    atomic.Bool    // the loop waits in its select (tests wait for it)
	wg      sync.WaitGroup // runs in flight
}

type entryState int

const (
	inHeap entryState = iota
	waitingSlot
	running
)

type entry struct {
	id, group string
	at        time.Time
	idx       int
	state     entryState
	gen       int
	next      time.Time // a deadline set while running, applied when it ends
	hasNext   bool
	cancelled bool
}

type waitRef struct {
	e   *entry
	gen int
}

type entryHeap []*entry

func (h entryHeap) Len() int           { return len(h) }
func (h entryHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h entryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx = i
	h[j].idx = j
}
func (h *entryHeap) Push(x any) {
	e := x.(*entry)
	e.idx = len(*h)
	*h = append(*h, e)
}
func (h *entryHeap) Pop() any {
	old := *h
	n := len(old)
	e := old[n-1]
	old[n-1] = nil
	e.idx = -1
	*h = old[:n-1]
	return e
}

func newScheduler(clock clock.Clock, coarse time.Duration, limit int, run func(string, time.Time)) *scheduler {
	if limit < 1 {
		limit = 1
	}
	return &scheduler{
		clock:    clock,
		coarse:   coarse,
		limit:    limit,
		run:      run,
		byID:     map[string]*entry{},
		inflight: map[string]int{},
		waiting:  map[string][]waitRef{},
		kick:     make(chan struct{}, 1),
	}
}

// Schedule sets id's deadline (replacing any earlier one).
func (s *scheduler) Schedule(id, group string, at time.Time) {
	at = at.Round(0)
	s.mu.Lock()
	e := s.byID[id]
	switch {
	case e == nil:
		e = &entry{id: id, group: group, at: at}
		s.byID[id] = e
		heap.Push(&s.h, e)
	case e.state == inHeap:
		e.at = at
		heap.Fix(&s.h, e.idx)
	case e.state == waitingSlot:
		e.gen++
		e.state = inHeap
		e.at = at
		heap.Push(&s.h, e)
	case e.state == running:
		e.next, e.hasNext, e.cancelled = at, true, false
	}
	s.mu.Unlock()
	s.poke()
}

// Cancel forgets id's deadline.
func (s *scheduler) Cancel(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.byID[id]
	if e == nil {
		return
	}
	switch e.state {
	case inHeap:
		heap.Remove(&s.h, e.idx)
		delete(s.byID, id)
	case waitingSlot:
		e.gen++
		delete(s.byID, id)
	case running:
		e.hasNext, e.cancelled = false, true
	}
}

// Deadline returns id's pending deadline.
func (s *scheduler) Deadline(id string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.byID[id]
	if e == nil {
		return time.Time{}, false
	}
	switch e.state {
	case running:
		return e.next, e.hasNext
	default:
		return e.at, true
	}
}

// Len is the number of accounts with a deadline.
func (s *scheduler) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}

func (s *scheduler) poke() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run loops until ctx ends.
func (s *scheduler) Run(ctx context.Context) {
	t := s.clock.NewTimer(s.coarse)
	defer t.Stop()
	lastTick := s.clock.Now()
	for {
		now := s.clock.Now()
		s.mu.Lock()
		for s.h.Len() > 0 && !s.h[0].at.After(now) {
			e := heap.Pop(&s.h).(*entry)
			s.dispatchLocked(e)
		}
		wait := s.coarse
		if s.h.Len() > 0 {
			if d := s.h[0].at.Sub(now); d < wait {
				wait = d
			}
		}
		s.mu.Unlock()
		if wait < time.Millisecond {
			wait = time.Millisecond
		}
		t.Reset(wait)
		s.idle.Store(true)
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-t.C():
			s.wakeups.Add(1)
		}
		s.idle.Store(false)
		if now := s.clock.Now(); s.onTick != nil && (now.Sub(lastTick) >= s.coarse || now.Before(lastTick)) {
			lastTick = now
			s.onTick()
		}
	}
}

func (s *scheduler) dispatchLocked(e *entry) {
	if s.inflight[e.group] >= s.limit {
		e.state = waitingSlot
		e.gen++
		s.waiting[e.group] = append(s.waiting[e.group], waitRef{e, e.gen})
		return
	}
	s.inflight[e.group]++
	e.state = running
	e.hasNext, e.cancelled = false, false
	planned := e.at
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.run(e.id, planned)
		s.done(e)
	}()
}

func (s *scheduler) done(e *entry) {
	s.mu.Lock()
	s.inflight[e.group]--
	if s.inflight[e.group] == 0 {
		delete(s.inflight, e.group)
	}
	switch {
	case e.cancelled || !e.hasNext:
		if s.byID[e.id] == e {
			delete(s.byID, e.id)
		}
	default:
		e.state = inHeap
		e.at = e.next
		e.hasNext = false
		heap.Push(&s.h, e)
	}
	// Hand the freed slot to the oldest waiter of this group.
	q := s.waiting[e.group]
	for len(q) > 0 && s.inflight[e.group] < s.limit {
		w := q[0]
		q = q[1:]
		if w.e.state != waitingSlot || w.e.gen != w.gen || s.byID[w.e.id] != w.e {
			continue
		}
		s.dispatchLocked(w.e)
	}
	if len(q) == 0 {
		delete(s.waiting, e.group)
	} else {
		s.waiting[e.group] = q
	}
	s.mu.Unlock()
	s.poke()
}
