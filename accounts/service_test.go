package accounts

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/oauth/emulator"
	"github.com/sellerconnect/sellerconnect/storage/faultstore"
)

func bg(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// slowAnswers delays handing the provider's answer to the service, after
// the provider handled the request: a rotating provider has already ended
// the old tokens while the answer is still on its way.
type slowAnswers struct {
	inner   http.RoundTripper
	delay   time.Duration
	pending atomic.Int64
}

func (s *slowAnswers) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.inner.RoundTrip(r)
	s.pending.Add(1)
	time.Sleep(s.delay)
	s.pending.Add(-1)
	return resp, err
}

// While a refresh is on its way, Token (in this process and in another
// service on the same data directory, standing for another process) must
// not serve the token the provider has already replaced.
func TestTokenWaitsForARefreshInFlight(t *testing.T) {
	e := newEnv(t, envOpts{timing: fastTiming()})
	id := e.connect("demo", "inflight-seller").ID
	ctx := bg(t)
	other := e.second()
	old, err := other.Token(ctx, id) // the other process holds the token in memory
	if err != nil {
		t.Fatal(err)
	}
	if mine, err := e.svc.Token(ctx, id); err != nil || mine != old {
		t.Fatalf("both services should hold the connected token: %v", err)
	}
	slow := &slowAnswers{inner: http.DefaultTransport, delay: 400 * time.Millisecond}
	e.svc.http = &http.Client{Transport: slow}
	done := make(chan error, 1)
	go func() { done <- e.svc.Refresh(ctx, id) }()
	e.waitFor("the provider to rotate and the answer to be held up", 5*time.Second, func() bool {
		return !e.em.AccessValid(emulator.Demo, old) && slow.pending.Load() == 1
	})
	for name, svc := range map[string]*Service{"this process": e.svc, "another process": other} {
		since := e.clock.Now()
		tok, err := svc.Token(ctx, id)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !e.em.AccessValidSince(emulator.Demo, tok, since) {
			t.Errorf("%s served a token the provider had already replaced", name)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// The connection drops after the provider rotated (the answer with the new
// tokens is lost), on the scheduler's own refresh and on "Refresh now": the
// account ends "reconnect needed" saying why and what to do, and nothing
// keeps knocking at the provider.
func TestConnectionDropsAfterRotation(t *testing.T) {
	for _, how := range []string{"scheduled", "refresh now"} {
		t.Run(how, func(t *testing.T) {
			ttl := 120
			if how == "scheduled" {
				ttl = 2 // the scheduler refreshes within about 1.5 s
			}
			e := newEnv(t, envOpts{accessTTL: ttl, timing: fastTiming()})
			id := e.connect("demo", "drop-seller").ID
			ctx := bg(t)
			e.em.Inject(emulator.Demo, emulator.Fault{Kind: emulator.FaultDropAfterRotate, Count: 1})
			start := e.em.Stats(emulator.Demo)
			e.svc.Start(ctx)
			if how == "refresh now" {
				err := e.svc.Refresh(ctx, id)
				if err == nil {
					t.Fatal("Refresh succeeded though the answer was lost")
				}
				collectErr(err)
			}
			e.waitFor("reconnect needed", 10*time.Second, func() bool { return e.status(id).Status == StatusReconnect })
			a := e.status(id)
			t.Logf("reason: %s / action: %s", a.Reason, a.Action)
			if !containsAny(a.Reason, "dropped", "connection") || !strings.Contains(a.Reason, "replaced") {
				t.Errorf("the reason does not explain the lost answer: %q", a.Reason)
			}
			if !strings.Contains(a.Action, "Connect") {
				t.Errorf("the action does not say what to do: %q", a.Action)
			}
			_, err := e.svc.Token(ctx, id)
			collectErr(err)
			if !isKind(err, oauth.KindReconnect) {
				t.Errorf("Token: %v, want a reconnect error", err)
			}
			// No silent loop: nothing more reaches the provider, whatever
			// the scheduler's clock does and however often Token is asked.
			after := e.em.Stats(emulator.Demo)
			for range 20 {
				_, err := e.svc.Token(ctx, id)
				collectErr(err)
				time.Sleep(100 * time.Millisecond)
			}
			final := e.em.Stats(emulator.Demo)
			attempts := final.TokenRequests - start.TokenRequests
			t.Logf("token requests after the fault: %d (then %d in 2 s); refreshes %d, invalid_grant %d",
				attempts, final.TokenRequests-after.TokenRequests, final.Refreshes-start.Refreshes, final.InvalidGrant-start.InvalidGrant)
			if final.TokenRequests != after.TokenRequests {
				t.Errorf("%d more token requests once reconnect was needed", final.TokenRequests-after.TokenRequests)
			}
			if attempts > 3 {
				t.Errorf("%d token requests: the scheduler kept trying", attempts)
			}
			if s := e.status(id).Status; s != StatusReconnect {
				t.Errorf("status %s, want still reconnect needed", s)
			}
			// Connecting again repairs it.
			e.connect("demo", "drop-seller")
			if a := e.status(id); a.Status != StatusConnected {
				t.Errorf("after reconnecting: %s %s", a.Status, a.Reason)
			}
		})
	}
}

// The keychain refuses to save renewed tokens for a while: the account
// shows "not saved" and keeps working from memory, saving is retried, and
// when the keychain recovers the newest token is stored. The provider
// accepts it throughout: the rotated refresh token is never dropped.
func TestKeychainFailsForAWhile(t *testing.T) {
	e := newEnv(t, envOpts{timing: fastTiming()})
	id := e.connect("demo", "keychain-seller").ID
	ctx := bg(t)
	e.svc.Start(ctx)
	e.fault.Inject(faultstore.Fault{Op: faultstore.Set, KeyPrefix: "account:"})
	sets := e.fault.Calls(faultstore.Set)
	var toks []string
	for range 2 { // two rotations while the keychain refuses
		if err := e.svc.Refresh(ctx, id); err != nil {
			t.Fatalf("refresh: %v", err)
		}
		tok, err := e.svc.Token(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !e.em.AccessValid(emulator.Demo, tok) {
			t.Fatal("the token held in memory is not accepted by the provider")
		}
		toks = append(toks, tok)
	}
	if toks[0] == toks[1] {
		t.Fatal("the second refresh did not rotate")
	}
	a := e.status(id)
	t.Logf("not saved: %s / %s (next retry in %v)", a.Reason, a.Action, time.Until(a.NextRetry).Round(time.Millisecond))
	if a.Status != StatusNotSaved || !strings.Contains(a.Reason, "keychain") || a.Action == "" || a.NextRetry.IsZero() {
		t.Fatalf("status %s %q %q next %v", a.Status, a.Reason, a.Action, a.NextRetry)
	}
	// Saving is retried on its own.
	e.waitFor("save retries", 5*time.Second, func() bool { return e.fault.Calls(faultstore.Set) >= sets+4 })
	if s := e.status(id).Status; s != StatusNotSaved {
		t.Fatalf("status %s while the keychain still refuses", s)
	}
	retries := e.fault.Calls(faultstore.Set) - sets
	e.fault.ClearAll()
	e.waitFor("saved", 10*time.Second, func() bool { return e.status(id).Status == StatusConnected })
	stored := e.storedToken(id)
	if stored.AccessToken != toks[1] {
		t.Error("the keychain does not hold the newest token")
	}
	if !e.em.RefreshValid(emulator.Demo, stored.RefreshToken) {
		t.Error("the stored refresh token is not the provider's current one")
	}
	tok, err := e.svc.Token(ctx, id)
	if err != nil || !e.em.AccessValid(emulator.Demo, tok) {
		t.Fatalf("after recovery: %v", err)
	}
	saved := false
	for _, x := range e.status(id).Timeline {
		saved = saved || strings.Contains(x.Summary, "now saved")
	}
	if !saved {
		t.Error("the timeline does not say the token was saved")
	}
	t.Logf("save attempts while the keychain refused: %d", retries)
	// A later rotation stores normally.
	if err := e.svc.Refresh(ctx, id); err != nil {
		t.Fatal(err)
	}
	if e.status(id).Status != StatusConnected || !e.em.RefreshValid(emulator.Demo, e.storedToken(id).RefreshToken) {
		t.Error("the refresh after recovery was not saved")
	}
}

// approverPool approves each consent page as a new seller.
type approverPool struct {
	prefix string
	n      atomic.Int64
}

func (p *approverPool) Open(u string) error {
	return (&emulator.AutoApprover{Seller: fmt.Sprintf("%s-%d", p.prefix, p.n.Add(1))}).Open(u)
}

func (e *env) connectMany(prefix string, n int) []string {
	e.t.Helper()
	e.svc.cfg.Opener = &approverPool{prefix: prefix}
	var (
		mu   sync.Mutex
		ids  []string
		wg   sync.WaitGroup
		errs []error
		sem  = make(chan struct{}, 8)
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			a, err := e.svc.Connect(ctx, ConnectRequest{Provider: "demo", Timeout: 20 * time.Second})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			ids = append(ids, a.ID)
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		e.t.Fatalf("connecting %d accounts: %d failed, first: %v", n, len(errs), errs[0])
	}
	return ids
}

// A laptop sleeps for an hour (the controlled clock's wall time jumps; its
// timers, like monotonic ones, do not move): the coarse wall-clock check
// finds every overdue account, and they are refreshed at once, never more
// than PerProvider at a time.
func TestSleepRefreshesOverdueAccountsInBoundedBursts(t *testing.T) {
	const n = 50
	tm := fastTiming()
	tm.MinLead = time.Minute
	tm.Guarantee = 30 * time.Second
	tm.WallCheck = 30 * time.Second
	tm.RetryBase, tm.RetryMax = 10*time.Second, 5*time.Minute
	// Secrets in memory: the keychain is not what this test is about, and
	// 50 accounts through it take seconds.
	e := newEnv(t, envOpts{fake: true, accessTTL: 3600, timing: tm, memory: true})
	start := time.Now()
	ids := e.connectMany("sleeper", n)
	t.Logf("connected %d accounts in %v", n, time.Since(start).Round(time.Millisecond))
	ctx := bg(t)
	e.svc.Start(ctx)
	e.waitFor("the scheduler to sleep", 5*time.Second, func() bool { return e.fc.Timers() == 1 })
	before := e.em.Stats(emulator.Demo)
	// Each refresh takes the provider 100 ms, so the bursts overlap.
	e.em.Inject(emulator.Demo, emulator.Fault{Kind: emulator.FaultLatency, Latency: 100 * time.Millisecond})
	e.fc.Jump(time.Hour + 5*time.Minute) // every access token has expired
	time.Sleep(50 * time.Millisecond)
	if r := e.svc.refreshes.Load(); r != 0 {
		t.Fatalf("%d refreshes before any timer fired", r)
	}
	// The coarse check fires within WallCheck of waking.
	woke := time.Now()
	e.fc.Advance(tm.WallCheck)
	e.waitFor("every overdue account refreshed", 20*time.Second, func() bool { return e.svc.refreshes.Load() >= n })
	took := time.Since(woke)
	st := e.em.Stats(emulator.Demo)
	peak := e.svc.peakHTTP.Load()
	t.Logf("after the jump: %d refreshes in %v (real time, no further clock movement); peak refresh requests in flight: %d (limit %d); "+
		"overlapping refreshes %d; invalid_grant %d", st.Refreshes-before.Refreshes, took.Round(time.Millisecond), peak, tm.PerProvider,
		st.ConcurrentRefreshes, st.InvalidGrant)
	if peak > int64(tm.PerProvider) {
		t.Errorf("%d refreshes in flight at once, limit %d", peak, tm.PerProvider)
	}
	if peak < 2 {
		t.Errorf("peak %d: the overdue accounts were refreshed one by one, not in bursts", peak)
	}
	if st.Refreshes-before.Refreshes != n || st.InvalidGrant != 0 || st.ConcurrentRefreshes != 0 {
		t.Errorf("refreshes %d (want %d), invalid_grant %d, overlapping %d", st.Refreshes-before.Refreshes, n, st.InvalidGrant, st.ConcurrentRefreshes)
	}
	e.waitFor("statuses", 5*time.Second, func() bool {
		for _, id := range ids {
			if e.status(id).Status != StatusConnected {
				return false
			}
		}
		return true
	})
	for _, id := range ids {
		tok, err := e.svc.Token(ctx, id)
		if err != nil || !e.em.AccessValid(emulator.Demo, tok) {
			t.Fatalf("%s after the sleep: %v", id, err)
		}
		if a := e.status(id); !a.NextRefresh.After(e.fc.Now()) {
			t.Errorf("%s: next refresh %v is not in the future", id, a.NextRefresh)
		}
	}
	if r := e.svc.refreshes.Load(); r != n {
		t.Errorf("%d refreshes, want exactly %d", r, n)
	}
}

// switchable is a front for the emulator that can stop answering
// (connection refused) and come back on the same address.
type switchable struct {
	t     *testing.T
	addr  string
	proxy http.Handler
	mu    sync.Mutex
	srv   *http.Server
}

func newSwitchable(t *testing.T, target string) *switchable {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	s := &switchable{t: t, proxy: httputil.NewSingleHostReverseProxy(u)}
	s.up("127.0.0.1:0")
	t.Cleanup(s.down)
	return s
}

func (s *switchable) up(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	srv := &http.Server{Handler: s.proxy, ReadHeaderTimeout: 5 * time.Second}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

func (s *switchable) down() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		_ = s.srv.Close()
		s.srv = nil
	}
}

// The provider answers 503, then stops answering at all, then comes back:
// the account is offline with the next try shown, the intervals grow, and
// it is connected again once the provider answers.
func TestProviderDownThenBack(t *testing.T) {
	tm := fastTiming()
	tm.MinLead = time.Minute
	tm.Guarantee = 30 * time.Second
	tm.WallCheck = 30 * time.Second
	tm.RetryBase, tm.RetryMax = 10*time.Second, 5*time.Minute
	e := newEnv(t, envOpts{fake: true, accessTTL: 3600, timing: tm})
	id := e.connect("demo", "offline-seller").ID
	front := newSwitchable(t, e.em.URL())
	e.svc.cfg.Endpoints["demo"] = "http://" + front.addr + "/demo"
	ctx := bg(t)
	e.svc.Start(ctx)
	e.waitFor("the scheduler to sleep", 5*time.Second, func() bool { return e.fc.Timers() == 1 })

	e.em.Inject(emulator.Demo, emulator.Fault{Kind: emulator.FaultStatus, Status: 503})
	a := e.status(id)
	e.fc.Advance(a.NextRefresh.Sub(e.fc.Now()))
	e.waitFor("offline", 10*time.Second, func() bool { return e.status(id).Status == StatusOffline })

	var intervals []time.Duration
	const failures = 8
	for i := 0; ; i++ {
		a := e.status(id)
		now := e.fc.Now()
		if a.Status != StatusOffline || a.NextRetry.IsZero() || !strings.Contains(a.Reason, "next try at") || a.Action == "" {
			t.Fatalf("failure %d: %s %q %q next %v", i+1, a.Status, a.Reason, a.Action, a.NextRetry)
		}
		want := "server error 503"
		if i > 3 {
			want = "no answer"
		}
		if !strings.Contains(a.Reason, want) {
			t.Errorf("failure %d: reason %q does not say %q", i+1, a.Reason, want)
		}
		intervals = append(intervals, a.NextRetry.Sub(now))
		if i == 3 {
			// From now on nothing answers at all.
			e.em.Clear(emulator.Demo)
			front.down()
		}
		if i == failures-1 {
			front.up(front.addr)
		}
		prev := a.NextRetry
		// The wall-clock check may tick in between: it must not retry early.
		e.fc.Advance(a.NextRetry.Sub(now) - time.Second)
		time.Sleep(20 * time.Millisecond)
		if got := e.status(id); !got.NextRetry.Equal(prev) {
			t.Fatalf("failure %d: retried before the announced time", i+1)
		}
		e.fc.Advance(time.Second)
		if i == failures-1 {
			break
		}
		e.waitFor("the next failure", 10*time.Second, func() bool {
			a := e.status(id)
			return a.Status == StatusOffline && !a.NextRetry.Equal(prev)
		})
	}
	e.waitFor("connected", 10*time.Second, func() bool { return e.status(id).Status == StatusConnected })
	tok, err := e.svc.Token(ctx, id)
	if err != nil || !e.em.AccessValid(emulator.Demo, tok) {
		t.Fatalf("after the provider came back: %v", err)
	}
	var shown []string
	for _, d := range intervals {
		shown = append(shown, d.Round(100*time.Millisecond).String())
	}
	t.Logf("retry intervals: %s", strings.Join(shown, ", "))
	for i := 1; i < len(intervals); i++ {
		if intervals[i] < intervals[i-1] && intervals[i-1] < tm.RetryMax/2 {
			t.Errorf("interval %d (%v) shorter than the one before (%v)", i+1, intervals[i], intervals[i-1])
		}
	}
	if intervals[0] > tm.RetryBase || intervals[len(intervals)-1] < 8*intervals[0] {
		t.Errorf("intervals do not grow from the base: %v", intervals)
	}
	for _, d := range intervals {
		if d > tm.RetryMax {
			t.Errorf("interval %v beyond the maximum %v", d, tm.RetryMax)
		}
	}
	st := e.em.Stats(emulator.Demo)
	if st.InvalidGrant != 0 {
		t.Errorf("invalid_grant %d", st.InvalidGrant)
	}
}

// A refresh that has reached a rotating provider must not be abandoned
// halfway: the provider rotates whether or not the answer is awaited, so a
// caller giving up (Ctrl-C on `sellerconnect token`) or the app closing
// while the request is out would lose the new refresh token, and the
// account with it.
func TestInterruptedRefreshKeepsTheAccount(t *testing.T) {
	for _, how := range []string{"caller gives up", "service closes"} {
		t.Run(how, func(t *testing.T) {
			ttl := 120
			if how == "service closes" {
				ttl = 2 // the scheduler refreshes within about 1.5 s
			}
			e := newEnv(t, envOpts{accessTTL: ttl, timing: fastTiming()})
			id := e.connect("demo", "interrupted-seller").ID
			// The provider takes 400 ms over each refresh.
			e.em.Inject(emulator.Demo, emulator.Fault{Kind: emulator.FaultLatency, Latency: 400 * time.Millisecond})
			before := e.em.Stats(emulator.Demo).TokenRequests
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			if how == "caller gives up" {
				go func() { done <- e.svc.Refresh(ctx, id) }()
			} else {
				e.svc.Start(ctx)
			}
			e.waitFor("the refresh to reach the provider", 5*time.Second, func() bool {
				return e.em.Stats(emulator.Demo).TokenRequests > before
			})
			time.Sleep(50 * time.Millisecond)
			if how == "caller gives up" {
				cancel()
				collectErr(<-done)
			} else {
				collectErr(e.svc.Close())
			}
			e.em.Clear(emulator.Demo)
			// Whatever the caller saw, the account survives: the keychain
			// holds the provider's current refresh token, and a service
			// opened afresh on the same data (the app started again) works.
			e.waitFor("the refresh to finish", 5*time.Second, func() bool {
				a := e.status(id)
				return a.Status != StatusRefreshing
			})
			stored := e.storedToken(id)
			if !e.em.RefreshValid(emulator.Demo, stored.RefreshToken) {
				t.Error("the keychain holds a refresh token the provider already replaced")
			}
			e.harvest()
			collectErr(e.svc.Close())
			e.open()
			tok, err := e.svc.Token(bg(t), id)
			collectErr(err)
			if err != nil || !e.em.AccessValid(emulator.Demo, tok) {
				t.Fatalf("after restarting: %v", err)
			}
			if err := e.svc.Refresh(bg(t), id); err != nil {
				t.Fatalf("refresh after restarting: %v", err)
			}
			if st := e.em.Stats(emulator.Demo); st.InvalidGrant != 0 {
				t.Errorf("invalid_grant %d", st.InvalidGrant)
			}
		})
	}
}

// A provider that answers 429 with Retry-After is not asked again sooner,
// however small the backoff would be.
func TestRateLimitHonoursRetryAfter(t *testing.T) {
	tm := fastTiming()
	tm.MinLead = time.Minute
	tm.Guarantee = 30 * time.Second
	tm.WallCheck = 30 * time.Second
	tm.RetryBase, tm.RetryMax = 10*time.Second, 5*time.Minute
	e := newEnv(t, envOpts{fake: true, accessTTL: 3600, timing: tm})
	id := e.connect("demo", "busy-seller").ID
	ctx := bg(t)
	e.svc.Start(ctx)
	e.waitFor("the scheduler to sleep", 5*time.Second, func() bool { return e.fc.Timers() == 1 })
	e.em.Inject(emulator.Demo, emulator.Fault{Kind: emulator.FaultRateLimit, RetryAfter: 120, Count: 1})
	e.fc.Advance(e.status(id).NextRefresh.Sub(e.fc.Now()))
	e.waitFor("offline", 10*time.Second, func() bool { return e.status(id).Status == StatusOffline })
	a := e.status(id)
	wait := a.NextRetry.Sub(e.fc.Now())
	t.Logf("429 with Retry-After 120: next try in %v; %s", wait.Round(100*time.Millisecond), a.Reason)
	if wait < 120*time.Second || !strings.Contains(a.Reason, "too many requests") {
		t.Fatalf("next try in %v, reason %q", wait, a.Reason)
	}
	requests := e.em.Stats(emulator.Demo).TokenRequests
	e.fc.Advance(wait - time.Second)
	time.Sleep(50 * time.Millisecond)
	if n := e.em.Stats(emulator.Demo).TokenRequests; n != requests {
		t.Fatal("asked the provider again before Retry-After passed")
	}
	e.fc.Advance(time.Second)
	e.waitFor("connected", 10*time.Second, func() bool { return e.status(id).Status == StatusConnected })
}

// Another process holds a renewed token the keychain refused: this one must
// neither serve the keychain's copy (the provider replaced it) nor refresh
// with its refresh token (a replaced refresh token, which some providers
// answer by revoking the grant). It reports a temporary error until the
// other process saves, then works; if the other process gives the token
// up, it learns from the provider that the account must be connected again.
func TestTokenHeldUnsavedByAnotherProcess(t *testing.T) {
	e := newEnv(t, envOpts{timing: fastTiming()})
	id := e.connect("demo", "elsewhere-seller").ID
	ctx := bg(t)
	other := e.second()
	if _, err := other.Token(ctx, id); err != nil {
		t.Fatal(err)
	}
	e.fault.Inject(faultstore.Fault{Op: faultstore.Set, KeyPrefix: "account:"})
	if err := e.svc.Refresh(ctx, id); err != nil {
		t.Fatal(err)
	}
	since := e.clock.Now()
	tok, err := other.Token(ctx, id)
	collectErr(err)
	if err == nil && !e.em.AccessValidSince(emulator.Demo, tok, since) {
		t.Error("the other process served the token the provider had replaced")
	}
	if err != nil && !isKind(err, oauth.KindTemporary) {
		t.Errorf("Token: %v, want a temporary error", err)
	}
	collectErr(other.Refresh(ctx, id))
	other.Start(ctx)
	time.Sleep(300 * time.Millisecond) // its scheduler runs meanwhile
	st := e.em.Stats(emulator.Demo)
	if st.ReusedRefresh != 0 || st.InvalidGrant != 0 {
		t.Errorf("the other process presented a replaced refresh token: reused %d, invalid_grant %d", st.ReusedRefresh, st.InvalidGrant)
	}
	if a, _ := other.Get(id); a.Status == StatusReconnect {
		t.Errorf("the other process shows %s: %s", a.Status, a.Reason)
	}
	// The keychain recovers: the holder saves, the other process follows.
	e.fault.ClearAll()
	e.svc.Start(ctx)
	e.waitFor("saved", 5*time.Second, func() bool { return e.status(id).Status == StatusConnected })
	tok, err = other.Token(ctx, id)
	if err != nil || !e.em.AccessValid(emulator.Demo, tok) {
		t.Fatalf("after the save: %v", err)
	}
	// The holder closes with the token unsaved: the other process stops
	// waiting and learns from the provider that the account is lost.
	e.fault.Inject(faultstore.Fault{Op: faultstore.Set, KeyPrefix: "account:"})
	if err := e.svc.Refresh(ctx, id); err != nil {
		t.Fatal(err)
	}
	collectErr(e.svc.Close())
	e.fault.ClearAll()
	err = other.Refresh(ctx, id)
	collectErr(err)
	if !isKind(err, oauth.KindReconnect) {
		t.Errorf("after the holder gave up: %v, want reconnect needed", err)
	}
}

// TestRevokedApprovalSaysWhatTheProviderSaid: an approval revoked at the
// provider ends in "reconnect needed" whose reason carries the provider's
// own error code, for the Demo too.
func TestRevokedApprovalSaysWhatTheProviderSaid(t *testing.T) {
	e := newEnv(t, envOpts{timing: fastTiming(), memory: true})
	id := e.connect("demo", "revoked-seller").ID
	if !e.em.RevokeGrant(emulator.Demo, e.storedToken(id).RefreshToken) {
		t.Fatal("the emulator did not know the grant")
	}
	err := e.svc.Refresh(bg(t), id)
	collectErr(err)
	a := e.status(id)
	if a.Status != StatusReconnect || !strings.Contains(a.Reason, "invalid_grant") || a.Action == "" {
		t.Fatalf("after revocation: %s, %q, %q (%v)", a.Status, a.Reason, a.Action, err)
	}
}
