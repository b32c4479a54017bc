package storage

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
	ss "github.com/zalando/go-keyring/secret_service"
)

// The crash test: a child process saves tokens (two-phase through Tokens,
// chunked in the keychain as on Windows) and writes account records in the
// database in a loop, announcing each write before and after; the parent
// kills it with SIGKILL at random moments and checks that every account's
// row and secret agree and are the version last completed or the one in
// flight: never a mix, never a row without its secret, never a loss.

const (
	crashAccounts = 3
	crashLimit    = 1024 // an 8 KB token becomes 8 chunks
)

func crashKills() int {
	if n, err := strconv.Atoi(os.Getenv("SC_CRASH_KILLS")); err == nil && n > 0 {
		return n
	}
	return 200
}

func crashID(i int) string { return fmt.Sprintf("acct-%d", i) }

// crashSecret is account i's secret at version v: 8 KB whose every byte
// depends on (i, v), so chunks of two versions cannot pass as one.
func crashSecret(i, v int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d %d|", i, v)
	seed := sha256.Sum256([]byte(fmt.Sprintf("secret %d %d", i, v)))
	for b.Len() < 8192 {
		seed = sha256.Sum256(seed[:])
		fmt.Fprintf(&b, "%x", seed)
	}
	return b.Bytes()[:8192]
}

func parseSecretVersion(s []byte) (i, v int, ok bool) {
	head, _, found := bytes.Cut(s, []byte("|"))
	if !found {
		return 0, 0, false
	}
	if _, err := fmt.Sscanf(string(head), "%d %d", &i, &v); err != nil {
		return 0, 0, false
	}
	return i, v, bytes.Equal(s, crashSecret(i, v))
}

func crashRecord(i, v int) Record {
	r := sampleRecord(crashID(i), v)
	r.DisplayName = fmt.Sprintf("shop %d version %d", i, v)
	return r
}

// crashChild starts up, says "ready", and waits for "go <start> <pos>" on
// its standard input (so that the parent can start the next child while it
// checks the last one). Then it writes forever, in the order secret 0,
// record 0, secret 1, record 1, ... beginning at position pos of that
// cycle, version start for the first cycle and one more for each next:
// "b s i v" / "d s i v" around each secret, "b r i v" / "d r i v" around
// each record.
func crashChild() int {
	dir := os.Getenv("SC_DIR")
	k := NewKeychain(dir)
	k.EntryLimit = crashLimit
	k.Timeout = 30 * time.Second // a loaded machine is not a hung keychain
	db, err := OpenDB(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	toks := &Tokens{DB: db, Secrets: k}
	// Connect to the keychain before saying ready (a read of another
	// service's entry): a kill is meant for the writes, not the D-Bus
	// handshake, and the connection is made while the parent checks.
	_, _ = keyring.Get(k.Service()+"-warm-up", "none")
	out := os.Stdout // unbuffered: each line is one write(2)
	fmt.Fprintln(out, "ready")
	var start, pos int
	if _, err := fmt.Fscanf(os.Stdin, "go %d %d\n", &start, &pos); err != nil {
		return 0 // the parent needs no more writers
	}
	for q := pos; ; q++ {
		i, v := q/2%crashAccounts, start+(q-pos)/(2*crashAccounts)
		if q%2 == 0 {
			fmt.Fprintf(out, "b s %d %d\n", i, v)
			if _, err := toks.Begin(crashID(i), "r"); err != nil {
				fmt.Fprintln(os.Stderr, "child begin:", err)
				return 1
			}
			if _, err := toks.Save(crashID(i), crashSecret(i, v)); err != nil {
				fmt.Fprintln(os.Stderr, "child save:", err)
				return 1
			}
			fmt.Fprintf(out, "d s %d %d\n", i, v)
			continue
		}
		fmt.Fprintf(out, "b r %d %d\n", i, v)
		r := crashRecord(i, v)
		_, err := db.UpdateAccounts(map[string]RecordUpdate{r.ID: {Record: &r,
			Entries: []TimelineEntry{{Time: r.CreatedAt, Kind: "note", Summary: r.DisplayName}}}}, TimelineKeep{All: 5})
		if err != nil {
			fmt.Fprintln(os.Stderr, "child update:", err)
			return 1
		}
		fmt.Fprintf(out, "d r %d %d\n", i, v)
	}
}

// progress is what the parent learned from a child's announcements.
type progress struct {
	done     [2][crashAccounts]int // [secret, record][account]: last completed version
	inflight [2][crashAccounts]int // begun and not announced done; -1 none
	maxV     int

	adopted, interrupted int // what Load reconciled
}

// line folds in one announcement and returns its kind (0 secret, 1
// record) and whether it announced a beginning.
func (p *progress) line(l string) (kind int, begun bool) {
	f := strings.Fields(l)
	if len(f) != 4 {
		return 0, false
	}
	if f[1] == "r" {
		kind = 1
	}
	i, _ := strconv.Atoi(f[2])
	v, _ := strconv.Atoi(f[3])
	p.maxV = max(p.maxV, v)
	if f[0] == "b" {
		p.inflight[kind][i] = v
		return kind, true
	}
	p.done[kind][i] = v
	p.inflight[kind][i] = -1
	return kind, false
}

func TestCrashLosesNothing(t *testing.T) {
	k, dir := testKeychain(t)
	db, err := OpenDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	toks := &Tokens{DB: db, Secrets: k}
	// Version 0 of everything exists before the first child starts.
	var p progress
	k.EntryLimit = crashLimit
	for i := 0; i < crashAccounts; i++ {
		r := crashRecord(i, 0)
		if err := toks.Create(r, crashSecret(i, 0), []TimelineEntry{{Time: r.CreatedAt, Kind: "note", Summary: r.DisplayName}}, TimelineKeep{}); err != nil {
			t.Fatal(err)
		}
		p.inflight[0][i], p.inflight[1][i] = -1, -1
	}

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	kills, mid := crashKills(), 0
	var cut [2][crashAccounts]int // writes cut mid-way, by kind and account
	var tCheck time.Duration
	// How long a secret and a record write take here, as the parent sees
	// them (a moving average), to aim the kills inside writes.
	took := [2]time.Duration{50 * time.Millisecond, 10 * time.Millisecond}
	start := time.Now()
	next := startCrashChild(t, dir)
	for n := 0; n < kills; n++ {
		c := next
		if c.err != nil {
			t.Fatalf("kill %d: %v", n, c.err)
		}
		// The child starts at a different point of the cycle each time, so
		// that every account's secret and record writes are cut. The kill
		// comes at a random moment of its first write (one time in four of
		// its second, when it has written before), or just after it.
		target := 0
		if rng.IntN(4) == 0 {
			target = 1
		}
		fmt.Fprintf(c.stdin, "go %d %d\n", p.maxV+1, n%(2*crashAccounts))
		var mu sync.Mutex
		drained := make(chan struct{})
		aim := make(chan int, 1)
		go func() {
			defer close(drained)
			var began time.Time
			for writes := 0; c.sc.Scan(); {
				now := time.Now()
				mu.Lock()
				kind, begun := p.line(c.sc.Text())
				if begun {
					began = now
					if writes == target {
						aim <- kind
					}
					writes++
				} else if !began.IsZero() {
					took[kind] = (7*took[kind] + now.Sub(began)) / 8
				}
				mu.Unlock()
			}
		}()
		select {
		case kind := <-aim:
			mu.Lock()
			window := took[kind] * 5 / 4
			mu.Unlock()
			time.Sleep(time.Duration(rng.Int64N(int64(window) + 1)))
		case <-drained:
			c.cmd.Wait()
			t.Fatalf("kill %d: the child ended before its write %d", n, target+1)
		}
		if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatalf("kill %d: %v", n, err)
		}
		<-drained
		werr := c.cmd.Wait()
		c.stdin.Close()
		if ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("kill %d: the child ended on its own (%v) before it was killed", n, werr)
		}
		for kind := 0; kind < 2; kind++ {
			for i := 0; i < crashAccounts; i++ {
				if p.inflight[kind][i] >= 0 {
					mid++
					cut[kind][i]++
				}
			}
		}
		// The next child starts up while this one's writes are checked; it
		// touches nothing until it is told to go.
		started := make(chan *crashProc, 1)
		if n+1 < kills {
			go func() { started <- startCrashChild(t, dir) }()
		}
		t1 := time.Now()
		checkAfterCrash(t, n, toks, &p)
		tCheck += time.Since(t1)
		if n+1 < kills {
			next = <-started
		}
	}
	t.Logf("survived %d SIGKILLs (%d writes cut mid-way; up to version %d) in %s, checks %s",
		kills, mid, p.maxV, time.Since(start).Round(time.Millisecond), tCheck.Round(time.Millisecond))
	for i := 0; i < crashAccounts; i++ {
		t.Logf("account %d: %d token saves and %d record writes cut mid-way", i, cut[0][i], cut[1][i])
	}
	t.Logf("after the kills: %d rotated tokens adopted from the keychain, %d refreshes found cut short", p.adopted, p.interrupted)
	t.Logf("a secret write takes about %s here, a record write %s", took[0].Round(time.Millisecond), took[1].Round(time.Millisecond))
	if n, err := keychainEntries(k.Service()); err == nil {
		inUse := crashAccounts * (1 + (8192+crashLimit-1)/crashLimit)
		t.Logf("%d keychain entries under the test's service: %d heads and chunks in use, %d chunks left behind by cut writes",
			n, inUse, n-inUse)
	}
	fmt.Printf("crash test: survived %d of %d kills\n", kills, kills)
}

// crashProc is a started crash child waiting for "go".
type crashProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	sc    *bufio.Scanner
	err   error
}

// startCrashChild starts a writer and waits until it is ready. Errors are
// returned in the crashProc: it also runs off the test goroutine.
func startCrashChild(t *testing.T, dir string) *crashProc {
	cmd := child(t, "crash", "SC_DIR="+dir)
	stdin, err1 := cmd.StdinPipe()
	stdout, err2 := cmd.StdoutPipe()
	if err := errors.Join(err1, err2); err != nil {
		return &crashProc{err: err}
	}
	if err := cmd.Start(); err != nil {
		return &crashProc{err: err}
	}
	// A child left waiting when the test fails is not left behind.
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() || sc.Text() != "ready" {
		cmd.Process.Kill()
		cmd.Wait()
		return &crashProc{err: fmt.Errorf("child did not start: %q", sc.Text())}
	}
	return &crashProc{cmd: cmd, stdin: stdin, sc: sc}
}

// checkAfterCrash verifies every account and folds the truth back into p.
func checkAfterCrash(t *testing.T, n int, toks *Tokens, p *progress) {
	t.Helper()
	allowed := func(kind, i, got int) bool {
		return got == p.done[kind][i] || (p.inflight[kind][i] >= 0 && got == p.inflight[kind][i])
	}
	// The secrets are read side by side: the reads are the same, only sooner.
	var loaded [crashAccounts]Loaded
	var errs [crashAccounts]error
	var wg sync.WaitGroup
	for i := 0; i < crashAccounts; i++ {
		wg.Go(func() { loaded[i], errs[i] = toks.Load(crashID(i)) })
	}
	wg.Wait()
	for i := 0; i < crashAccounts; i++ {
		l, err := loaded[i], errs[i]
		if err != nil {
			t.Fatalf("kill %d: account %d's token is unreadable: %v", n, i, err)
		}
		si, sv, ok := parseSecretVersion(l.Value)
		if !ok || si != i {
			t.Fatalf("kill %d: account %d's secret is a mix or damaged (%d bytes)", n, i, len(l.Value))
		}
		if !allowed(0, i, sv) {
			t.Fatalf("kill %d: account %d's secret is version %d; want %d or in-flight %d",
				n, i, sv, p.done[0][i], p.inflight[0][i])
		}
		if l.State.Pending != 0 {
			t.Fatalf("kill %d: account %d still has a pending generation after Load", n, i)
		}
		if l.Adopted {
			p.adopted++
		}
		if l.Interrupted {
			p.interrupted++
		}
		p.done[0][i], p.inflight[0][i] = sv, -1
	}
	rows, err := toks.DB.Accounts()
	if err != nil {
		t.Fatalf("kill %d: accounts unreadable: %v", n, err)
	}
	if len(rows) != crashAccounts {
		t.Fatalf("kill %d: %d accounts, want %d", n, len(rows), crashAccounts)
	}
	for i, r := range rows {
		var ri, rv int
		if _, err := fmt.Sscanf(r.DisplayName, "shop %d version %d", &ri, &rv); err != nil || ri != i || r.ID != crashID(i) {
			t.Fatalf("kill %d: record %d is damaged: %q", n, i, r.DisplayName)
		}
		if strconv.Itoa(rv) != r.RemoteID {
			t.Fatalf("kill %d: record %d mixes versions", n, i)
		}
		if !allowed(1, i, rv) {
			t.Fatalf("kill %d: account %d's record is version %d; want %d or in-flight %d",
				n, i, rv, p.done[1][i], p.inflight[1][i])
		}
		p.done[1][i], p.inflight[1][i] = rv, -1
		tl, err := toks.DB.Timeline(r.ID)
		if err != nil || len(tl) == 0 || tl[len(tl)-1].Summary != r.DisplayName {
			t.Fatalf("kill %d: account %d's timeline does not end with its record's write (%v)", n, i, err)
		}
	}
	if m, _ := globCorrupt(toks.DB.Path()); len(m) != 0 {
		t.Fatalf("kill %d: a database backup appeared: %v", n, m)
	}
}

// keychainEntries counts the Secret Service items under a service name.
func keychainEntries(service string) (int, error) {
	svc, err := ss.NewSecretService()
	if err != nil {
		return 0, err
	}
	items, err := svc.SearchItems(svc.GetLoginCollection(), map[string]string{"service": service})
	return len(items), err
}

func globCorrupt(path string) ([]string, error) { return filepath.Glob(path + ".corrupt-*") }
