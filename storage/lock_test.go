package storage

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestLockAccountBetweenGoroutines(t *testing.T) {
	dir := t.TempDir()
	rel, err := LockAccount(context.Background(), dir, "depop-1")
	if err != nil {
		t.Fatal(err)
	}
	// Held: a second taker times out with ErrBusy.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := LockAccount(ctx, dir, "depop-1"); !errors.Is(err, ErrBusy) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want ErrBusy and DeadlineExceeded, got %v", err)
	}
	// Other accounts are independent.
	rel2, err := LockAccount(context.Background(), dir, "ebay-2")
	if err != nil {
		t.Fatal(err)
	}
	rel2()
	// A waiter gets it once released.
	got := make(chan error, 1)
	go func() {
		r, err := LockAccount(context.Background(), dir, "depop-1")
		if err == nil {
			r()
		}
		got <- err
	}()
	time.Sleep(20 * time.Millisecond)
	rel()
	rel() // a second release is harmless
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}

func TestLockAccountMutualExclusion(t *testing.T) {
	dir := t.TempDir()
	var inside, maxInside atomic.Int32
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				rel, err := LockAccount(context.Background(), dir, "acct/with odd:chars")
				if err != nil {
					t.Error(err)
					return
				}
				n := inside.Add(1)
				if n > maxInside.Load() {
					maxInside.Store(n)
				}
				time.Sleep(time.Millisecond)
				inside.Add(-1)
				rel()
			}
		}()
	}
	wg.Wait()
	if maxInside.Load() != 1 {
		t.Fatalf("%d goroutines held the lock at once", maxInside.Load())
	}
}

// lockChild takes SC_ACCOUNT's lock, says "locked", and holds it until its
// stdin closes.
func lockChild() int {
	rel, err := LockAccount(context.Background(), os.Getenv("SC_DIR"), os.Getenv("SC_ACCOUNT"))
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	rel()
	return 0
}

func startLockChild(t *testing.T, dir string) (stdin io.WriteCloser, wait func() error, kill func()) {
	t.Helper()
	cmd := child(t, "lock", "SC_DIR="+dir, "SC_ACCOUNT=depop-1")
	stdin, _ = cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "locked\n" {
		cmd.Process.Kill()
		t.Fatalf("child: %q", line)
	}
	return stdin, cmd.Wait, func() { cmd.Process.Signal(syscall.SIGKILL) }
}

func TestLockAccountAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	stdin, wait, _ := startLockChild(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := LockAccount(ctx, dir, "depop-1"); !errors.Is(err, ErrBusy) {
		t.Fatalf("lock held by another process: want ErrBusy, got %v", err)
	}
	// Released by the other process: we get it.
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		rel, err := LockAccount(ctx, dir, "depop-1")
		if err == nil {
			rel()
		}
		done <- err
	}()
	stdin.Close()
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// A killed holder's lock is freed by the system.
	_, wait, kill := startLockChild(t, dir)
	kill()
	_ = wait()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel2()
	rel, err := LockAccount(ctx2, dir, "depop-1")
	if err != nil {
		t.Fatalf("after the holder died: %v", err)
	}
	rel()
}

// instanceChild tries AcquireInstance and prints the outcome; with
// SC_ACTIVATE it calls ActivateRunning instead.
func instanceChild() int {
	dir := os.Getenv("SC_DIR")
	if os.Getenv("SC_ACTIVATE") != "" {
		fmt.Println(ActivateRunning(dir))
		return 0
	}
	in, err := AcquireInstance(dir)
	if err != nil {
		fmt.Println(err)
		return 0
	}
	in.Close()
	fmt.Println("acquired")
	return 0
}

func runInstanceChild(t *testing.T, dir string, activate bool) string {
	t.Helper()
	env := []string{"SC_DIR=" + dir}
	if activate {
		env = append(env, "SC_ACTIVATE=1")
	}
	out, err := child(t, "instance", env...).Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestSingleInstance(t *testing.T) {
	dir := t.TempDir()
	in, err := AcquireInstance(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AcquireInstance(dir); !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("second in-process: %v", err)
	}
	if out := runInstanceChild(t, dir, false); out != ErrAlreadyRunning.Error()+"\n" {
		t.Fatalf("second process: %q", out)
	}
	// Not listening yet: activation finds no one.
	if err := ActivateRunning(dir); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("before Listen: %v", err)
	}
	var activations atomic.Int32
	activated := make(chan struct{}, 4)
	if err := in.Listen(func() { activations.Add(1); activated <- struct{}{} }); err != nil {
		t.Fatal(err)
	}
	if out := runInstanceChild(t, dir, true); out != "<nil>\n" {
		t.Fatalf("activation from another process: %q", out)
	}
	select {
	case <-activated:
	case <-time.After(10 * time.Second):
		t.Fatal("onActivate not called")
	}
	if fi, err := os.Stat(dir + "/instance.json"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("instance file: %v %v", fi, err)
	}
	// A wrong token is refused.
	data, _ := os.ReadFile(dir + "/instance.json")
	var info instanceInfo
	json.Unmarshal(data, &info)
	info.Token = "0123456789abcdef0123456789abcdef"
	forged, _ := json.Marshal(info)
	os.WriteFile(dir+"/instance.json", forged, 0o600)
	if err := ActivateRunning(dir); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("wrong token: %v", err)
	}
	if n := activations.Load(); n != 1 {
		t.Fatalf("%d activations", n)
	}
	in.Close()
	in.Close()
	if err := ActivateRunning(dir); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("after Close: %v", err)
	}
	if out := runInstanceChild(t, dir, false); out != "acquired\n" {
		t.Fatalf("after Close: %q", out)
	}
	in2, err := AcquireInstance(dir)
	if err != nil {
		t.Fatal(err)
	}
	in2.Close()
}

func TestLockNames(t *testing.T) {
	if lockName("depop-3f9a2c") != "depop-3f9a2c" {
		t.Fatal("plain id changed")
	}
	for _, id := range []string{"../x", "a/b", "..", "con:1", string(make([]byte, 100))} {
		n := lockName(id)
		if n[:2] != "h-" || len(n) != 26 {
			t.Errorf("%q -> %q", id, n)
		}
	}
}
