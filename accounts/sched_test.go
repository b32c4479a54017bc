package accounts

import (
	"context"
	"fmt"
	"github.com/sellerconnect/sellerconnect/internal/clock"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sellerconnect/sellerconnect/oauth"
)

func TestSchedulerRunsInDeadlineOrderWithinLimit(t *testing.T) {
	fc := clock.NewFake(testStart)
	var (
		mu      sync.Mutex
		order   []string
		running atomic.Int64
		peak    atomic.Int64
		release = make(chan struct{})
	)
	s := newScheduler(fc, 30*time.Second, 2, func(id string, _ time.Time) {
		n := running.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		mu.Lock()
		order = append(order, id)
		mu.Unlock()
		if id != "other" { // another provider's account: not held
			<-release
		}
		running.Add(-1)
	})
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(order) }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	for i := 5; i >= 1; i-- {
		s.Schedule(fmt.Sprintf("a%d", i), "p", testStart.Add(time.Duration(i)*time.Second))
	}
	s.Schedule("other", "q", testStart.Add(10*time.Second))
	fc.Advance(20 * time.Second)
	waitUntil(t, func() bool { return count() == 3 })
	waitUntil(t, func() bool { return running.Load() == 2 })
	time.Sleep(20 * time.Millisecond)
	if got := running.Load(); got != 2 {
		t.Fatalf("running = %d, want the limit of 2", got)
	}
	// Free one slot at a time: waiters start in deadline order.
	for n := 4; n <= 6; n++ {
		release <- struct{}{}
		waitUntil(t, func() bool { return count() == n })
	}
	close(release)
	var ps []string
	for _, id := range order {
		if id != "other" {
			ps = append(ps, id)
		}
	}
	if ps[0] > ps[1] { // the first two start together
		ps[0], ps[1] = ps[1], ps[0]
	}
	if fmt.Sprint(ps) != "[a1 a2 a3 a4 a5]" {
		t.Fatalf("order %v", ps)
	}
	if peak.Load() > 3 {
		t.Fatalf("peak %d", peak.Load())
	}
	waitUntil(t, func() bool { return s.Len() == 0 })
}

func TestSchedulerCancelRescheduleAndWallClockCheck(t *testing.T) {
	fc := clock.NewFake(testStart)
	var ran sync.Map
	s := newScheduler(fc, 30*time.Second, 4, func(id string, _ time.Time) { ran.Store(id, true) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	s.Schedule("x", "p", testStart.Add(time.Hour))
	s.Schedule("y", "p", testStart.Add(time.Minute))
	s.Cancel("y")
	s.Schedule("z", "p", testStart.Add(2*time.Hour))
	s.Schedule("z", "p", testStart.Add(3*time.Hour)) // moved later
	// The loop has taken every Schedule's kick and waits on its timer:
	// from now on only a timer firing wakes it.
	waitUntil(t, func() bool { return fc.Timers() == 1 && len(s.kick) == 0 && s.idle.Load() })
	// The laptop sleeps for an hour and a half: wall time jumps, monotonic
	// timers do not move. The coarse check finds x within 30 s.
	fc.Jump(90 * time.Minute)
	time.Sleep(20 * time.Millisecond)
	if _, ok := ran.Load("x"); ok {
		t.Fatal("ran before any timer fired")
	}
	fc.Advance(30 * time.Second)
	waitUntil(t, func() bool { _, ok := ran.Load("x"); return ok })
	if _, ok := ran.Load("y"); ok {
		t.Fatal("cancelled entry ran")
	}
	if _, ok := ran.Load("z"); ok {
		t.Fatal("z ran at its old deadline")
	}
	if at, ok := s.Deadline("z"); !ok || !at.Equal(testStart.Add(3*time.Hour)) {
		t.Fatalf("z deadline %v %v", at, ok)
	}
}

func TestSchedulerIdleWakeups(t *testing.T) {
	fc := clock.NewFake(testStart)
	s := newScheduler(fc, 30*time.Second, 4, func(string, time.Time) {})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	for i := range 1000 {
		s.Schedule(fmt.Sprint(i), "p", testStart.Add(time.Hour+time.Duration(i)*time.Second))
	}
	waitUntil(t, func() bool { return fc.Timers() == 1 })
	// Ten idle minutes (every deadline is an hour away), in one-second steps.
	for range 600 {
		fc.Advance(time.Second)
		// Let the loop re-arm its timer, as real time would.
		waitUntil(t, func() bool { return fc.Timers() == 1 })
	}
	perMinute := float64(s.wakeups.Load()) / 10
	t.Logf("scheduler wake-ups per idle minute: %.1f", perMinute)
	if perMinute > 2.1 || perMinute < 1.8 {
		t.Fatalf("%.1f wake-ups per idle minute, want 2 (the 30 s wall-clock check)", perMinute)
	}
}

func TestBackoffGrowsAndHonoursRetryAfter(t *testing.T) {
	base, maxD := time.Second, time.Minute
	prevMax := time.Duration(0)
	for i := range 8 {
		lo, hi := time.Duration(1<<62), time.Duration(0)
		for range 200 {
			d := backoff(i, base, maxD, 0)
			lo, hi = min(lo, d), max(hi, d)
		}
		if lo < prevMax/2 || hi > maxD {
			t.Fatalf("attempt %d: range [%v, %v] after max %v", i, lo, hi, prevMax)
		}
		if i > 0 && base<<i < maxD/2 && hi <= prevMax {
			t.Fatalf("attempt %d does not grow: %v after %v", i, hi, prevMax)
		}
		if lo == hi && i < 5 {
			t.Fatalf("attempt %d: no jitter", i)
		}
		prevMax = hi
	}
	if d := backoff(0, base, maxD, 45*time.Second); d < 45*time.Second {
		t.Fatalf("Retry-After ignored: %v", d)
	}
}

func TestLeadIsTenPercentAtLeastAMinuteWithStableJitter(t *testing.T) {
	tm := defaultTiming
	tok := &oauth.Token{AccessToken: "x", IssuedAt: testStart, Expiry: testStart.Add(2 * time.Hour)}
	if l := tm.lead(tok); l != 12*time.Minute {
		t.Fatalf("lead %v", l)
	}
	short := &oauth.Token{AccessToken: "x", IssuedAt: testStart, Expiry: testStart.Add(5 * time.Minute)}
	if l := tm.lead(short); l != time.Minute {
		t.Fatalf("short lead %v", l)
	}
	at1, at2 := tm.refreshAt("a", tok), tm.refreshAt("a", tok)
	if !at1.Equal(at2) {
		t.Fatal("jitter not stable")
	}
	spread := map[time.Time]bool{}
	for i := range 50 {
		at := tm.refreshAt(fmt.Sprint("acct", i), tok)
		if at.After(tok.Expiry.Add(-12*time.Minute)) || at.Before(tok.Expiry.Add(-18*time.Minute)) {
			t.Fatalf("refreshAt %v outside [expiry-18m, expiry-12m]", at)
		}
		spread[at] = true
	}
	if len(spread) < 40 {
		t.Fatalf("jitter spreads too little: %d distinct", len(spread))
	}
}

func TestSubscribersNeverBlockAndCoalesce(t *testing.T) {
	var h hub
	slow, cancelSlow := h.subscribe()
	fast, cancelFast := h.subscribe()
	defer cancelFast()
	got := make(chan int, 1)
	go func() {
		n := 0
		for range fast {
			n++
			if n == 1 {
				got <- n
			}
		}
	}()
	done := make(chan struct{})
	go func() {
		for i := range 100000 {
			h.publish(Event{Account: Account{ID: fmt.Sprint("a", i%10), Reason: fmt.Sprint(i)}})
		}
		h.publish(Event{Removed: true, Account: Account{ID: "a3"}})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("publish blocked on a subscriber that does not read")
	}
	<-got
	// The slow subscriber sees at most one pending event per account plus
	// its channel buffer, ending with each account's newest state.
	last := map[string]Event{}
	n := 0
	timeout := time.After(5 * time.Second)
	for len(last) < 10 || !last["a3"].Removed || last["a9"].Account.Reason != "99999" {
		select {
		case ev := <-slow:
			last[ev.Account.ID] = ev
			n++
		case <-timeout:
			t.Fatalf("slow subscriber did not catch up: %d events, last %v", n, last)
		}
	}
	if n > 16+10+1 { // buffer, one pending per account, one in hand
		t.Fatalf("slow subscriber got %d events; they should coalesce", n)
	}
	cancelSlow()
	cancelSlow()
}

func TestStatusDerivation(t *testing.T) {
	s := &Service{t: defaultTiming, clock: clock.NewFake(testStart)}
	now := testStart
	a := &account{status: StatusConnected}
	cases := []struct {
		rb   time.Time
		want Status
	}{
		{time.Time{}, StatusConnected},
		{now.Add(30 * 24 * time.Hour), StatusConnected},
		{now.Add(13 * 24 * time.Hour), StatusExpiring},
		{now.Add(-time.Hour), StatusReconnect},
	}
	for _, c := range cases {
		st, reason, action := s.derive(a, Account{ReconnectBy: c.rb}, oauth.LifetimeAbsolute, now)
		if st != c.want || reason == "" {
			t.Errorf("reconnect-by %v: %s %q %q", c.rb, st, reason, action)
		}
		if st == StatusExpiring && action == "" {
			t.Error("expiring without an action")
		}
	}
	a = &account{status: StatusConnected, unsaved: true}
	if st, _, action := s.derive(a, Account{}, oauth.LifetimeAbsolute, now); st != StatusNotSaved || action == "" {
		t.Errorf("unsaved: %s %q", st, action)
	}
	a = &account{status: StatusOffline, reason: "x"}
	if st, _, action := s.derive(a, Account{}, oauth.LifetimeAbsolute, now); st != StatusOffline || action == "" {
		t.Errorf("offline: %s %q", st, action)
	}
}

func waitUntil(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
