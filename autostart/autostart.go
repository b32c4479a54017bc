// Package autostart installs, removes and reports a login item for the
// current user: what starts SellerConnect (in the tray) when the user logs
// in. Linux and the other freedesktop systems get an XDG autostart entry,
// Windows a value under the user's Run key, macOS a LaunchAgent.
//
// The entry itself is the truth: Enabled looks at what is installed, so an
// entry the user removed (or switched off in the desktop's startup settings)
// reads as off. The content of each system's entry is made by a pure
// function (DesktopEntry, RunValue, LaunchAgent), tested on every system.
package autostart

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// Item is one program started at login.
type Item struct {
	// ID names the entry: reverse-DNS, like the app id (the .desktop and
	// .plist file names, the LaunchAgent's Label).
	ID string
	// Name is what the desktop's startup settings show (and the Run value's
	// name on Windows).
	Name string
	// Exec is the absolute path of the program.
	Exec string
	// Args follow the program (the flag that starts it in the tray).
	Args []string
	// Comment describes the entry (Linux startup settings show it).
	Comment string
	// Icon is an icon name or path for the desktop's startup settings.
	Icon string
}

// check refuses an item no system could start reliably.
func (it Item) check() error {
	if it.ID == "" || strings.ContainsAny(it.ID, `/\`+"\x00") || it.ID == "." || it.ID == ".." {
		return fmt.Errorf("autostart: %q cannot name a login item", it.ID)
	}
	if it.Name == "" {
		return errors.New("autostart: the login item has no name")
	}
	if !filepath.IsAbs(it.Exec) && !isWindowsAbs(it.Exec) {
		return fmt.Errorf("autostart: the program %q is not an absolute path", it.Exec)
	}
	for _, s := range append([]string{it.ID, it.Name, it.Exec, it.Comment, it.Icon}, it.Args...) {
		if strings.ContainsRune(s, 0) {
			return errors.New("autostart: the login item holds a NUL character")
		}
	}
	return nil
}

// isWindowsAbs: C:\… or \\server\…; Item is checked on every system, so
// a Windows path is recognised on Linux too (the tests build them).
func isWindowsAbs(p string) bool {
	if len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') {
		c := p[0] | 0x20
		return c >= 'a' && c <= 'z'
	}
	return strings.HasPrefix(p, `\\`)
}

// Enable installs (or rewrites) the login item.
func (it Item) Enable() error {
	if err := it.check(); err != nil {
		return err
	}
	return enable(it)
}

// Disable removes the login item; removing one that is not there is not an
// error.
func (it Item) Disable() error {
	if it.ID == "" || it.Name == "" {
		return errors.New("autostart: the login item has no id or name")
	}
	return disable(it)
}

// Enabled reports whether the login item is installed and not switched
// off in the desktop's own startup settings.
func (it Item) Enabled() (bool, error) {
	if it.ID == "" || it.Name == "" {
		return false, errors.New("autostart: the login item has no id or name")
	}
	return enabled(it)
}

// Where names the installed entry for people: a file, or a registry value.
func (it Item) Where() string { return where(it) }
