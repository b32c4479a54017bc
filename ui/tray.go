package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/sellerconnect/sellerconnect/accounts"
	"github.com/sellerconnect/sellerconnect/assets"
)

// setupTray adds the tray icon and menu when a tray exists; closing the
// window then hides it there and the background refresh goes on. Without a
// tray, closing the window quits.
func (a *App) setupTray() {
	if !a.tray {
		return
	}
	d, ok := a.fa.(desktop.App)
	if !ok {
		a.tray = false
		return
	}
	d.SetSystemTrayIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	// Fyne adds its own Quit item to the tray menu.
	d.SetSystemTrayMenu(fyne.NewMenu(AppName,
		fyne.NewMenuItem("Open SellerConnect", a.bringForward),
		fyne.NewMenuItem("Refresh all", a.refreshAll),
	))
	a.win.SetCloseIntercept(a.hide)
}

// maybeNotify sends a system notification when an account newly needs the
// seller, if the seller wants notifications.
func (a *App) maybeNotify(ev accounts.Event) {
	id := ev.Account.ID
	if ev.Kind == accounts.EventRemoved {
		delete(a.lastSeen, id)
		return
	}
	prev, seen := a.lastSeen[id]
	a.lastSeen[id] = ev.Account.Status
	if seen && prev == ev.Account.Status {
		return
	}
	if !needsSeller(ev.Account.Status) || !a.prefs.Notifications() {
		return
	}
	a.fa.SendNotification(notificationFor(ev.Account, a.now()))
}

func notificationFor(acc accounts.Account, now time.Time) *fyne.Notification {
	name := displayName(acc) + " (" + providerName(acc) + ")"
	switch acc.Status {
	case accounts.StatusReconnect:
		return fyne.NewNotification("Reconnect "+name, "This account is no longer connected. Open SellerConnect and press Reconnect.")
	case accounts.StatusCredentials:
		return fyne.NewNotification(providerName(acc)+" refused the app credentials",
			name+" cannot renew its token. Check the app credentials in SellerConnect's Settings.")
	default:
		return fyne.NewNotification("Reconnect "+name+" soon",
			"Its connection ends: "+statusLine(acc, now)+". Open SellerConnect and press Reconnect.")
	}
}
