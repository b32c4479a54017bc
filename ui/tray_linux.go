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

// notificationsAvailable reports whether a notification server runs on (or
// can be started by) the session bus.
func notificationsAvailable() bool {
	conn, err := dbus.SessionBus()
	if err != nil {
		return false
	}
	const name = "org.freedesktop.Notifications"
	var has bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has); err == nil && has {
		return true
	}
	var names []string
	if err := conn.BusObject().Call("org.freedesktop.DBus.ListActivatableNames", 0).Store(&names); err == nil {
		for _, n := range names {
			if n == name {
				return true
			}
		}
	}
	return false
}
