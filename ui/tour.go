package ui

import (
	"fmt"
)

// Screen names a page or dialog of the window, for scripted tours of the
// app such as the screenshot program.
type Screen string

// The screens Show can go to; arg is what each needs.
const (
	ScreenList      Screen = "list"      // the account list or the empty state
	ScreenPicker    Screen = "picker"    // the provider picker
	ScreenConnect   Screen = "connect"   // a provider's connect flow (arg: provider id)
	ScreenConnected Screen = "connected" // the result of a connect (arg: account id)
	ScreenDetails   Screen = "details"   // an account's details (arg: account id)
	ScreenSettings  Screen = "settings"
	ScreenAbout     Screen = "about"
)

// Show closes any dialog and sends the window to screen. It must run on
// the UI goroutine (inside fyne.Do). A browser connect whose dialog it
// closes goes on until it ends or the app closes.
func (a *App) Show(screen Screen, arg string) error {
	a.closeDialogs()
	a.showList()
	switch screen {
	case ScreenList:
	case ScreenPicker:
		a.showPicker()
	case ScreenConnect:
		p, ok := a.provider(arg)
		if !ok {
			return fmt.Errorf("no provider %q", arg)
		}
		a.startConnect(p, "")
	case ScreenConnected:
		acc, err := a.be.Get(arg)
		if err != nil {
			return err
		}
		p, ok := a.provider(acc.Provider)
		if !ok {
			return fmt.Errorf("no provider %q", acc.Provider)
		}
		a.showConnectResult(p, "", acc, nil)
	case ScreenDetails:
		if _, err := a.be.Get(arg); err != nil {
			return err
		}
		a.showDetails(arg)
	case ScreenSettings:
		a.showSettings()
	case ScreenAbout:
		a.showAbout()
	default:
		return fmt.Errorf("no screen %q", screen)
	}
	return nil
}

// closeDialogs removes every dialog and pop-up from the window.
func (a *App) closeDialogs() {
	ov := a.win.Canvas().Overlays()
	for _, o := range ov.List() {
		ov.Remove(o)
	}
}
