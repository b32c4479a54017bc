//go:build !windows && !darwin

package autostart

import (
	"fmt"
	"os"
	"path/filepath"
)

// Dir is the user's XDG autostart folder: $XDG_CONFIG_HOME/autostart, or
// ~/.config/autostart when that is unset or not absolute (as the spec says).
func Dir() (string, error) {
	if c := os.Getenv("XDG_CONFIG_HOME"); filepath.IsAbs(c) {
		return filepath.Join(c, "autostart"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("autostart: no home folder for the autostart entry: %w", err)
	}
	return filepath.Join(home, ".config", "autostart"), nil
}

func entryPath(it Item) (string, error) {
	d, err := Dir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, it.ID+".desktop"), nil
}

// login is the login item as a file.
var login = loginFile{path: entryPath, content: DesktopEntry, on: entryEnabled, dirMode: 0o700,
	shown: func(it Item) string { return "~/.config/autostart/" + it.ID + ".desktop" }}

func enable(it Item) error          { return login.enable(it) }
func disable(it Item) error         { return login.disable(it) }
func enabled(it Item) (bool, error) { return login.enabled(it) }
func where(it Item) string          { return login.where(it) }
