package ui

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sellerconnect/sellerconnect/accounts"
	"github.com/sellerconnect/sellerconnect/assets"
)

// setupTray adds the tray icon and menu when a tray exists; closing the
// window then hides it there and the background refresh goes on. Without a
// tray, closing the window quits.
func (a *App) setupTray() {
	if !a.tray {
		a.win.SetCloseIntercept(a.askQuit)
		return
	}
	d, ok := a.fa.(desktop.App)
	if !ok {
		a.tray = false
		a.win.SetCloseIntercept(a.askQuit)
		return
	}
	a.setTrayIcon = d.SetSystemTrayIcon
	a.updateTrayIcon()
	// Fyne adds its own Quit item to the tray menu.
	d.SetSystemTrayMenu(fyne.NewMenu(AppName,
		fyne.NewMenuItem("Open SellerConnect", a.bringForward),
		fyne.NewMenuItem("Refresh all", a.refreshAll),
	))
	a.win.SetCloseIntercept(a.closeToTray)
}

// closeToTray hides the window; the first time, it first says that
// SellerConnect goes on in the tray.
func (a *App) closeToTray() {
	if a.trayNoted() {
		a.hide()
		return
	}
	text := wrapLabel("SellerConnect keeps your accounts connected from the system tray while its window is closed. " +
		"Open it again from the tray icon; quit it there too.")
	d := dialog.NewCustomWithoutButtons("SellerConnect keeps working in the tray", text, a.win)
	ok := widget.NewButtonWithIcon("Got it", theme.ConfirmIcon(), func() {
		d.Hide()
		a.setTrayNoted()
		a.hide()
	})
	ok.Importance = widget.HighImportance
	d.SetButtons([]fyne.CanvasObject{ok})
	d.Resize(fyne.NewSize(480, d.MinSize().Height))
	d.Show()
}

// askQuit is the window's close without a tray: closing ends the
// background renewal, so it asks first.
func (a *App) askQuit() {
	text := wrapLabel("No system tray was found, so closing the window quits SellerConnect and its accounts are no longer " +
		"renewed in the background (\"sellerconnect token\" still renews one when asked).")
	d := dialog.NewCustomWithoutButtons("Quit SellerConnect?", text, a.win)
	keep := widget.NewButton("Keep open", d.Hide)
	quit := widget.NewButtonWithIcon("Quit", theme.LogoutIcon(), func() {
		d.Hide()
		a.fa.Quit()
	})
	quit.Importance = widget.HighImportance
	d.SetButtons([]fyne.CanvasObject{keep, quit})
	d.Resize(fyne.NewSize(480, d.MinSize().Height))
	d.Show()
}

// trayNoter is a Prefs that remembers the tray note was shown.
type trayNoter interface {
	TrayNoted() bool
	SetTrayNoted() error
}

func (a *App) trayNoted() bool {
	if n, ok := a.prefs.(trayNoter); ok {
		return n.TrayNoted()
	}
	return a.noted
}

func (a *App) setTrayNoted() {
	a.noted = true
	if n, ok := a.prefs.(trayNoter); ok {
		_ = n.SetTrayNoted()
	}
}

// The tray icon, and its variant with a red dot while an account needs
// the seller.
var (
	trayIcon          = fyne.NewStaticResource("icon.png", assets.Icon)
	trayAttentionIcon = fyne.NewStaticResource("icon-attention.png", withDot(assets.Icon))
)

// updateTrayIcon shows the attention icon while any account needs the
// seller (UI goroutine).
func (a *App) updateTrayIcon() {
	if a.setTrayIcon == nil {
		return
	}
	need := false
	for _, acc := range a.accounts {
		if needsSeller(acc.Status) {
			need = true
			break
		}
	}
	icon := trayIcon
	if need {
		icon = trayAttentionIcon
	}
	if icon != a.trayShown {
		a.trayShown = icon
		a.setTrayIcon(icon)
	}
}

// withDot draws a red dot in the top right corner of a PNG icon.
func withDot(data []byte) []byte {
	src, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return data
	}
	b := src.Bounds()
	img := image.NewNRGBA(b)
	draw.Draw(img, b, src, b.Min, draw.Src)
	r := float64(b.Dx()) * 0.22
	cx, cy := float64(b.Max.X)-r-1, float64(b.Min.Y)+r+1
	red := color.NRGBA{R: 0xd9, G: 0x1e, B: 0x18, A: 0xff}
	white := color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			d := math.Hypot(float64(x)+0.5-cx, float64(y)+0.5-cy)
			switch {
			case d <= r:
				img.Set(x, y, red)
			case d <= r+float64(b.Dx())*0.04:
				img.Set(x, y, white)
			}
		}
	}
	var out bytes.Buffer
	if err := png.Encode(&out, img); err != nil {
		return data
	}
	return out.Bytes()
}

// maybeNotify sends a system notification when an account newly needs the
// seller, if the seller wants notifications.
func (a *App) maybeNotify(ev accounts.Event) {
	id := ev.Account.ID
	if ev.Removed {
		delete(a.lastSeen, id)
		return
	}
	prev, seen := a.lastSeen[id]
	a.lastSeen[id] = ev.Account.Status
	if seen && prev == ev.Account.Status {
		return
	}
	if !needsSeller(ev.Account.Status) || !a.notify || !a.prefs.Notifications() {
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
