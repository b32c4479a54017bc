package autostart

import (
	"fmt"
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

// login is the login item as a file.
var login = loginFile{path: agentPath, content: LaunchAgent, on: launchAgentEnabled, dirMode: 0o755,
	shown: func(it Item) string { return "~/Library/LaunchAgents/" + it.ID + ".plist" }}

func enable(it Item) error          { return login.enable(it) }
func disable(it Item) error         { return login.disable(it) }
func enabled(it Item) (bool, error) { return login.enabled(it) }
func where(it Item) string          { return login.where(it) }
