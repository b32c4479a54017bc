//go:build linux

package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDesktopWindowOpens starts the built binary with no command, as a
// double-click does, on the test's X display: the app's window appears at
// its working size, and a second launch brings it forward and exits 0
// instead of opening a second window.
func TestDesktopWindowOpens(t *testing.T) {
	if os.Getenv("DISPLAY") == "" {
		t.Skip("no X display: run under scripts/testenv.sh")
	}
	if _, err := exec.LookPath("xdotool"); err != nil {
		t.Skip("xdotool is not installed (scripts/deps.sh installs it)")
	}
	bin := binary(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	app := exec.CommandContext(ctx, bin, "--data-dir", dir)
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		if app.ProcessState == nil {
			app.Wait()
		}
	}()

	var win string
	deadline := time.Now().Add(60 * time.Second)
	for win == "" {
		if time.Now().After(deadline) {
			t.Fatal("no SellerConnect window within 60 s")
		}
		out, _ := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^SellerConnect$").Output()
		if f := strings.Fields(string(out)); len(f) > 0 {
			win = f[0]
		} else {
			time.Sleep(200 * time.Millisecond)
		}
	}
	out, err := exec.Command("xdotool", "getwindowgeometry", win).Output()
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`Geometry: (\d+)x(\d+)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("geometry: %s", out)
	}
	w, _ := strconv.Atoi(m[1])
	h, _ := strconv.Atoi(m[2])
	if w < 600 || h < 400 {
		t.Errorf("the window is %dx%d: not the app's main window", w, h)
	}

	sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
	defer scancel()
	second := exec.CommandContext(sctx, bin, "--data-dir", dir)
	if out, err := second.CombinedOutput(); err != nil {
		t.Errorf("second launch: %v\n%s", err, out)
	}
	out, _ = exec.Command("xdotool", "search", "--onlyvisible", "--name", "^SellerConnect$").Output()
	if n := len(strings.Fields(string(out))); n != 1 {
		t.Errorf("%d SellerConnect windows after a second launch", n)
	}

	// SIGTERM (the session ending, a service manager) quits the window as
	// its Quit does: the service closes and the process exits 0.
	if err := app.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- app.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("after SIGTERM the window exited with %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the window did not quit on SIGTERM")
	}
	logged, _ := os.ReadFile(filepath.Join(dir, "logs", "sellerconnect.log"))
	if !strings.Contains(string(logged), "command=window") {
		t.Errorf("the window's log has no start line:\n%s", logged)
	}
}
