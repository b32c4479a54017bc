package accounts

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"github.com/sellerconnect/sellerconnect/internal/clock"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/oauth/emulator"
	"github.com/sellerconnect/sellerconnect/storage"
	"github.com/sellerconnect/sellerconnect/storage/faultstore"
)

// BenchmarkScheduler10k runs the service's scheduler with 10,000 demo
// accounts against the emulator on 127.0.0.1, with second-scale access
// tokens so every account is refreshed several times, and then serves the
// same accounts with golang.org/x/oauth2's refresh-on-use token sources as
// a baseline under the same callers. It prints, on lines of their own:
//
//	duplicate refreshes: N
//	refresh lateness p50: X  p99: Y
//	scheduler wake-ups per idle minute: N
//	CPU time per 1,000 refreshes: X
//	memory per account: X bytes
//
// and the same measures prefixed "x/oauth2 baseline: ", then the ratios.
//
// The whole measurement is one b.N iteration (make bench runs -benchtime 1x).
//
// Choices:
//   - The emulator runs in a child process (this test binary again, as
//     TestBenchEmulatorProcess), so the CPU time and heap measured here are
//     the client's alone, not the provider's.
//   - Accounts are seeded without Connect: each grant comes from the
//     emulator's real consent page and code exchange (three HTTP requests,
//     done in parallel), and the service adopts the records and tokens as if
//     it had connected them in an earlier run. Connect would also run the
//     loopback receiver, the test call and a records write per account.
//   - Secrets live in faultstore.Memory, not the real keychain: the
//     benchmark measures the scheduler and the refresh path, and a Secret
//     Service holding 10,000 items would dominate every figure. Under
//     scripts/testenv.sh gnome-keyring takes about 10 ms to store an item
//     when it holds 100 and 35 ms when it holds 500, growing with the item
//     count, and 3-5 ms to read one; 30,000 saves into 10,000 items would
//     take hours. The keychain has its own tests in storage.
//   - Callers ask for every account's token once per benchCadence in both
//     runs, periodically (the service answers them from memory; x/oauth2
//     refreshes on these calls, that being its only trigger). With a
//     period shorter than the lead, x/oauth2 always refreshes before
//     expiry, and how late it is follows from the period: periodic callers
//     lock its refreshes to a fixed phase (about 1 s late here).
//   - Lateness is the refresh time (when the new token arrived) minus the
//     un-jittered target, expiry minus the lead (Timing.target). The
//     service plans up to half a lead early (jitter), so its lateness is
//     negative when it keeps up; x/oauth2 is given the same lead as its
//     early expiry. Only refreshes of tokens the client itself obtained in
//     the run count (the steady state): the service's first refreshes are
//     of seeded tokens, x/oauth2's of tokens the service left.
//   - Duplicates are the emulator's own counts (see duplicates), and every
//     account's stored refresh token is checked with the emulator once the
//     client has stopped: a lost account would show there.
//   - The service keeps to its policy of PerProvider (4) refreshes at
//     once; all 10,000 accounts share one provider and need about 380
//     refreshes a second, so lateness depends on the machine: on a 2-core
//     machine shared with other CPU-heavy work the service falls behind
//     (refreshes then come after expiry), where x/oauth2, refreshing on
//     up to 16 callers at once, does not.
//   - CPU time is this process's (user + system) over the run, callers
//     included; the idle phase measures a token call's cost so the line
//     after it can take the callers out. Memory is the heap the client
//     holds after the run, with its timelines (they grow with refreshes, up
//     to TimelineLimit entries).
const (
	benchAccounts  = 10000
	benchAccessTTL = 30 // seconds: ~26 s between refreshes of an account
	benchRun       = 75 * time.Second
	benchCadence   = 2 * time.Second
	benchCallers   = 16
	benchIdle      = 10 * time.Minute // fake idle time for the wake-up count
	// benchSeedSpread paces the seeding: the first grants are due (30 s
	// minus a lead of 3 s minus up to 1.5 s of jitter) as the last arrive.
	benchSeedSpread = 24 * time.Second

	benchEmulatorEnv = "SELLERCONNECT_BENCH_EMULATOR"
)

func benchTiming() timing {
	// A lead of 10% (3 s of 30 s), at least 1 s; Token refreshes first only
	// within 1 s of expiry, so the scheduler, not the callers, refreshes.
	return timing{MinLead: time.Second, Guarantee: time.Second}
}

// TestBenchEmulatorProcess is the emulator process of BenchmarkScheduler10k;
// it does nothing in a normal test run.
func TestBenchEmulatorProcess(t *testing.T) {
	ttl := os.Getenv(benchEmulatorEnv)
	if ttl == "" {
		t.Skip("the emulator process of BenchmarkScheduler10k")
	}
	os.Exit(runBenchEmulator(ttl))
}

func runBenchEmulator(ttlArg string) int {
	ttl, err := strconv.Atoi(ttlArg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench emulator: bad TTL")
		return 2
	}
	em := emulator.New(emulator.Options{NoIssuedLog: true, Dialects: map[string]emulator.Dialect{
		emulator.Demo: {AccessTTL: ttl},
	}})
	mux := http.NewServeMux()
	mux.Handle("/", em.Handler())
	mux.HandleFunc("GET /_bench/stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(em.Stats(emulator.Demo))
	})
	// Which of the posted refresh tokens (one a line) the provider no
	// longer accepts (accounts a client lost): one character a token, '1'
	// for a lost one.
	mux.HandleFunc("POST /_bench/invalid", func(w http.ResponseWriter, r *http.Request) {
		var out []byte
		sc := bufio.NewScanner(r.Body)
		for sc.Scan() {
			if em.RefreshValid(emulator.Demo, sc.Text()) {
				out = append(out, '0')
			} else {
				out = append(out, '1')
			}
		}
		_, _ = w.Write(out)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench emulator:", err)
		return 1
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	fmt.Printf("bench-emulator-url: http://%s\n", ln.Addr())
	// Serve until the benchmark closes our stdin (or dies).
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = srv.Close()
	return 0
}

// benchEmulator is the child process serving the emulator.
type benchEmulator struct {
	url  string
	cmd  *exec.Cmd
	in   io.WriteCloser
	http *http.Client
}

func startBenchEmulator(b *testing.B, ttl int) *benchEmulator {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchEmulatorProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), benchEmulatorEnv+"="+strconv.Itoa(ttl))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	e := &benchEmulator{cmd: cmd, in: in, http: benchHTTPClient()}
	b.Cleanup(func() {
		_ = in.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	sc := bufio.NewScanner(out)
	urlc := make(chan string, 1)
	go func() {
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "bench-emulator-url: "); ok {
				urlc <- u
			}
		}
		close(urlc)
	}()
	select {
	case u, ok := <-urlc:
		if !ok {
			b.Fatal("the emulator process ended before it listened")
		}
		e.url = u
	case <-time.After(30 * time.Second):
		b.Fatal("the emulator process did not start")
	}
	return e
}

func (e *benchEmulator) stats(b *testing.B) emulator.Stats {
	b.Helper()
	resp, err := e.http.Get(e.url + "/_bench/stats")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var st emulator.Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		b.Fatal(err)
	}
	return st
}

// invalid lists the indexes of the tokens whose refresh token the provider
// no longer accepts.
func (e *benchEmulator) invalid(b *testing.B, toks []*oauth.Token) []int {
	b.Helper()
	var body strings.Builder
	for _, t := range toks {
		body.WriteString(t.RefreshToken)
		body.WriteByte('\n')
	}
	resp, err := e.http.Post(e.url+"/_bench/invalid", "text/plain", strings.NewReader(body.String()))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	if len(raw) != len(toks) {
		b.Fatalf("the emulator judged %d tokens of %d", len(raw), len(toks))
	}
	var out []int
	for i, c := range raw {
		if c == '1' {
			out = append(out, i)
		}
	}
	return out
}

func benchHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	return &http.Client{Transport: tr, Timeout: 40 * time.Second}
}

// duplicates are the emulator's signs of a token refreshed twice: a
// refresh that began while another of the same grant was in flight, a
// rotated-away refresh token presented again, and any invalid_grant.
func duplicates(before, after emulator.Stats) int {
	return (after.ConcurrentRefreshes - before.ConcurrentRefreshes) +
		(after.ReusedRefresh - before.ReusedRefresh) +
		(after.InvalidGrant - before.InvalidGrant)
}

// seedGrants gets n demo grants through the emulator's consent page and
// code exchange, in parallel, paced evenly over spread so that expiries are
// spread as in a steady state (accounts connected over time) rather than
// all due in one burst.
func seedGrants(b *testing.B, em *benchEmulator, p *oauth.Profile, creds oauth.Credentials, n int, spread time.Duration) []*oauth.Token {
	b.Helper()
	toks := make([]*oauth.Token, n)
	client := &oauth.Client{HTTP: em.http}
	const redirect = "http://127.0.0.1:9/callback"
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		firstEr error
	)
	start := time.Now()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				time.Sleep(time.Until(start.Add(spread * time.Duration(i) / time.Duration(n))))
				tok, err := seedOne(client, em.http, p, creds, redirect, fmt.Sprintf("bench-seller-%05d", i))
				if err != nil {
					errOnce.Do(func() { firstEr = err })
					next.Store(int64(n))
					return
				}
				toks[i] = tok
			}
		}()
	}
	wg.Wait()
	if firstEr != nil {
		b.Fatalf("seeding grants: %v", firstEr)
	}
	return toks
}

func seedOne(client *oauth.Client, hc *http.Client, p *oauth.Profile, creds oauth.Credentials, redirect, seller string) (*oauth.Token, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	verifier := oauth.NewVerifier()
	state := oauth.NewState()
	authURL, err := oauth.AuthCodeURL(p, creds, redirect, state, oauth.S256Challenge(verifier))
	if err != nil {
		return nil, err
	}
	loc, err := emulator.ApproveAs(ctx, hc, authURL, seller)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(loc)
	if err != nil {
		return nil, err
	}
	code := u.Query().Get("code")
	if code == "" || u.Query().Get("state") != state {
		return nil, fmt.Errorf("consent redirect without code or with another state")
	}
	return client.Exchange(ctx, p, creds, code, verifier, redirect)
}

// benchID is the id of seeded account i.
func benchID(i int) string { return fmt.Sprintf("demo-%06x", i) }

// adopt stores accounts and their tokens as an earlier run of the service
// would have left them.
func adopt(b *testing.B, store accountStore, tm timing, toks []*oauth.Token, created time.Time) {
	b.Helper()
	for i, tok := range toks {
		id := benchID(i)
		raw, err := json.Marshal(tok)
		if err != nil {
			b.Fatal(err)
		}
		r := storage.Record{
			ID: id, Provider: demoProvider, DisplayName: fmt.Sprintf("bench-seller-%05d", i),
			Scopes: tok.Scopes, AccessExpiry: tok.Expiry, RefreshExpiry: tok.RefreshExpiry,
			ConsentAt: tok.ConsentAt, CreatedAt: created, LastRefresh: tok.IssuedAt,
			NextRefresh: tm.refreshAt(id, tok), Status: string(StatusConnected),
		}
		if err := store.CreateAccount(r, raw, nil, timelineKeep); err != nil {
			b.Fatal(err)
		}
	}
}

func benchConfig(b *testing.B, dir, emURL string, secrets secretStore, clock clock.Clock, tm timing) config {
	b.Helper()
	cfg, err := testConfig(dir, emURL, secrets, openDB(b, dir))
	if err != nil {
		b.Fatal(err)
	}
	cfg.Clock, cfg.Timing, cfg.AppVersion = clock, tm, "bench"
	return cfg
}

// refreshLog collects, for every refresh, how late it came against the
// un-jittered target and whether the old access token had already expired.
type refreshLog struct {
	mu       sync.Mutex
	late     []time.Duration
	expired  int
	counting bool
}

func (l *refreshLog) add(at, target, expiry time.Time) {
	l.mu.Lock()
	if l.counting {
		l.late = append(l.late, at.Sub(target))
		if at.After(expiry) {
			l.expired++
		}
	}
	l.mu.Unlock()
}

func (l *refreshLog) start() {
	l.mu.Lock()
	l.counting = true
	l.mu.Unlock()
}

func (l *refreshLog) stop() (late []time.Duration, expired int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counting = false
	late = slices.Clone(l.late)
	slices.Sort(late)
	return late, l.expired
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p * float64(len(sorted)-1))
	return sorted[i]
}

func heapInuse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// drive calls call(i) for every account once per cadence, spread evenly,
// from benchCallers goroutines, until ctx ends. It returns the calls made
// and how many failed.
func drive(ctx context.Context, n int, cadence time.Duration, call func(i int) error) (calls, fails int64) {
	var wg sync.WaitGroup
	var nCalls, nFails atomic.Int64
	const step = 50 * time.Millisecond
	for c := range benchCallers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []int
			for i := c; i < n; i += benchCallers {
				mine = append(mine, i)
			}
			per := float64(len(mine)) * float64(step) / float64(cadence)
			tk := time.NewTicker(step)
			defer tk.Stop()
			pos, owed := 0, 0.0
			for {
				select {
				case <-ctx.Done():
					return
				case <-tk.C:
				}
				owed += per
				for ; owed >= 1; owed-- {
					if ctx.Err() != nil {
						return
					}
					nCalls.Add(1)
					if call(mine[pos]) != nil {
						nFails.Add(1)
					}
					pos = (pos + 1) % len(mine)
				}
			}
		}()
	}
	wg.Wait()
	return nCalls.Load(), nFails.Load()
}

type benchResult struct {
	refreshes   int
	duplicates  int
	late        []time.Duration
	expired     int
	cpu         time.Duration // during the run
	cpuPer1000  time.Duration
	memPerAcct  float64
	calls       int64
	callFails   int64
	emRefreshes int
	// lost: accounts whose stored refresh token the provider no longer
	// accepts once the client stopped (the service: after Close).
	lost    int
	lostWhy map[string]int
	// The service's timeline entries per account and database size.
	entries     float64
	recordsSize int64
	// Round trips of the refresh requests, and the most in flight at once.
	trips    []time.Duration
	peakHTTP int64
	// waits are the token requests that waited for a planned rotation
	// (the guarantee), and how long.
	waits []time.Duration
	// diskBytes is what the process sent to the disk during the run
	// (Linux's /proc/self/io write_bytes; 0 elsewhere).
	diskBytes int64
}

// cpuNoCalls is the CPU time per 1,000 refreshes once the callers' token
// calls, at perCall each, are taken out.
func (r benchResult) cpuNoCalls(perCall time.Duration) time.Duration {
	if r.refreshes == 0 {
		return 0
	}
	return (r.cpu - time.Duration(r.calls)*perCall) * 1000 / time.Duration(r.refreshes)
}

func (r benchResult) print(prefix string) {
	fmt.Printf("%srefreshes: %d (provider counted %d) in %s; token calls: %d, failed: %d\n",
		prefix, r.refreshes, r.emRefreshes, benchRun, r.calls, r.callFails)
	fmt.Printf("%sduplicate refreshes: %d\n", prefix, r.duplicates)
	fmt.Printf("%srefresh lateness p50: %s  p99: %s\n", prefix,
		percentile(r.late, 0.50).Round(time.Millisecond), percentile(r.late, 0.99).Round(time.Millisecond))
	fmt.Printf("%srefreshes after the access token expired: %d\n", prefix, r.expired)
	fmt.Printf("%s(lateness and expiry over the %d refreshes of tokens it had obtained itself in the run)\n", prefix, len(r.late))
	fmt.Printf("%saccounts lost (the provider no longer accepts the stored refresh token): %d", prefix, r.lost)
	if len(r.lostWhy) > 0 {
		fmt.Printf(" %v", r.lostWhy)
	}
	fmt.Println()
	slices.Sort(r.trips)
	fmt.Printf("%s(refresh requests: round trip p50 %s, p99 %s; at most %d in flight)\n", prefix,
		percentile(r.trips, 0.5).Round(100*time.Microsecond), percentile(r.trips, 0.99).Round(100*time.Microsecond), r.peakHTTP)
	fmt.Printf("%sCPU time per 1,000 refreshes: %s\n", prefix, r.cpuPer1000.Round(time.Millisecond))
	if prefix == "" && r.calls > 0 {
		w := append([]time.Duration(nil), r.waits...)
		slices.Sort(w)
		fmt.Printf("%stoken requests that waited for a planned rotation (the guarantee): %d of %d (%.2f%%); wait p50 %s, p99 %s\n", prefix,
			len(w), r.calls, 100*float64(len(w))/float64(r.calls), percentile(w, 0.5).Round(time.Millisecond), percentile(w, 0.99).Round(time.Millisecond))
	}
	if r.refreshes > 0 && r.diskBytes > 0 {
		fmt.Printf("%sbytes written to disk per refresh: %.1f KB\n", prefix, float64(r.diskBytes)/float64(r.refreshes)/1024)
	}
	fmt.Printf("%smemory per account: %.0f bytes\n", prefix, r.memPerAcct)
	fmt.Printf("%s(measured after %.1f refreshes per account", prefix, float64(r.refreshes)/benchAccounts)
	if r.entries > 0 {
		fmt.Printf("; %.1f timeline entries per account, database %.1f MB", r.entries, float64(r.recordsSize)/1e6)
	}
	fmt.Println(")")
}

// diskWritten is what this process has sent to the disk so far (Linux's
// /proc/self/io write_bytes; 0 elsewhere).
func diskWritten() int64 {
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "write_bytes: "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

func BenchmarkScheduler10k(b *testing.B) {
	for range b.N {
		benchScheduler10k(b)
	}
}

func benchScheduler10k(b *testing.B) {
	em := startBenchEmulator(b, benchAccessTTL)
	dir := b.TempDir()
	tm := benchTiming()
	secrets := &faultstore.Memory{}
	cfg := benchConfig(b, dir, em.url, secrets, clock.Real{}, tm)
	// Let New build the profile the service uses (the demo, rebased).
	probe, err := newService(cfg)
	if err != nil {
		b.Fatal(err)
	}
	p, err := probe.profile(demoProvider)
	if err != nil {
		b.Fatal(err)
	}
	creds, err := probe.credentials(p)
	if err != nil {
		b.Fatal(err)
	}
	_ = probe.Close()
	pol := probe.t

	// Seeded over most of a refresh period: the first accounts are due
	// about when the last are seeded.
	t0 := time.Now()
	toks := seedGrants(b, em, p, creds, benchAccounts, benchSeedSpread)
	fmt.Printf("seeded %d demo grants through the consent page in %s\n", len(toks), time.Since(t0).Round(time.Millisecond))
	adopt(b, cfg.Store, pol, toks, time.Now())
	toks = nil

	// The service.
	svcRes, finalToks := runService(b, em, cfg, secrets)
	svcRes.print("")

	// The baseline: the same accounts, from the tokens the service left;
	// accounts it lost get a new grant so the baseline starts whole.
	for _, i := range em.invalid(b, finalToks) {
		tok, err := seedOne(&oauth.Client{HTTP: em.http}, em.http, p, creds, "http://127.0.0.1:9/callback", fmt.Sprintf("bench-seller-%05d", i))
		if err != nil {
			b.Fatal(err)
		}
		finalToks[i] = tok
	}
	base := runOAuth2(b, em, p, pol, finalToks)
	base.print("x/oauth2 baseline: ")
	fmt.Printf("x/oauth2 baseline: scheduler wake-ups per idle minute: n/a (no scheduler: it refreshes only when a caller asks)\n")

	// Idle: after the baseline, so that the baseline starts from the
	// tokens the service left without them ageing meanwhile.
	wake, perCall := idlePhase(b, em.url)
	fmt.Printf("scheduler wake-ups per idle minute: %.1f\n", wake)
	fmt.Printf("a token call answered from memory costs %s of CPU time; without the callers' %d calls, CPU time per 1,000 refreshes: %s\n",
		perCall.Round(100*time.Nanosecond), svcRes.calls, svcRes.cpuNoCalls(perCall).Round(time.Millisecond))

	ratio := func(x, y float64) string {
		if y == 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.2fx", x/y)
	}
	if base.cpuPer1000 > 0 {
		fmt.Printf("CPU per 1,000 refreshes: the service takes %.2f× the x/oauth2 baseline\n", float64(svcRes.cpuPer1000)/float64(base.cpuPer1000))
	}
	fmt.Printf("ratios (x/oauth2 baseline / service): CPU per 1,000 refreshes %s, memory per account %s, refreshes after expiry %d vs %d, lateness p50 %s vs %s, p99 %s vs %s\n",
		ratio(float64(base.cpuPer1000), float64(svcRes.cpuPer1000)),
		ratio(base.memPerAcct, svcRes.memPerAcct),
		base.expired, svcRes.expired,
		percentile(base.late, 0.5).Round(time.Millisecond), percentile(svcRes.late, 0.5).Round(time.Millisecond),
		percentile(base.late, 0.99).Round(time.Millisecond), percentile(svcRes.late, 0.99).Round(time.Millisecond))

	b.ReportMetric(float64(svcRes.duplicates), "duplicates")
	b.ReportMetric(float64(percentile(svcRes.late, 0.99).Milliseconds()), "p99-late-ms")
	b.ReportMetric(wake, "wakeups/idle-min")
	b.ReportMetric(float64(svcRes.cpuPer1000.Milliseconds()), "cpu-ms/1k-refresh")
	b.ReportMetric(svcRes.memPerAcct, "B/account")
	b.ReportMetric(float64(base.duplicates), "oauth2-duplicates")
	b.ReportMetric(float64(percentile(base.late, 0.99).Milliseconds()), "oauth2-p99-late-ms")
	b.ReportMetric(float64(base.cpuPer1000.Milliseconds()), "oauth2-cpu-ms/1k-refresh")

	if svcRes.duplicates != 0 {
		b.Errorf("the service refreshed a token twice: %d duplicate refreshes", svcRes.duplicates)
	}
	if svcRes.lost != 0 {
		b.Errorf("the service lost %d accounts", svcRes.lost)
	}
	if svcRes.callFails != 0 {
		b.Errorf("%d token calls to the service failed", svcRes.callFails)
	}
}

// runService runs the service over the adopted accounts for benchRun with
// callers, and returns its figures and the tokens it leaves in the store.
func runService(b *testing.B, em *benchEmulator, cfg config, secrets *faultstore.Memory) (benchResult, []*oauth.Token) {
	b.Helper()
	hc, trips := timedHTTPClient()
	cfg.HTTPClient = hc
	var log refreshLog
	svc, err := newService(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if n := len(svc.List()); n != benchAccounts {
		b.Fatalf("the service adopted %d accounts, want %d", n, benchAccounts)
	}
	pol := svc.t
	started := time.Now()
	svc.onRefresh = func(_ string, old, _ *oauth.Token, at time.Time) {
		// Steady state: tokens the service itself obtained in the run.
		if !old.IssuedAt.Before(started) {
			log.add(at, pol.target(old), old.Expiry)
		}
	}
	var waitMu sync.Mutex
	var waits []time.Duration
	svc.onWait = func(d time.Duration) {
		waitMu.Lock()
		waits = append(waits, d)
		waitMu.Unlock()
	}
	ids := make([]string, benchAccounts)
	for i := range ids {
		ids[i] = benchID(i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), benchRun)
	defer cancel()
	st0 := em.stats(b)
	cpu0 := cpuTime(b)
	disk0 := diskWritten()
	r0 := svc.refreshes.Load()
	log.start()
	svc.Start(context.Background())
	calls, fails := drive(ctx, benchAccounts, benchCadence, func(i int) error {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := svc.Token(cctx, ids[i])
		return err
	})
	late, expired := log.stop()
	refreshes := int(svc.refreshes.Load() - r0)
	cpu := cpuTime(b) - cpu0
	disk := diskWritten() - disk0
	st1 := em.stats(b)
	res := benchResult{
		refreshes: refreshes, duplicates: duplicates(st0, st1), late: late, expired: expired,
		calls: calls, callFails: fails, emRefreshes: st1.Refreshes - st0.Refreshes, cpu: cpu, diskBytes: disk,
	}
	waitMu.Lock()
	res.waits = append([]time.Duration(nil), waits...)
	waitMu.Unlock()
	if refreshes > 0 {
		res.cpuPer1000 = cpu * 1000 / time.Duration(refreshes)
	}
	if err := svc.Close(); err != nil {
		b.Fatal(err)
	}
	// The heap with the closed service still held (its accounts, tokens
	// and timelines, without a records write or refresh in progress) ...
	h1 := heapInuse()
	st2 := em.stats(b)
	res.duplicates += duplicates(st1, st2)
	toks := storedTokens(b, cfg.Store)
	lost := em.invalid(b, toks)
	res.lost = len(lost)
	res.lostWhy = map[string]int{}
	for _, i := range lost {
		a, err := svc.account(benchID(i))
		if err != nil {
			b.Fatal(err)
		}
		a.mu.Lock()
		why := fmt.Sprintf("status=%s doubt=%v", a.status, a.doubt)
		if a.lastErr != nil {
			why += " last-error=" + a.lastErr.Kind
		}
		a.mu.Unlock()
		res.lostWhy[why]++
	}
	n := 0
	for _, a := range svc.snapshotAccounts() {
		tl, _ := cfg.Store.Timeline(a.id)
		n += len(tl)
	}
	res.trips, res.peakHTTP = trips.result()
	res.entries = float64(n) / benchAccounts
	for _, name := range []string{storage.DBFile, storage.DBFile + "-wal"} {
		if fi, err := os.Stat(filepath.Join(cfg.DataDir, name)); err == nil {
			res.recordsSize += fi.Size()
		}
	}
	// ... and without it.
	runtime.KeepAlive(svc)
	svc = nil
	h2 := heapInuse()
	res.memPerAcct = (float64(h1) - float64(h2)) / benchAccounts
	return res, toks
}

func storedTokens(b *testing.B, store accountStore) []*oauth.Token {
	b.Helper()
	toks := make([]*oauth.Token, benchAccounts)
	for i := range toks {
		l, err := store.LoadToken(benchID(i))
		if err != nil {
			b.Fatal(err)
		}
		var tok oauth.Token
		if err := json.Unmarshal(l.Value, &tok); err != nil {
			b.Fatal(err)
		}
		toks[i] = &tok
	}
	return toks
}

// idlePhase runs a service whose 10,000 tokens are all long-lived on a
// fake clock for benchIdle and counts the scheduler's timer wake-ups per
// minute. Then it measures what a token call answered from memory costs
// (CPU time per call), so that the callers' share of the busy run's CPU
// time can be told apart from the refreshes'.
func idlePhase(b *testing.B, emURL string) (wakeups float64, perCall time.Duration) {
	b.Helper()
	dir := b.TempDir()
	fc := clock.NewFake(time.Now())
	secrets := &faultstore.Memory{}
	cfg := benchConfig(b, dir, emURL, secrets, fc, timing{})
	pol := cfg.Timing.withDefaults()
	now := fc.Now()
	toks := make([]*oauth.Token, benchAccounts)
	for i := range toks {
		issued := now.Add(-time.Duration(i) * time.Second / 10)
		toks[i] = &oauth.Token{AccessToken: "idle-access", RefreshToken: "idle-refresh", TokenType: "Bearer",
			IssuedAt: issued, Expiry: issued.Add(2 * time.Hour), RefreshExpiry: issued.Add(30 * 24 * time.Hour)}
	}
	adopt(b, cfg.Store, pol, toks, now)
	svc, err := newService(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = svc.Close() }()
	var ran atomic.Int64
	svc.onRefresh = func(string, *oauth.Token, *oauth.Token, time.Time) { ran.Add(1) }
	svc.Start(context.Background())
	waitTimer := func() {
		deadline := time.Now().Add(10 * time.Second)
		for fc.Timers() != 1 {
			if time.Now().After(deadline) {
				b.Fatal("the scheduler did not arm its timer")
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitTimer()
	w0 := svc.sched.wakeups.Load()
	for range int(benchIdle / time.Second) {
		fc.Advance(time.Second)
		waitTimer()
	}
	wakeups = float64(svc.sched.wakeups.Load()-w0) / benchIdle.Minutes()
	if n := ran.Load(); n != 0 {
		b.Fatalf("%d refreshes while every token was long-lived", n)
	}

	ctx := context.Background()
	call := func(i int) {
		if _, err := svc.Token(ctx, benchID(i)); err != nil {
			b.Fatal(err)
		}
	}
	for i := range benchAccounts { // the first call reads the keychain
		call(i)
	}
	const passes = 5
	cpu0 := cpuTime(b)
	var wg sync.WaitGroup
	for c := range benchCallers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range passes {
				for i := c; i < benchAccounts; i += benchCallers {
					call(i)
				}
			}
		}()
	}
	wg.Wait()
	perCall = (cpuTime(b) - cpu0) / (passes * benchAccounts)
	if n := ran.Load(); n != 0 {
		b.Fatalf("%d refreshes while every token was long-lived", n)
	}
	return wakeups, perCall
}

// tripTransport times the requests of a client (in these runs, only
// refresh requests) and notes the most in flight at once.
type tripTransport struct {
	rt             http.RoundTripper
	inflight, peak atomic.Int64
	mu             sync.Mutex
	trips          []time.Duration
}

func (t *tripTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	n := t.inflight.Add(1)
	for p := t.peak.Load(); n > p && !t.peak.CompareAndSwap(p, n); p = t.peak.Load() {
	}
	t0 := time.Now()
	resp, err := t.rt.RoundTrip(r)
	if err == nil {
		// The answer is read by the caller; wait for it to be read.
		resp.Body = &timedBody{ReadCloser: resp.Body, done: func() { t.note(time.Since(t0)) }}
	} else {
		t.note(time.Since(t0))
	}
	return resp, err
}

func (t *tripTransport) note(d time.Duration) {
	t.inflight.Add(-1)
	t.mu.Lock()
	t.trips = append(t.trips, d)
	t.mu.Unlock()
}

func (t *tripTransport) result() ([]time.Duration, int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.trips), t.peak.Load()
}

type timedBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *timedBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}

// timedHTTPClient is the service's default client with its requests timed.
func timedHTTPClient() (*http.Client, *tripTransport) {
	hc := defaultHTTPClient()
	tt := &tripTransport{rt: hc.Transport}
	hc.Transport = tt
	return hc, tt
}

// countingSource sits between a ReuseTokenSource and the refresher that
// x/oauth2's Config.TokenSource builds: every call that reaches it is a
// refresh, and it logs its lateness like the service's onRefresh hook.
// The outer ReuseTokenSource calls it under its own mutex.
type countingSource struct {
	src  oauth2.TokenSource
	prev *oauth2.Token
	own  bool // prev came from this source
	lead time.Duration
	log  *refreshLog
	n    *atomic.Int64
}

func (c *countingSource) Token() (*oauth2.Token, error) {
	t, err := c.src.Token()
	if err != nil {
		return nil, err
	}
	if t.AccessToken != c.prev.AccessToken {
		// Steady state: only tokens x/oauth2 itself obtained in the run
		// count (the first ones came from the service).
		if c.own {
			c.log.add(time.Now(), c.prev.Expiry.Add(-c.lead), c.prev.Expiry)
		}
		c.own = true
		c.n.Add(1)
	}
	c.prev = t
	return t, nil
}

// runOAuth2 serves the accounts with x/oauth2 token sources, one per
// account as its documentation advises, for benchRun with the same callers.
func runOAuth2(b *testing.B, em *benchEmulator, p *oauth.Profile, pol timing, toks []*oauth.Token) benchResult {
	b.Helper()
	var log refreshLog
	var nRefresh atomic.Int64
	conf := &oauth2.Config{
		ClientID: emulator.DemoClientID,
		Endpoint: oauth2.Endpoint{AuthURL: p.AuthURL, TokenURL: p.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
		Scopes:   p.Scopes,
	}
	hc, trips := timedHTTPClient()
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, hc)
	srcs := make([]oauth2.TokenSource, len(toks))
	counters := make([]*countingSource, len(toks))
	for i, t := range toks {
		lead := pol.lead(t)
		ot := &oauth2.Token{AccessToken: t.AccessToken, TokenType: t.TokenType, RefreshToken: t.RefreshToken, Expiry: t.Expiry}
		// The inner source starts with only the refresh token, so whatever
		// the outer one asks for is a refresh (the inner ReuseTokenSource's
		// own 10 s early expiry is longer than the lead, so it never answers
		// from its cache when the outer one asks).
		inner := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: t.RefreshToken})
		cs := &countingSource{src: inner, prev: ot, lead: lead, log: &log, n: &nRefresh}
		srcs[i] = oauth2.ReuseTokenSourceWithExpiry(ot, cs, lead)
		counters[i] = cs
	}
	toks = nil
	rctx, cancel := context.WithTimeout(context.Background(), benchRun)
	defer cancel()
	st0 := em.stats(b)
	cpu0 := cpuTime(b)
	log.start()
	calls, fails := drive(rctx, len(srcs), benchCadence, func(i int) error {
		_, err := srcs[i].Token()
		return err
	})
	late, expired := log.stop()
	refreshes := int(nRefresh.Load())
	cpu := cpuTime(b) - cpu0
	st1 := em.stats(b)
	h1 := heapInuse()
	res := benchResult{
		refreshes: refreshes, duplicates: duplicates(st0, st1), late: late, expired: expired,
		calls: calls, callFails: fails, emRefreshes: st1.Refreshes - st0.Refreshes, cpu: cpu,
	}
	if refreshes > 0 {
		res.cpuPer1000 = cpu * 1000 / time.Duration(refreshes)
	}
	res.trips, res.peakHTTP = trips.result()
	// The newest token of each source (the callers have stopped).
	res.lost = func() int {
		held := make([]*oauth.Token, len(counters))
		for i, c := range counters {
			held[i] = &oauth.Token{RefreshToken: c.prev.RefreshToken}
		}
		return len(em.invalid(b, held))
	}()
	counters, srcs = nil, nil
	hc.CloseIdleConnections()
	h2 := heapInuse()
	res.memPerAcct = (float64(h1) - float64(h2)) / benchAccounts
	return res
}
