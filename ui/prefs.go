package ui

import "fyne.io/fyne/v2"

// Prefs holds the app's own switches shown in Settings.
type Prefs interface {
	Notifications() bool
	StartMinimised() bool
	SetNotifications(on bool) error
	SetStartMinimised(on bool) error
}

// fynePrefs keeps the switches in the Fyne app's preferences; used when the
// caller gives no Prefs.
type fynePrefs struct{ p fyne.Preferences }

func (f fynePrefs) Notifications() bool  { return f.p.BoolWithFallback("notifications", true) }
func (f fynePrefs) StartMinimised() bool { return f.p.BoolWithFallback("startMinimised", false) }
func (f fynePrefs) SetNotifications(on bool) error {
	f.p.SetBool("notifications", on)
	return nil
}
func (f fynePrefs) SetStartMinimised(on bool) error {
	f.p.SetBool("startMinimised", on)
	return nil
}

func (f fynePrefs) TrayNoted() bool { return f.p.BoolWithFallback("trayNoted", false) }
func (f fynePrefs) SetTrayNoted() error {
	f.p.SetBool("trayNoted", true)
	return nil
}

func (f fynePrefs) LoginAsked() bool { return f.p.BoolWithFallback("loginAsked", false) }
func (f fynePrefs) SetLoginAsked() error {
	f.p.SetBool("loginAsked", true)
	return nil
}
