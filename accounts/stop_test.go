//go:build unix

package accounts

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sellerconnect/sellerconnect/oauth"
	"github.com/sellerconnect/sellerconnect/oauth/emulator"
	"github.com/sellerconnect/sellerconnect/storage"
)

// The stop tests run a service in a child process (this test binary again)
// on the parent's data directory, keychain and emulator, and stop it with a
// signal at chosen moments.

const stopEnv = "SELLERCONNECT_STOP_HELPER"

func TestStopHelperProcess(t *testing.T) {
	if os.Getenv(stopEnv) == "" {
		t.Skip("runs only as the stop tests' helper process")
	}
	os.Exit(runStopHelper())
}

// announcingStore prints "saved ID NANOS" once a renewed token is stored.
type announcingStore struct {
	accountStore
	out func(string)
}

func (s announcingStore) SaveToken(id string, v []byte) (storage.TokenState, error) {
	ts, err := s.accountStore.SaveToken(id, v)
	if err == nil {
		s.out(fmt.Sprintf("saved %s %d", id, time.Now().UnixNano()))
	}
	return ts, err
}

// runStopHelper opens the service, says "ready", then either runs the
// scheduler and token loops until SIGTERM (mode "term": it closes the
// service and exits 0, as the app does) or refreshes the named accounts
// one after another, printing "answered ID NANOS" when the provider's
// answer arrives (mode "kill": the parent kills it then).
func runStopHelper() int {
	dir, emURL, mode := os.Getenv(stopEnv+"_DIR"), os.Getenv(stopEnv+"_EMULATOR"), os.Getenv(stopEnv)
	ids := strings.Split(os.Getenv(stopEnv+"_IDS"), ",")
	out := func(s string) { os.Stdout.WriteString(s + "\n") } // one write(2) a line
	cfg, err := tortureConfig(dir, emURL, func(string, ...any) {})
	if err != nil {
		out("err " + err.Error())
		return 2
	}
	cfg.Store = announcingStore{accountStore: cfg.Store, out: out}
	svc, err := newService(cfg)
	if err != nil {
		out("err " + err.Error())
		return 2
	}
	svc.onRefresh = func(id string, _, _ *oauth.Token, _ time.Time) {
		out(fmt.Sprintf("answered %s %d", id, time.Now().UnixNano()))
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	out("ready")
	switch mode {
	case "term":
		svc.Start(ctx)
		for ctx.Err() == nil {
			for _, id := range ids {
				_, _ = svc.Token(ctx, id)
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := svc.Close(); err != nil {
			out("err close: " + err.Error())
			return 1
		}
		out("closed")
	case "kill":
		for _, id := range ids {
			if err := svc.Refresh(ctx, id); err != nil {
				out("err " + err.Error())
			}
		}
		time.Sleep(time.Minute) // the parent kills it long before
	}
	return 0
}

func startStopHelper(t *testing.T, e *env, mode string, ids []string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestStopHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), stopEnv+"="+mode, stopEnv+"_DIR="+e.dir, stopEnv+"_EMULATOR="+e.em.URL(),
		stopEnv+"_IDS="+strings.Join(ids, ","))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() || sc.Text() != "ready" {
		t.Fatalf("helper did not start: %q", sc.Text())
	}
	return cmd, sc
}

// TestSIGTERMLosesNothing: SIGTERM at 50 random moments while a child
// process refreshes three rotating accounts with one-second tokens, their
// refresh requests held up at the provider so that many are in flight when
// the signal comes. The child finishes what it sent and saves before it
// exits: no account is lost.
func TestSIGTERMLosesNothing(t *testing.T) {
	const rounds = 50
	e := newEnv(t, envOpts{accessTTL: 1, timing: fastTiming()})
	var ids []string
	for i := range 3 {
		ids = append(ids, e.connect("demo", fmt.Sprintf("term-seller-%d", i)).ID)
	}
	e.svc.Close()
	e.em.Inject(emulator.Demo, emulator.Fault{Kind: emulator.FaultLatency, Latency: 150 * time.Millisecond})
	lost, inFlight := 0, 0
	for n := range rounds {
		cmd, sc := startStopHelper(t, e, "term", ids)
		time.Sleep(time.Duration(200+rand.IntN(1300)) * time.Millisecond)
		before := e.em.Stats(emulator.Demo)
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		closed := false
		for sc.Scan() {
			switch kind, rest, _ := strings.Cut(sc.Text(), " "); kind {
			case "closed":
				closed = true
			case "err":
				t.Errorf("round %d: %s", n, rest)
			}
		}
		if err := cmd.Wait(); err != nil || !closed {
			t.Fatalf("round %d: the child did not close cleanly: %v", n, err)
		}
		if after := e.em.Stats(emulator.Demo); after.Refreshes > before.Refreshes {
			inFlight++ // a refresh was answered after the signal
		}
		for _, id := range ids {
			if !e.em.RefreshValid(emulator.Demo, e.storedToken(id).RefreshToken) {
				lost++
				t.Errorf("round %d: account %s lost: the stored refresh token is no longer the provider's", n, id)
			}
		}
	}
	st := e.em.Stats(emulator.Demo)
	t.Logf("SIGTERM %d times: %d accounts lost; %d signals came with a refresh in flight; provider: %d refreshes, %d invalid_grant, %d reused",
		rounds, lost, inFlight, st.Refreshes, st.InvalidGrant, st.ReusedRefresh)
	fmt.Printf("SIGTERM test: %d of %d rounds, %d accounts lost\n", rounds, rounds, lost)
	if inFlight == 0 {
		t.Error("no signal came while a refresh was in flight: the test did not test")
	}
}

// TestSIGKILLAfterTheAnswerIsToldAsACrash: SIGKILL the moment the provider
// has answered a refresh, 50 times. The child may die before the renewed
// token is saved; then the provider has already replaced the stored one
// and the account is lost. The test prints how many were, and the window
// between the answer and the save (p50, p99) measured where the save won;
// every lost account must say SellerConnect was stopped mid-renewal.
func TestSIGKILLAfterTheAnswerIsToldAsACrash(t *testing.T) {
	const rounds = 50
	e := newEnv(t, envOpts{timing: fastTiming()})
	var windows []time.Duration
	lost, saved := 0, 0
	for n := range rounds {
		id := e.connect("demo", fmt.Sprintf("kill-seller-%d", n)).ID
		cmd, sc := startStopHelper(t, e, "kill", []string{id})
		var answered time.Time
		for sc.Scan() {
			kind, rest, _ := strings.Cut(sc.Text(), " ")
			if kind == "answered" {
				_, ns, _ := strings.Cut(rest, " ")
				v, _ := strconv.ParseInt(ns, 10, 64)
				answered = time.Unix(0, v)
				_ = cmd.Process.Signal(syscall.SIGKILL)
				continue
			}
			if kind == "saved" && !answered.IsZero() {
				_, ns, _ := strings.Cut(rest, " ")
				v, _ := strconv.ParseInt(ns, 10, 64)
				windows = append(windows, time.Unix(0, v).Sub(answered))
			}
		}
		_ = cmd.Wait()
		if answered.IsZero() {
			t.Fatalf("round %d: the child was not answered", n)
		}
		// What the next process makes of it.
		next := e.second()
		err := next.Refresh(bg(t), id)
		collectErr(err)
		a, _ := next.Get(id)
		switch {
		case err == nil && a.Status == StatusConnected:
			saved++
		case a.Status == StatusReconnect && strings.Contains(a.Reason, "stopped while renewing"):
			lost++
		default:
			t.Errorf("round %d: after the kill: %s: %q (%v)", n, a.Status, a.Reason, err)
		}
		if _, _, err := next.Disconnect(bg(t), id); err != nil {
			t.Fatal(err)
		}
	}
	if lost+saved != rounds {
		t.Fatalf("%d rounds ended neither lost nor saved", rounds-lost-saved)
	}
	// The window itself, over refreshes no kill interrupts: one child
	// refreshes 30 accounts in turn.
	var ids []string
	for n := range 30 {
		ids = append(ids, e.connect("demo", fmt.Sprintf("window-seller-%d", n)).ID)
	}
	cmd, sc := startStopHelper(t, e, "kill", ids)
	var answered time.Time
	for len(windows) < len(ids) && sc.Scan() {
		kind, rest, _ := strings.Cut(sc.Text(), " ")
		_, ns, _ := strings.Cut(rest, " ")
		v, _ := strconv.ParseInt(ns, 10, 64)
		switch kind {
		case "answered":
			answered = time.Unix(0, v)
		case "saved":
			windows = append(windows, time.Unix(0, v).Sub(answered))
		case "err":
			t.Errorf("window child: %s", rest)
		}
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	slices.Sort(windows)
	p := func(q float64) time.Duration {
		if len(windows) == 0 {
			return 0
		}
		return windows[min(len(windows)-1, int(q*float64(len(windows))))]
	}
	t.Logf("SIGKILL %d times just after the provider answered: %d accounts lost (each told as stopped mid-renewal), %d saved in time; answer-to-saved window p50 %v, p99 %v (over %d refreshes no kill interrupted, the real keychain included)",
		rounds, lost, saved, p(0.5), p(0.99), len(windows))
	fmt.Printf("SIGKILL test: %d kills, %d accounts lost, answer-to-saved p50 %v p99 %v\n", rounds, lost, p(0.5), p(0.99))
}
