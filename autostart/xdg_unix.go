//go:build !windows && !darwin

package autostart

import (
	"errors"
	"fmt"
	"io/fs"
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

func enable(it Item) error {
	data, err := DesktopEntry(it)
	if err != nil {
		return err
	}
	p, err := entryPath(it)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	return writeFileAtomic(p, data, 0o644)
}

func disable(it Item) error {
	p, err := entryPath(it)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}

func enabled(it Item) (bool, error) {
	p, err := entryPath(it)
	if err != nil {
		return false, err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("autostart: %w", err)
	}
	return entryEnabled(data), nil
}

func where(it Item) string {
	p, err := entryPath(it)
	if err != nil {
		return "~/.config/autostart/" + it.ID + ".desktop"
	}
	return p
}
