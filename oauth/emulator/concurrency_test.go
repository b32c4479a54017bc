package emulator

import (
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Two refreshes of one rotating grant overlap: exactly one wins, the other
// presents a token that rotation has already replaced.
func TestConcurrentRefreshOfOneGrant(t *testing.T) {
	em := start(t, Options{})
	rt := depopConnect(t, em).str("refresh_token")
	// The delay sits inside the refresh's in-flight window, so the two
	// requests overlap however the scheduler runs them.
	em.Inject(Depop, Fault{Kind: FaultLatency, Latency: time.Second})
	var wg sync.WaitGroup
	res := make([]answer, 2)
	for i := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = depopRefresh(t, em, rt)
		}()
	}
	wg.Wait()
	ok := 0
	for _, a := range res {
		switch {
		case a.status == 200:
			ok++
		case a.status == 401 && a.str("error") == "invalid_refresh_token":
		default:
			t.Errorf("answer %d %s", a.status, a.raw)
		}
	}
	st := em.Stats(Depop)
	if ok != 1 || st.Refreshes != 1 || st.ReusedRefresh != 1 || st.ConcurrentRefreshes != 1 {
		t.Errorf("%d succeeded; stats %+v", ok, st)
	}
}

// Many grants refreshing in parallel, with test calls, inspection and fault
// changes running alongside: every refresh succeeds and nothing races.
func TestManyGrantsInParallel(t *testing.T) {
	em := start(t, Options{})
	const grants, rounds = 200, 5
	ru := "http://127.0.0.1:5000/cb"
	type acct struct{ at, rt string }
	accts := make([]acct, grants)
	var wg sync.WaitGroup
	errs := make(chan string, grants*rounds)
	for i := range accts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			loc, err := ApproveAs(t.Context(), nil, demoAuthURL(em, ru, nil), fmt.Sprintf("seller-%d", i))
			if err != nil {
				errs <- err.Error()
				return
			}
			u, _ := url.Parse(loc)
			a := demoExchange(t, em, u.Query().Get("code"), ru)
			if a.status != 200 {
				errs <- a.raw
				return
			}
			accts[i] = acct{a.str("access_token"), a.str("refresh_token")}
		}()
	}
	wg.Wait()
	stop := make(chan struct{})
	var side sync.WaitGroup
	side.Add(1)
	first := accts[0].at
	go func() {
		// Inspection and fault changes while refreshes run.
		defer side.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			_ = em.Stats(Demo)
			_ = em.Grants(Demo)
			_ = em.AccessValid(Demo, first)
			em.Inject(Depop, Fault{Kind: FaultStatus, Count: 1})
			em.Clear(Depop)
			time.Sleep(time.Millisecond)
		}
	}()
	for i := range accts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := accts[i]
			for range rounds {
				b := demoRefresh(t, em, a.rt)
				if b.status != 200 {
					errs <- b.raw
					return
				}
				a = acct{b.str("access_token"), b.str("refresh_token")}
				if me := get(t, em.URL()+"/demo/api/v1/me", a.at); me.status != 200 || me.str("username") != fmt.Sprintf("seller-%d", i) {
					errs <- me.raw
					return
				}
			}
			accts[i] = a
		}()
	}
	wg.Wait()
	close(stop)
	side.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	st := em.Stats(Demo)
	if st.Refreshes != grants*rounds || st.CodesExchanged != grants || st.ConcurrentRefreshes != 0 || st.ReusedRefresh != 0 || st.InvalidGrant != 0 {
		t.Errorf("stats %+v", st)
	}
	if em.Grants(Demo) != grants {
		t.Errorf("%d grants", em.Grants(Demo))
	}
	for _, a := range accts {
		if !em.AccessValid(Demo, a.at) || !em.RefreshValid(Demo, a.rt) {
			t.Fatal("a final token is not valid")
		}
	}
	// Rotated tokens are remembered only a few per grant.
	d := em.dialect(Demo)
	d.mu.Lock()
	retired, access := len(d.retired), len(d.access)
	d.mu.Unlock()
	if retired != grants*keepRetired || access != grants {
		t.Errorf("%d retired tokens, %d access tokens kept", retired, access)
	}
}

// Unredeemed codes are swept once expired, so abandoned consents do not pile up.
func TestExpiredCodesSwept(t *testing.T) {
	ck := newClock()
	em := start(t, Options{Now: ck.Now})
	d := em.dialect(Demo)
	for range 300 {
		d.storeCode(&codeEntry{clientID: DemoClientID})
	}
	ck.Advance(time.Hour)
	for range 256 {
		d.storeCode(&codeEntry{clientID: DemoClientID})
	}
	d.mu.Lock()
	n := len(d.codes)
	d.mu.Unlock()
	if n >= 300 {
		t.Errorf("%d codes kept", n)
	}
}
