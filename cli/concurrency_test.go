//go:build linux

package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/oauth/emulator"
	"github.com/sellerconnect/sellerconnect/storage"
)

// TestTokenWhileRefresherRuns: the desktop app's refresher (the accounts
// service's scheduler, run here in the test process on the same data
// directory, since the window itself needs a display) keeps a rotating
// account with 5-second access tokens fresh, while 8 parallel loops run
// "sellerconnect token" for 60 s. Rotation invalidates the previous tokens
// at once, so a second refresh racing the first, or a token served after
// another process rotated it, would show up as a token the provider rejects.
//
// Each token is judged at the moment its command began: the provider must
// accept it then or later. Rotation by the refresher a moment after a
// token was printed is the provider's rule, not a stale token; those are
// counted and logged apart.
func TestTokenWhileRefresherRuns(t *testing.T) {
	const (
		loops    = 8
		duration = 60 * time.Second
	)
	f := newFixture(t, map[string]emulator.Dialect{
		emulator.Depop: {AccessTTL: 5, Rotation: emulator.RotationOn},
	})
	id := f.connect("depop", false)

	svc, err := openService(f.dir, true)
	var catErrs []error
	if err == nil {
		_, catErrs = svc.Providers()
	}
	if err != nil || len(catErrs) > 0 {
		t.Fatalf("open service: %v %v", err, catErrs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go svc.Start(ctx)

	var (
		mu       sync.Mutex
		served   int
		distinct = map[string]bool{}
		bad      []string
		rotated  int // accepted when served, rotated away before the check
	)
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for i := 0; i < loops; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				cctx, ccancel := context.WithTimeout(ctx, 30*time.Second)
				began := time.Now()
				r := runCmd(t, f.command(cctx, "token", id), "")
				ccancel()
				tok := strings.TrimSpace(r.stdout)
				valid := r.code == 0 && f.em.AccessValidSince(emulator.Depop, tok, began)
				mu.Lock()
				served++
				distinct[tok] = true
				if valid && !f.em.AccessValid(emulator.Depop, tok) {
					rotated++
				}
				if !valid {
					bad = append(bad, r.String())
					if r.code == 0 {
						bad[len(bad)-1] = "rejected token " + oauth.Redact(tok)
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	cancel()

	st := f.em.Stats(emulator.Depop)
	t.Logf("%d tokens served by %d loops in %v, %d distinct, %d rotated away between serving and the check; provider: %+v",
		served, loops, duration, len(distinct), rotated, st)
	if st.ConcurrentRefreshes != 0 || st.ReusedRefresh != 0 || st.InvalidGrant != 0 {
		t.Errorf("the provider saw racing or stale refreshes: %+v", st)
	}
	if len(bad) > 0 {
		t.Errorf("%d of %d token runs failed; first: %s", len(bad), served, bad[0])
	}
	if len(distinct) < int(duration/(5*time.Second)) {
		t.Errorf("only %d distinct tokens in %v of 5-second tokens: refreshes did not keep up", len(distinct), duration)
	}
	if r := f.run("token", id); r.code != 0 {
		t.Errorf("the account broke: %v", r)
	}
}

// BenchmarkTokenLatency measures "sellerconnect token" for a fresh token
// (no refresh: the process, the database and the keychain read) with 1,
// 1,000 and 10,000 accounts in the data directory and in the keychain,
// against the start of the same binary printing --version and against a
// bare keychain read of the same item, in the same run. The Secret
// Service's own lookup grows with the items it holds; that growth is shown
// apart.
func BenchmarkTokenLatency(b *testing.B) {
	const rounds = 15
	f := newFixture(b, nil)
	id := f.connect("depop", false)
	f.ok("token", id) // warm the page cache and the keychain
	db, err := storage.OpenDB(f.dir)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	kc := storage.NewKeychain(f.dir)
	store := storage.NewStore(db, kc)
	ts, err := db.TokenState(id)
	if err != nil {
		b.Fatal(err)
	}
	type point struct{ token, version, bare time.Duration }
	var got []point
	sizes := []int{1, 1000, 10_000}
	have := 1
	b.ResetTimer()
	for _, n := range sizes {
		seedAccounts(b, store, have, n)
		have = n
		var tok, ver, bare []time.Duration
		for j := 0; j < rounds; j++ {
			start := time.Now()
			if r := f.run("--version"); r.code != 0 {
				b.Fatal(r)
			}
			ver = append(ver, time.Since(start))
			start = time.Now()
			if r := f.run("token", id); r.code != 0 {
				b.Fatal(r)
			}
			tok = append(tok, time.Since(start))
			start = time.Now()
			if _, err := kc.Get(storage.TokenKey(id, ts.Generation)); err != nil {
				b.Fatal(err)
			}
			bare = append(bare, time.Since(start))
		}
		p := point{median(tok), median(ver), median(bare)}
		got = append(got, p)
		fmt.Printf("token latency with %d accounts: p50 %.1f ms; --version %.1f ms (%.2f×); bare keychain read of the same item %.1f ms (%.2f×)\n",
			n, ms(p.token), ms(p.version), ratio(p.token, p.version), ms(p.bare), ratio(p.token, p.bare))
	}
	first, last := got[0], got[len(got)-1]
	fmt.Printf("token latency: 10,000 accounts %.2f× 1 account; of that, the keychain's own read grew %.2f× (%.1f → %.1f ms); token less its keychain read %.2f×\n",
		ratio(last.token, first.token), ratio(last.bare, first.bare), ms(first.bare), ms(last.bare),
		ratio(last.token-last.bare, first.token-first.bare))
	b.ReportMetric(ms(first.token), "ms/token-1")
	b.ReportMetric(ms(last.token), "ms/token-10k")
	b.ReportMetric(ratio(last.token, first.token), "x-10k-vs-1")
	if f.em.Stats(emulator.Depop).Refreshes != 0 {
		b.Errorf("a fresh token was refreshed during the benchmark")
	}
}

// seedAccounts adds accounts from to n-1 (with long-lived tokens in the
// keychain), as earlier connects would have left them.
func seedAccounts(b *testing.B, store *storage.Store, from, n int) {
	b.Helper()
	now := time.Now()
	for i := from; i < n; i++ {
		tok := oauth.Token{AccessToken: fmt.Sprintf("seed-at-%06d-%s", i, strings.Repeat("x", 40)), RefreshToken: fmt.Sprintf("seed-rt-%06d-%s", i, strings.Repeat("y", 40)),
			TokenType: "Bearer", IssuedAt: now, Expiry: now.Add(24 * time.Hour)}
		raw, _ := json.Marshal(tok)
		r := storage.Record{ID: fmt.Sprintf("depop-seed%06d", i), Provider: "depop", DisplayName: fmt.Sprintf("seeded shop %d", i),
			AccessExpiry: tok.Expiry, CreatedAt: now, Status: "connected"}
		if err := store.CreateAccount(r, raw, nil, storage.TimelineKeep{All: 50}); err != nil {
			b.Fatal(err)
		}
	}
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}
