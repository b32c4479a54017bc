package ui

import "github.com/godbus/dbus/v5"

// trayAvailable reports whether a StatusNotifier host (the Linux tray) is
// running on the session bus; without one a hidden window could not come back.
func trayAvailable() bool {
	conn, err := dbus.SessionBus()
	if err != nil {
		return false
	}
	var has bool
	err = conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&has)
	return err == nil && has
}
