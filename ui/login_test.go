package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sellerconnect/sellerconnect/autostart"
	"github.com/sellerconnect/sellerconnect/ui/internal/fixture"
)

// askPrefs remembers, like the Fyne preferences do, that the seller was
// asked about starting at login.
type askPrefs struct {
	memPrefs
	asked bool
}

func (p *askPrefs) LoginAsked() bool     { return p.asked }
func (p *askPrefs) SetLoginAsked() error { p.asked = true; return nil }

const loginQuestion = "Start SellerConnect when you log in?"

// newLoginApp is a test app whose login item goes to a temporary
// autostart folder.
func newLoginApp(t *testing.T, prefs Prefs) (*App, string) {
	t.Helper()
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	a := newTestAppWith(t, fixture.New(), func(o *Options) {
		o.Prefs = prefs
		o.Executable = "/opt/Seller Connect/sellerconnect"
	})
	return a, filepath.Join(cfg, "autostart", AppID+".desktop")
}

// connected shows a successful connect's result and closes it with Done.
func connected(t *testing.T, a *App) {
	t.Helper()
	p, _ := a.provider("demo")
	a.showConnectResult(p, "", fixture.States()[0], nil)
	test.Tap(button(t, a.win.Canvas(), "Done"))
}

func TestLoginAskedOnceYes(t *testing.T) {
	prefs := &askPrefs{memPrefs: memPrefs{notify: true}}
	a, path := newLoginApp(t, prefs)
	connected(t, a)
	c := a.win.Canvas()
	if !hasText(c, "Keep your accounts fresh after a restart? SellerConnect can start in the tray when you log in.") {
		t.Fatal("the first connect did not ask about starting at login")
	}
	if yes := button(t, c, "Yes"); yes.Importance != widget.HighImportance {
		t.Error("Yes is not the suggested answer")
	}
	test.Tap(button(t, c, "Yes"))
	if !prefs.asked {
		t.Error("the answer was not remembered")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("Yes installed no autostart entry: %v", err)
	}
	keys := autostart.ParseDesktopEntry(data)
	args, err := autostart.ParseExec(keys["Exec"])
	if err != nil || strings.Join(args, "|") != "/opt/Seller Connect/sellerconnect|--hidden" {
		t.Errorf("Exec %q reads as %q (%v)", keys["Exec"], args, err)
	}
	if keys["TryExec"] != "/opt/Seller Connect/sellerconnect" {
		t.Errorf("TryExec %q", keys["TryExec"])
	}

	// Never again, even after the seller removed the entry.
	os.Remove(path)
	connected(t, a)
	if hasText(c, "Keep your accounts fresh after a restart?") {
		t.Error("asked a second time")
	}
}

func TestLoginAskedOnceNotNow(t *testing.T) {
	prefs := &askPrefs{memPrefs: memPrefs{notify: true}}
	a, path := newLoginApp(t, prefs)
	connected(t, a)
	test.Tap(button(t, a.win.Canvas(), "Not now"))
	if !prefs.asked {
		t.Error("Not now was not remembered")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("Not now left an entry: %v", err)
	}
	connected(t, a)
	if hasText(a.win.Canvas(), "Keep your accounts fresh after a restart?") {
		t.Error("asked again after Not now")
	}
}

// With the login item already on (set in Settings, or by an earlier
// install), there is nothing to ask.
func TestLoginNotAskedWhenOn(t *testing.T) {
	prefs := &askPrefs{memPrefs: memPrefs{notify: true}}
	a, _ := newLoginApp(t, prefs)
	if err := a.loginItem().Enable(); err != nil {
		t.Fatal(err)
	}
	connected(t, a)
	if hasText(a.win.Canvas(), "Keep your accounts fresh after a restart?") || !prefs.asked {
		t.Error("asked although the app already starts at login")
	}
}

// The Fyne preferences remember the question was asked.
func TestFynePrefsRememberLoginAsked(t *testing.T) {
	a := test.NewTempApp(t)
	var p Prefs = fynePrefs{a.Preferences()}
	la, ok := p.(loginAsker)
	if !ok {
		t.Fatal("the Fyne preferences cannot remember the question")
	}
	if la.LoginAsked() {
		t.Fatal("asked before asking")
	}
	_ = la.SetLoginAsked()
	if !(fynePrefs{a.Preferences()}).LoginAsked() || !a.Preferences().Bool("loginAsked") {
		t.Error("not remembered")
	}
}

// The Settings check is the entry: on installs it, off removes it, and an
// entry deleted behind the app's back shows as off.
func TestLoginSettingsCheck(t *testing.T) {
	prefs := &askPrefs{memPrefs: memPrefs{notify: true}}
	a, path := newLoginApp(t, prefs)
	check := func() *widget.Check {
		a.showSettings()
		var found *widget.Check
		walk(a.win.Canvas().Content(), func(o fyne.CanvasObject) bool {
			if c, ok := o.(*widget.Check); ok && c.Text == loginText {
				found = c
			}
			return found == nil
		})
		if found == nil {
			t.Fatal("Settings has no start-at-login check")
		}
		return found
	}
	c := check()
	if c.Checked {
		t.Fatal("on before it was turned on")
	}
	test.Tap(c)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("turning it on wrote no entry: %v", err)
	}
	if !prefs.asked {
		t.Error("choosing in Settings still leaves the question to ask")
	}
	if c = check(); !c.Checked {
		t.Error("on, the check shows off")
	}
	os.Remove(path)
	if c = check(); c.Checked {
		t.Error("the entry was deleted, the check shows on")
	}
	test.Tap(c)
	test.Tap(c)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("turning it off left the entry: %v", err)
	}
}

// A login item that cannot be written says so, and the check shows what is
// really there.
func TestLoginSettingsCheckFails(t *testing.T) {
	a, _ := newLoginApp(t, &askPrefs{})
	// A file where the autostart folder should be.
	if err := os.WriteFile(filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "autostart"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	a.showSettings()
	var c *widget.Check
	walk(a.win.Canvas().Content(), func(o fyne.CanvasObject) bool {
		if x, ok := o.(*widget.Check); ok && x.Text == loginText {
			c = x
		}
		return c == nil
	})
	test.Tap(c)
	if c.Checked {
		t.Error("the check shows on although nothing was installed")
	}
	if !hasText(a.win.Canvas(), "What to do") && !hasText(a.win.Canvas(), "could not") {
		t.Error("the failure was not shown")
	}
}
