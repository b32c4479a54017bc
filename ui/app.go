// Package ui is SellerConnect's desktop face, built with Fyne on top of the
// accounts service: the account list with badges, the connect flow, account
// details for support staff, settings, the tray and notifications.
package ui

import (
	"context"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"

	"github.com/sellerconnect/sellerconnect/accounts"
)

// AppName is the window title; scripts find the window by it.
const AppName = "SellerConnect"

// Options configure the desktop app.
type Options struct {
	// DataDir is the app's data directory (shown in About and Settings).
	DataDir string
	// ProvidersDir is the custom providers folder; DataDir/providers when empty.
	ProvidersDir string
	// StartMinimised starts in the tray without showing the window (only
	// when a tray exists). The Settings switch does the same.
	StartMinimised bool
	// Prefs keeps the Settings switches; the Fyne app's preferences when nil.
	Prefs Prefs
	// Activate receives a value whenever a second launch asks this one to
	// come forward.
	Activate <-chan struct{}
	// NoScheduler leaves the service's background refresh to the caller;
	// by default Run starts it and stops it on quit.
	NoScheduler bool
	// Version is shown in About.
	Version string
	// Now is the clock for countdowns; time.Now when nil.
	Now func() time.Time
	// Tray overrides the tray detection (nil: detect).
	Tray *bool
	// Notifications overrides whether the desktop can show notifications
	// (nil: detect); Settings offers them only where it can.
	Notifications *bool
	// Executable is the program a login item starts; the running one when
	// empty.
	Executable string
	// LoginArgs are the arguments the login item passes it (--hidden when
	// nil): see cli.GUIOptions.LoginArgs.
	LoginArgs []string
	// Stop, when it closes, quits the app as the tray's Quit would
	// (SIGTERM, SIGINT, the session ending): the caller then closes the
	// service, which lets refreshes in flight finish and saves.
	Stop <-chan struct{}
}

// App is the desktop face: one main window whose content switches between
// the account list, an account's details and Settings.
type App struct {
	fa   fyne.App
	win  fyne.Window
	be   Backend
	opts Options
	now  func() time.Time

	prefs Prefs
	tray  bool
	// notify: the desktop shows notifications.
	notify bool
	// noted: the tray note was shown (when Prefs cannot remember it).
	noted bool
	// setTrayIcon changes the tray icon (nil without a tray); trayShown is
	// the icon it shows.
	setTrayIcon func(fyne.Resource)
	trayShown   fyne.Resource

	ctx    context.Context
	cancel context.CancelFunc

	// Owned by the UI goroutine (see do).
	accounts []accounts.Account
	index    map[string]int
	lastSeen map[string]accounts.Status

	main    *mainView
	details *detailsView
	page    string // "list", "details", "settings"

	hidden bool
	// onDetails is set while an account's details are shown: their
	// relative times ("12 s ago") are rewritten every liveEvery.
	onDetails atomic.Bool
	// fast is set when some row counts down its last two minutes, so the
	// ticker wakes the UI every second; otherwise only every 30 seconds.
	fast atomic.Bool

	// connectDone, for tests, runs on the UI goroutine after a connect's
	// result is shown.
	// do runs f on the UI goroutine: fyne.Do, or a queue the tests drain.
	do func(f func())

	connectDone  func(accounts.Account, error)
	authURLShown func(string)

	stopMu sync.Mutex
	stop   []func()
}

// New builds the app's main window on fa without showing it. Tests use it
// with fyne.io/fyne/v2/test's app; Run uses it with the real one.
func New(fa fyne.App, be Backend, opts Options) *App {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ProvidersDir == "" && opts.DataDir != "" {
		opts.ProvidersDir = filepath.Join(opts.DataDir, "providers")
	}
	a := &App{fa: fa, be: be, opts: opts, now: opts.Now, index: map[string]int{}, lastSeen: map[string]accounts.Status{},
		do: fyne.Do}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	useAppTheme(fa)
	a.prefs = opts.Prefs
	if a.prefs == nil {
		a.prefs = fynePrefs{fa.Preferences()}
	}
	if opts.Tray != nil {
		a.tray = *opts.Tray
	} else {
		_, isDesktop := fa.(desktop.App)
		a.tray = isDesktop && trayAvailable()
	}

	if opts.Notifications != nil {
		a.notify = *opts.Notifications
	} else {
		_, isDesktop := fa.(desktop.App)
		a.notify = isDesktop && notificationsAvailable()
	}

	a.win = fa.NewWindow(AppName)
	a.win.Resize(fyne.NewSize(880, 600))
	a.win.SetMaster()
	a.main = newMainView(a)
	a.reload()
	a.showList()
	a.setupTray()
	return a
}

// Window is the main window.
func (a *App) Window() fyne.Window { return a.win }

// Start begins listening for service events and runs the countdown ticker.
// It returns at once; Close stops both.
func (a *App) Start() {
	events, cancel := a.be.Subscribe()
	a.onStop(cancel)
	go func() {
		for ev := range events {
			ev := ev
			a.do(func() { a.apply(ev) })
		}
	}()
	go a.tick()
	if a.opts.Activate != nil {
		go func() {
			for {
				select {
				case <-a.ctx.Done():
					return
				case _, ok := <-a.opts.Activate:
					if !ok {
						return
					}
					a.do(a.bringForward)
				}
			}
		}()
	}
}

// Close stops the app's goroutines.
func (a *App) Close() {
	a.cancel()
	a.stopMu.Lock()
	defer a.stopMu.Unlock()
	for _, f := range a.stop {
		f()
	}
	a.stop = nil
}

func (a *App) onStop(f func()) {
	a.stopMu.Lock()
	a.stop = append(a.stop, f)
	a.stopMu.Unlock()
}

// reload re-reads every account from the service (UI goroutine).
func (a *App) reload() {
	list := a.be.List()
	a.accounts = list
	a.index = make(map[string]int, len(list))
	now, fast := a.now(), false
	for i, acc := range list {
		fast = fast || ticksFast(acc, now)
		a.index[acc.ID] = i
		if _, ok := a.lastSeen[acc.ID]; !ok {
			a.lastSeen[acc.ID] = acc.Status
		}
	}
	a.fast.Store(fast)
	a.main.refresh()
	a.updateTrayIcon()
}

// apply folds one service event into the window (UI goroutine).
func (a *App) apply(ev accounts.Event) {
	i, known := a.index[ev.Account.ID]
	switch {
	case ev.Removed:
		a.remove(ev.Account.ID)
	case known:
		prev := a.accounts[i]
		a.accounts[i] = ev.Account
		a.main.updated(prev, ev.Account)
		setText(a.main.count, counts(a.accounts))
	default:
		a.insert(ev.Account)
	}
	if ticksFast(ev.Account, a.now()) {
		a.fast.Store(true)
	}
	a.maybeNotify(ev)
	a.updateTrayIcon()
	if a.details != nil && a.page == "details" && a.details.id == ev.Account.ID {
		if ev.Removed {
			a.showList()
		} else {
			a.details.update(ev.Account)
			a.details.refetch()
		}
	}
}

// insert keeps the list sorted like the service's List: provider, then name.
func (a *App) insert(acc accounts.Account) {
	if _, ok := a.index[acc.ID]; ok {
		a.accounts[a.index[acc.ID]] = acc
		a.main.refresh()
		return
	}
	i := sort.Search(len(a.accounts), func(i int) bool {
		b := a.accounts[i]
		if b.Provider != acc.Provider {
			return b.Provider > acc.Provider
		}
		return displayName(b) > displayName(acc)
	})
	a.accounts = append(a.accounts, accounts.Account{})
	copy(a.accounts[i+1:], a.accounts[i:])
	a.accounts[i] = acc
	a.reindex()
	a.main.refresh()
}

func (a *App) remove(id string) {
	i, ok := a.index[id]
	if !ok {
		return
	}
	a.accounts = append(a.accounts[:i], a.accounts[i+1:]...)
	delete(a.lastSeen, id)
	delete(a.main.shown, id)
	a.reindex()
	a.main.refresh()
}

func (a *App) reindex() {
	a.index = make(map[string]int, len(a.accounts))
	for i, acc := range a.accounts {
		a.index[acc.ID] = i
	}
}

// tick refreshes countdowns: every visible row on a coarse 30-second tick,
// and each second only the rows whose countdown is under two minutes. One
// goroutine for all rows; the work itself runs on the UI goroutine.
func (a *App) tick() {
	const coarse = 30 * time.Second
	t := time.NewTicker(time.Second)
	defer t.Stop()
	lastFull, lastLive := time.Now(), time.Now()
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-t.C:
		}
		full := time.Since(lastFull) >= coarse
		if full {
			lastFull = time.Now()
		}
		live := a.onDetails.Load() && time.Since(lastLive) >= liveEvery
		if live {
			lastLive = time.Now()
		}
		rows := full || a.fast.Load()
		if !rows && !live {
			continue // nothing close: stay asleep until the coarse tick
		}
		a.do(func() {
			if rows {
				a.refreshCountdowns(full)
			}
			if live && !a.hidden && a.page == "details" && a.details != nil {
				a.details.tick()
			}
		})
	}
}

// liveEvery is how often the details page rewrites its relative times.
const liveEvery = 2 * time.Second

// refreshCountdowns redraws the rows whose text changes with time.
func (a *App) refreshCountdowns(full bool) {
	if a.hidden {
		return
	}
	now := a.now()
	fast, changed := false, false
	for i := range a.accounts {
		acc := a.accounts[i]
		if ticksFast(acc, now) {
			fast = true
			// Only a row on screen whose words change costs a redraw:
			// "1 min" stays "1 min" for a minute.
			if shown, ok := a.main.shown[acc.ID]; ok && shown != statusLine(acc, now) {
				changed = true
			}
		}
	}
	a.fast.Store(fast)
	// One list refresh rebinds every visible row; List.RefreshItem would
	// refresh the whole list once per row.
	if full || changed {
		a.main.list.Refresh()
	}
}

// setContent swaps the window's page.
func (a *App) setContent(page string, o fyne.CanvasObject) {
	a.page = page
	a.onDetails.Store(page == "details")
	a.win.SetContent(o)
}

func (a *App) showList() {
	a.details = nil
	a.setContent("list", a.main.content)
	a.main.refresh()
}

func (a *App) showDetails(id string) {
	acc, err := a.be.Get(id)
	if err != nil {
		if i, ok := a.index[id]; ok {
			acc = a.accounts[i]
		} else {
			a.showError("This account is no longer there", err)
			return
		}
	}
	a.details = newDetailsView(a, acc)
	a.setContent("details", a.details.content)
}

func (a *App) showSettings() {
	a.details = nil
	a.setContent("settings", newSettingsView(a).content)
}

// bringForward shows the window, for the tray's Open and a second launch.
func (a *App) bringForward() {
	a.hidden = false
	a.win.Show()
	a.win.RequestFocus()
	a.main.list.Refresh()
}

// hide puts the window away into the tray.
func (a *App) hide() {
	a.hidden = true
	a.win.Hide()
}

// profile returns the catalog profile of a provider id.
func (a *App) provider(id string) (accounts.Provider, bool) {
	for _, p := range a.be.Providers() {
		if p.ID == id {
			return p, true
		}
	}
	return accounts.Provider{}, false
}

// scroll wraps a page so long pages scroll inside the window, keeping its
// right edge clear of the scroll bar.
func scroll(o fyne.CanvasObject) fyne.CanvasObject {
	gap := theme.Padding() * 3
	return container.NewVScroll(container.New(layout.NewCustomPaddedLayout(0, 0, 0, gap), o))
}
