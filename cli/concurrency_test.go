//go:build linux

package cli

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/oauth/emulator"
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

	svc, catErrs, err := openService(f.dir)
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

// BenchmarkTokenLatency compares "sellerconnect token" for a fresh token
// (no refresh: the keychain read, the records and the process) with the
// start of the same binary printing --version, measured in the same run.
func BenchmarkTokenLatency(b *testing.B) {
	const rounds = 20
	f := newFixture(b, nil)
	id := f.connect("depop", false)
	f.ok("token", id) // warm the page cache and the keychain
	var version, token time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 0; j < rounds; j++ {
			start := time.Now()
			if r := f.run("--version"); r.code != 0 {
				b.Fatal(r)
			}
			version += time.Since(start)
			start = time.Now()
			if r := f.run("token", id); r.code != 0 {
				b.Fatal(r)
			}
			token += time.Since(start)
		}
	}
	n := float64(b.N * rounds)
	vms := float64(version.Microseconds()) / 1000 / n
	tms := float64(token.Microseconds()) / 1000 / n
	b.ReportMetric(vms, "ms/version")
	b.ReportMetric(tms, "ms/token")
	b.ReportMetric(tms/vms, "token/version")
	if f.em.Stats(emulator.Depop).Refreshes != 0 {
		b.Errorf("a fresh token was refreshed during the benchmark")
	}
}
