package autostart

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// A LaunchAgent file is read by launchd at the next login; it is not loaded
// now (the app that writes it is already running). macOS 13 and later may
// also list it under System Settings → General → Login Items, where the
// user can switch it off: that choice lives in a database this package
// cannot read, so Enabled reports only the file.

func agentPath(it Item) (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("autostart: no home folder for the LaunchAgent: %w", err)
	}
	return filepath.Join(home, "Library", "LaunchAgents", it.ID+".plist"), nil
}

func enable(it Item) error {
	data, err := LaunchAgent(it)
	if err != nil {
		return err
	}
	p, err := agentPath(it)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	return writeFileAtomic(p, data, 0o644)
}

func disable(it Item) error {
	p, err := agentPath(it)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}

func enabled(it Item) (bool, error) {
	p, err := agentPath(it)
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
	return launchAgentEnabled(data), nil
}

func where(it Item) string {
	p, err := agentPath(it)
	if err != nil {
		return "~/Library/LaunchAgents/" + it.ID + ".plist"
	}
	return p
}
