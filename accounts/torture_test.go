package accounts

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"github.com/sellerconnect/sellerconnect/internal/clock"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/oauth/emulator"
	"github.com/sellerconnect/sellerconnect/storage"
)

// The rotation torture: goroutines of this process and separate processes
// (this test binary run again as TestHelperProcess) ask for tokens of the
// same rotating accounts while every process's scheduler refreshes them.
// Every token served must have been working when the call began (rotation
// kills the previous access token at once, so serving a token another
// refresh already replaced fails), the provider must never see a refresh
// token twice (invalid_grant), and every account must end connected.
const (
	tortureDuration   = 60 * time.Second
	tortureGoroutines = 16
	tortureProcesses  = 4
	tortureAccounts   = 3
	tortureAccessTTL  = 5 // seconds: a rotation per account every ~3 s

	helperEnv = "SELLERCONNECT_TORTURE_HELPER"
)

func tokenHash(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:12])
}

// tortureConfig is the service configuration every torture process uses: the
// same data directory (database, locks), the same keychain and
// the same emulator.
func tortureConfig(dir, emURL string, logf func(string, ...any)) (config, error) {
	db, err := storage.OpenDB(dir)
	if err != nil {
		return config{}, err
	}
	cfg, err := testConfig(dir, emURL, storage.NewKeychain(dir), db)
	if err != nil {
		db.Close()
		return config{}, err
	}
	cfg.closeStore, cfg.Logf, cfg.Timing = db.Close, logf, fastTiming()
	return cfg, nil
}

// tortureLoop calls Token for random accounts until ctx ends, with a short
// pause between calls. serve is told of each token with the moment its call
// began; fail of each error.
func tortureLoop(ctx context.Context, svc *Service, ids []string, serve func(tok string, since time.Time), fail func(error)) {
	for ctx.Err() == nil {
		id := ids[rand.IntN(len(ids))]
		since := clock.Real{}.Now()
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		tok, err := svc.Token(cctx, id)
		cancel()
		if err != nil {
			fail(fmt.Errorf("%s: %w", id, err))
		} else {
			serve(tok, since)
		}
		time.Sleep(time.Duration(500+rand.IntN(1500)) * time.Microsecond)
	}
}

// TestHelperProcess is the separate process of the torture: it opens a
// Service on the parent's data directory and keychain, runs its scheduler,
// and calls Token from two goroutines. It reports on stdout, one line each:
// "served HASH SINCE" (a hash of the token, never the token), "err TEXT",
// "log TEXT", and "done CALLS ERRORS". Without its environment it does
// nothing.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("runs only as the torture's helper process")
	}
	os.Exit(runHelperProcess())
}

func runHelperProcess() int {
	dir, emURL := os.Getenv(helperEnv+"_DIR"), os.Getenv(helperEnv+"_EMULATOR")
	ids := strings.Split(os.Getenv(helperEnv+"_IDS"), ",")
	d, err := time.ParseDuration(os.Getenv(helperEnv + "_DURATION"))
	if err != nil {
		fmt.Println("err bad duration:", err)
		return 2
	}
	var outMu sync.Mutex
	line := func(kind, text string) {
		outMu.Lock()
		defer outMu.Unlock()
		fmt.Printf("%s %s\n", kind, strings.ReplaceAll(text, "\n", `\n`))
	}
	cfg, err := tortureConfig(dir, emURL, func(f string, a ...any) { line("log", fmt.Sprintf(f, a...)) })
	if err != nil {
		line("err", err.Error())
		return 2
	}
	svc, err := newService(cfg)
	if err != nil {
		line("err", err.Error())
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	svc.Start(ctx)
	var calls, errs atomic.Int64
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tortureLoop(ctx, svc, ids, func(tok string, since time.Time) {
				calls.Add(1)
				line("served", tokenHash(tok)+" "+strconv.FormatInt(since.UnixNano(), 10))
			}, func(err error) {
				calls.Add(1)
				errs.Add(1)
				line("err", err.Error())
			})
		}()
	}
	wg.Wait()
	if err := svc.Close(); err != nil {
		line("err", "close: "+err.Error())
	}
	r := svc.report()
	js, _ := r.json()
	if out := os.Getenv(helperEnv + "_REPORT"); out != "" {
		if err := os.WriteFile(out, []byte(r.text()+"\n"+string(js)), 0o600); err != nil {
			line("err", err.Error())
		}
	}
	line("done", fmt.Sprintf("%d %d", calls.Load(), errs.Load()))
	return 0
}

// servedChecker judges served tokens against the emulator as they arrive.
type servedChecker struct {
	em *emulator.Emulator

	mu     sync.Mutex
	byHash map[string]string
	seen   int // issued tokens already hashed

	served, stale, unknown, late atomic.Int64
	// Each token is checked again when the guaranteed time has passed.
	guard              time.Duration
	guarded, diedEarly atomic.Int64
	pending            sync.WaitGroup
	examples           []string
}

func (c *servedChecker) lookup(h string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if tok, ok := c.byHash[h]; ok {
		return tok, true
	}
	issued := c.em.Issued()
	for _, v := range issued[c.seen:] {
		c.byHash[tokenHash(v)] = v
	}
	c.seen = len(issued)
	tok, ok := c.byHash[h]
	return tok, ok
}

// lateCheck is how long after a call began its token can still be judged:
// a served token expires no sooner than a second later (the margin) and is
// ended by rotation well before that, which the emulator remembers. A check
// later than this (the machine overloaded) cannot tell a token that expired
// on its own from one that was dead when served, so it is counted apart.
const lateCheck = 500 * time.Millisecond

func (c *servedChecker) check(who, tok string, since time.Time) {
	c.served.Add(1)
	if c.em.AccessValidSince(emulator.Demo, tok, since) {
		c.checkLater(who, tok, since)
		return
	}
	if lag := time.Since(since); lag > lateCheck {
		c.late.Add(1)
		c.note(fmt.Sprintf("%s: a token checked %v after its call began had expired (not judged)", who, lag.Round(time.Millisecond)))
		return
	}
	c.stale.Add(1)
	c.note(fmt.Sprintf("%s served %s, already dead when its call began at %s", who, oauth.Redact(tok), since.Format("15:04:05.000000")))
}

// checkLater checks, once the guaranteed time has passed, that the token
// was still valid then: handed out at since, it must work until since+G.
func (c *servedChecker) checkLater(who, tok string, since time.Time) {
	if c.guard == 0 {
		return
	}
	at := since.Add(c.guard - 10*time.Millisecond)
	c.pending.Add(1)
	time.AfterFunc(time.Until(at), func() {
		defer c.pending.Done()
		c.guarded.Add(1)
		if !c.em.AccessValidSince(emulator.Demo, tok, at) {
			c.diedEarly.Add(1)
			c.note(fmt.Sprintf("%s served %s at %s; it stopped working before the guaranteed %v had passed", who, oauth.Redact(tok), since.Format("15:04:05.000000"), c.guard))
		}
	})
}

func (c *servedChecker) note(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.examples) < 10 {
		c.examples = append(c.examples, s)
	}
}

func TestRotationTorture(t *testing.T) {
	e := newEnv(t, envOpts{accessTTL: tortureAccessTTL, timing: fastTiming()})
	var ids []string
	for i := range tortureAccounts {
		ids = append(ids, e.connect("demo", fmt.Sprintf("torture-seller-%d", i)).ID)
	}
	if err := e.svc.persist.flushNow(); err != nil {
		t.Fatal(err)
	}
	tok5 := &oauth.Token{IssuedAt: testStart, Expiry: testStart.Add(tortureAccessTTL * time.Second)}
	chk := &servedChecker{em: e.em, byHash: map[string]string{}, guard: e.svc.t.guarantee("", tok5)}
	var errCount atomic.Int64
	fail := func(who string, err string) {
		errCount.Add(1)
		collect(err)
		chk.note(who + ": " + err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), tortureDuration)
	defer cancel()
	e.svc.Start(ctx)

	// The separate processes.
	type child struct {
		cmd    *exec.Cmd
		report string
		calls  int64
		errs   int64
		done   bool
	}
	children := make([]*child, tortureProcesses)
	var readers sync.WaitGroup
	for n := range children {
		c := &child{report: filepath.Join(t.TempDir(), "report.txt")}
		c.cmd = exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1", "-test.timeout=5m")
		c.cmd.Env = append(os.Environ(),
			helperEnv+"=1",
			helperEnv+"_DIR="+e.dir,
			helperEnv+"_EMULATOR="+e.em.URL(),
			helperEnv+"_IDS="+strings.Join(ids, ","),
			helperEnv+"_DURATION="+tortureDuration.String(),
			helperEnv+"_REPORT="+c.report,
		)
		c.cmd.Stderr = os.Stderr
		out, err := c.cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		children[n] = c
		who := fmt.Sprintf("process %d", n+1)
		readers.Add(1)
		go func(r io.Reader) {
			defer readers.Done()
			sc := bufio.NewScanner(r)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				kind, rest, _ := strings.Cut(sc.Text(), " ")
				switch kind {
				case "served":
					h, ns, _ := strings.Cut(rest, " ")
					n, _ := strconv.ParseInt(ns, 10, 64)
					tok, ok := chk.lookup(h)
					if !ok {
						chk.served.Add(1)
						chk.unknown.Add(1)
						chk.note(who + " served a token the provider never issued")
						continue
					}
					chk.check(who, tok, time.Unix(0, n))
				case "err":
					fail(who, rest)
				case "log":
					collect(rest)
				case "done":
					f := strings.Fields(rest)
					if len(f) == 2 {
						c.calls, _ = strconv.ParseInt(f[0], 10, 64)
						c.errs, _ = strconv.ParseInt(f[1], 10, 64)
						c.done = true
					}
				}
			}
		}(out)
	}

	// The goroutines of this process.
	var wg sync.WaitGroup
	var localCalls atomic.Int64
	for range tortureGoroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tortureLoop(ctx, e.svc, ids, func(tok string, since time.Time) {
				localCalls.Add(1)
				chk.check("this process", tok, since)
			}, func(err error) {
				localCalls.Add(1)
				fail("this process", err.Error())
			})
		}()
	}
	wg.Wait()
	readers.Wait()
	chk.pending.Wait()
	var childCalls int64
	for n, c := range children {
		if err := c.cmd.Wait(); err != nil {
			t.Errorf("process %d: %v", n+1, err)
		}
		if !c.done {
			t.Errorf("process %d did not report", n+1)
		}
		childCalls += c.calls
		if b, err := os.ReadFile(c.report); err == nil {
			collect(string(b))
		} else {
			t.Errorf("process %d report: %v", n+1, err)
		}
	}

	// Every account is still connected, its stored refresh token is the
	// provider's current one, and a fresh Token works.
	st := e.em.Stats(emulator.Demo)
	settled := func() bool {
		for _, id := range ids {
			if s := e.status(id).Status; s == StatusRefreshing {
				return false
			}
		}
		return true
	}
	e.waitFor("refreshes in flight to finish", 30*time.Second, settled)
	for _, id := range ids {
		a := e.status(id)
		if a.Status != StatusConnected {
			t.Errorf("account %s ended %s: %s", id, a.Status, a.Reason)
		}
		stored := e.storedToken(id)
		if !e.em.RefreshValid(emulator.Demo, stored.RefreshToken) {
			t.Errorf("account %s: the stored refresh token is not the provider's current one (account lost)", id)
		}
		since := e.clock.Now()
		tok, err := e.svc.Token(context.Background(), id)
		if err != nil || !e.em.AccessValidSince(emulator.Demo, tok, since) {
			t.Errorf("account %s: final Token: %v", id, err)
		}
	}
	if g := e.em.Grants(emulator.Demo); g != tortureAccounts {
		t.Errorf("provider holds %d live grants, want %d", g, tortureAccounts)
	}
	t.Logf("torture %v: %d accounts, %d goroutines + %d processes; tokens served: %d (%d here, %d by the other processes); "+
		"errors: %d; refreshes at the provider: %d (this process %d); token requests: %d; invalid_grant: %d; reused refresh tokens: %d; "+
		"overlapping refreshes of one grant: %d; peak refresh requests in flight here: %d; tokens checked too late to judge: %d; "+
		"checked again after the guaranteed %v: %d, of which dead: %d; grants revoked for reuse: %d",
		tortureDuration, tortureAccounts, tortureGoroutines, tortureProcesses, chk.served.Load(), localCalls.Load(), childCalls,
		errCount.Load(), st.Refreshes, e.svc.refreshes.Load(), st.TokenRequests, st.InvalidGrant, st.ReusedRefresh,
		st.ConcurrentRefreshes, e.svc.peakHTTP.Load(), chk.late.Load(), chk.guard, chk.guarded.Load(), chk.diedEarly.Load(), st.ReuseRevocations)
	if n := chk.diedEarly.Load(); n != 0 {
		t.Errorf("%d handed-out tokens stopped working within the guaranteed %v", n, chk.guard)
	}
	if st.ReuseRevocations != 0 {
		t.Errorf("%d grants were revoked for a replayed refresh token", st.ReuseRevocations)
	}
	if st.InvalidGrant != 0 || st.ReusedRefresh != 0 {
		t.Errorf("invalid_grant answers: %d (reused refresh tokens: %d), want 0", st.InvalidGrant, st.ReusedRefresh)
	}
	if st.ConcurrentRefreshes != 0 {
		t.Errorf("%d refreshes of one grant overlapped, want 0", st.ConcurrentRefreshes)
	}
	if n := chk.stale.Load() + chk.unknown.Load(); n != 0 {
		t.Errorf("%d served tokens were not working when their call began (%d unknown)", n, chk.unknown.Load())
	}
	if n, all := chk.late.Load(), chk.served.Load(); n*100 > all {
		t.Errorf("%d of %d served tokens were checked too late to judge", n, all)
	}
	if n := errCount.Load(); n != 0 {
		t.Errorf("%d Token calls failed", n)
	}
	if childCalls == 0 || localCalls.Load() == 0 {
		t.Errorf("calls: %d here, %d in the other processes", localCalls.Load(), childCalls)
	}
	if st.Refreshes < int(tortureDuration/(tortureAccessTTL*time.Second))*tortureAccounts {
		t.Errorf("only %d refreshes: the accounts did not rotate as planned", st.Refreshes)
	}
	for _, x := range chk.examples {
		t.Log(x)
	}
}
