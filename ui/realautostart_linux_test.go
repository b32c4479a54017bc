package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2/widget"

	"github.com/sellerconnect/sellerconnect/accounts"
	"github.com/sellerconnect/sellerconnect/autostart"
	"github.com/sellerconnect/sellerconnect/oauth/emulator"
	"github.com/sellerconnect/sellerconnect/ui/internal/fixture"
)

// Start at login, for real on Linux: the app's own Settings and first-run
// question (real window, real Fyne preferences file) write the XDG
// autostart entry; the built sellerconnect binary, started as that entry's
// Exec line says on a data directory holding a connected Demo account,
// runs in the tray with no window mapped and renews the account; turning
// the check off removes the entry.

const (
	realExe      = "SELLERCONNECT_UI_REAL_EXE"      // the built binary the entry starts
	realAccounts = "SELLERCONNECT_UI_REAL_ACCOUNTS" // its data directory
	realLogin    = "SELLERCONNECT_UI_REAL_LOGIN"    // "on" or "off"
)

func init() {
	realScenarios["login"] = realScenario{run: loginScenario, tray: true, fynePrefs: true, options: func(o *Options) {
		o.Executable = os.Getenv(realExe)
		// What the command line passes for a chosen data directory.
		o.LoginArgs = []string{"--data-dir", os.Getenv(realAccounts), "--hidden"}
	}}
}

func loginScenario(r *realRun) {
	entry := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "autostart", AppID+".desktop")
	exists := func() bool { _, err := os.Stat(entry); return err == nil }
	waitFor := func(want bool, what string) {
		deadline := time.Now().Add(10 * time.Second)
		for exists() != want {
			if time.Now().After(deadline) {
				r.fail("%s", what)
			}
			time.Sleep(40 * time.Millisecond)
		}
	}
	checked := func() bool {
		var on, found bool
		r.ui(func() {
			if t, ok := r.find(loginText); ok {
				if c, ok := t.obj.(*widget.Check); ok {
					on, found = c.Checked, true
				}
			}
		})
		if !found {
			r.fail("Settings shows no %q check", loginText)
		}
		return on
	}
	connected := func() {
		r.ui(func() {
			p, _ := r.a.provider("demo")
			r.a.showConnectResult(p, "", fixture.States()[0], nil)
		})
		// A click while the dialog is still being placed can land beside
		// its button: press again until the dialog has gone.
		r.expect("Done")
		for try := 0; ; try++ {
			time.Sleep(300 * time.Millisecond)
			r.press("Done")
			time.Sleep(700 * time.Millisecond)
			if !r.shows("Show details") {
				break
			}
			if try == 3 {
				r.fail("the connect result stayed after pressing Done %d times", try+1)
			}
		}
	}
	switch os.Getenv(realLogin) {
	case "on":
		if exists() {
			r.fail("an autostart entry before anything was asked")
		}
		connected()
		r.dialog(loginQuestion)
		r.press("Yes")
		waitFor(true, "Yes wrote no autostart entry")
		r.press("Settings")
		if !checked() {
			r.fail("the entry is there, the check shows off")
		}
		r.logf("entry written, check on")
	case "off":
		// Asked in the earlier run: never again.
		connected()
		time.Sleep(500 * time.Millisecond)
		if r.shows("Keep your accounts fresh after a restart?") {
			r.fail("asked again in a later run")
		}
		r.press("Settings")
		if !checked() {
			r.fail("the entry is there, the check shows off")
		}
		r.press(loginText)
		waitFor(false, "turning the check off left the autostart entry")
		if checked() {
			r.fail("turned off, the check shows on")
		}
		r.logf("entry removed, check off")
	default:
		r.fail("%s is %q", realLogin, os.Getenv(realLogin))
	}
}

// realBinary builds the sellerconnect binary into the test's folder.
func realBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sellerconnect")
	cmd := exec.Command("go", "build", "-tags", "migrated_fynedo", "-o", bin, "github.com/sellerconnect/sellerconnect")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// connectDemo connects a Demo account on the real service (the Demo
// marketplace in-process, the real keychain) and returns it; the account
// is disconnected when the test ends.
func connectDemo(t *testing.T, dir string) accounts.Account {
	t.Helper()
	svc, err := accounts.Open(accounts.Options{DataDir: dir, Opener: &emulator.AutoApprover{Client: http.DefaultClient}, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	acc, err := svc.Connect(ctx, accounts.ConnectRequest{Provider: "demo"})
	if cerr := svc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("connecting a Demo account: %v", err)
	}
	t.Cleanup(func() {
		svc, err := accounts.Open(accounts.Options{DataDir: dir, Version: "test"})
		if err != nil {
			t.Error(err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _, _ = svc.Disconnect(ctx, acc.ID)
		svc.Close()
	})
	return acc
}

// accessExpiry is what "sellerconnect accounts --json" says of an account.
func accessExpiry(t *testing.T, bin, dir, id string) time.Time {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--data-dir", dir, "accounts", "--json").Output()
	if err != nil {
		t.Fatalf("sellerconnect accounts --json: %v", err)
	}
	var list struct {
		Accounts []struct {
			ID           string     `json:"id"`
			AccessExpiry *time.Time `json:"access_expiry"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatalf("accounts --json: %v", err)
	}
	for _, a := range list.Accounts {
		if a.ID == id && a.AccessExpiry != nil {
			return *a.AccessExpiry
		}
	}
	t.Fatalf("accounts --json lacks %s:\n%s", id, out)
	return time.Time{}
}

func TestRealStartAtLogin(t *testing.T) {
	if os.Getenv("DISPLAY") == "" || os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Skip("needs an X display and a session bus: run under scripts/testenv.sh")
	}
	if _, err := exec.LookPath("xdotool"); err != nil {
		t.Skip("needs xdotool")
	}
	bin := realBinary(t)
	data := t.TempDir()
	acc := connectDemo(t, data)
	before := accessExpiry(t, bin, data, acc.ID)

	// On: the first-run question's Yes, in the real window.
	on := runReal(t, "login", "click", realExe+"="+bin, realAccounts+"="+data, realLogin+"=on")
	home, cfg := on.dir, filepath.Join(on.dir, "config")
	path := filepath.Join(cfg, "autostart", AppID+".desktop")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no autostart entry after turning it on: %v", err)
	}
	keys := autostart.ParseDesktopEntry(raw)
	if keys["Type"] != "Application" || keys["X-GNOME-Autostart-enabled"] != "true" || keys["TryExec"] != bin {
		t.Errorf("entry:\n%s", raw)
	}
	args, err := autostart.ParseExec(keys["Exec"])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(args, " ") != bin+" --data-dir "+data+" --hidden" {
		t.Errorf("Exec %q reads as %q", keys["Exec"], args)
	}
	// The question's answer is on disk, in the Fyne preferences.
	prefs, _ := filepath.Glob(filepath.Join(cfg, "fyne", "*", "preferences.json"))
	if len(prefs) != 1 {
		t.Fatalf("Fyne preferences files: %v", prefs)
	}
	if p, _ := os.ReadFile(prefs[0]); !strings.Contains(string(p), `"loginAsked":true`) {
		t.Errorf("the answer is not in the preferences file: %s", p)
	}

	// Log in: start what the entry says, in the same user's session, on a
	// desktop that has a tray.
	host, err := startTrayHost()
	if err != nil {
		t.Fatal(err)
	}
	defer host.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	app := exec.CommandContext(ctx, args[0], args[1:]...)
	app.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+cfg)
	var stderr bytes.Buffer
	app.Stdout, app.Stderr = &stderr, &stderr
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	// exited closes when the app has ended; waitErr is then its result.
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = app.Wait(); close(exited) }()
	defer func() {
		select {
		case <-exited:
		default:
			app.Process.Kill()
			<-exited
		}
	}()
	start := time.Now()
	if _, ok := host.waitItem(60 * time.Second); !ok {
		t.Fatalf("the app started at login never put its icon in the tray\n%s", stderr.String())
	}
	t.Logf("in the tray after %v", time.Since(start).Round(time.Millisecond))
	// Until the account is renewed (the Demo's tokens live two minutes and
	// are renewed well before), no SellerConnect window may be mapped.
	logPath := filepath.Join(data, "logs", "sellerconnect.log")
	deadline := time.Now().Add(150 * time.Second)
	checks := 0
	for {
		out, _ := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^"+AppName+"$").Output()
		if w := strings.Fields(string(out)); len(w) > 0 {
			t.Fatalf("started at login, the app shows its window (%v)", w)
		}
		checks++
		select {
		case <-exited:
			t.Fatalf("the app started at login exited: %v\n%s", waitErr, stderr.String())
		default:
		}
		logged, _ := os.ReadFile(logPath)
		if refreshedIn(string(logged), acc.ID) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the account was not renewed within %v of starting at login\nlog:\n%s\nstderr:\n%s", 150*time.Second, logged, stderr.String())
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("renewed %v after starting hidden; no window mapped in %d checks", time.Since(start).Round(time.Second), checks)
	if err := app.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		if waitErr != nil {
			t.Errorf("after SIGTERM the app exited with %v\n%s", waitErr, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the app did not quit on SIGTERM")
	}
	// The renewed token is in the store: the account's row (written when
	// the app closes its service) names the new token's expiry.
	after := accessExpiry(t, bin, data, acc.ID)
	if !after.After(before) {
		logged, _ := os.ReadFile(logPath)
		t.Errorf("the stored access expiry stayed %v after the renewal (before: %v)\n%s", after, before, logged)
	}
	t.Logf("stored access expiry %v → %v", before.Format(time.TimeOnly), after.Format(time.TimeOnly))

	// Off: the Settings check, in a later run of the same user's app.
	runReal(t, "login", "click", realExe+"="+bin, realAccounts+"="+data, realLogin+"=off",
		"HOME="+home, "XDG_CONFIG_HOME="+cfg)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the autostart entry is still there after turning it off: %v", err)
	}
}

// refreshedIn reports whether the log has a background renewal of id.
func refreshedIn(log, id string) bool {
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "msg=refreshed") && strings.Contains(l, "account="+id) {
			return true
		}
	}
	return false
}
