//go:build !windows && !darwin

package autostart

import (
	"os"
	"path/filepath"
	"testing"
)

// The entry on disk: Enable writes it where desktops look, Enabled reads
// the file itself (so a user deleting it, or switching it off in GNOME's
// startup settings, reads as off), Disable removes it.
func TestEnableDisableOnDisk(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	path := filepath.Join(cfg, "autostart", "io.sellerconnect.app.desktop")
	if on, err := app.Enabled(); err != nil || on {
		t.Fatalf("before: %v, %v", on, err)
	}
	if err := app.Disable(); err != nil {
		t.Errorf("removing a missing entry: %v", err)
	}
	if err := app.Enable(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := DesktopEntry(app); string(data) != string(want) {
		t.Errorf("on disk:\n%s", data)
	}
	if app.Where() != path {
		t.Errorf("Where = %s, want %s", app.Where(), path)
	}
	if on, err := app.Enabled(); err != nil || !on {
		t.Errorf("after Enable: %v, %v", on, err)
	}
	// GNOME's startup settings switch an entry off by rewriting it so.
	if err := os.WriteFile(path, []byte("[Desktop Entry]\nExec=/usr/bin/sellerconnect --hidden\nX-GNOME-Autostart-enabled=false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if on, _ := app.Enabled(); on {
		t.Error("switched off in the desktop's settings, it reads as on")
	}
	if err := app.Enable(); err != nil {
		t.Fatal(err)
	}
	if on, _ := app.Enabled(); !on {
		t.Error("Enable did not switch it back on")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if on, _ := app.Enabled(); on {
		t.Error("a deleted entry reads as on")
	}
	if err := app.Enable(); err != nil {
		t.Fatal(err)
	}
	if err := app.Disable(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("after Disable: %v", err)
	}
	if left, _ := os.ReadDir(filepath.Dir(path)); len(left) != 0 {
		t.Errorf("left in the folder: %v", left)
	}
}

func TestDirFallback(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, v := range []string{"", "relative/config"} {
		t.Setenv("XDG_CONFIG_HOME", v)
		if d, err := Dir(); err != nil || d != filepath.Join(home, ".config", "autostart") {
			t.Errorf("XDG_CONFIG_HOME=%q: %s, %v", v, d, err)
		}
	}
}
