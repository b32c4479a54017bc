package ui

import (
	"fmt"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/sellerconnect/sellerconnect/autostart"
)

// Start at login: a login item (autostart) that runs this program in the
// tray when the seller logs in, so tokens stay fresh after a restart.
// Whether it is on is read from the login item itself each time, so an
// entry the seller deleted, or switched off in the desktop's startup
// settings, shows as off.
//
// The one thing remembered is that the seller was asked, in the Fyne
// preferences rather than the database's settings: the login item belongs
// to the user's desktop session (one per user, whatever data directory the
// app runs on), as do these preferences, while the database's settings
// belong to a data directory and are shared with the command line, which
// never asks.

// loginAsker is a Prefs that remembers the seller was asked about
// starting at login. Without one the question is never asked (asking on
// every launch would be worse than not asking).
type loginAsker interface {
	LoginAsked() bool
	SetLoginAsked() error
}

// loginText is the Settings check's label.
const loginText = "Start SellerConnect when I log in (in the tray)"

// loginItem is this app's login item.
func (a *App) loginItem() autostart.Item {
	exe := a.opts.Executable
	if exe == "" {
		if p, err := os.Executable(); err == nil {
			exe = p
		}
	}
	args := a.opts.LoginArgs
	if args == nil {
		args = []string{"--hidden"}
	}
	return autostart.Item{ID: AppID, Name: AppName, Exec: exe, Args: args,
		Comment: "Keeps your marketplace seller accounts connected", Icon: AppID}
}

// loginEnabled reports whether the login item is installed and on.
func (a *App) loginEnabled() bool {
	on, err := a.loginItem().Enabled()
	return err == nil && on
}

// setLogin installs or removes the login item; the seller counts as asked
// once they chose either way.
func (a *App) setLogin(on bool) error {
	a.setLoginAsked()
	it := a.loginItem()
	if on {
		return it.Enable()
	}
	return it.Disable()
}

func (a *App) setLoginAsked() {
	// Written once: each write makes Fyne rewrite its preferences file.
	if p, ok := a.prefs.(loginAsker); ok && !p.LoginAsked() {
		_ = p.SetLoginAsked()
	}
}

// offerLogin asks, once ever, whether to start at login: after the first
// account is connected, when starting at login starts to matter.
func (a *App) offerLogin() {
	p, ok := a.prefs.(loginAsker)
	if !ok || p.LoginAsked() {
		return
	}
	if a.loginEnabled() {
		a.setLoginAsked()
		return
	}
	text := wrapLabel("Keep your accounts fresh after a restart? SellerConnect can start in the tray when you log in.")
	d := dialog.NewCustomWithoutButtons("Start SellerConnect when you log in?", text, a.win)
	later := widget.NewButton("Not now", func() {
		d.Hide()
		a.setLoginAsked()
	})
	yes := widget.NewButton("Yes", func() {
		d.Hide()
		if err := a.setLogin(true); err != nil {
			a.showError("SellerConnect could not be set to start at login", err)
		}
	})
	yes.Importance = widget.HighImportance
	d.SetButtons([]fyne.CanvasObject{later, yes})
	d.Resize(fyne.NewSize(480, d.MinSize().Height))
	d.Show()
}

// loginCheck is the Settings check for the login item.
func (a *App) loginCheck() *widget.Check {
	c := widget.NewCheck(loginText, nil)
	c.SetChecked(a.loginEnabled())
	c.OnChanged = func(on bool) {
		if err := a.setLogin(on); err != nil {
			what := "started at login"
			if !on {
				what = "kept from starting at login"
			}
			a.showError(fmt.Sprintf("SellerConnect could not be %s", what), err)
			// Show what is really there.
			f := c.OnChanged
			c.OnChanged = nil
			c.SetChecked(a.loginEnabled())
			c.OnChanged = f
		}
	}
	return c
}
