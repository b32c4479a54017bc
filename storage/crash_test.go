package storage

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The crash test: a child process writes secrets (chunked, as on Windows)
// and records in a loop, announcing each write before and after; the parent
// kills it with SIGKILL at random moments and checks that every account's
// secret and record is intact and is the version last completed or the one
// in flight: never a mix, never a loss.

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

// crashChild writes versions SC_START, SC_START+1, ... forever:
// "b s i v" / "d s i v" around each secret, "b r i v" / "d r i v" around
// each record.
func crashChild() int {
	dir := os.Getenv("SC_DIR")
	start, _ := strconv.Atoi(os.Getenv("SC_START"))
	k := NewKeychain(dir)
	k.EntryLimit = crashLimit
	k.Timeout = 30 * time.Second // a loaded machine is not a hung keychain
	recs, err := OpenRecords(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	out := os.Stdout // unbuffered: each line is one write(2)
	fmt.Fprintln(out, "ready")
	for v := start; ; v++ {
		for i := 0; i < crashAccounts; i++ {
			fmt.Fprintf(out, "b s %d %d\n", i, v)
			if err := k.Set("account:"+crashID(i), crashSecret(i, v)); err != nil {
				fmt.Fprintln(os.Stderr, "child set:", err)
				return 1
			}
			fmt.Fprintf(out, "d s %d %d\n", i, v)
			fmt.Fprintf(out, "b r %d %d\n", i, v)
			err := recs.Update(func(rs []Record) ([]Record, error) {
				for j := range rs {
					if rs[j].ID == crashID(i) {
						rs[j] = crashRecord(i, v)
					}
				}
				return rs, nil
			})
			if err != nil {
				fmt.Fprintln(os.Stderr, "child update:", err)
				return 1
			}
			fmt.Fprintf(out, "d r %d %d\n", i, v)
		}
	}
}

// progress is what the parent learned from a child's announcements.
type progress struct {
	done     [2][crashAccounts]int // [secret, record][account]: last completed version
	inflight [2][crashAccounts]int // begun and not announced done; -1 none
	maxV     int
}

func (p *progress) line(l string) {
	f := strings.Fields(l)
	if len(f) != 4 {
		return
	}
	kind := 0
	if f[1] == "r" {
		kind = 1
	}
	i, _ := strconv.Atoi(f[2])
	v, _ := strconv.Atoi(f[3])
	p.maxV = max(p.maxV, v)
	if f[0] == "b" {
		p.inflight[kind][i] = v
	} else {
		p.done[kind][i] = v
		p.inflight[kind][i] = -1
	}
}

func TestCrashLosesNothing(t *testing.T) {
	k, dir := testKeychain(t)
	recs, err := OpenRecords(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Version 0 of everything exists before the first child starts.
	var p progress
	for i := 0; i < crashAccounts; i++ {
		k.EntryLimit = crashLimit
		if err := k.Set("account:"+crashID(i), crashSecret(i, 0)); err != nil {
			t.Fatal(err)
		}
		p.inflight[0][i], p.inflight[1][i] = -1, -1
	}
	err = recs.Update(func([]Record) ([]Record, error) {
		var rs []Record
		for i := 0; i < crashAccounts; i++ {
			rs = append(rs, crashRecord(i, 0))
		}
		return rs, nil
	})
	if err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	kills, mid := crashKills(), 0
	var tStart, tCheck time.Duration
	start := time.Now()
	for n := 0; n < kills; n++ {
		t0 := time.Now()
		cmd := child(t, "crash", "SC_DIR="+dir, "SC_START="+strconv.Itoa(p.maxV+1))
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		if !sc.Scan() || sc.Text() != "ready" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("kill %d: child did not start: %q", n, sc.Text())
		}
		tStart += time.Since(t0)
		var mu sync.Mutex
		drained := make(chan struct{})
		go func() {
			defer close(drained)
			for sc.Scan() {
				mu.Lock()
				p.line(sc.Text())
				mu.Unlock()
			}
		}()
		// A random moment within the next few writes.
		time.Sleep(time.Duration(rng.IntN(120_000)) * time.Microsecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatalf("kill %d: %v", n, err)
		}
		<-drained
		werr := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("kill %d: the child ended on its own (%v) before it was killed", n, werr)
		}
		for kind := 0; kind < 2; kind++ {
			for i := 0; i < crashAccounts; i++ {
				if p.inflight[kind][i] >= 0 {
					mid++
				}
			}
		}
		t1 := time.Now()
		checkAfterCrash(t, n, k, recs, &p)
		tCheck += time.Since(t1)
	}
	t.Logf("survived %d SIGKILLs (%d writes cut mid-way; up to version %d) in %s",
		kills, mid, p.maxV, time.Since(start).Round(time.Millisecond))
	t.Logf("child start-up %s, checks %s", tStart, tCheck)
	fmt.Printf("crash test: survived %d of %d kills\n", kills, kills)
}

// checkAfterCrash verifies every account and folds the truth back into p.
func checkAfterCrash(t *testing.T, n int, k *Keychain, recs *Records, p *progress) {
	t.Helper()
	allowed := func(kind, i, got int) bool {
		return got == p.done[kind][i] || (p.inflight[kind][i] >= 0 && got == p.inflight[kind][i])
	}
	for i := 0; i < crashAccounts; i++ {
		s, err := k.Get("account:" + crashID(i))
		if err != nil {
			t.Fatalf("kill %d: account %d's secret is unreadable: %v", n, i, err)
		}
		si, sv, ok := parseSecretVersion(s)
		if !ok || si != i {
			t.Fatalf("kill %d: account %d's secret is a mix or damaged (%d bytes)", n, i, len(s))
		}
		if !allowed(0, i, sv) {
			t.Fatalf("kill %d: account %d's secret is version %d; want %d or in-flight %d",
				n, i, sv, p.done[0][i], p.inflight[0][i])
		}
		p.done[0][i], p.inflight[0][i] = sv, -1
	}
	rs, err := recs.Load()
	if err != nil {
		t.Fatalf("kill %d: records unreadable: %v", n, err)
	}
	if len(rs) != crashAccounts {
		t.Fatalf("kill %d: %d records, want %d", n, len(rs), crashAccounts)
	}
	for i, r := range rs {
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
	}
	if m, _ := globCorrupt(recs.Path()); len(m) != 0 {
		t.Fatalf("kill %d: a records backup appeared: %v", n, m)
	}
}

func globCorrupt(path string) ([]string, error) { return filepath.Glob(path + ".corrupt-*") }
