package accounts

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sellerconnect/sellerconnect/demo"
	"github.com/sellerconnect/sellerconnect/oauth/emulator"
	"github.com/sellerconnect/sellerconnect/storage"
	"github.com/sellerconnect/sellerconnect/storage/faultstore"
)

// TestDisconnectIsFinalWhileAnotherProcessRuns: an account disconnected by
// one process stays gone although another, holding it in memory with
// changes of its own to write, keeps running.
func TestDisconnectIsFinalWhileAnotherProcessRuns(t *testing.T) {
	e := newEnv(t, envOpts{timing: fastTiming()})
	id := e.connect("demo", "final-seller").ID
	ctx := bg(t)
	other := e.second()
	other.Start(ctx)
	if _, err := other.Token(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.Disconnect(ctx, id); err != nil {
		t.Fatal(err)
	}
	// The other process has something of its own to write about the
	// account (a note on its timeline), and writes it.
	a, _ := other.inMemory(id)
	if a != nil {
		other.addEntry(a, "note", "a stale change", nil)
	}
	collectErr(other.persist.flushNow())
	_, err := other.Token(ctx, id)
	if !errors.Is(err, errNotFound) {
		t.Errorf("Token in the other process after disconnect: %v, want not found", err)
	}
	e.waitFor("the other process to let it go", 5*time.Second, func() bool {
		_, err := other.Get(id)
		return errors.Is(err, errNotFound)
	})
	time.Sleep(2500 * time.Millisecond) // a wall-clock tick of the other process
	if _, ok, err := e.cfg.Store.Account(id); ok || err != nil {
		t.Fatalf("the account came back in the store (%v)", err)
	}
	for _, svc := range []*Service{e.svc, other} {
		for _, acc := range svc.List() {
			if acc.ID == id {
				t.Fatalf("a process lists the disconnected account as %s", acc.Status)
			}
		}
	}
	// A third process started afresh does not see it either.
	if _, err := e.second().Get(id); !errors.Is(err, errNotFound) {
		t.Fatalf("a new process found it: %v", err)
	}
}

// brokenCreate is a store whose new accounts cannot be written: its
// CreateAccount runs the real one on a closed database.
type brokenCreate struct {
	accountStore
	closed *storage.Store
}

func (b brokenCreate) CreateAccount(r storage.Record, v []byte, entries []storage.TimelineEntry, keep storage.TimelineKeep) error {
	return b.closed.CreateAccount(r, v, entries, keep)
}

// TestConnectIsAllOrNothing: when the account's row cannot be written, the
// connect fails, no account is listed and its token is not left in the
// keychain.
func TestConnectIsAllOrNothing(t *testing.T) {
	e := newEnv(t, envOpts{timing: fastTiming(), memory: true})
	closed := openDB(t, t.TempDir())
	closed.Close()
	e.svc.Close()
	e.cfg.Store = brokenCreate{accountStore: e.cfg.Store, closed: storage.NewStore(closed, e.fault)}
	e.open()
	e.svc.cfg.Opener = &emulator.AutoApprover{Seller: "unlucky-seller"}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	acc, err := e.svc.Connect(ctx, ConnectRequest{Provider: "demo", Timeout: 20 * time.Second})
	collectErr(err)
	if err == nil || acc.ID != "" {
		t.Fatalf("connect without a writable store: %+v, %v", acc, err)
	}
	if !strings.Contains(err.Error(), "not added") {
		t.Errorf("the error does not say the account was not added: %v", err)
	}
	if list := e.svc.List(); len(list) != 0 {
		t.Fatalf("listed after a failed connect: %+v", list)
	}
	for k := range e.mem.Snapshot() {
		if strings.HasPrefix(k, "account:") {
			t.Fatalf("a token was left in the keychain under %s", k)
		}
	}
}

// TestRotatedTokenUnsavedAtCloseIsReported: a short-lived process (a CLI
// command) refreshes a rotating account, then the keychain refuses. Close
// keeps trying for SaveDeadline and, if the keychain recovers meanwhile,
// saves the rotated token; if not, it says which account is lost.
func TestRotatedTokenUnsavedAtCloseIsReported(t *testing.T) {
	t.Run("the keychain recovers within the deadline", func(t *testing.T) {
		tm := fastTiming()
		tm.SaveDeadline = 5 * time.Second
		e := newEnv(t, envOpts{timing: tm})
		id := e.connect("demo", "recovering-seller").ID
		ctx := bg(t)
		e.fault.Inject(faultstore.Fault{Op: faultstore.Set, KeyPrefix: "account:"})
		if err := e.svc.Refresh(ctx, id); err != nil {
			t.Fatal(err)
		}
		tok, err := e.svc.Token(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		go func() { time.Sleep(time.Second); e.fault.ClearAll() }()
		if err := e.svc.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		e.open()
		stored := e.storedToken(id)
		if stored.AccessToken != tok || !e.em.RefreshValid(emulator.Demo, stored.RefreshToken) {
			t.Fatal("the rotated token did not reach the keychain")
		}
	})
	t.Run("the keychain keeps refusing", func(t *testing.T) {
		e := newEnv(t, envOpts{timing: fastTiming()})
		id := e.connect("demo", "unlucky-seller").ID
		ctx := bg(t)
		e.fault.Inject(faultstore.Fault{Op: faultstore.Set, KeyPrefix: "account:"})
		if err := e.svc.Refresh(ctx, id); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err := e.svc.Close()
		collectErr(err)
		var ue *unsavedError
		if !errors.As(err, &ue) || len(ue.Accounts) != 1 || ue.Accounts[0] != id {
			t.Fatalf("Close: %v, want an unsavedError naming %s", err, id)
		}
		if took := time.Since(start); took < fastTiming().SaveRetry {
			t.Errorf("gave up after %s without retrying", took)
		}
		if !strings.Contains(err.Error(), id) || !strings.Contains(err.Error(), "connect") {
			t.Errorf("the message does not say which account and what to do: %v", err)
		}
		// Another process is not left waiting for the lost token.
		e.fault.ClearAll()
		err = e.second().Refresh(ctx, id)
		collectErr(err)
		if err == nil {
			t.Error("a refresh with the replaced refresh token succeeded")
		}
	})
}

// TestTimelineSurvivesEvents: entries written by background refreshes and
// by another process are all in the account's timeline, whatever events
// came in between.
func TestTimelineSurvivesEvents(t *testing.T) {
	e := newEnv(t, envOpts{timing: fastTiming(), accessTTL: 2})
	id := e.connect("demo", "timeline-seller").ID
	ctx := bg(t)
	before := len(e.status(id).Timeline)
	e.svc.Start(ctx)
	e.waitFor("background refreshes", 10*time.Second, func() bool { return e.svc.refreshes.Load() >= 2 })
	other := e.second()
	if err := other.Refresh(ctx, id); err != nil {
		t.Fatal(err)
	}
	collectErr(other.persist.flushNow())
	tl := e.status(id).Timeline
	if len(tl) <= before {
		t.Fatalf("timeline has %d entries after refreshes, %d before", len(tl), before)
	}
	connected, fromOther := false, false
	for _, x := range tl {
		connected = connected || strings.HasPrefix(x.Summary, "Connected to")
		fromOther = fromOther || (x.Kind == "exchange" && x.Time.After(time.Now().Add(-3*time.Second)))
	}
	if !connected || !fromOther {
		t.Fatalf("timeline lost entries (connected %v, recent exchange %v): %d entries", connected, fromOther, len(tl))
	}
}

// demoEnv is an env whose demo provider is served by the Demo marketplace
// (the shipped one, its grants in the store) instead of the emulator.
func demoEnv(t *testing.T, ttl time.Duration) *env {
	e := newEnv(t, envOpts{timing: fastTiming()})
	e.svc.Close()
	delete(e.cfg.Endpoints, "demo")
	e.cfg.Demo = demo.New(openDB(t, e.dir), demo.Options{AccessTTL: ttl})
	e.open()
	return e
}

// withOwnDemo is a second process with a Demo marketplace server of its
// own, on its own connection to the same database.
func (e *env) withOwnDemo(ttl time.Duration) *Service {
	e.t.Helper()
	cfg := e.cfg
	db := openDB(e.t, e.dir)
	cfg.Store, cfg.Settings = storage.NewStore(db, e.fault), db.Settings()
	cfg.Demo = demo.New(db, demo.Options{AccessTTL: ttl})
	other, err := newService(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { collectErr(other.Close()) })
	return other
}

// TestDemoIsOneMarketplaceForEveryProcess: a Demo account connected in the
// window is served by `token` in another process once its refresh is due,
// both processes refresh it in turn, and it survives both restarting.
func TestDemoIsOneMarketplaceForEveryProcess(t *testing.T) {
	const ttl = 3 * time.Second
	e := demoEnv(t, ttl)
	id := e.connect("demo", "Meadow & Loom").ID
	if a := e.status(id); a.DisplayName != "Meadow & Loom" {
		t.Fatalf("connected as %q", a.DisplayName)
	}
	ctx := bg(t)
	e.svc.Start(ctx)
	other := e.withOwnDemo(ttl)
	deadline := time.Now().Add(8 * time.Second)
	calls := 0
	for time.Now().Before(deadline) {
		for _, svc := range []*Service{other, e.svc} {
			if _, err := svc.Token(ctx, id); err != nil {
				t.Fatalf("Token after %d calls: %v", calls, err)
			}
			calls++
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := e.svc.refreshes.Load() + other.refreshes.Load(); n < 2 {
		t.Fatalf("only %d refreshes in 8 s of %s tokens", n, ttl)
	}
	if _, err := other.Test(ctx, id); err != nil {
		t.Fatalf("the other process's test call: %v", err)
	}
	// Both stop; a new process finds the marketplace remembers the account.
	collectErr(e.svc.Close())
	collectErr(other.Close())
	third := e.withOwnDemo(ttl)
	if err := third.Refresh(ctx, id); err != nil {
		t.Fatalf("refresh after every process restarted: %v", err)
	}
	if a, _ := third.Get(id); a.Status != StatusConnected {
		t.Fatalf("after restart: %s: %s", a.Status, a.Reason)
	}
}

// TestAnotherProcessSeesARefreshWhileTheFirstRuns: a refresh made by a
// running window shows in a command run meanwhile (the row is written
// within moments, not when the window quits).
func TestAnotherProcessSeesARefreshWhileTheFirstRuns(t *testing.T) {
	e := newEnv(t, envOpts{timing: fastTiming()})
	id := e.connect("demo", "seen-seller").ID
	ctx := bg(t)
	before := e.status(id).AccessExpiry
	time.Sleep(1100 * time.Millisecond) // a new token's expiry is later by whole seconds
	if err := e.svc.Refresh(ctx, id); err != nil {
		t.Fatal(err)
	}
	after := e.status(id).AccessExpiry
	if !after.After(before) {
		t.Fatalf("the refresh did not move the expiry: %v, then %v", before, after)
	}
	e.waitFor("the other process to see the refresh", 5*time.Second, func() bool {
		other := e.second()
		got := other.List()
		return len(got) == 1 && got[0].AccessExpiry.Equal(after)
	})
}

// TestNoSnapshotAfterRemoval: a call that ends after its account was
// forgotten (a test call in flight while the seller disconnects) publishes
// nothing that would bring the account back into a face's list.
func TestNoSnapshotAfterRemoval(t *testing.T) {
	e := newEnv(t, envOpts{memory: true})
	id := e.connect("demo", "gone-seller").ID
	events, cancel := e.svc.Subscribe()
	defer cancel()
	a, ok := e.svc.inMemory(id)
	if !ok {
		t.Fatal("the account is not in memory")
	}
	e.svc.forget(a)
	e.svc.announce(a) // what the call in flight does when it ends
	var last *Event
	for quiet := time.After(time.Second); last == nil || !last.Removed; {
		select {
		case ev := <-events:
			if ev.Account.ID == id {
				last = &ev
			}
		case <-quiet:
			t.Fatalf("the last event of the forgotten account: %+v, want its removal", last)
		}
	}
	select {
	case ev := <-events:
		if ev.Account.ID == id {
			t.Errorf("an event after the removal: %+v", ev)
		}
	case <-time.After(500 * time.Millisecond):
	}
}
