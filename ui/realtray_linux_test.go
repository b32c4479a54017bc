package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/sellerconnect/sellerconnect/accounts"
	"github.com/sellerconnect/sellerconnect/ui/internal/fixture"
)

// The tray icon on a real desktop: the app runs on Fyne's OpenGL driver
// with its real tray (Fyne's systray, a StatusNotifierItem on the session
// bus), and a tray host on that bus (trayHost) reads the icon the item
// shows, as a desktop's tray does. What is not exercised: a desktop's own
// tray drawing the pixmap on screen (Xvfb has no panel).

func init() {
	realScenarios["tray"] = realScenario{backend: func() Backend {
		b := fixture.New()
		for _, acc := range fixture.States() {
			if acc.Status == accounts.StatusConnected {
				b.Put(acc)
				break
			}
		}
		return b
	}, run: trayScenario, tray: true}
}

func trayScenario(r *realRun) {
	h, err := startTrayHost()
	if err != nil {
		r.fail("no tray host: %v", err)
	}
	defer h.stop()
	// The item registered when the app started finds no host; it
	// registers again when a host appears.
	it, ok := h.waitItem(20 * time.Second)
	if !ok {
		r.fail("the app's tray item never registered with the tray")
	}
	r.logf("tray item %s %s", it.sender, it.path)
	want := func(res fyne.Resource, what string) {
		exp := pixmapOf(res.Content())
		if exp.W == 0 {
			r.fail("the %s icon is not a PNG", what)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			got, err := h.icon(it)
			if err == nil && got.equal(exp) {
				r.logf("tray shows the %s icon (%dx%d)", what, got.W, got.H)
				return
			}
			if time.Now().After(deadline) {
				r.fail("the tray does not show the %s icon: %dx%d, %v", what, got.W, got.H, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	want(trayIcon, "plain")

	// The test bus has no notification service either.
	r.ui(func() { _ = r.a.prefs.SetNotifications(false) })
	be := r.be.(*fixture.Backend)
	acc := be.List()[0]
	for _, st := range []accounts.Status{accounts.StatusReconnect, accounts.StatusConnected, accounts.StatusCredentials} {
		acc.Status = st
		be.Put(acc)
		if needsSeller(st) {
			want(trayAttentionIcon, "attention ("+string(st)+")")
		} else {
			want(trayIcon, "plain ("+string(st)+")")
		}
	}
	r.expect("1 need you")
}

func TestRealWindowTrayIcon(t *testing.T) {
	res := runReal(t, "tray", "tap")
	for _, l := range res.lines {
		t.Log(l)
	}
}
