// Package clock is the time source of the accounts service: the system clock,
// and a fake one tests move by hand.
package clock

import (
	"sort"
	"sync"
	"time"
)

// Clock is the time source of the service. Timers created by it are
// monotonic: like Go's timers on a real machine they do not advance while a
// laptop sleeps, which is why the scheduler also re-checks wall-clock
// deadlines on a coarse tick.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is a resettable one-shot timer.
type Timer interface {
	C() <-chan time.Time
	// Reset rearms the timer to fire after d; a pending fire is discarded.
	Reset(d time.Duration)
	Stop()
}

// Real is the system clock.
type Real struct{}

// Now returns the wall-clock time without its monotonic reading, so that
// comparisons with stored deadlines follow the wall clock (which keeps
// running while the machine sleeps).
func (Real) Now() time.Time { return time.Now().Round(0) }

// NewTimer returns a timer backed by time.Timer.
func (Real) NewTimer(d time.Duration) Timer { return &realTimer{t: time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r *realTimer) C() <-chan time.Time { return r.t.C }

// Reset relies on Go 1.23+ timer semantics: Reset discards a pending value.
func (r *realTimer) Reset(d time.Duration) { r.t.Reset(d) }
func (r *realTimer) Stop()                 { r.t.Stop() }

// Fake is a controllable clock for tests. Advance moves both the wall
// clock and the monotonic time that timers follow; Jump moves only the wall
// clock, the way a suspended laptop sees time when it wakes.
type Fake struct {
	mu     sync.Mutex
	wall   time.Time
	mono   time.Duration
	timers []*fakeTimer
}

// NewFake returns a fake clock set to start.
func NewFake(start time.Time) *Fake { return &Fake{wall: start.Round(0)} }

// Now returns the fake wall-clock time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.wall
}

// Advance moves wall and monotonic time forward by d, firing due timers.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	f.wall = f.wall.Add(d)
	f.mono += d
	f.fireLocked()
	f.mu.Unlock()
}

// Jump moves only the wall clock (a sleep or a clock change); timers do not
// notice until monotonic time advances.
func (f *Fake) Jump(d time.Duration) {
	f.mu.Lock()
	f.wall = f.wall.Add(d)
	f.mu.Unlock()
}

// Timers reports how many timers are armed (for tests that wait for the
// scheduler to go idle).
func (f *Fake) Timers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, t := range f.timers {
		if t.armed {
			n++
		}
	}
	return n
}

// NextTimer returns how long until the earliest armed timer fires, or false.
func (f *Fake) NextTimer() (time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var best time.Duration
	ok := false
	for _, t := range f.timers {
		if t.armed && (!ok || t.when < best) {
			best, ok = t.when, true
		}
	}
	return best - f.mono, ok
}

func (f *Fake) fireLocked() {
	sort.SliceStable(f.timers, func(i, j int) bool { return f.timers[i].when < f.timers[j].when })
	for _, t := range f.timers {
		if t.armed && t.when <= f.mono {
			t.armed = false
			select {
			case t.c <- f.wall:
			default:
			}
		}
	}
}

// NewTimer returns a fake timer.
func (f *Fake) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{f: f, c: make(chan time.Time, 1)}
	f.mu.Lock()
	f.timers = append(f.timers, t)
	f.mu.Unlock()
	t.Reset(d)
	return t
}

type fakeTimer struct {
	f     *Fake
	c     chan time.Time
	when  time.Duration
	armed bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Reset(d time.Duration) {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	select {
	case <-t.c:
	default:
	}
	t.when = t.f.mono + d
	t.armed = true
	t.f.fireLocked()
}

func (t *fakeTimer) Stop() {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	t.armed = false
	select {
	case <-t.c:
	default:
	}
}
